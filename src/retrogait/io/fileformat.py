"""The native retrogait recording format (``.rgt``): append-only, checksummed, crash-safe, fast to load.

Byte-level specification: ``firmware_notes/recording-format.md``. In short (all integers little-endian)::

    file   = preamble header-json blocks*
    preamble (20 bytes) = magic "RGAIT\\r\\n\\x1a\\n\\x00" (10) | version u16 | json length u32 | json crc32 u32
    header-json = UTF-8 JSON, padded with spaces so blocks start on an 8-byte boundary
    block  = sync "\\xd3RGB" | type u8 | flags u8 | stream u16 | n u32 | payload length u32
             | payload crc32 u32 | block-header crc32 u32 (of the 20 bytes before it) | payload
    samples payload (columnar) = t f8[n] | t_host f8[n]? | acc f4[n,3] | gyr f4[n,3] | mag f4[n,3]? | pad to 8

Block types: 1 = samples, 2 = event (payload = JSON object), 3 = header update (JSON; written by
:meth:`RecordingWriter.close`). Readers skip unknown block types with a warning.

Values are SI (s, m/s^2, rad/s, uT). Time is stored as float64 and acc/gyr/mag as float32, so a round
trip is exact *to the stored precision*: times exactly, sensor values exactly as float32 (16-bit
sensors lose nothing). :func:`read_recording` returns acc/gyr/mag as float64 arrays by default.
"""

from __future__ import annotations

import functools
import json
import mmap
import os
import struct
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

import numpy as np

from retrogait._version import __version__
from retrogait.errors import InputFileError
from retrogait.io import schema
from retrogait.io.recording import Recording, Stream

MAGIC = b"RGAIT\r\n\x1a\n\x00"
FORMAT_VERSION = 1
PREAMBLE = struct.Struct("<10sHII")
SYNC = b"\xd3RGB"
BLOCK_HEADER = struct.Struct("<4sBBHIIII")
BLOCK_HEADER_SIZE = BLOCK_HEADER.size  # 24
BLOCK_SAMPLES, BLOCK_EVENT, BLOCK_HEADER_UPDATE = 1, 2, 3
FLAG_MAG, FLAG_T_HOST = 1, 2
NO_STREAM = 0xFFFF
ALIGN = 8
UNITS = {"t": "s", "t_host": "s", "acc": "m/s^2", "gyr": "rad/s", "mag": "uT"}
BULK_BLOCK_SAMPLES = 1 << 16
COLUMN_ORDER = (("t", "<f8", 1, 0), ("t_host", "<f8", 1, FLAG_T_HOST), ("acc", "<f4", 3, 0),
                ("gyr", "<f4", 3, 0), ("mag", "<f4", 3, FLAG_MAG))
"""Samples payload columns in file order: (name, dtype, values per sample, flag that enables it)."""

_MMAP_THRESHOLD = 32 << 20


# ----------------------------------------------------------------------------------------- layout


def _pad(n: int) -> int:
    return (-n) % ALIGN


def payload_layout(n: int, flags: int) -> tuple[dict[str, tuple[int, str, tuple[int, ...]]], int]:
    """Column offsets of a samples payload of ``n`` samples: ({name: (offset, dtype, shape)}, length)."""
    cols: dict[str, tuple[int, str, tuple[int, ...]]] = {}
    off = 0
    for name, dt, width, need in COLUMN_ORDER:
        if need and not flags & need:
            continue
        cols[name] = (off, dt, (n,) if width == 1 else (n, 3))
        off += n * width * (8 if dt == "<f8" else 4)
    return cols, off + _pad(off)


def payload_length(n: int, flags: int) -> int:
    """Byte length of a samples payload of ``n`` samples with channel ``flags`` (padding included)."""
    size = n * (32 + (12 if flags & FLAG_MAG else 0) + (8 if flags & FLAG_T_HOST else 0))
    return size + _pad(size)


def _stream_flags(s: Stream) -> int:
    return (FLAG_MAG if s.mag is not None else 0) | (FLAG_T_HOST if s.t_host is not None else 0)


def _block(btype: int, flags: int, stream: int, n: int, payload: bytes) -> bytes:
    head = BLOCK_HEADER.pack(SYNC, btype, flags, stream, n, len(payload), zlib.crc32(payload), 0)[:20]
    return head + struct.pack("<I", zlib.crc32(head)) + payload


def json_default(obj: Any) -> Any:
    """``json.dumps(default=...)`` hook: numpy scalars and arrays become plain Python values."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def _json_bytes(obj: Any) -> bytes:
    """UTF-8 JSON padded with spaces to a multiple of 8 bytes (keeps every block 8-byte aligned)."""
    body = json.dumps(obj, default=json_default, ensure_ascii=False, allow_nan=True).encode("utf-8")
    return body + b" " * _pad(len(body))


def _samples_payload(n: int, flags: int, t, acc, gyr, mag=None, t_host=None) -> bytes:
    parts = [np.ascontiguousarray(t, "<f8").tobytes()]
    if flags & FLAG_T_HOST:
        parts.append(np.ascontiguousarray(t_host, "<f8").tobytes())
    parts.append(np.ascontiguousarray(acc, "<f4").tobytes())
    parts.append(np.ascontiguousarray(gyr, "<f4").tobytes())
    if flags & FLAG_MAG:
        parts.append(np.ascontiguousarray(mag, "<f4").tobytes())
    size = sum(len(p) for p in parts)
    parts.append(b"\x00" * _pad(size))
    return b"".join(parts)


def header_dict(rec: Recording) -> dict[str, Any]:
    """The JSON header of ``rec``: format, start time, subject, tags and per-stream metadata."""
    streams = []
    for s in rec.streams:
        channels = ["t"] + (["t_host"] if s.t_host is not None else []) + ["acc", "gyr"]
        channels += ["mag"] if s.mag is not None else []
        streams.append({
            "foot": s.foot,
            "device": dict(s.device),
            "nominal_rate": s.nominal_rate,
            "mount": None if s.mount is None else np.asarray(s.mount, float).tolist(),
            "channels": channels,
            "units": {c: UNITS[c] for c in channels},
            "dtypes": {c: ("float64" if c in ("t", "t_host") else "float32") for c in channels},
        })
    return {
        "format": "retrogait-recording",
        "format_version": FORMAT_VERSION,
        "created_by": f"retrogait {__version__}",
        "start_time": rec.start_time,
        "subject": rec.subject,
        "tags": dict(rec.tags),
        "frames": {"sensor": "device axes", "foot": "x toes, y left, z up; v_foot = mount @ v_sensor"},
        "streams": streams,
    }


def _preamble_and_header(rec: Recording) -> bytes:
    body = _json_bytes(header_dict(rec))
    body += b" " * _pad(PREAMBLE.size + len(body))
    return PREAMBLE.pack(MAGIC, FORMAT_VERSION, len(body), zlib.crc32(body)) + body


# ----------------------------------------------------------------------------------------- writer


class RecordingWriter:
    """Append-only, crash-safe writer of a native recording.

    ``template`` gives the header: its streams carry the metadata (foot, device, nominal_rate, mount;
    ``mag``/``t_host`` not None, even with zero rows, switch those channels on). Samples appended with
    :meth:`append` are buffered per stream; a block holds ``block_seconds`` of samples at the nominal
    rate (100 Hz assumed when unknown). Once 1.5 blocks are buffered, whole blocks are written (one
    ``os.write`` per batch) until less than 1.5 remain: streams appended in turn give alternating
    blocks, and a caller who flushes every ``block_seconds`` gets one block per stream per flush. A
    killed process leaves every written block on disk (in the OS cache). :meth:`flush` writes all that
    is buffered (a remainder under half a block joins the last block) and fsyncs. Earlier bytes are
    never rewritten.

    Example::

        with RecordingWriter("walk.rgt", template) as w:
            w.append(0, t, acc, gyr)        # any number of samples, any number of times
            w.add_event({"kind": "gap", "t": 12.0, "t_end": 12.5, "stream": 0})
    """

    def __init__(self, path: str | os.PathLike, template: Recording, block_seconds: float = 1.0,
                 *, block_samples: int | list[int] | None = None, exclusive: bool = False) -> None:
        self.path = Path(path)
        self.template = template
        self._flags = [_stream_flags(s) for s in template.streams]
        if isinstance(block_samples, list):
            if len(block_samples) != len(template.streams):
                raise ValueError("block_samples: one size per stream expected")
            self._block_n = [max(1, int(b)) for b in block_samples]
        else:
            self._block_n = [
                block_samples or max(1, int(round(block_seconds * (s.nominal_rate or 100.0))))
                for s in template.streams
            ]
        self._pending: list[list[tuple[np.ndarray | None, ...]]] = [[] for _ in template.streams]
        self._npending = [0] * len(template.streams)
        self._count = [0] * len(template.streams)
        self._t_first: list[float | None] = [None] * len(template.streams)
        self._t_last: list[float | None] = [None] * len(template.streams)
        try:
            self._fd: int | None = os.open(
                self.path, os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
                | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0) * exclusive, 0o644
            )
        except FileExistsError:
            raise
        except OSError as exc:
            raise InputFileError(f"{self.path.name}: cannot create recording: {exc.strerror or exc}") from exc
        self._write(_preamble_and_header(template))
        os.fsync(self._fd)
        _fsync_dir(self.path)
        for i, s in enumerate(template.streams):
            if s.n:
                self.append(i, s.t, s.acc, s.gyr, s.mag, s.t_host)

    # -- public API
    def append(self, stream_index: int, t, acc, gyr, mag=None, t_host=None) -> None:
        """Buffer samples of stream ``stream_index``; whole blocks are written as they fill up."""
        if not 0 <= stream_index < len(self._flags):
            raise ValueError(f"stream_index {stream_index} out of range (0..{len(self._flags) - 1})")
        t = np.atleast_1d(np.asarray(t, np.float64))
        n = t.shape[0]
        acc = np.asarray(acc, np.float32).reshape(n, 3)
        gyr = np.asarray(gyr, np.float32).reshape(n, 3)
        flags = self._flags[stream_index]
        if (mag is not None) != bool(flags & FLAG_MAG) or (t_host is not None) != bool(flags & FLAG_T_HOST):
            raise ValueError("mag/t_host must be given exactly when the template stream has them")
        cols = [t, acc, gyr]
        cols.append(np.asarray(mag, np.float32).reshape(n, 3) if mag is not None else None)
        cols.append(np.atleast_1d(np.asarray(t_host, np.float64)).reshape(n) if t_host is not None else None)
        if n == 0:
            return
        self._pending[stream_index].append(tuple(cols))
        self._npending[stream_index] += n
        if self._t_first[stream_index] is None:
            self._t_first[stream_index] = float(t[0])
        self._t_last[stream_index] = float(t[-1])
        self._count[stream_index] += n
        bn = self._block_n[stream_index]
        if self._npending[stream_index] >= bn + bn // 2:
            self._emit(stream_index, partial=False)

    def add_event(self, event: dict[str, Any]) -> None:
        """Write a session event (JSON dict with at least ``kind`` and ``t``) as its own block, now."""
        stream = event.get("stream")
        idx = NO_STREAM if stream is None else int(stream)
        self._write(_block(BLOCK_EVENT, 0, idx, 0, _json_bytes(event)))

    def flush(self) -> None:
        """Write every buffered sample (as complete, possibly shorter blocks) and fsync the file."""
        for i in range(len(self._pending)):
            self._emit(i, partial=True)
        if self._fd is not None:
            os.fsync(self._fd)

    def close(self) -> None:
        """Flush, append a header-update block (sample counts, measured rates, clean close), close."""
        if self._fd is None:
            return
        for i in range(len(self._pending)):
            self._emit(i, partial=True)
        update = {"closed": True, "streams": [
            {"n_samples": c, "measured_rate": ((c - 1) / (b - a) if c > 1 and a is not None and b is not None
                                               and b > a else None)}
            for c, a, b in zip(self._count, self._t_first, self._t_last)
        ]}
        self._write(_block(BLOCK_HEADER_UPDATE, 0, NO_STREAM, 0, _json_bytes(update)))
        os.fsync(self._fd)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals
    def _write(self, data: bytes) -> None:
        if self._fd is None:
            raise ValueError(f"{self.path}: writer is closed")
        view = memoryview(data)
        try:
            while view:
                done = os.write(self._fd, view)
                view = view[done:]
        except OSError as exc:  # disk full, device gone: the blocks written so far stay readable
            raise InputFileError(f"{self.path.name}: cannot write: {exc.strerror or exc}") from exc

    def _emit(self, i: int, partial: bool) -> None:
        pending = self._pending[i]
        if not pending:
            return
        cols: tuple[Any, ...] = (pending[0] if len(pending) == 1 else
                                 tuple(None if c[0] is None else np.concatenate(c) for c in zip(*pending)))
        t, acc, gyr, mag, t_host = cols
        assert t is not None and acc is not None and gyr is not None  # every pending chunk has them
        total, bn, flags = t.shape[0], self._block_n[i], self._flags[i]
        # appending: keep between half a block and 1.5 blocks buffered, so streams appended in turn
        # produce alternating blocks and a flush soon after makes one block, not a full one plus a crumb
        stop = total if partial else max(0, (total - (bn + bn // 2)) // bn + 1) * bn
        cuts = list(range(0, stop, bn)) + [stop]
        if partial and len(cuts) > 2 and cuts[-1] - cuts[-2] < bn // 2:
            del cuts[-2]  # fold a short remainder into the last full block (fewer, fuller blocks)
        out = []
        for a, b in zip(cuts[:-1], cuts[1:]):
            sl = slice(a, b)
            payload = _samples_payload(b - a, flags, t[sl], acc[sl], gyr[sl],
                                       None if mag is None else mag[sl], None if t_host is None else t_host[sl])
            out.append(_block(BLOCK_SAMPLES, flags, i, b - a, payload))
        if out:
            self._write(b"".join(out))
        rest = slice(stop, total)
        self._pending[i] = [] if stop == total else [
            (t[rest], acc[rest], gyr[rest], None if mag is None else mag[rest],
             None if t_host is None else t_host[rest])]
        self._npending[i] = total - stop


def _fsync_dir(path: Path) -> None:
    """Make a new file's directory entry durable too (POSIX; a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path.parent if str(path.parent) else ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


BULK_BLOCK_SECONDS = 1.0
"""Seconds of samples per block in bulk-written files (as in live recordings), so that a flipped byte
costs about a second of data, not the whole file."""


def bulk_block_samples(s: Stream) -> int:
    """Samples per block of ``s`` in a bulk-written file: about :data:`BULK_BLOCK_SECONDS` at its nominal
    (else measured, else 100 Hz) rate, at most :data:`BULK_BLOCK_SAMPLES`."""
    rate = s.nominal_rate or s.measured_rate or 100.0
    if not (isinstance(rate, (int, float)) and np.isfinite(rate) and rate > 0):
        rate = 100.0
    return int(min(BULK_BLOCK_SAMPLES, max(1, round(BULK_BLOCK_SECONDS * rate))))


def temp_path(path: Path) -> Path:
    """An unpredictable name beside ``path`` for a temporary file (``.NAME.<random>.tmp``)."""
    import secrets  # here, not at the top: reading a recording needs none of it (hashlib, hmac: ~6 ms)

    return path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")


def create_exclusive(path: Path, *, attempts: int = 16) -> tuple[Path, int]:
    """Create a new temporary file beside ``path`` with ``O_CREAT | O_EXCL`` (never an existing file, nor
    a planted link) under an unpredictable name: ``(temp path, open fd)`` for writing."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(attempts):
        tmp = temp_path(path)
        try:
            return tmp, os.open(tmp, flags, 0o644)
        except FileExistsError:
            continue
        except OSError as exc:
            raise InputFileError(f"{path.name}: cannot write: {exc.strerror or exc}") from exc
    raise InputFileError(f"{path.name}: cannot write: no free temporary name in {path.parent}")  # pragma: no cover


@contextmanager
def atomic_write(path: str | os.PathLike, *, text: bool = True) -> Iterator[IO[Any]]:
    """Write ``path`` all at once: into an exclusive temporary file beside it (:func:`create_exclusive`),
    fsynced and renamed into place on success, removed on any error. Yields the open file (text UTF-8
    with ``\\n`` line ends, or binary)."""
    path = Path(path)
    tmp, fd = create_exclusive(path)
    try:
        with (open(fd, "w", encoding="utf-8", newline="\n") if text else open(fd, "wb")) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise InputFileError(f"{path.name}: cannot write: {exc.strerror or exc}") from exc
        _fsync_dir(path)
    except OSError as exc:
        raise InputFileError(f"{path.name}: cannot write: {exc.strerror or exc}") from exc
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def write_recording(path: str | os.PathLike, rec: Recording) -> None:
    """Write ``rec`` (samples and events) to ``path`` in the native format.

    Samples go in blocks of about one second (:func:`bulk_block_samples`), as a live recording's, so
    damage to one block loses about a second. The file is written to an exclusive, unpredictably named
    temporary file beside ``path`` and renamed into place, so an existing file is never left
    half-overwritten.
    """
    path = Path(path)
    tmp: Path | None = None
    for _ in range(16):
        candidate = temp_path(path)
        try:
            writer = RecordingWriter(candidate, _template_of(rec), exclusive=True,
                                     block_samples=[bulk_block_samples(s) for s in rec.streams])
        except FileExistsError:
            continue
        except InputFileError as exc:
            why = getattr(exc.__cause__, "strerror", None) or exc
            raise InputFileError(f"{path.name}: cannot write: {why}") from exc
        tmp = candidate
        break
    if tmp is None:  # pragma: no cover - 16 random names taken
        raise InputFileError(f"{path.name}: cannot write: no free temporary name in {path.parent}")
    try:
        with writer as w:
            for i, s in enumerate(rec.streams):
                w.append(i, s.t, s.acc, s.gyr, s.mag, s.t_host)
            w.flush()
            for ev in rec.events:
                w.add_event(ev)
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise InputFileError(f"{path.name}: cannot write: {exc.strerror or exc}") from exc
        _fsync_dir(path)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def _template_of(rec: Recording) -> Recording:
    empty = np.zeros((0, 3))
    streams = [
        Stream(t=np.zeros(0), acc=empty, gyr=empty, mag=None if s.mag is None else empty,
               t_host=None if s.t_host is None else np.zeros(0), foot=s.foot, mount=s.mount,
               nominal_rate=s.nominal_rate, device=dict(s.device))
        for s in rec.streams
    ]
    return Recording(streams=streams, start_time=rec.start_time, subject=rec.subject, tags=dict(rec.tags))


def empty_template(feet: list[str] | tuple[str, ...], nominal_rate: float | None, *, mag: bool = False,
                   t_host: bool = False, device: dict[str, Any] | None = None, **rec_fields: Any) -> Recording:
    """A zero-sample :class:`Recording` to pass to :class:`RecordingWriter` (one stream per foot)."""
    empty = np.zeros((0, 3))
    streams = [
        Stream(t=np.zeros(0), acc=empty, gyr=empty, mag=empty if mag else None,
               t_host=np.zeros(0) if t_host else None, foot=f, nominal_rate=nominal_rate,
               device=dict(device or {}))
        for f in feet
    ]
    return Recording(streams=streams, **rec_fields)


# ----------------------------------------------------------------------------------------- reader


@dataclass
class BlockProblem:
    """A block the reader could not use: its number (0-based, in file order), byte offset and why."""

    block: int
    offset: int
    reason: str


@dataclass
class FileReport:
    """What reading a native file found besides the samples (for ``retrogait info``)."""

    path: str
    size: int
    format_version: int
    header: dict[str, Any]
    n_blocks: int = 0
    n_sample_blocks: int = 0
    problems: list[BlockProblem] = field(default_factory=list)
    truncated_tail: tuple[int, int] | None = None  # (byte offset, bytes lost)
    closed_cleanly: bool = False
    header_updates: list[dict[str, Any]] = field(default_factory=list)


def open_error(path: Path, exc: OSError, what: str = "recording file") -> InputFileError:
    """The one-line InputFileError for an OSError met opening ``path``."""
    if isinstance(exc, FileNotFoundError):
        return InputFileError(f"{path.name}: no such file")
    if isinstance(exc, IsADirectoryError):
        return InputFileError(f"{path.name}: is a directory, not a {what}")
    return InputFileError(f"{path.name}: cannot read: {exc.strerror or exc}")


def _fail(path: Path, offset: int | None, msg: str) -> InputFileError:
    where = f"{path.name}: byte {offset}: " if offset is not None else f"{path.name}: "
    return InputFileError(where + msg)


class _Buffer:
    """The file's bytes: read into memory for small files, memory-mapped for large ones."""

    def __init__(self, path: Path) -> None:
        self._mm: mmap.mmap | None = None
        try:
            with open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size >= _MMAP_THRESHOLD:
                    self._mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
                    self.data: bytes | mmap.mmap = self._mm
                else:
                    self.data = f.read()
        except OSError as exc:
            raise open_error(path, exc) from exc
        self.size = len(self.data)

    def close(self) -> None:
        if self._mm is not None:
            try:
                self._mm.close()
            except BufferError:  # a numpy view is still alive; the GC closes the map later
                pass


def _parse_preamble(path: Path, data, notes: list[str] | None = None) -> tuple[int, dict[str, Any], int]:
    """Check magic, version, header length and checksum; parse the header JSON (fatal problems raise
    InputFileError naming the byte; NaN / Infinity taken as null are noted in ``notes``)."""
    size = len(data)
    if size == 0:
        raise _fail(path, 0, "empty file (0 bytes): not a retrogait recording")
    head = bytes(data[: len(MAGIC)])
    if head != MAGIC:
        if head[:5] == MAGIC[:5]:
            raise _fail(path, 0, "retrogait magic is damaged (expected "
                        f"{MAGIC!r}, found {head!r}): the file was probably copied in text mode "
                        "(line endings or NUL bytes changed); copy it as binary")
        raise _fail(path, 0, f"not a retrogait recording (expected magic {MAGIC[:5].decode()!r}, "
                    f"found {head[:5]!r})")
    if size < PREAMBLE.size:
        raise _fail(path, size, f"file ends inside the {PREAMBLE.size}-byte preamble (truncated)")
    _, version, hlen, hcrc = PREAMBLE.unpack_from(data, 0)
    if version > FORMAT_VERSION or version == 0:
        raise _fail(path, 10, f"format version {version} is not supported (this retrogait reads "
                    f"version {FORMAT_VERSION}); upgrade retrogait")
    end = PREAMBLE.size + hlen
    if end > size:
        raise _fail(path, size, f"file ends inside the header (expected {hlen} header bytes from "
                    f"byte {PREAMBLE.size}, file has {size - PREAMBLE.size}): truncated")
    body = bytes(data[PREAMBLE.size:end])
    if zlib.crc32(body) != hcrc:
        raise _fail(path, PREAMBLE.size, f"header checksum mismatch (expected crc 0x{hcrc:08x}, "
                    f"computed 0x{zlib.crc32(body):08x}): the header is corrupt")
    try:
        header = schema.loads(body, notes, f"{path.name}: byte {PREAMBLE.size}: header")
    except schema.JSONProblem as exc:
        raise _fail(path, PREAMBLE.size, f"header is not usable JSON: {exc}") from None
    if not isinstance(header, dict) or not isinstance(header.get("streams"), list):
        raise _fail(path, PREAMBLE.size, "header JSON lacks the 'streams' list")
    if len(header["streams"]) > schema.MAX_STREAMS:
        raise _fail(path, PREAMBLE.size, f"header lists {len(header['streams']):,} streams (a file can address "
                    f"at most {schema.MAX_STREAMS:,}): not a usable header")
    return version, header, end


def _walk(path: Path, data, start: int, stream_flags: list[int | None], report: FileReport, warnings: list[str]):
    """Walk the blocks: verify checksums, resynchronise after damage. Returns good blocks and events."""
    size = len(data)
    n_streams = len(stream_flags)
    mv = memoryview(data)
    unpack = BLOCK_HEADER.unpack_from
    crc32 = zlib.crc32
    find = data.find
    offs: list[int] = []
    metas: list[tuple[int, int, int, int]] = []  # (stream, n, flags, payload length)
    events: list[dict[str, Any]] = []
    pos, block = start, 0
    while pos < size:
        if pos + BLOCK_HEADER_SIZE > size:
            report.truncated_tail = (pos, size - pos)
            break
        sync, btype, flags, stream, n, plen, pcrc, hcrc = unpack(data, pos)
        if sync != SYNC or crc32(mv[pos:pos + 20]) != hcrc:
            nxt = _resync(data, mv, pos + 1, find)
            stop = size if nxt < 0 else nxt
            to = "end of file" if nxt < 0 else f"next block at byte {nxt}"
            report.problems.append(BlockProblem(block, pos, f"damaged block header; skipped {stop - pos} bytes to {to}"))
            block += 1
            if nxt < 0:
                break
            pos = nxt
            continue
        end = pos + BLOCK_HEADER_SIZE + plen
        if end > size:
            report.truncated_tail = (pos, size - pos)
            break
        p0 = pos + BLOCK_HEADER_SIZE
        if crc32(mv[p0:end]) != pcrc:
            what = f"{n} samples of stream {stream}" if btype == BLOCK_SAMPLES else "its content"
            report.problems.append(BlockProblem(block, pos, f"payload checksum mismatch; {what} skipped"))
        elif btype == BLOCK_SAMPLES:
            if stream < n_streams and stream_flags[stream] is None and payload_length(n, flags) == plen:
                stream_flags[stream] = flags  # channels unknown from the header: the first block tells
            if stream >= n_streams or flags != stream_flags[stream] or payload_length(n, flags) != plen:
                report.problems.append(BlockProblem(block, pos, f"samples block for stream {stream} does "
                                                    "not match the header's streams/channels; skipped"))
            else:
                offs.append(p0)
                metas.append((stream, n, flags, plen))
        elif btype in (BLOCK_EVENT, BLOCK_HEADER_UPDATE):
            where = f"{path.name}: block {block} at byte {pos}"
            try:
                obj = schema.loads(bytes(mv[p0:end]), warnings, where)
            except schema.JSONProblem as exc:
                report.problems.append(BlockProblem(block, pos, f"JSON block is {exc}; skipped"))
                obj = None
            else:
                if not isinstance(obj, dict):
                    report.problems.append(BlockProblem(block, pos, "JSON block is not a JSON object; skipped"))
                elif btype == BLOCK_EVENT:
                    why = schema.event_problem(obj, n_streams)
                    if why is None:
                        events.append(obj)
                    else:
                        warnings.append(f"{where}: {why}; event ignored")
                else:
                    report.header_updates.append(schema.clean_update(obj, n_streams, where, warnings))
        else:
            warnings.append(f"{path.name}: block {block} at byte {pos}: unknown block type {btype} skipped")
        block += 1
        pos = end
    report.n_blocks = block
    report.n_sample_blocks = len(offs)
    mv.release()
    return offs, metas, events


def _resync(data, mv, start: int, find) -> int:
    """Offset of the next block header with a valid header checksum at or after ``start``, or -1."""
    size = len(data)
    pos = find(SYNC, start)
    while pos >= 0:
        if pos + BLOCK_HEADER_SIZE <= size and zlib.crc32(mv[pos:pos + 20]) == BLOCK_HEADER.unpack_from(data, pos)[7]:
            return pos
        pos = find(SYNC, pos + 1)
    return -1


_MIN_RUN = 8
"""Runs of at least this many equal, adjacent blocks are copied as strided views; shorter, block by block."""


@functools.lru_cache(maxsize=256)
def _block_dtype(n: int, flags: int, stride: int) -> np.dtype:
    """A structured dtype for one whole samples block (header + payload) of ``stride`` bytes."""
    cols, _ = payload_layout(n, flags)
    names = list(cols)
    return np.dtype({
        "names": names,
        "formats": [(np.dtype(cols[c][1]), cols[c][2]) for c in names],
        "offsets": [BLOCK_HEADER_SIZE + cols[c][0] for c in names],
        "itemsize": stride,
    })


def _gather(data, offs: list[int], metas: list[tuple[int, int, int, int]], counts: list[int],
            stream_flags: list[int], float_dtype) -> list[dict[str, np.ndarray]]:
    """Copy the samples of all good blocks into one preallocated array per stream and channel.

    A run of equal-size blocks that follow each other in the file (a live file: 1-s blocks of the two
    feet alternating) is copied with one strided structured view per stream and channel; blocks outside
    such runs are copied with plain slices of flat float64/float32 views of the file. When most samples
    go the block-by-block way, acc/gyr/mag are gathered as float32 and converted once at the end (many
    small float32->float64 casts cost more than one big one).
    """
    nblocks = len(offs)
    bounds: list[int] = [0, nblocks]
    if nblocks:
        offs_a = np.asarray(offs, np.int64)
        meta_a = np.asarray(metas, np.int64).reshape(-1, 4)
        same = np.all(meta_a[1:, 1:] == meta_a[:-1, 1:], axis=1)
        contiguous = offs_a[1:] - offs_a[:-1] == meta_a[:-1, 3] + BLOCK_HEADER_SIZE
        bounds = np.concatenate([[0], np.flatnonzero(~(same & contiguous)) + 1, [nblocks]]).tolist()
        streams_a = meta_a[:, 0]
        lengths = np.diff(bounds)
        short = np.repeat(lengths < _MIN_RUN, lengths)
        mostly_short = meta_a[short, 1].sum() * 2 > meta_a[:, 1].sum()
    work_dtype = np.float32 if nblocks and mostly_short else float_dtype
    outs = []
    for cnt, fl in zip(counts, stream_flags):
        o = {}
        for name, _, width, need in COLUMN_ORDER:
            if not need or fl & need:
                o[name] = np.empty(cnt, np.float64) if width == 1 else np.empty((cnt, 3), work_dtype)
        outs.append(o)
    if not nblocks:
        return outs
    fill = [0] * len(counts)
    buf = np.frombuffer(data, np.uint8)
    f8 = np.frombuffer(data, "<f8", count=len(data) // 8)
    f4 = np.frombuffer(data, "<f4", count=len(data) // 4)
    # every column keeps its stored (little-endian) type: copy bytes (memcpy) block by block
    raw = work_dtype == np.float32 and sys.byteorder == "little"
    src = memoryview(data)
    # per stream, in payload order: (destination, bytes per sample); bytes of its memory when ``raw``
    plans = [[(memoryview(cast(Any, o[name].reshape(-1).view(np.uint8))) if raw else o[name].reshape(-1),
               8 if width == 1 else 12)
              for name, _, width, _ in COLUMN_ORDER if name in o] for o in outs]
    for a, b in zip(bounds[:-1], bounds[1:]):
        if b - a < _MIN_RUN:
            for k in range(a, b):
                s, n, flags, _ = metas[k]
                p, off = fill[s], offs[k]
                fill[s] = p + n
                if off & 7:  # not written by retrogait (which aligns every block): go the slow way
                    _copy_unaligned(data, off, n, flags, outs[s], p)
                    continue
                for dst, size in plans[s]:
                    m = size * n
                    if raw:
                        dst[size * p:size * p + m] = src[off:off + m]
                    elif size == 8:
                        dst[p:p + n] = cast(Any, f8[off >> 3:(off >> 3) + n])
                    else:
                        dst[3 * p:3 * p + 3 * n] = cast(Any, f4[off >> 2:(off >> 2) + 3 * n])
                    off += m
            continue
        n, flags, plen = metas[a][1], metas[a][2], metas[a][3]
        recs = np.ndarray((b - a,), dtype=_block_dtype(n, flags, plen + BLOCK_HEADER_SIZE), buffer=buf,
                          offset=offs[a] - BLOCK_HEADER_SIZE)
        sts = streams_a[a:b]
        for s in np.unique(sts).tolist():
            idx = np.flatnonzero(sts == s)
            if idx.size == b - a:
                sel = recs
            elif idx.size > 1 and np.all(np.diff(idx) == idx[1] - idx[0]):
                sel = recs[idx[0]: idx[-1] + 1: idx[1] - idx[0]]
            else:
                sel = recs[idx]
            m = idx.size * n
            o, p = outs[s], fill[s]
            for name in sel.dtype.names or ():
                o[name][p:p + m].reshape((idx.size,) + sel.dtype[name].shape)[...] = sel[name]
            fill[s] += m
            del sel
        del recs
    del buf, f8, f4, plans
    src.release()
    if work_dtype != float_dtype:
        for o in outs:
            for name in ("acc", "gyr", "mag"):
                if name in o:
                    o[name] = o[name].astype(float_dtype)
    return outs


def _copy_unaligned(data, offset: int, n: int, flags: int, out: dict[str, np.ndarray], p: int) -> None:
    """Copy one samples block whose payload starts at an offset that is not a multiple of 8."""
    for name, (off, dt, shape) in payload_layout(n, flags)[0].items():
        count = n * (shape[1] if len(shape) > 1 else 1)
        out[name][p:p + n] = np.frombuffer(data, dt, count=count, offset=offset + off).reshape(shape)


def read_report(path: str | os.PathLike, *, float_dtype=np.float64,
                digest: Any = None) -> tuple[Recording, FileReport]:
    """Read a native recording and what was found on the way (block problems, truncated tail).

    ``digest``: a :mod:`hashlib` object, updated with the file's bytes exactly as read (so a content
    hash needs no second read of the file, and vouches for the very bytes parsed).

    Besides checksums, the content is checked against the documented schema
    (:mod:`retrogait.io.schema`): header fields of the wrong type are taken as unknown, events and
    header updates that do not fit are ignored, samples with NaN or infinite values are dropped and
    timestamps that do not increase are reported; each with a one-line warning naming the byte or block.
    """
    path = Path(path)
    buffer = _Buffer(path)
    try:
        data = buffer.data
        if digest is not None:
            digest.update(data)
        warnings: list[str] = []
        version, raw_header, start = _parse_preamble(path, data, warnings)
        header = schema.clean_header(raw_header, f"{path.name}: byte {PREAMBLE.size}: header", warnings)
        report = FileReport(path=str(path), size=buffer.size, format_version=version, header=header)
        stream_flags: list[int | None] = [_flags_of(sh) for sh in header["streams"]]
        offs, metas, events = _walk(path, data, start, stream_flags, report, warnings)
        flags_known = [0 if f is None else f for f in stream_flags]
        counts = [0] * len(flags_known)
        for s, n, _, _ in metas:
            counts[s] += n
        cols = _gather(data, offs, metas, counts, flags_known, float_dtype)
    finally:
        buffer.close()
    for p in sorted(report.problems, key=lambda p: p.offset):
        warnings.append(f"{path.name}: block {p.block} at byte {p.offset}: {p.reason}")
    if report.truncated_tail:
        off, lost = report.truncated_tail
        warnings.append(f"{path.name}: byte {off}: truncated final block ({lost} bytes) ignored; "
                        "the recording was probably interrupted")
    for upd in report.header_updates:
        report.closed_cleanly |= bool(upd.get("closed"))
        _apply_update(header, upd)
    for i, fl in enumerate(stream_flags):
        ch = ["t"] + (["t_host"] if (fl or 0) & FLAG_T_HOST else []) + ["acc", "gyr"]
        header["streams"][i]["channels"] = ch + (["mag"] if (fl or 0) & FLAG_MAG else [])
    streams = []
    for i, (sh, c) in enumerate(zip(header["streams"], cols)):
        c = _check_samples(path, i, c, offs, metas, warnings)
        mount = sh.get("mount")
        streams.append(Stream(
            t=c["t"], acc=c["acc"], gyr=c["gyr"], mag=c.get("mag"), t_host=c.get("t_host"),
            foot=sh["foot"], mount=None if mount is None else np.asarray(mount, float),
            nominal_rate=sh["nominal_rate"], device=dict(sh["device"]), source=path.name,
        ))
    rec = Recording(streams=streams, start_time=header["start_time"], subject=header["subject"],
                    tags=dict(header["tags"]), events=events, source=str(path), warnings=warnings)
    return rec, report


def _check_samples(path: Path, index: int, cols: dict[str, np.ndarray], offs: list[int],
                   metas: list[tuple[int, int, int, int]], warnings: list[str]) -> dict[str, np.ndarray]:
    """Drop samples with NaN / infinite values (a warning naming the first block) and report
    timestamps that do not increase. Cheap when all is well: one sum per column and one comparison."""
    names = [n for n in ("t", "t_host", "acc", "gyr", "mag") if n in cols]
    if cols["t"].size == 0:
        return cols
    # one pass per column: a sum is finite unless a value is NaN / infinite (float32 values cannot
    # overflow a float64 sum; a float64 time that does only costs the exact check below)
    with np.errstate(invalid="ignore", over="ignore"):
        all_finite = all(np.isfinite(cols[n].sum(dtype=np.float64)) for n in names)
    if all_finite:
        bad = None
    else:
        good = np.ones(cols["t"].shape[0], bool)
        for n in names:
            fin = np.isfinite(cols[n])
            good &= fin if fin.ndim == 1 else fin.all(axis=1)
        bad = np.flatnonzero(~good)
    if bad is not None and bad.size:
        first = int(bad[0])
        where = _block_of(index, first, offs, metas)
        warnings.append(f"{path.name}: stream {index}: {bad.size} sample(s) with NaN or infinite values dropped "
                        f"(first: sample {first}, {where})")
        cols = {n: v[good] for n, v in cols.items()}
    t = cols["t"]
    if t.size > 1 and not (t[1:] > t[:-1]).all():
        back = np.flatnonzero(t[1:] <= t[:-1])
        if back.size:
            first = int(back[0]) + 1
            warnings.append(f"{path.name}: stream {index}: timestamps do not increase {back.size} time(s) (first: "
                            f"sample {first}, {_block_of(index, first, offs, metas)}); kept as found")
    return cols


def _block_of(stream: int, sample: int, offs: list[int], metas: list[tuple[int, int, int, int]]) -> str:
    """'block at byte N' holding sample number ``sample`` of ``stream`` (before any samples were dropped)."""
    seen = 0
    for off, (s, n, _, _) in zip(offs, metas):
        if s != stream:
            continue
        if sample < seen + n:
            return f"in the samples block at byte {off - BLOCK_HEADER_SIZE}"
        seen += n
    return "block unknown"


def _flags_of(stream_header: dict[str, Any]) -> int | None:
    """Channel flags of a (cleaned) stream description; None when its channels are unknown."""
    ch = stream_header.get("channels")
    if ch is None:
        return None
    return (FLAG_MAG if "mag" in ch else 0) | (FLAG_T_HOST if "t_host" in ch else 0)


def _apply_update(header: dict[str, Any], upd: dict[str, Any]) -> None:
    """Merge a (cleaned, :func:`schema.clean_update`) header-update block into the header: tags,
    subject, per stream device / mount / rate / foot."""
    if upd.get("tags"):
        header["tags"].update(upd["tags"])
    if isinstance(upd.get("subject"), str):
        header["subject"] = upd["subject"]
    for sh, su in zip(header["streams"], upd.get("streams") or []):
        if su.get("device"):
            sh["device"].update(su["device"])
        for key in ("mount", "nominal_rate", "foot", "n_samples", "measured_rate"):
            if key in su:
                sh[key] = su[key]


def read_recording(path: str | os.PathLike, *, float_dtype=np.float64, digest: Any = None) -> Recording:
    """Read a native ``.rgt`` recording.

    Damaged blocks and a truncated tail are skipped and described in ``rec.warnings`` (block number,
    byte offset). A file that is not a recording, empty, or with a damaged header raises
    :class:`~retrogait.errors.InputFileError`, as does a file whose every samples block is damaged
    (naming the first damaged block). acc/gyr/mag are returned as ``float_dtype`` (float64 by
    default; pass ``np.float32`` to keep the stored precision without the conversion cost).
    ``digest``: a :mod:`hashlib` object updated with the file's bytes as read (see :func:`read_report`).
    """
    rec, report = read_report(path, float_dtype=float_dtype, digest=digest)
    if report.problems and rec.streams and all(s.n == 0 for s in rec.streams):
        first = min(report.problems, key=lambda p: p.offset)
        more = f" (and {len(report.problems) - 1} more damaged block(s))" if len(report.problems) > 1 else ""
        raise InputFileError(f"{Path(path).name}: no readable samples: block {first.block} at byte {first.offset}: "
                             f"{first.reason}{more}; 'retrogait info' lists the damage")
    return rec


def is_native(path: str | os.PathLike) -> bool:
    """True if the file starts with the native magic (or its damaged-in-transfer form)."""
    try:
        with open(path, "rb") as f:
            return f.read(5) == MAGIC[:5]
    except OSError:
        return False
