"""The session history: an SQLite database (stdlib ``sqlite3``), versioned, safe for concurrent use.

Location: ``--db PATH``, else ``$RETROGAIT_DB``, else ``$XDG_DATA_HOME/retrogait/history.sqlite``
(``~/.local/share/retrogait/history.sqlite`` when XDG_DATA_HOME is unset).

Safety: WAL journal, ``synchronous=FULL``, a 30 s busy timeout (two ``retrogait add`` at once wait for
each other instead of failing) and every write in one ``BEGIN IMMEDIATE`` transaction, so a process
killed mid-write leaves the database as it was before that write.

Schema versions live in ``PRAGMA user_version``; :data:`MIGRATIONS` lists the functions that take the
schema from version i to i + 1 and :func:`migrate` runs the missing ones in one transaction.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from retrogait.errors import InputFileError

ENV_DB = "RETROGAIT_DB"
BUSY_TIMEOUT_S = 30.0


def default_db_path() -> Path:
    """``$RETROGAIT_DB``, else ``$XDG_DATA_HOME/retrogait/history.sqlite`` (XDG default
    ``~/.local/share``)."""
    env = os.environ.get(ENV_DB)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / "retrogait" / "history.sqlite"


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Statements separated by ';' inside the caller's transaction (``executescript`` would commit)."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _v1(conn: sqlite3.Connection) -> None:
    _run_script(
        conn,
        """
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL UNIQUE,
            subject TEXT NOT NULL,
            start_time TEXT NOT NULL,
            day TEXT NOT NULL,
            iso_week TEXT NOT NULL,
            condition TEXT,
            belt_speed REAL,
            incline_pct REAL,
            duration REAL,
            feet TEXT,
            n_strides INTEGER,
            path TEXT,
            added_at TEXT NOT NULL
        );
        CREATE TABLE direction_stats (
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            direction TEXT NOT NULL,
            n_strides INTEGER NOT NULL,
            n_steady INTEGER NOT NULL,
            speed REAL,
            grade_pct REAL,
            walking_time REAL,
            PRIMARY KEY (session_id, direction)
        );
        CREATE TABLE metric_values (
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            direction TEXT NOT NULL,
            metric TEXT NOT NULL,
            value REAL,
            se REAL,
            n INTEGER NOT NULL,
            PRIMARY KEY (session_id, direction, metric)
        );
        """
    )


def _v2(conn: sqlite3.Connection) -> None:
    """Version 2: which retrogait version stored a session, and an index for per-subject queries."""
    conn.execute("ALTER TABLE sessions ADD COLUMN retrogait_version TEXT")
    conn.execute("CREATE INDEX sessions_by_subject ON sessions (subject, start_time)")


#: MIGRATIONS[i] takes the schema from version i to version i + 1.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2]
SCHEMA_VERSION = len(MIGRATIONS)


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any exception)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def user_version(conn: sqlite3.Connection) -> int:
    """The schema version stored in the database file."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, path: Path | str = "") -> int:
    """Bring the schema to :data:`SCHEMA_VERSION`; returns the version found before."""
    found = user_version(conn)
    if found == SCHEMA_VERSION:
        return found
    if found > SCHEMA_VERSION:
        raise InputFileError(
            f"{path}: history database schema v{found} was written by a newer retrogait "
            f"(this one knows up to v{SCHEMA_VERSION}); upgrade retrogait"
        )
    with write_transaction(conn):
        found = user_version(conn)  # another process may have migrated meanwhile
        for step in MIGRATIONS[found:]:
            step(conn)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return found


def connect(path: Path | str | None = None, *, must_exist: bool = False) -> sqlite3.Connection:
    """Open (creating and migrating as needed) the history database at ``path`` (default location
    when None). ``must_exist=True`` raises InputFileError when there is no database yet."""
    path = default_db_path() if path is None else Path(path).expanduser()
    if not path.exists():
        if must_exist:
            raise InputFileError(
                f"{path}: no history database yet; add sessions first with: retrogait add FILE --db {path}"
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputFileError(f"{path.parent}: cannot create the history folder ({exc.strerror})") from None
    elif path.is_dir():
        raise InputFileError(f"{path}: is a folder, expected a history database file")
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn, path)
    except sqlite3.DatabaseError as exc:
        raise InputFileError(f"{path}: not a usable retrogait history database ({exc})") from None
    return conn
