"""The batch output folder: atomic writes, resume state and the final tables.

Layout of OUTDIR::

    sessions.parquet, sessions.csv   one row per recording and walking direction (rebuilt at the end of
                                     every run, also after Ctrl-C, from the finished recordings)
    strides.parquet/subject=S/P.parquet   the strides of one or more recordings of subject S
                                     (hive-partitioned by subject; one file per subject and Dask task,
                                     named part-<hash of its recording ids>; R.parquet, one recording,
                                     from earlier versions)
    failures.csv                     files of the last run that could not be analyzed, one-line reason
    .retrogait-batch/                resume state: settings.json, done.log (the journal of finished
                                     recordings: session rows, the file's path, size, mtime and SHA-256,
                                     the history payload), tmp/, lock

Every visible file is written under ``.retrogait-batch/tmp`` and renamed into place (``os.replace``,
atomic on POSIX), so a reader or an interrupted run never sees a half-written Parquet or CSV file. A
recording counts as done once its record is in the journal ``done.log``. The recordings of one strides
file get one record together (a kill leaves all of them done or none), written after the file is
renamed into place; a strides file that no record names (an interruption between the two) is
removed when the folder is opened again, and its recordings are redone. When a recording is dropped
(its file changed), its rows are removed from its strides file first (the file is rewritten without
them, or removed with its last recording), then its record; a recording left behind by an
interruption between the two (its path now belongs to a newer recording) is dropped again when the
folder is opened.

The journal is one file appended to (one write per strides file, flushed at once), not small files
per recording: creating a file costs the client ~0.5 ms of CPU (the file system's work), and the client
is the one serial part of a batch. Each record carries its length and a CRC-32, so a record torn by a
kill is recognised; it and anything after it are ignored and cut off when the folder is opened
again (those recordings are redone). Folders written by earlier versions (``done/R.json``,
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
#: A journal record: magic, length of its JSON, length of its pickled history payloads (0: none), CRC-32
#: of both; then the JSON, then the payloads. The JSON is ``{"op": "touch" | "forget", "rid": ...,
#: "entry": ...}``, ``{"op": "group", "rids": [...], "entries": [...], "sizes": [...]}`` (the recordings
#: of one strides file; ``sizes``: the length of each one's payload, in order) or, from earlier versions,
#: ``{"op": "done", "rid": ..., "entry": ...}`` with one payload.
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
        try:
            _apply_record(json.loads(data[start:start + n_json]), start + n_json, n_pickle, done, history)
        except (ValueError, KeyError, TypeError):  # intact bytes but not a record we wrote: as if torn
            break
        pos = end
    return done, history, pos


def _is_entry(entry: Any) -> bool:
    """Whether a journal entry has what the folder reads from it."""
    return isinstance(entry, dict) and all(k in entry for k in ("path", "size", "mtime_ns", "sha256", "rows"))


def _apply_record(rec: dict[str, Any], at: int, n_pickle: int, done: dict[str, dict[str, Any]],
                  history: dict[str, tuple[int, int]]) -> None:
    """Apply one journal record (its payloads start at byte ``at``) to ``done`` and ``history``."""
    if rec["op"] == "group":
        sizes = [int(n) for n in rec["sizes"]]
        if (sum(sizes) != n_pickle or not len(sizes) == len(rec["rids"]) == len(rec["entries"])
                or not all(map(_is_entry, rec["entries"]))):
            raise ValueError("group record does not match its payloads")
        for rid, entry, n in zip(rec["rids"], rec["entries"], sizes, strict=True):
            done[str(rid)] = entry
            if n:
                history[str(rid)] = (at, n)
            else:
                history.pop(str(rid), None)
            at += n
        return
    rid = str(rec["rid"])
    if rec["op"] == "forget":
        done.pop(rid, None)
        history.pop(rid, None)
    elif rec["op"] in ("done", "touch") and _is_entry(rec["entry"]):
        done[rid] = rec["entry"]
        if rec["op"] == "done":
            if n_pickle:
                history[rid] = (at, n_pickle)
            else:
                history.pop(rid, None)
    else:
        raise ValueError(f"unknown journal record {rec['op']!r}")


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
        self._tidy()

    def _load_done(self) -> None:
        """The finished recordings, from the journal on disk (the source of truth; :func:`read_journal`)."""
        self.done, self._history, self._journal_size = read_journal(self.state)
        self.by_path = {d["path"]: rid for rid, d in self.done.items()}

    def _append(self, op: str, rid: str, entry: dict[str, Any] | None = None) -> None:
        """Append a ``touch`` or ``forget`` record to the journal (see :meth:`_write_record`)."""
        self._write_record(json.dumps({"op": op, "rid": rid, "entry": entry}, allow_nan=False).encode(), b"")

    def _append_group(self, rids: list[str], entries: list[dict[str, Any]], payloads: list[bytes]) -> None:
        """Append the record of the recordings of one strides file, with their history payloads."""
        text = json.dumps({"op": "group", "rids": rids, "entries": entries, "sizes": [len(p) for p in payloads]},
                          allow_nan=False).encode()
        at = self._journal_size + RECORD.size + len(text)
        self._write_record(text, b"".join(payloads))
        for rid, payload in zip(rids, payloads, strict=True):
            if payload:
                self._history[rid] = (at, len(payload))
            else:
                self._history.pop(rid, None)
            at += len(payload)

    def _write_record(self, text: bytes, payload: bytes) -> None:
        """Append one record and flush it (one write: a kill tears at most this record)."""
        body = text + payload
        self._journal.write(RECORD.pack(RECORD_MAGIC, len(text), len(payload), zlib.crc32(body)) + body)
        self._journal.flush()
        self._journal_size += RECORD.size + len(body)

    def _tidy(self) -> None:
        """Finish what an interrupted run left half-done: drop recordings whose path now belongs to a
        newer recording (their removal was cut short), then remove strides files no record names."""
        for rid in [r for r, d in self.done.items() if self.by_path.get(d["path"]) != r]:
            self.forget(rid)
        named = {self._part_path(d.get("subject") or "", d.get("part", rid)) for rid, d in self.done.items()}
        for path in (self.root / STRIDES_DIR).glob("subject=*/*.parquet"):
            if str(path) not in named:
                path.unlink(missing_ok=True)

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

    def _folder(self, subject: str) -> str:
        part = urllib.parse.quote(subject, safe="") if subject else NO_SUBJECT
        return f"{self.root}{os.sep}{STRIDES_DIR}{os.sep}subject={part}"

    def _part_path(self, subject: str, part: str) -> str:
        return f"{self._folder(subject)}{os.sep}{part}.parquet"

    def strides_path(self, recording_id: str) -> Path:
        """The file holding the strides of a finished recording (hive partition ``subject=...``)."""
        entry = self.done[recording_id]
        return Path(self._part_path(entry.get("subject") or "", entry.get("part", recording_id)))

    def add_part(self, results: list[Any], carrier: Any) -> None:
        """Store finished recordings of one subject whose strides the worker packed into one file
        (``carrier``: the result that carries it; see :func:`retrogait.batch.task.pack_strides`): the
        file, then one journal record for them all (last), which holds their history payloads too.

        ``results`` may be fewer than the file holds (a recording with the same bytes as a file stored
        earlier is left out): the file is then written without their rows. Otherwise the worker's
        bytes are only written (with plain ``os`` calls on strings: this runs for every task in the
        client, the one serial part of a batch, where ``pathlib`` cost more than the writing itself)."""
        from retrogait.batch.arrow import parquet_subset

        rids = [r.recording_id for r in results]
        for rid in rids:
            if rid in self.done:  # analyzed again (a device profile changed): its old strides out first
                self.forget(rid)
        data = carrier.strides_parquet
        if rids != carrier.part_recordings:
            data = parquet_subset(data, rids)
        folder = self._folder(results[0].subject)
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        name = f"{carrier.part}.parquet"
        self._put(name, f"{folder}{os.sep}{name}", data)
        entries = []
        for r in results:
            st = os.stat(r.path)
            entries.append({"path": r.path, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": r.sha256,
                            "subject": r.subject, "part": carrier.part, "n_strides": r.n_strides,
                            "samples": r.samples, "profiles": r.profiles, "rows": r.rows})
        self._append_group(rids, entries, [r.history_pickle or b"" for r in results])
        for r, entry in zip(results, entries, strict=True):
            old = self.by_path.get(r.path)
            self.done[r.recording_id] = entry
            self.by_path[r.path] = r.recording_id
            if old is not None and old != r.recording_id:  # the file changed since: drop the old results
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
        """Remove a recording's results: its rows from its strides file first, then its journal record
        (an interruption in between leaves a recording without strides that the next opening of the
        folder drops again; the other order would leave strides that no record names)."""
        from retrogait.batch.arrow import parquet_subset

        entry = self.done.pop(recording_id, None)
        if entry is not None:
            subject, part = entry.get("subject") or "", entry.get("part", recording_id)
            path = self._part_path(subject, part)
            others = [r for r, d in self.done.items() if d.get("part", r) == part and (d.get("subject") or "") == subject]
            try:
                if others:
                    with open(path, "rb") as fh:
                        self._put(f"{part}.parquet", path, parquet_subset(fh.read(), others))
                else:
                    os.unlink(path)
            except FileNotFoundError:
                pass
        self._append("forget", recording_id)
        self._history.pop(recording_id, None)
        (self.state / "done" / f"{recording_id}.json").unlink(missing_ok=True)  # an earlier version's files
        (self.state / "history" / f"{recording_id}.pkl").unlink(missing_ok=True)

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
            self._tidy()  # a strides file written just before the interruption, without its record
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
