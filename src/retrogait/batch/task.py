"""The work done for one file on a worker: hash, load, analyze, balance metrics, rows.

:func:`analyze_file` never raises for a bad file: it returns a :class:`FileResult` with ``error``
set to the one-line reason, so one bad file never stops a batch. It runs in a worker process (local or
on a cluster node) and returns only tables, never the samples: the session rows, and the strides.
:func:`analyze_files` (a Dask task of several files) encodes the strides of its recordings as one
Parquet file per subject (:func:`pack_strides`), so the client, the one serial part of a batch, only
writes bytes, and Dask moves a few flat buffers instead of pickling ~40 numpy columns a file. One file
per subject and task, not per recording: much of a Parquet file's cost is fixed per column and file
(in a task, ~2.6 ms for one ten-minute recording alone, ~1.7 ms a recording for 8 together), and
readers of a large study prefer fewer, larger files.
"""

from __future__ import annotations

import functools
import json
import os
import pickle
import signal
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from retrogait.batch.settings import BatchSettings

#: Fault injection for the tests: ``kill:<marker file>``: the first task to run (on any worker) creates
#: the marker and kills its own worker process mid-file; Dask must run that file again elsewhere.
#: ``killfile:<name>``: every worker analyzing a file whose name is ``<name>`` kills itself (a file that
#: crashes workers whenever it is read).
FAULT_ENV = "RETROGAIT_BATCH_FAULT"


@dataclass
class FileResult:
    """What a worker sends back for one file (small: tables only)."""

    path: str
    sha256: str = ""
    recording_id: str = ""
    subject: str = ""
    error: str | None = None
    exit_code: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)
    part: str = ""  # the name of the strides file (in its subject's folder) that holds this recording's
    # the bytes of that file (every StrideTable column, led by recording_id), carried by the first
    # recording of the file only, with the recording ids it holds, in order
    strides_parquet: bytes = b""
    part_recordings: list[str] = field(default_factory=list)
    strides_columns: dict[str, Any] | None = None  # the strides until pack_strides (never sent)
    n_strides: int = 0
    history_pickle: bytes | None = None  # pickled (SessionInfo, SessionMetrics) for the history, or None
    samples: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # CPU time of the task's thread on the worker
    sys_seconds: float = 0.0  # of which in the kernel (Linux; 0 elsewhere)
    minor_faults: int = 0  # page faults of the task's thread (Linux; 0 elsewhere)
    worker: str = ""
    unchanged: bool = False  # the content hash matched ``known_sha256``: nothing was analyzed
    profiles: dict[str, Any] = field(default_factory=dict)  # device id -> its profile used (or None)

    def history(self) -> Any:
        """The (SessionInfo, SessionMetrics) that ``retrogait add`` would store, or None."""
        return None if self.history_pickle is None else pickle.loads(self.history_pickle)


@functools.lru_cache(maxsize=1024)
def _profile_key(dev: str) -> str:
    """The key of a device's profile in ``BatchSettings.profiles``: its file's stem (the sanitised id;
    it does not depend on the folder, so it is kept per process: a study has few devices)."""
    from retrogait.analysis.calibration import profile_path

    return profile_path(dev).stem


def _shipped_profile_mounts(rec: Any, settings: BatchSettings) -> dict[str, Any]:
    """The device-profile mounting of every stream without a stored one, from the profiles the client
    shipped in ``settings`` (workers may not see the client's config folder)."""
    from retrogait.analysis.calibration import device_id
    from retrogait.analysis.frames import Mounting

    out: dict[str, Any] = {}
    for stream in rec.streams:
        dev = device_id(stream)
        found = settings.profiles.get(_profile_key(dev)) if dev is not None and stream.mount is None else None
        if found is not None:
            out[stream.foot] = Mounting(np.asarray(found[0], dtype=float), f"profile {found[1]}")
    return out


def _device_profiles(rec: Any, settings: BatchSettings) -> dict[str, Any]:
    """The device profile (or None) of every sensor of ``rec``: if one changes, the file is redone."""
    from retrogait.analysis.calibration import device_id

    keys = [_profile_key(d) for d in (device_id(s) for s in rec.streams) if d is not None]
    return {k: settings.profiles.get(k) for k in keys}


def _maybe_fault(path: Path) -> None:
    spec = os.environ.get(FAULT_ENV, "")
    if spec.startswith("killfile:") and path.name == spec[9:]:
        os.kill(os.getpid(), signal.SIGKILL)
    if spec.startswith("kill:"):
        marker = Path(spec[5:])
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        os.kill(os.getpid(), signal.SIGKILL)


def analyze_file(path: str, settings: BatchSettings, known_sha256: str | None = None) -> FileResult:
    """Analyze one recording with ``settings``; errors become ``FileResult.error`` (one line).

    ``known_sha256``: the hash of the file's content when it was analyzed before (its size or time
    changed since); if the content is still the same, nothing is analyzed (``unchanged``).
    """
    from retrogait.errors import RetrogaitError

    t0, c0, u0 = time.perf_counter(), time.thread_time(), _thread_usage()
    out = FileResult(path=path, worker=socket.gethostname())
    try:
        _run(out, settings, known_sha256)
    except RetrogaitError as exc:
        out.error, out.exit_code = str(exc).splitlines()[0] if str(exc) else type(exc).__name__, exc.exit_code
    except MemoryError:
        out.error, out.exit_code = "out of memory while analyzing this file", 1
    except Exception as exc:  # noqa: BLE001 - a bug must not stop the batch; it is reported per file
        first = str(exc).splitlines()[0] if str(exc) else ""
        out.error, out.exit_code = f"internal error: {type(exc).__name__}: {first}", 1
    if out.error is not None:
        out.rows, out.strides_columns, out.n_strides, out.history_pickle = [], None, 0, None
    out.seconds, out.cpu_seconds = time.perf_counter() - t0, time.thread_time() - c0
    u1 = _thread_usage()
    out.minor_faults, out.sys_seconds = u1[0] - u0[0], u1[1] - u0[1]
    return out


def _thread_usage() -> tuple[int, float]:
    """(minor page faults, system CPU seconds) of the calling thread so far; zeros where the platform
    cannot tell (they show how much of a task's time is the kernel's, e.g. memory handed back and
    taken again)."""
    try:
        import resource

        r = resource.getrusage(resource.RUSAGE_THREAD)
    except (ImportError, AttributeError, OSError):  # Windows, macOS
        return 0, 0.0
    return r.ru_minflt, r.ru_stime


def analyze_files(paths: list[str], settings: BatchSettings, known_sha256: list[str | None],
                  progress: tuple[str, float] | None = None) -> list[FileResult]:
    """:func:`analyze_file` on each of ``paths`` in turn (``known_sha256``: one per path): one Dask task
    for several small files, since Dask's own cost per task (a few ms of CPU, mostly in the client) is
    the same whatever the task's size.

    ``progress``: ``(topic, seconds)``: the files finished so far are sent as a Dask event under
    ``topic`` (a list of ``[path, strides, error]``) at most every ``seconds`` (an event costs ~2.5 ms
    of CPU across worker, scheduler and client; the progress bar redraws twice a second), and not
    after the last file, whose result follows at once. Only sent when a progress bar is shown.

    The strides are returned packed (:func:`pack_strides`)."""
    out: list[FileResult] = []
    pending: list[list[Any]] = []
    last = time.monotonic()
    for i, (p, k) in enumerate(zip(paths, known_sha256, strict=True)):
        res = analyze_file(p, settings, k)
        out.append(res)
        if progress is not None and i < len(paths) - 1:
            pending.append([res.path, res.n_strides, res.error])
            if time.monotonic() - last >= progress[1]:
                _log_progress(progress[0], pending)
                pending, last = [], time.monotonic()
    pack_strides(out)
    return out


def part_name(recording_ids: list[str]) -> str:
    """The name of the strides file of these recordings: ``part-`` and 16 hex digits of their ids'
    hash, so a file is only ever replaced by one of the same recordings (never named like a recording
    id, the name of an earlier version's one-recording files)."""
    import hashlib

    return "part-" + hashlib.sha1(" ".join(recording_ids).encode()).hexdigest()[:16]


def pack_strides(results: list[FileResult]) -> None:
    """Encode the strides of ``results`` (in place): one Parquet file per subject, its recordings in
    the order of ``results`` (a recording whose content an earlier one has is not repeated: the client
    keeps the first file of the same bytes), carried by the subject's first result
    (``strides_parquet``, ``part_recordings``); every result with strides names its file (``part``).
    The CPU time of packing a file is shared out to its results' ``cpu_seconds``."""
    from retrogait.batch.arrow import parquet_bytes

    by_subject: dict[str, list[FileResult]] = {}
    for r in results:
        if r.strides_columns is not None:
            by_subject.setdefault(r.subject, []).append(r)
    for members in by_subject.values():
        c0 = time.thread_time()
        keep: dict[str, FileResult] = {}
        for m in members:
            keep.setdefault(m.recording_id, m)
        cols = [m.strides_columns for m in keep.values() if m.strides_columns is not None]
        merged = cols[0] if len(cols) == 1 else {k: np.concatenate([c[k] for c in cols]) for k in cols[0]}
        carrier = members[0]
        carrier.strides_parquet = parquet_bytes(merged)
        carrier.part_recordings = list(keep)
        name = part_name(carrier.part_recordings)
        share = (time.thread_time() - c0) / len(members)
        for m in members:
            m.part, m.strides_columns = name, None
            m.cpu_seconds += share


def _log_progress(topic: str, files: list[list[Any]]) -> None:
    try:
        from distributed import get_worker

        get_worker().log_event(topic, files)
    except Exception:  # noqa: BLE001 - progress only: not in a worker (a test), or the event could not go
        pass


def _run(out: FileResult, settings: BatchSettings, known_sha256: str | None) -> None:
    import hashlib

    from retrogait.analysis import analyze
    from retrogait.balance.metrics import session_metrics
    from retrogait.batch.rows import session_rows, stride_columns
    from retrogait.commands.analyze import _load
    from retrogait.errors import InputFileError
    from retrogait.history.store import file_sha256, session_info

    path = Path(out.path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such file on worker {out.worker} (cluster workers must see the "
                             "files at the same path)")
    digest = None
    if known_sha256 is not None:  # analyzed before, its size or time changed since: the same content?
        out.sha256 = file_sha256(path)
        out.recording_id = settings.recording_id(out.sha256)
        if out.sha256 == known_sha256:
            out.unchanged = True
            return
    else:  # hashed while it is read (the bytes are in memory then): no second read of the file
        digest = hashlib.sha256()
    _maybe_fault(path)
    rec = _load(path, settings.preset, settings.acc_unit, settings.gyr_unit, settings.rate, settings.foot,
                settings.columns, digest)
    if digest is not None:
        out.sha256 = digest.hexdigest()
        out.recording_id = settings.recording_id(out.sha256)
    rec.source = str(path)
    out.profiles = _device_profiles(rec, settings)
    out.samples = int(sum(s.n for s in rec.streams))
    out.subject = rec.subject or ""
    fixed = settings.mount_array()
    result = analyze(rec, mount=fixed if fixed is not None else _shipped_profile_mounts(rec, settings),
                     settings=settings.analysis_settings())
    metrics = session_metrics(result.strides, rec) if settings.balance else None
    meta = {"recording_id": out.recording_id, "file": str(path), "file_sha256": out.sha256,
            "file_bytes": path.stat().st_size, "samples": out.samples, "settings_id": settings.settings_id,
            "retrogait_version": settings.retrogait_version,
            "analysis_settings": json.dumps(settings.analysis, sort_keys=True)}
    out.rows = session_rows(result, metrics, meta)
    out.strides_columns = stride_columns(result.strides, out.recording_id)
    out.n_strides = len(result.strides)
    # what `retrogait add` stores; the client keeps it for resumed runs and stores it (one writer) when
    # asked to; pickled once, here
    if metrics is not None:
        info = session_info(rec, metrics, out.sha256, str(path), None, len(result.strides))
        out.history_pickle = pickle.dumps((info, metrics))
