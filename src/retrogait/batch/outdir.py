"""The batch output folder: atomic writes, resume state and the final tables.

Layout of OUTDIR::

    sessions.parquet, sessions.csv   one row per recording and walking direction (rebuilt at the end of
                                     every run, also after Ctrl-C, from the finished recordings)
    strides.parquet/subject=S/R.parquet   every stride of recording R (hive-partitioned by subject)
    failures.csv                     files of the last run that could not be analyzed, one-line reason
    .retrogait-batch/                resume state: settings.json, done/R.json (session rows and the
                                     file's path, size, mtime and SHA-256), history/R.pkl, tmp/, lock

Every file is written under ``.retrogait-batch/tmp`` and renamed into place (``os.replace``, atomic on
POSIX), so a reader or an interrupted run never sees a half-written Parquet or CSV file. A recording
counts as done once its ``done/R.json`` exists; its strides file is renamed into place before that, so
an interruption between the two only makes the next run redo that recording (same names: replaced).
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import pickle
import shutil
import urllib.parse
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
        for sub in ("done", "history", "tmp"):
            (self.state / sub).mkdir(exist_ok=True)
        for stale in (self.state / "tmp").iterdir():  # leftovers of a killed run
            stale.unlink(missing_ok=True)
        self._load_done()

    def _load_done(self) -> None:
        """The finished recordings, from their done markers on disk (the source of truth)."""
        self.done: dict[str, dict[str, Any]] = {}
        for part in sorted((self.state / "done").glob("*.json")):
            self.done[part.stem] = json.loads(part.read_text())
        self.by_path = {d["path"]: rid for rid, d in self.done.items()}

    # --- state ------------------------------------------------------------------------------------

    def _clear(self) -> None:
        for name in (SESSIONS_PARQUET, SESSIONS_CSV, FAILURES_CSV):
            (self.root / name).unlink(missing_ok=True)
        shutil.rmtree(self.root / STRIDES_DIR, ignore_errors=True)
        for sub in ("done", "history", "tmp"):
            shutil.rmtree(self.state / sub, ignore_errors=True)
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
        tmp = self._tmp(f"{recording_id}.json")
        tmp.write_text(json.dumps(entry, allow_nan=False))
        os.replace(tmp, self.state / "done" / f"{recording_id}.json")

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
        """Store a finished recording: strides file, history payload, then its done marker (last).

        The worker encoded both (``strides_parquet``, ``history_pickle``): here they are only written."""
        rid = result.recording_id
        dest = self.strides_path(rid, result.subject)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._tmp(f"{rid}.parquet")
        tmp.write_bytes(result.strides_parquet)
        os.replace(tmp, dest)
        if result.history_pickle is not None:
            tmp = self._tmp(f"{rid}.pkl")
            tmp.write_bytes(result.history_pickle)
            os.replace(tmp, self.state / "history" / f"{rid}.pkl")
        path = Path(result.path)
        st = path.stat()
        entry = {"path": result.path, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": result.sha256,
                 "subject": result.subject, "n_strides": result.n_strides, "samples": result.samples,
                 "profiles": result.profiles,
                 "rows": result.rows}
        tmp = self._tmp(f"{rid}.json")
        tmp.write_text(json.dumps(entry, allow_nan=False))
        os.replace(tmp, self.state / "done" / f"{rid}.json")
        old = self.by_path.get(result.path)
        self.done[rid] = entry
        self.by_path[result.path] = rid
        if old is not None and old != rid:  # the file changed since it was analyzed: drop the old results
            self.forget(old)

    def forget(self, recording_id: str) -> None:
        """Remove a recording's results (done marker first, so a crash never leaves it half-removed)."""
        entry = self.done.pop(recording_id, None)
        (self.state / "done" / f"{recording_id}.json").unlink(missing_ok=True)
        if entry is not None:
            self.strides_path(recording_id, entry.get("subject") or "").unlink(missing_ok=True)
        (self.state / "history" / f"{recording_id}.pkl").unlink(missing_ok=True)

    def history_payload(self, recording_id: str) -> Any:
        """The (SessionInfo, SessionMetrics) stored for a recording, or None."""
        path = self.state / "history" / f"{recording_id}.pkl"
        return pickle.loads(path.read_bytes()) if path.exists() else None

    # --- final tables -----------------------------------------------------------------------------

    def session_rows(self) -> list[dict[str, Any]]:
        """All session rows of finished recordings, sorted by file then direction."""
        order = {d: i for i, d in enumerate(DIRECTIONS)}
        rows = [r for d in self.done.values() for r in d["rows"]]
        return sorted(rows, key=lambda r: (r["file"], order.get(r["direction"], len(order)), r["direction"]))

    def finalize(self, failures: list[tuple[str, str, int]], reload: bool = True) -> None:
        """(Re)write sessions.parquet, sessions.csv and failures.csv, each atomically.

        With ``reload`` (after an interruption or an error) the rows come from the done markers on
        disk, so a recording whose marker was written just before the interruption is in the tables
        too; without it (a run that went to its end), from the finished recordings held here, which
        are the same: every marker written in this run was added to them right after."""
        import pyarrow.parquet as pq

        if reload:
            self._load_done()
        rows = self.session_rows()
        cols = column_order(rows)
        table = arrow_table({c: _arrow_column([r.get(c) for r in rows]) for c in cols})
        tmp = self._tmp(SESSIONS_PARQUET)
        pq.write_table(table, tmp)
        os.replace(tmp, self.root / SESSIONS_PARQUET)
        self._write_csv(SESSIONS_CSV, cols, ([csv_cell(r.get(c)) for c in cols] for r in rows))
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
        if not self._lock.closed:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()


def _arrow_column(values: list[Any]) -> Any:
    """An Arrow array of Python values (ints and floats together become float; mixed types text)."""
    import numpy as np

    kinds = {type(v) for v in values if v is not None}
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
