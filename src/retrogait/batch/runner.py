"""Running a batch on Dask distributed: local worker processes or an existing cluster.

The client (this process) finds the files, skips those already done, submits one task per file,
and writes every result as it arrives (:class:`~retrogait.batch.outdir.OutputDir`), so its memory
holds at most one file's tables at a time, never samples. Dask re-runs the task of a worker that dies
mid-file on another worker; a file whose task kills workers repeatedly is reported as a failure.
Only the client writes: the output folder and, with ``add_to_history``, the history database.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import os
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from retrogait._version import __version__
from retrogait.batch.discovery import find_files
from retrogait.batch.forkserver import start_fork_server
from retrogait.batch.outdir import OutputDir
from retrogait.batch.settings import BatchSettings
from retrogait.batch.task import FileResult, analyze_files
from retrogait.errors import UsageProblem

CONNECT_TIMEOUT_S = 10.0
#: Closing the client and the local cluster at the end of a run waits at most this long (s), after
#: Ctrl-C the second figure (see ``_close_engine``).
CLOSE_TIMEOUT_S = 20.0
CLOSE_TIMEOUT_INTERRUPTED_S = 5.0
#: Tasks of several files (see :func:`plan_tasks`): at most this many files ...
TASK_MAX_FILES = 24
#: ... and bytes of input (24 ten-minute files: 2.5-4.5 s of analysis; a day-long file is a task of its
#: own). Dask costs ~13 ms of CPU per task (client ~8, worker ~5), about a tenth of a ten-minute file's
#: analysis: 8 files a task left ~1.8 ms of it per file in a 200-file run, 24 files ~0.8 ms ...
TASK_MAX_BYTES = 96 * 2**20
#: ... and 1 / (TASK_SPREAD x workers) of the bytes still to plan.
TASK_SPREAD = 2
#: With a progress bar, a task reports the files it finished at most this often (a Dask event each).
PROGRESS_INTERVAL_S = 0.5
DASK_CONFIG = "dask-config"
#: Dask settings for this process (client; scheduler and nannies of a local cluster): Dask's event loop
#: health checks (every 20 ms), system monitor and profiler cost about 9 % of a core per idle second
#: across client and worker; with these about 1.5 %.
CLIENT_CONFIG = {
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.admin.system-monitor.gil.enabled": False,
}
#: ... and for the workers of a local cluster (passed on by their nannies): no statistical profiler
#: (a stack sample every 10 ms), a memory check every second instead of 10 per second, and no
#: MALLOC_TRIM_THRESHOLD_: with it glibc stops adapting its mmap threshold and every large numpy
#: temporary is a fresh mmap, which made the analysis 2x slower.
LOCAL_CLUSTER_CONFIG = {
    **CLIENT_CONFIG,
    "distributed.worker.profile.enabled": False,
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
}

#: Seconds between a local worker's heartbeats at least. Dask's scheduler asks for one every 0.5 s up
#: to 10 workers and has no setting for it; each costs the worker and the scheduler ~1 ms of CPU, a third
#: of what an idle local cluster costs (measured: 13.9 -> 9.3 ms of CPU a second). A local worker's
#: death is seen at once anyway (its nanny, its closed connection), so nothing waits on heartbeats.
LOCAL_HEARTBEAT_S = 2.0


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C during a batch, raised after OUTDIR was left consistent; ``report`` says what was done."""

    def __init__(self, report: BatchReport) -> None:
        super().__init__("interrupted")
        self.report = report


class Progress(Protocol):
    """What the runner reports progress to (the CLI's progress bar; None from Python)."""

    def start(self, total: int, skipped: int) -> None: ...
    def file_done(self, result: FileResult) -> None: ...
    def stop(self) -> None: ...


@dataclass
class BatchReport:
    """What a batch run did (``--json`` prints it)."""

    outdir: str
    files: int = 0
    analyzed: int = 0
    skipped: int = 0
    failed: int = 0
    duplicates: list[dict[str, str]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    strides: int = 0
    samples: int = 0
    seconds: float = 0.0
    engine: str = ""
    workers: int = 0
    history: dict[str, int] | None = None
    client_peak_rss_bytes: int = 0
    worker_peak_rss_bytes: dict[str, int] = field(default_factory=dict)
    client_cpu_seconds: float = 0.0
    worker_cpu_seconds: dict[str, float] = field(default_factory=dict)
    task_cpu_seconds: float = 0.0  # CPU time of the file tasks themselves (sum over files and workers)
    task_sys_seconds: float = 0.0  # of which in the kernel (Linux workers)
    task_minor_faults: int = 0  # page faults of the file tasks (Linux workers)
    interrupted: bool = False
    outputs: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return dict(vars(self))


def peak_rss() -> int:
    """This process's peak resident memory in bytes (VmHWM; 0 where /proc is missing)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _worker_version() -> str:
    import retrogait

    return retrogait.__version__


def _use_fork_server() -> str:
    """The worker start method for a local cluster: the fork server when there is one (keeping Dask
    from replacing our preload list with its own, which imports pandas into every worker)."""
    if not start_fork_server():
        return "spawn"
    try:
        import distributed.utils as dutils

        if hasattr(dutils, "_forkserver_preload_set"):
            dutils._forkserver_preload_set = True
    except ImportError:  # pragma: no cover - distributed is installed when we get here
        pass
    return "forkserver"


@contextlib.contextmanager
def _slow_heartbeats() -> Iterator[None]:
    """While inside: the schedulers of this process (a local cluster's) ask their workers for a heartbeat
    every :data:`LOCAL_HEARTBEAT_S` at least (Dask's ``heartbeat_interval``, replaced and then put back;
    a Dask without it is left alone). Remote schedulers are not affected."""
    import distributed.scheduler as dscheduler

    base = getattr(dscheduler, "heartbeat_interval", None)
    if base is None:
        yield
        return

    def slower(n: int) -> float:
        return max(LOCAL_HEARTBEAT_S, base(n))

    dscheduler.heartbeat_interval = slower
    try:
        yield
    finally:
        dscheduler.heartbeat_interval = base


def connect(workers: int | None, scheduler: str | None, n_files: int | None = None) -> tuple[Any, Any, str]:
    """A Dask client: ``(client, local cluster or None, engine description)``.

    ``scheduler`` None starts a LocalCluster of ``workers`` processes (default: the number of cores; never
    more than ``n_files``), one thread each, no dashboard, forked from a pre-imported fork server;
    ``"dask-config"`` uses the address in Dask's configuration; otherwise it is the scheduler's
    address. UsageProblem when the scheduler cannot be reached or its workers run another retrogait.
    """
    from dask import config as dask_config
    from distributed import Client, LocalCluster

    if scheduler is None:
        n = min(workers or os.cpu_count() or 1, n_files or 1_000_000)
        with dask_config.set(LOCAL_CLUSTER_CONFIG):
            with dask_config.set({"distributed.worker.multiprocessing-method": _use_fork_server()}):
                # no dashboard (where bokeh is installed it costs its import and updates every second;
                # nobody looks); the scheduler's HTTP server (health checks) still starts, on a free port.
                # env: a fork of the server started earlier has the environment of then; each worker is
                # given this process's environment of now, as a spawned worker would have it
                # scheduler_sync_interval: the cluster object tells the scheduler about itself (for
                # dashboards) every second by default
                # silence_logs CRITICAL: the batch reports every file's outcome itself (a file a worker
                # died on is a failures.csv row); Dask's own ERROR lines (e.g. a result in transit when
                # Ctrl-C closes the client) would only put tracebacks between the progress bar and the
                # one-line message
                cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                                       scheduler_kwargs={"dashboard": False}, silence_logs=logging.CRITICAL,
                                       env=dict(os.environ), scheduler_sync_interval=60)
            # direct_to_workers: results come straight from the worker that has them, not relayed by
            # the scheduler (in this process: a second loopback transfer and (de)serialization per file)
            client = Client(cluster, set_as_default=False, direct_to_workers=True)
            return client, cluster, f"local: {n} worker process(es)"
    address = scheduler
    if scheduler == DASK_CONFIG:
        address = dask_config.get("scheduler-address", None) or dask_config.get("scheduler_address", None)
        if not address:
            raise UsageProblem("--scheduler dask-config: the Dask configuration names no scheduler-address "
                               "(set DASK_SCHEDULER_ADDRESS or scheduler-address in ~/.config/dask/*.yaml)")
    try:
        with dask_config.set(CLIENT_CONFIG):
            client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise UsageProblem(f"--scheduler {scheduler}: cannot reach a Dask scheduler at {address} ({first})") from None
    try:
        versions = client.run(_worker_version)
    except Exception:  # noqa: BLE001 - workers without retrogait cannot even unpickle the function
        versions = {}
    bad = {w: v for w, v in versions.items() if v != __version__}
    if bad or not versions:
        client.close()
        what = "no workers" if not versions else f"workers run retrogait {sorted(set(bad.values()))}"
        raise UsageProblem(f"--scheduler {scheduler}: {what}; every worker needs retrogait {__version__} "
                           "with the [batch] extra installed")
    return client, None, f"cluster {address}: {len(versions)} worker(s)"


def process_cpu() -> float:
    """CPU seconds (user + system) this process used so far."""
    return time.process_time()


def process_figures() -> tuple[int, float]:
    """This process's peak memory (bytes) and CPU time (seconds)."""
    return peak_rss(), process_cpu()


def _worker_figures(client: Any, report: BatchReport) -> None:
    """Peak memory and CPU time of every worker process (for the report; best effort; one round trip)."""
    try:
        figures = client.run(process_figures)
        report.worker_peak_rss_bytes = {str(k): int(v[0]) for k, v in figures.items()}
        report.worker_cpu_seconds = {str(k): float(v[1]) for k, v in figures.items()}
    except Exception:  # noqa: BLE001 - figures for the report only
        pass


def run_batch(
    paths: Sequence[str | os.PathLike],
    outdir: str | os.PathLike,
    settings: BatchSettings,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    add_to_history: bool = False,
    db: str | os.PathLike | None = None,
    fresh: bool = False,
    progress: Progress | None = None,
) -> BatchReport:
    """Analyze every recording in ``paths`` into ``outdir`` (see :mod:`retrogait.batch.outdir`).

    Already-finished recordings (same content hash and settings) are skipped. On Ctrl-C raises
    :class:`BatchInterrupted` (a KeyboardInterrupt) after leaving ``outdir`` consistent.
    """
    if workers is not None and workers < 1:
        raise UsageProblem(f"--workers {workers}: expected 1 or more")
    if add_to_history and not settings.balance:
        raise UsageProblem("--add-to-history needs the balance metrics: drop --no-balance")
    if workers is not None and scheduler is not None:
        raise UsageProblem("--workers applies to local workers; with --scheduler the cluster has its own")
    t0 = time.perf_counter()
    out_root = Path(outdir).expanduser()
    files = find_files(paths, exclude=[out_root])
    out = OutputDir(out_root, settings, fresh=fresh)
    conn = None
    if add_to_history:
        from retrogait.history import db as hdb

        try:
            conn = hdb.connect(Path(db) if db is not None else None, must_exist=False)
        except BaseException:
            out.close()
            raise
    report = BatchReport(outdir=str(out.root), files=len(files))
    failures: list[tuple[str, str, int]] = []
    history = {"added": 0, "already": 0, "failed": 0} if conn is not None else None
    client = cluster = None
    interrupted = False
    completed = False  # the run went to its end (no interruption, no error)
    engine = contextlib.ExitStack()  # the local cluster's slower heartbeats, until it is closed
    try:
        todo: list[Any] = []  # files to analyze
        skipped: list[Any] = []  # recording ids done before
        for f in files:
            rid = out.is_done(f)
            (skipped if rid else todo).append(rid or f)
        report.skipped = len(skipped)
        if conn is not None:
            for rid in skipped:
                _store_history(conn, out.history_payload(rid), out.done[rid]["path"], history, failures)
        if progress is not None:
            progress.start(len(files), len(skipped))
        if todo:
            if scheduler is None:
                start_fork_server()  # the workers' imports overlap with ours (Dask) from here on
                engine.enter_context(_slow_heartbeats())
            client, cluster, report.engine = connect(workers, scheduler, len(todo))
            report.workers = len(client.scheduler_info().get("workers", {})) or (workers or 0)
            _run(client, todo, settings, out, report, failures, conn, history, progress)
            _worker_figures(client, report)
        completed = True
    except KeyboardInterrupt:
        report.interrupted = True
        interrupted = True
    finally:
        if progress is not None:
            progress.stop()
        try:
            out.finalize(failures, reload=not completed)
        finally:
            out.close()
            if conn is not None:
                conn.close()
            _close_engine(client, cluster, interrupted)
            engine.close()
    report.failed = len(failures)
    if interrupted:
        raise BatchInterrupted(report)
    report.failures = [{"file": f, "reason": r, "exit_code": c} for f, r, c in sorted(failures)]
    report.history = history
    report.seconds = time.perf_counter() - t0
    report.client_peak_rss_bytes = peak_rss()
    report.client_cpu_seconds = process_cpu()
    report.outputs = {k: str(out.root / v) for k, v in (
        ("sessions_parquet", "sessions.parquet"), ("sessions_csv", "sessions.csv"),
        ("strides_parquet", "strides.parquet"), ("failures_csv", "failures.csv"))}
    return report


def _close_engine(client: Any, cluster: Any, interrupted: bool) -> None:
    """Close the Dask client, then the local cluster (either may be None), never raising and never
    waiting long: by now the outputs are written and consistent, and the processes end with this one.

    After Ctrl-C, Dask can wait on a request that the interrupt cut off half-way (seen once in CI:
    ``client.close()`` timed out after 60 s, then raised, so the user saw a traceback instead of the
    one-line summary); a normal close takes well under a second."""
    wait = CLOSE_TIMEOUT_INTERRUPTED_S if interrupted else CLOSE_TIMEOUT_S
    for part in (client, cluster):
        if part is None:
            continue
        try:
            part.close(timeout=wait)
        except Exception:  # noqa: BLE001 - a timeout or a connection already gone: nothing left to save
            pass


def plan_tasks(sizes: Sequence[int], workers: int) -> list[list[int]]:
    """The files (indices into ``sizes``, their sizes in bytes) of each task, in submission order.

    Guided self-scheduling: each task takes the next files up to ``1 / (TASK_SPREAD x workers)`` of the
    bytes still unplanned (at most :data:`TASK_MAX_FILES` files and :data:`TASK_MAX_BYTES`; at least one
    file). Big tasks first cut Dask's per-task cost (a few ms of client CPU per task, whatever its size);
    tasks shrink to single files towards the end, so no worker waits long for another to finish. A
    file's size stands for its work.
    """
    w = [max(int(s), 1) for s in sizes]
    remaining, groups, i = float(sum(w)), [], 0
    while i < len(w):
        target = min(remaining / (TASK_SPREAD * max(workers, 1)), TASK_MAX_BYTES)
        group, total = [i], w[i]
        i += 1
        while i < len(w) and len(group) < TASK_MAX_FILES and total + w[i] <= target:
            group.append(i)
            total += w[i]
            i += 1
        remaining -= total
        groups.append(group)
    return groups


def largest_first(paths: Sequence[Path]) -> list[Path]:
    """The order files are submitted in: largest first, so that a run ends on its smallest files and no
    worker waits long for the last one (a day-long file submitted last would keep one worker busy for
    minutes while the others idle); by path among files of one size class (half-octaves: they differ
    in size by less than a factor of sqrt(2)), so that a task's files are mostly from the same folders,
    often the same subject, whose strides then share one file
    (:func:`retrogait.batch.task.pack_strides`). The order of the results does not matter: the tables
    are sorted."""
    return sorted(paths, key=lambda p: (-_size_class(_size(p)), str(p)))


def _size_class(size: int) -> int:
    """The half-octave of ``size`` (``[2^(k/2), 2^((k+1)/2))`` bytes is class k; an empty file -1)."""
    return int(2 * math.log2(size)) if size > 0 else -1


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _run(client: Any, todo: list[Path], settings: BatchSettings, out: OutputDir, report: BatchReport,
         failures: list[tuple[str, str, int]], conn: Any, history: dict[str, int] | None,
         progress: Progress | None) -> None:
    """Submit the files as tasks (:func:`largest_first`, :func:`plan_tasks`) and write each result as it
    arrives.

    A task of several files whose worker died repeatedly (KilledWorker) is split: each of its files is
    submitted alone, so only a file that really kills workers is reported as failed.
    """
    from distributed import as_completed

    run = uuid.uuid4().hex[:12]  # keys unique on a cluster shared with other clients
    live: dict[str, tuple[Any, list[str]]] = {}  # key -> (future, its files)
    seq = itertools.count()
    shown = _FileProgress(progress) if progress is not None else None
    topic = f"retrogait-progress-{run}" if shown is not None else None
    if shown is not None:
        client.subscribe_topic(topic, shown.event)
    every = None if topic is None else (topic, PROGRESS_INTERVAL_S)

    def submit(paths: list[str]) -> Any:
        key = f"retrogait-{run}-{next(seq)}"
        fut = client.submit(analyze_files, paths, settings, [out.previous_hash(Path(p)) for p in paths], every,
                            key=key, pure=False)
        live[key] = (fut, paths)
        return fut

    todo = largest_first(todo)
    plan = plan_tasks([_size(p) for p in todo], report.workers or 1)
    ac = as_completed([submit([str(todo[i]) for i in g]) for g in plan], loop=client.loop)
    # for the final tables: imported while the first tasks run, not in the serial end of the run
    import pyarrow.parquet  # noqa: F401
    written: dict[str, str] = {}  # recording id -> path, this run
    try:
        for fut in ac:
            _, paths = live.pop(fut.key)
            try:
                results: list[FileResult] = fut.result()
            except Exception as exc:  # noqa: BLE001 - KilledWorker, a lost cluster...
                if len(paths) > 1 and type(exc).__name__ == "KilledWorker":
                    for p in paths:
                        ac.add(submit([p]))
                    continue
                first = (str(exc).splitlines() or [""])[0]
                results = [FileResult(path=p, error=_task_error(exc, first), exit_code=1) for p in paths]
            finally:
                fut.release()
            _store(results, out, report, failures, written, conn, history)
            if shown is not None:
                for res in results:
                    shown.done(res)
    except BaseException:
        client.cancel([f for f, _ in live.values()])
        raise
    finally:
        if topic is not None:
            client.unsubscribe_topic(topic)


class _FileProgress:
    """Tells the progress bar about each file once: soon after a worker has analyzed it (Dask events
    from inside a task of several files, at most every :data:`PROGRESS_INTERVAL_S` per task, handled on
    the client's event loop) or else when its result arrives (the task's last file, a task that failed
    as a whole). A file analyzed again (its worker died before the result
    was fetched) is not counted twice."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def event(self, event: Any) -> None:
        for path, n_strides, error in event[1]:
            self._report(FileResult(path=path, n_strides=n_strides, error=error))

    def done(self, result: FileResult) -> None:
        self._report(result)

    def _report(self, result: FileResult) -> None:
        with self.lock:
            if result.path in self.seen:
                return
            self.seen.add(result.path)
            self.progress.file_done(result)


def _task_error(exc: BaseException, first: str) -> str:
    if type(exc).__name__ == "KilledWorker":
        return "the worker analyzing this file died repeatedly (out of memory? a crash?); not retried again"
    return f"task failed: {type(exc).__name__}: {first}"


def _store(results: list[FileResult], out: OutputDir, report: BatchReport, failures: list[tuple[str, str, int]],
           written: dict[str, str], conn: Any, history: dict[str, int] | None) -> None:
    """Write the results of one task: failures noted, touched files recorded, files with the same bytes
    as one stored before reported as duplicates; the others stored a strides file at a time
    (:meth:`OutputDir.add_part`), then their sessions added to the history when asked."""
    stored: dict[str, list[FileResult]] = {}  # strides file -> its recordings to store
    for res in results:
        report.task_cpu_seconds += res.cpu_seconds
        report.task_sys_seconds += res.sys_seconds
        report.task_minor_faults += res.minor_faults
        if res.error is not None:
            failures.append((res.path, res.error, res.exit_code))
            continue
        if res.unchanged:  # touched, not changed: nothing to redo
            if res.recording_id in out.done:
                out.touch(res.recording_id)
                report.skipped += 1
                if conn is not None:
                    _store_history(conn, out.history_payload(res.recording_id), res.path, history, failures)
            continue
        first = written.get(res.recording_id) or (
            out.done[res.recording_id]["path"] if res.recording_id in out.done else None)
        if first is not None and first != res.path:  # same bytes as another file: analyzed once
            report.duplicates.append({"file": res.path, "same_as": first})
            continue
        written[res.recording_id] = res.path
        stored.setdefault(res.part, []).append(res)
    carriers = {r.part: r for r in results if r.part_recordings}
    for part, members in stored.items():
        out.add_part(members, carriers[part])
        for res in members:
            report.analyzed += 1
            report.strides += res.n_strides
            report.samples += res.samples
            if conn is not None:
                _store_history(conn, res.history(), res.path, history, failures)


def _store_history(conn: Any, payload: Any, path: str, history: dict[str, int] | None,
                   failures: list[tuple[str, str, int]]) -> None:
    """Store one session in the history (``retrogait add``'s rules: one per content hash)."""
    from retrogait.errors import RetrogaitError
    from retrogait.history.store import store_session

    if payload is None or history is None:
        return
    info, metrics = payload
    try:
        _, added = store_session(conn, info, metrics)
    except RetrogaitError as exc:
        history["failed"] += 1
        failures.append((path, f"not added to the history: {exc}", exc.exit_code))
        return
    history["added" if added else "already"] += 1
