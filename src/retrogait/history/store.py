"""Putting analyzed sessions into the history database (one transaction per session)."""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from retrogait._version import __version__
from retrogait.balance.metrics import SessionMetrics, session_metrics
from retrogait.errors import InputFileError
from retrogait.history.db import APPLICATION_ID, connect, default_db_path, write_transaction
from retrogait.history.queries import SessionMeta, stored_body_mass
from retrogait.io.recording import Recording, utc_now_iso


def file_sha256(path: Path | str) -> str:
    """SHA-256 (hex) of a file's bytes (read into one reused buffer: half the time of reading
    1 MB chunks, each a fresh allocation)."""
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror})") from None


def parse_time(text: str) -> datetime:
    """An ISO 8601 time ('Z' allowed) as an aware UTC datetime; naive times are taken as UTC."""
    try:
        dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputFileError(f"start time {text!r} is not an ISO 8601 time such as 2026-10-05T09:30:00Z") from None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def iso_week(dt: datetime) -> str:
    """``YYYY-Www`` ISO week of a datetime (e.g. 2026-W40)."""
    year, week, _ = dt.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class SessionInfo(SessionMeta):
    """The metadata of a session to store, with the content hash of its file."""

    sha256: str = ""

    @property
    def day(self) -> str:
        return parse_time(self.start_time).date().isoformat()

    @property
    def iso_week(self) -> str:
        return iso_week(parse_time(self.start_time))


def recording_start(recording: Recording, path: Path | str) -> str:
    """The recording's start time, or the file's modification time (UTC) when it has no valid one."""
    try:
        return parse_time(recording.start_time).isoformat().replace("+00:00", "Z")
    except (InputFileError, AttributeError):
        try:
            mtime = Path(path).stat().st_mtime
        except OSError as exc:
            raise InputFileError(f"{path}: cannot read ({exc.strerror})") from None
        dt = datetime.fromtimestamp(mtime, UTC).replace(microsecond=0)
        return dt.isoformat().replace("+00:00", "Z")


def session_info(recording: Recording, metrics: SessionMetrics, sha256: str, path: str,
                 subject: str | None = None, n_strides: int = 0) -> SessionInfo:
    """Metadata of a session from its recording (``subject`` overrides the recording's)."""
    return SessionInfo(
        sha256=sha256,
        subject=(subject or recording.subject or "").strip(),
        start_time=recording_start(recording, path),
        condition=metrics.condition,
        belt_speed=metrics.belt_speed,
        incline_pct=metrics.incline_pct,
        duration=float(recording.duration),
        feet=",".join(metrics.feet),
        n_strides=int(n_strides),
        path=str(path),
    )


def find_hash(conn: sqlite3.Connection, sha256: str) -> int | None:
    """The id of the session stored from a file with this hash, or None."""
    row = conn.execute("SELECT id FROM sessions WHERE sha256 = ?", (sha256,)).fetchone()
    return None if row is None else int(row[0])


def _num(x: float) -> float | None:
    return None if x is None or x != x else float(x)


def store_session(conn: sqlite3.Connection, info: SessionInfo, metrics: SessionMetrics) -> tuple[int, bool]:
    """Insert a session and its metrics in one transaction: ``(id, True)``, or ``(existing id, False)``
    when a session with the same content hash is already stored."""
    if not info.subject:
        raise InputFileError(f"{info.path}: the recording names no subject; pass --subject ID")
    parse_time(info.start_time)
    with write_transaction(conn):
        existing = find_hash(conn, info.sha256)
        if existing is not None:
            return existing, False
        cur = conn.execute(
            "INSERT INTO sessions (id, sha256, subject, start_time, day, iso_week, condition, belt_speed,"
            " incline_pct, duration, feet, n_strides, path, added_at, retrogait_version)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (_next_session_id(conn), info.sha256, info.subject, info.start_time, info.day, info.iso_week,
             info.condition, info.belt_speed, info.incline_pct, info.duration, info.feet, info.n_strides,
             info.path, utc_now_iso(), __version__),
        )
        assert cur.lastrowid is not None  # set by the INSERT
        sid = int(cur.lastrowid)
        for d in metrics.directions.values():
            conn.execute(
                "INSERT INTO direction_stats VALUES (?, ?, ?, ?, ?, ?, ?)",
                (sid, d.direction, d.n_strides, d.n_steady, _num(d.speed), _num(d.grade_pct),
                 _num(d.walking_time)),
            )
            conn.executemany(
                "INSERT INTO metric_values VALUES (?, ?, ?, ?, ?, ?)",
                [(sid, d.direction, name, _num(m.value), _num(m.se), m.n) for name, m in d.metrics.items()],
            )
    return sid, True


def record_settings(conn: sqlite3.Connection, sid: int, settings: Any) -> None:
    """Keep with session ``sid`` the analysis settings it was analyzed with (an
    :class:`~retrogait.analysis.settings.AnalysisSettings`: only what differs from the defaults)."""
    text = json.dumps(settings.changed(), sort_keys=True, separators=(",", ":"))
    with write_transaction(conn):
        conn.execute("UPDATE sessions SET analysis_settings = ? WHERE id = ?", (text, sid))


def stored_settings(conn: sqlite3.Connection, sid: int) -> dict[str, Any] | None:
    """The analysis settings session ``sid`` was analyzed with (changed values only; None: stored
    before retrogait recorded them)."""
    row = conn.execute("SELECT analysis_settings FROM sessions WHERE id = ?", (sid,)).fetchone()
    return None if row is None or row[0] is None else json.loads(row[0])


def store_result(db: sqlite3.Connection | Path | str | None, recording: Recording, result: Any,
                 path: Path | str, *, subject: str | None = None) -> tuple[int, bool]:
    """Store an analyzed recording: compute its balance metrics and write one session.

    Parameters
    ----------
    db : sqlite3.Connection, path or None
        An open history connection or a database path (None: the default location).
    recording : Recording
        The recording that was analyzed (its tags: condition, belt speed, incline).
    result : AnalysisResult
        From :func:`retrogait.analyze`; its settings are kept with the session.
    path : path
        The file the recording was read from (its SHA-256 identifies the session).
    subject : str, optional
        Overrides the recording's subject id.

    Returns
    -------
    tuple of (int, bool)
        The session id, and False when the same file was stored before (nothing written).
    """
    conn = db if isinstance(db, sqlite3.Connection) else connect(db)
    try:
        sha = file_sha256(path)
        existing = find_hash(conn, sha)
        if existing is not None:
            return existing, False
        metrics = session_metrics(result.strides, recording)
        table = result.strides
        n = len(table["stride_time"] if isinstance(table, dict) else table.stride_time)
        info = session_info(recording, metrics, sha, str(Path(path).resolve()), subject, n)
        sid, added = store_session(conn, info, metrics)
        if added and hasattr(result, "settings"):
            record_settings(conn, sid, result.settings)
        return sid, added
    finally:
        if conn is not db:
            conn.close()


# --- notes, tags and removal ---------------------------------------------------------------------------

#: Notes and tags of a session (``add --note/--tag``). Created when first needed, so that databases of
#: every schema version take notes without a migration; rows go with their session (ON DELETE CASCADE).
NOTES_TABLE = ("CREATE TABLE IF NOT EXISTS session_notes (session_id INTEGER PRIMARY KEY"
               " REFERENCES sessions(id) ON DELETE CASCADE, note TEXT, tags TEXT)")


def set_note(conn: sqlite3.Connection, session_id: int, note: str | None = None,
             tags: list[str] | None = None) -> None:
    """Store a note (replacing any earlier one when given) and add tags (kept once each, in order) to a
    stored session, in one transaction."""
    import json

    with write_transaction(conn):
        conn.execute(NOTES_TABLE)
        row = conn.execute("SELECT note, tags FROM session_notes WHERE session_id = ?", (session_id,)).fetchone()
        old_note, old_tags = (row[0], json.loads(row[1] or "[]")) if row else (None, [])
        merged = list(dict.fromkeys([*old_tags, *(t.strip() for t in tags or [] if t.strip())]))
        conn.execute("INSERT OR REPLACE INTO session_notes VALUES (?, ?, ?)",
                     (session_id, note.strip() if note is not None else old_note, json.dumps(merged)))


#: The highest session id ever used (kept when sessions are removed), so that a removed session's id
#: is never given to another one (SQLite reuses the largest rowid once it is deleted). Created when
#: first needed, like :data:`NOTES_TABLE`, so that every schema version takes it without a migration.
ID_TABLE = "CREATE TABLE IF NOT EXISTS session_ids (key TEXT PRIMARY KEY, last_id INTEGER NOT NULL)"


def _next_session_id(conn: sqlite3.Connection) -> int | None:
    """The id of the next session: above every stored and every removed one (None: SQLite's own
    choice, when nothing was ever removed)."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'session_ids'").fetchone():
        return None
    row = conn.execute("SELECT max(coalesce((SELECT max(id) FROM sessions), 0),"
                       " coalesce((SELECT last_id FROM session_ids WHERE key = 'sessions'), 0))").fetchone()
    return int(row[0]) + 1


def remove_sessions(conn: sqlite3.Connection, ids: list[int]) -> int:
    """Delete these sessions with their metrics, notes and tags in one transaction; returns how many
    were deleted. Their ids are never used again."""
    with write_transaction(conn):
        conn.execute(ID_TABLE)
        conn.execute("INSERT INTO session_ids (key, last_id) SELECT 'sessions', coalesce(max(id), 0) FROM sessions"
                     " WHERE true ON CONFLICT(key) DO UPDATE SET last_id = max(last_id, excluded.last_id)")
        cur = conn.executemany("DELETE FROM sessions WHERE id = ?", [(int(i),) for i in ids])
        return int(cur.rowcount)


# --- per-subject facts ----------------------------------------------------------------------------------

MAX_BODY_MASS_KG = 500.0
"""Upper bound of a plausible body mass (kg); the energy estimate refuses the same range."""


def check_body_mass(value: float) -> float:
    """A body mass in kg as a float; ValueError (one line) unless it is a finite number in (0, 500)."""
    try:
        mass = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"body mass must be a number of kg, not {value!r}") from None
    if not (math.isfinite(mass) and 0.0 < mass < MAX_BODY_MASS_KG):
        raise ValueError(f"body mass must be a number of kg between 0 and {MAX_BODY_MASS_KG:g}, not {value:g}")
    return mass


def set_body_mass(conn: sqlite3.Connection, subject: str, mass_kg: float) -> None:
    """Store (or replace) ``subject``'s body mass in kg (schema v4 ``subjects`` table)."""
    mass = check_body_mass(mass_kg)
    if not subject.strip():
        raise ValueError("a body mass needs a subject id")
    with write_transaction(conn):
        conn.execute("INSERT INTO subjects (subject, body_mass_kg, updated_at) VALUES (?, ?, ?)"
                     " ON CONFLICT(subject) DO UPDATE SET body_mass_kg = excluded.body_mass_kg,"
                     " updated_at = excluded.updated_at", (subject.strip(), mass, utc_now_iso()))


def lookup_body_mass(db: Path | str | None, file: Path | str, subject: str | None) -> tuple[float, str] | None:
    """The body mass stored for the subject of recording ``file``: ``(kg, subject)`` or None.

    The subject is the one the history filed this file under (same SHA-256; ``add --subject`` may
    have overridden the recording's), else ``subject`` (the recording's own id). The history is opened
    read-only and never created or migrated: no history, another application's file, a damaged one
    or no stored mass all give None, so that ``analyze`` never needs a history.
    """
    path = default_db_path() if db is None else Path(db).expanduser()
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        if int(conn.execute("PRAGMA application_id").fetchone()[0]) not in (0, APPLICATION_ID):
            return None
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'subjects'").fetchone():
            return None
        if not conn.execute("SELECT 1 FROM subjects WHERE body_mass_kg IS NOT NULL LIMIT 1").fetchone():
            return None  # no mass stored at all: do not hash the file
        row = conn.execute("SELECT subject FROM sessions WHERE sha256 = ?", (file_sha256(file),)).fetchone()
        who = row[0] if row is not None else (subject or "").strip()
        if not who:
            return None
        mass = stored_body_mass(conn, who)
        return None if mass is None else (mass, who)
    except (sqlite3.Error, UnicodeDecodeError, InputFileError):
        return None
    finally:
        conn.close()
