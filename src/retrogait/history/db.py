"""The session history: an SQLite database (stdlib ``sqlite3``), versioned, safe for concurrent use.

Location: ``--db PATH``, else ``$RETROGAIT_DB``, else ``history.sqlite`` in the user data folder
(platformdirs: ``$XDG_DATA_HOME/retrogait``, by default ``~/.local/share/retrogait``, on Linux; the
platform's own place on macOS and Windows).

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
from typing import Any

from retrogait.errors import InputFileError

ENV_DB = "RETROGAIT_DB"
BUSY_TIMEOUT_S = 30.0
APPLICATION_ID = 0x52477448
"""``PRAGMA application_id`` of a retrogait history ("RGtH"): set when the schema is created, and on the
first write-capable open of a history made before the id existed. A database with another application's
id, or with other tables and no id, is refused (``--db`` pointing at the wrong file never changes it)."""
OUR_TABLES = frozenset({"sessions", "direction_stats", "metric_values"})

DAMAGED_HINT = ("check it with: sqlite3 {path} 'PRAGMA integrity_check' (a backup, or sqlite3's .recover "
                "into a new file, may save the sessions)")


def damaged(path: Path | str, exc: BaseException) -> InputFileError:
    """The one-line error for a history database whose pages or text cannot be read."""
    if isinstance(exc, UnicodeDecodeError):
        what = f"a stored text is not UTF-8 (byte 0x{exc.object[exc.start]:02x})"
    else:
        what = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "not a database" in what:
            return InputFileError(f"{path}: not an SQLite database, or its first page is damaged ({what}): not a "
                                  "usable retrogait history")
        what = what.encode("ascii", "backslashreplace").decode()
    return InputFileError(f"{path}: the history database is damaged ({what}); " + DAMAGED_HINT.format(path=path))


class GuardedCursor(sqlite3.Cursor):
    """A cursor whose SQLite and text-decoding errors become one-line :class:`InputFileError` s."""

    def _path(self) -> str:
        return getattr(self.connection, "path", "history database")

    def execute(self, sql: str, parameters: Any = (), /) -> GuardedCursor:
        try:
            return super().execute(sql, parameters)
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            raise _translate(self._path(), exc) from None

    def executemany(self, sql: str, seq: Any, /) -> GuardedCursor:
        try:
            return super().executemany(sql, seq)
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            raise _translate(self._path(), exc) from None

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            raise _translate(self._path(), exc) from None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        try:
            return super().fetchmany(self.arraysize if size is None else size)
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            raise _translate(self._path(), exc) from None

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            raise _translate(self._path(), exc) from None

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            raise _translate(self._path(), exc) from None


def _translate(path: str, exc: BaseException) -> BaseException:
    """Damage (corrupt pages, bad text) -> InputFileError; other SQLite errors (a busy database, a
    constraint) are kept as they are, for the callers that handle them."""
    if isinstance(exc, UnicodeDecodeError) or (
            isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, (sqlite3.IntegrityError,
                                                                             sqlite3.OperationalError,
                                                                             sqlite3.ProgrammingError))):
        return damaged(path, exc)
    if isinstance(exc, sqlite3.OperationalError) and _is_damage(str(exc)):
        return damaged(path, exc)
    return exc


def _is_damage(message: str) -> bool:
    text = message.lower()
    return any(k in text for k in ("malformed", "not a database", "corrupt", "disk i/o error", "could not decode",
                                   "no such table", "no such column"))


class GuardedConnection(sqlite3.Connection):
    """An SQLite connection whose cursors are :class:`GuardedCursor` s (see :func:`connect`)."""

    path: str = "history database"

    def cursor(self, factory: Any = None) -> GuardedCursor:  # type: ignore[override]
        return super().cursor(factory or GuardedCursor)

    def execute(self, sql: str, parameters: Any = (), /) -> GuardedCursor:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq: Any, /) -> GuardedCursor:
        return self.cursor().executemany(sql, seq)


def default_db_path() -> Path:
    """``$RETROGAIT_DB``, else ``history.sqlite`` in the user data folder (platformdirs: on Linux
    ``$XDG_DATA_HOME/retrogait``, default ``~/.local/share/retrogait``; macOS ``~/Library/Application
    Support/retrogait``; Windows ``%LOCALAPPDATA%\\retrogait``)."""
    env = os.environ.get(ENV_DB)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("retrogait", appauthor=False)) / "history.sqlite"


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


def _v3(conn: sqlite3.Connection) -> None:
    """Version 3: the analysis settings a session was analyzed with (JSON of the settings that differ
    from the defaults, ``{}`` for the defaults; NULL for sessions stored before: that version's defaults)."""
    conn.execute("ALTER TABLE sessions ADD COLUMN analysis_settings TEXT")


def _v4(conn: sqlite3.Connection) -> None:
    """Version 4: per-subject facts that are not a session's, for now the body mass (kg, SI) that
    ``add --mass`` stores and ``analyze`` / ``report`` use for the energy estimate when ``--mass`` is
    not given."""
    conn.execute("CREATE TABLE subjects (subject TEXT PRIMARY KEY, body_mass_kg REAL, updated_at TEXT NOT NULL)")


#: MIGRATIONS[i] takes the schema from version i to version i + 1.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _v3, _v4]
SCHEMA_VERSION = len(MIGRATIONS)


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any exception)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        try:
            conn.execute("ROLLBACK")
        except (sqlite3.Error, InputFileError):
            pass  # the failed statement already ended the transaction (or the file is damaged)
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
        if found == 0:
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    return found


def application_id(conn: sqlite3.Connection) -> int:
    """The database's ``PRAGMA application_id`` (0 when none was set)."""
    return int(conn.execute("PRAGMA application_id").fetchone()[0])


def check_ours(conn: sqlite3.Connection, path: Path | str) -> bool:
    """Refuse a database of another application (InputFileError); True when the id must still be set
    (a new, empty database, or a history made before the id existed)."""
    app = application_id(conn)
    if app == APPLICATION_ID:
        return False
    if app != 0:
        raise InputFileError(f"{path}: an SQLite database of another application (application_id "
                             f"0x{app:08x}), not a retrogait history; it was left unchanged (choose another --db)")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    tables = {t for t in tables if not t.startswith("sqlite_")}
    if tables and not OUR_TABLES <= tables:
        names = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise InputFileError(f"{path}: an SQLite database with other tables ({names}), not a retrogait history; "
                             "it was left unchanged (choose another --db)")
    if not tables and user_version(conn) != 0:
        raise InputFileError(f"{path}: an SQLite database of another application (user_version "
                             f"{user_version(conn)}, no tables), not a retrogait history; it was left unchanged")
    return True


def connect(path: Path | str | None = None, *, must_exist: bool = False) -> sqlite3.Connection:
    """Open (creating and migrating as needed) the history database at ``path`` (default location
    when None). ``must_exist=True`` raises InputFileError when there is no database yet.

    Another application's SQLite file is refused before anything is written to it (see
    :data:`APPLICATION_ID`). The connection's queries turn damaged pages and text that is not UTF-8
    into a one-line :class:`InputFileError` (see :class:`GuardedConnection`).
    """
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
    conn: GuardedConnection | None = None
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None,
                               factory=GuardedConnection)
        conn.path = str(path)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        stamp = check_ours(conn, path)  # before WAL or a migration could change a foreign file
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn, path)
        if stamp:
            _stamp(conn)
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        if conn is not None:
            conn.close()
        raise InputFileError(f"{path}: not a usable retrogait history database ({exc})") from None
    except InputFileError:
        if conn is not None:
            conn.close()
        raise
    return conn


def _stamp(conn: sqlite3.Connection) -> None:
    """Set our application id (a read-only file keeps working without it)."""
    try:
        with write_transaction(conn):
            if application_id(conn) == 0:
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    except (sqlite3.OperationalError, InputFileError):
        pass
