"""The batch output folder: atomic writes, resume state and the final tables.

Layout of OUTDIR::

    sessions.parquet, sessions.csv   one row per recording and walking direction (rebuilt at the end of
                                     every run, also after Ctrl-C, from the finished recordings)
    strides.parquet/subject=S/R.parquet   every stride of recording R (hive-partitioned by subject)
    failures.csv                     files of the last run that could not be analyzed, one-line reason
    .retrogait-batch/                resume state: settings.json, done.log (the journal of finished
                                     recordings: session rows, the file's path, size, mtime and SHA-256,
                                     the history payload), tmp/, lock

Every visible file is written under ``.retrogait-batch/tmp`` and renamed into place (``os.replace``,
atomic on POSIX), so a reader or an interrupted run never sees a half-written Parquet or CSV file. A
recording counts as done once its record is in the journal ``done.log``; its strides file is renamed
into place before that, so an interruption between the two only makes the next run redo that
recording (same names: replaced).

The journal is one file appended to (one write per recording, flushed at once), not one small file per
recording: creating a file costs the client ~0.5 ms of CPU (the file system's work), and the client is
the one serial part of a batch. Each record carries its length and a CRC-32, so a record torn by a
kill is recognised; it and anything after it are ignored and cut off when the folder is opened
again (that recording is redone). Folders written by earlier versions (``done/R.json``,
``history/R.pkl``, one pair per recording) are read as well.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import pickle
import shutil
import struct
import urllib.parse
import zlib
from pathlib import Path
from typing import Any

from retrogait.batch.arrow import arrow_array, arrow_table
from retrogait.batch.rows import column_order
from retrogait.batch.settings import BatchSettings
from retrogait.definitions import DIRECTIONS
from retrogait.errors import UsageProblem

STATE = ".retrogait-batch"
SESSIONS_PARQUET, SESSIONS_CSV = "sessions.parquet", "sessions.csv"
STRIDES_DIR, FAILURES_CSV = "strides.parquet", "failures.csv"
NO_SUBJECT = "no-subject"  # partition of recordings naming no subject (a null partition breaks pandas)
FAILURE_COLUMNS = ("file", "reason", "exit_code")
JOURNAL = "done.log"
#: A journal record: magic, length of its JSON, length of its pickled history payload (0: none), CRC-32
#: of both; then the JSON (``{"op": "done" | "touch" | "forget", "rid": ..., "entry": ...}``), the payload.
RECORD = struct.Struct("<4sIII")
RECORD_MAGIC = b"RGD1"


def read_journal(state: str | os.PathLike) -> tuple[dict[str, dict[str, Any]], dict[str, tuple[int, int]], int]:
    """The finished recordings of a state folder (``.retrogait-batch``): ``(done, history, valid)``.

    ``done``: recording id -> its entry (path, size, mtime_ns, sha256, subject, n_strides, samples,
    profiles, rows), from the markers of earlier versions (``done/R.json``) and then the journal;
    ``history``: recording id -> (offset, length) of its pickled history payload in the journal;
    ``valid``: the journal's length up to its last intact record. Reads without the folder's lock
    (a record being appended, or torn by a kill, ends the reading)."""
    root = Path(state)
    done: dict[str, dict[str, Any]] = {}
    history: dict[str, tuple[int, int]] = {}
    old = root / "done"
    if old.is_dir():
        for part in sorted(old.glob("*.json")):
            try:
                done[part.stem] = json.loads(part.read_text())
            except (OSError, ValueError):  # an old marker half-written by a kill: redo that recording
                continue
    try:
        data = (root / JOURNAL).read_bytes()
    except FileNotFoundError:
        return done, history, 0
    pos, size = 0, len(data)
    while pos + RECORD.size <= size:
        magic, n_json, n_pickle, crc = RECORD.unpack_from(data, pos)
        start = pos + RECORD.size
        end = start + n_json + n_pickle
        if magic != RECORD_MAGIC or end > size or zlib.crc32(data[start:end]) != crc:
            break
        rec = json.loads(data[start:start + n_json])
        rid = rec["rid"]
        if rec["op"] == "forget":
            done.pop(rid, None)
            history.pop(rid, None)
        else:
            done[rid] = rec["entry"]
            if rec["op"] == "done":
                if n_pickle:
                    history[rid] = (start + n_json, n_pickle)
                else:
                    history.pop(rid, None)
        pos = end
    return done, history, pos


def csv_cell(v: Any) -> str:
    """Deterministic CSV text of a value: shortest round-trip floats, true/false, empty for None."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


class OutputDir:
    """One batch output folder, opened for one run (holds its lock until :meth:`close`)."""

    def __init__(self, root: str | os.PathLike, settings: BatchSettings, fresh: bool = False) -> None:
        self.root = Path(root).expanduser().resolve()
        self.settings = settings
        if self.root.exists() and not self.root.is_dir():
            raise UsageProblem(f"-o {root}: exists and is not a folder")
        self.state = self.root / STATE
        self.state.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.state / "lock", "w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock.close()
            raise UsageProblem(f"-o {self.root}: another 'retrogait batch' is writing there right now") from None
        if fresh:
            self._clear()
        self._check_settings()
        (self.state / "tmp").mkdir(exist_ok=True)
        for stale in (self.state / "tmp").iterdir():  # leftovers of a killed run
            stale.unlink(missing_ok=True)
        self._folders: set[str] = set()  # strides partitions known to exist (made once per run)
        self._journal_path = self.state / JOURNAL
        self._load_done()
        if self._journal_path.exists() and self._journal_path.stat().st_size > self._journal_size:
            os.truncate(self._journal_path, self._journal_size)  # a record torn by a kill: cut off
        self._journal = open(self._journal_path, "ab")

    def _load_done(self) -> None:
        """The finished recordings, from the journal on disk (the source of truth; :func:`read_journal`)."""
        self.done, self._history, self._journal_size = read_journal(self.state)
        self.by_path = {d["path"]: rid for rid, d in self.done.items()}

    def _append(self, op: str, rid: str, entry: dict[str, Any] | None = None, payload: bytes | None = None) -> None:
        """Append one record to the journal and flush it (one write: a kill tears at most this record)."""
        text = json.dumps({"op": op, "rid": rid, "entry": entry}, allow_nan=False).encode()
        body = text + (payload or b"")
        self._journal.write(RECORD.pack(RECORD_MAGIC, len(text), len(payload or b""), zlib.crc32(body)) + body)
        self._journal.flush()
        if payload:
            self._history[rid] = (self._journal_size + RECORD.size + len(text), len(payload))
        elif op == "done":
            self._history.pop(rid, None)
        self._journal_size += RECORD.size + len(body)

    # --- state ------------------------------------------------------------------------------------

    def _clear(self) -> None:
        for name in (SESSIONS_PARQUET, SESSIONS_CSV, FAILURES_CSV):
            (self.root / name).unlink(missing_ok=True)
        shutil.rmtree(self.root / STRIDES_DIR, ignore_errors=True)
        for sub in ("done", "history", "tmp"):
            shutil.rmtree(self.state / sub, ignore_errors=True)
        (self.state / JOURNAL).unlink(missing_ok=True)
        (self.state / "settings.json").unlink(missing_ok=True)

    def _check_settings(self) -> None:
        path = self.state / "settings.json"
        mine = self.settings.core()
        if path.exists():
            theirs = json.loads(path.read_text())
            if theirs != mine:
                diff = sorted(k for k in set(theirs) | set(mine) if theirs.get(k) != mine.get(k))
                raise UsageProblem(
                    f"-o {self.root}: holds results made with other settings ({', '.join(diff)} differ); "
                    "use another output folder, or --fresh to replace them")
        else:
            self._atomic_text(path, json.dumps(mine, indent=1, sort_keys=True) + "\n")

    def known_hash(self, path: Path) -> str | None:
        """The SHA-256 recorded for ``path`` if it is unchanged since (same size and mtime), else None."""
        rid = self.by_path.get(str(path))
        if rid is None:
            return None
        d = self.done[rid]
        try:
            st = path.stat()
        except OSError:
            return None
        return d["sha256"] if (st.st_size, st.st_mtime_ns) == (d["size"], d["mtime_ns"]) else None

    def previous_hash(self, path: Path) -> str | None:
        """The SHA-256 of ``path`` when it was last analyzed with these settings (it may have changed)."""
        rid = self.by_path.get(str(path))
        return None if rid is None else self.done[rid]["sha256"]

    def touch(self, recording_id: str) -> None:
        """Record the current size and mtime of a finished recording's file (its content is unchanged)."""
        entry = self.done[recording_id]
        st = Path(entry["path"]).stat()
        entry["size"], entry["mtime_ns"] = st.st_size, st.st_mtime_ns
        self._append("touch", recording_id, entry)

    def is_done(self, path: Path) -> str | None:
        """The recording id when ``path`` was analyzed before with these settings and is unchanged."""
        sha = self.known_hash(path)
        rid = None if sha is None else self.settings.recording_id(sha)
        if rid not in self.done:
            return None
        used = self.done[rid].get("profiles", {})  # the device profiles of its sensors: unchanged?
        return rid if all(self.settings.profiles.get(k) == v for k, v in used.items()) else None

    # --- writing ----------------------------------------------------------------------------------

    def _tmp(self, name: str) -> Path:
        return self.state / "tmp" / f"{os.getpid()}-{name}"

    def _atomic_text(self, path: Path, text: str) -> None:
        tmp = self.state / f".{path.name}.{os.getpid()}.tmp"
        tmp.write_text(text)
        os.replace(tmp, path)

    def strides_path(self, recording_id: str, subject: str) -> Path:
        """Where the strides of a recording live (hive partition ``subject=...``)."""
        part = urllib.parse.quote(subject, safe="") if subject else NO_SUBJECT
        return self.root / STRIDES_DIR / f"subject={part}" / f"{recording_id}.parquet"

    def add(self, result: Any) -> None:
        """Store a finished recording: its strides file, then its journal record (last), which holds
        the history payload too.

        The worker encoded both (``strides_parquet``, ``history_pickle``): here they are only written
        (with plain ``os`` calls on strings: this runs once per file in the client, the one serial part
        of a batch, where ``pathlib`` cost more than the writing itself)."""
        rid = result.recording_id
        part = urllib.parse.quote(result.subject, safe="") if result.subject else NO_SUBJECT
        folder = f"{self.root}{os.sep}{STRIDES_DIR}{os.sep}subject={part}"
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        self._put(f"{rid}.parquet", f"{folder}{os.sep}{rid}.parquet", result.strides_parquet)
        st = os.stat(result.path)
        entry = {"path": result.path, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": result.sha256,
                 "subject": result.subject, "n_strides": result.n_strides, "samples": result.samples,
                 "profiles": result.profiles,
                 "rows": result.rows}
        self._append("done", rid, entry, result.history_pickle)
        old = self.by_path.get(result.path)
        self.done[rid] = entry
        self.by_path[result.path] = rid
        if old is not None and old != rid:  # the file changed since it was analyzed: drop the old results
            self.forget(old)

    def _put(self, name: str, dest: str, data: bytes) -> None:
        """Write ``data`` to ``dest`` atomically (a temporary file in the state folder, renamed)."""
        tmp = f"{self.state}{os.sep}tmp{os.sep}{os.getpid()}-{name}"
        with open(tmp, "wb") as fh:
            fh.write(data)
        try:
            os.replace(tmp, dest)
        except FileNotFoundError:  # the destination folder was removed during the run
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            os.replace(tmp, dest)

    def forget(self, recording_id: str) -> None:
        """Remove a recording's results (its journal record first, so a crash never leaves it half-removed)."""
        entry = self.done.pop(recording_id, None)
        self._append("forget", recording_id)
        self._history.pop(recording_id, None)
        (self.state / "done" / f"{recording_id}.json").unlink(missing_ok=True)  # an earlier version's files
        (self.state / "history" / f"{recording_id}.pkl").unlink(missing_ok=True)
        if entry is not None:
            self.strides_path(recording_id, entry.get("subject") or "").unlink(missing_ok=True)

    def history_payload(self, recording_id: str) -> Any:
        """The (SessionInfo, SessionMetrics) stored for a recording, or None."""
        where = self._history.get(recording_id)
        if where is not None:
            with open(self._journal_path, "rb") as fh:
                fh.seek(where[0])
                return pickle.loads(fh.read(where[1]))
        path = self.state / "history" / f"{recording_id}.pkl"  # written by an earlier version
        return pickle.loads(path.read_bytes()) if path.exists() else None

    # --- final tables -----------------------------------------------------------------------------

    def session_rows(self) -> list[dict[str, Any]]:
        """All session rows of finished recordings, sorted by file then direction."""
        order = {d: i for i, d in enumerate(DIRECTIONS)}
        rows = [r for d in self.done.values() for r in d["rows"]]
        return sorted(rows, key=lambda r: (r["file"], order.get(r["direction"], len(order)), r["direction"]))

    def finalize(self, failures: list[tuple[str, str, int]], reload: bool = True) -> None:
        """(Re)write sessions.parquet, sessions.csv and failures.csv, each atomically.

        With ``reload`` (after an interruption or an error) the rows come from the journal on
        disk, so a recording whose record was written just before the interruption is in the tables
        too; without it (a run that went to its end), from the finished recordings held here, which
        are the same: every record written in this run was added to them right after."""
        import pyarrow.parquet as pq

        if reload:
            self._load_done()
        rows = self.session_rows()
        cols = column_order(rows)
        cells = [[r.get(c) for c in cols] for r in rows]
        columns = [list(col) for col in zip(*cells)] if cells else [[] for _ in cols]
        table = arrow_table({c: _arrow_column(col) for c, col in zip(cols, columns)})
        tmp = self._tmp(SESSIONS_PARQUET)
        pq.write_table(table, tmp)
        os.replace(tmp, self.root / SESSIONS_PARQUET)
        self._write_csv(SESSIONS_CSV, cols, _csv_cells(cells, columns))
        self._write_csv(FAILURES_CSV, list(FAILURE_COLUMNS),
                        ([f, reason, str(code)] for f, reason, code in sorted(failures)))

    def _write_csv(self, name: str, header: list[str], body: Any) -> None:
        tmp = self._tmp(name)
        with open(tmp, "w", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(header)
            w.writerows(body)
        os.replace(tmp, self.root / name)

    def close(self) -> None:
        """Release the folder's lock."""
        journal = getattr(self, "_journal", None)
        if journal is not None:
            journal.close()
        if not self._lock.closed:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()


def _csv_cells(cells: list[list[Any]], columns: list[list[Any]]) -> list[list[Any]]:
    """The rows of ``cells`` as :func:`csv_cell` spells them, for the csv module: it already writes
    floats by ``repr`` and None as empty, so only bools (``true``/``false``) are changed, in place, and
    only in the columns that hold any (a study's table has tens of thousands of cells)."""
    flagged = [i for i, col in enumerate(columns) if bool in set(map(type, col))]
    for row in cells:
        for i in flagged:
            v = row[i]
            if isinstance(v, bool):
                row[i] = "true" if v else "false"
    return cells


def _arrow_column(values: list[Any]) -> Any:
    """An Arrow array of Python values (ints and floats together become float; mixed types text)."""
    import numpy as np

    kinds = set(map(type, values)) - {type(None)}
    if kinds <= {int, float} and float in kinds:
        values = [None if v is None else float(v) for v in values]
        kinds = {float}
    elif len(kinds) > 1:
        values = [None if v is None else csv_cell(v) for v in values]
        kinds = {str}
    if not kinds:  # all None (or no rows): Arrow's null type, as pyarrow.array() gives
        import pyarrow as pa

        return pa.nulls(len(values))
    kind = kinds.pop()
    valid = np.array([v is not None for v in values], dtype=bool)
    fill = {float: 0.0, int: 0, bool: False, str: ""}[kind]
    dtype = {float: np.float64, int: np.int64, bool: np.bool_, str: object}[kind]
    return arrow_array(np.array([fill if v is None else v for v in values], dtype=dtype), valid)
