"""The history database: storing, de-duplication, migrations, crash safety, concurrent writers."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from retrogait.errors import InputFileError
from retrogait.history import db as hdb
from retrogait.history.queries import load_sessions
from retrogait.history.store import file_sha256, iso_week, parse_time
from retrogait.simulator.stride_series import person_sessions, synthetic_strides
from retrogait.simulator.weekly_sessions import add_simulated_sessions


def test_default_location_follows_env(monkeypatch, tmp_path):
    monkeypatch.delenv(hdb.ENV_DB, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert hdb.default_db_path() == tmp_path / "xdg" / "retrogait" / "history.sqlite"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert hdb.default_db_path() == tmp_path / "home" / ".local" / "share" / "retrogait" / "history.sqlite"
    monkeypatch.setenv(hdb.ENV_DB, str(tmp_path / "x.sqlite"))
    assert hdb.default_db_path() == tmp_path / "x.sqlite"


def test_store_load_and_same_session_twice(tmp_path):
    conn = hdb.connect(tmp_path / "h.sqlite")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert hdb.user_version(conn) == hdb.SCHEMA_VERSION
    table = synthetic_strides(120, seed=1)
    ids = add_simulated_sessions(conn, "anna", [(1, table)])
    again = add_simulated_sessions(conn, "anna", [(1, table)])  # same content hash
    assert again == ids
    assert conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 1
    (s,) = load_sessions(conn, "anna")
    assert s.iso_week == "2026-W40" and s.day == "2026-09-28" and s.condition == "treadmill"
    cv = s.directions["backward"].metrics["stride_time_cv"]
    assert cv.value == pytest.approx(2.5, rel=0.2) and cv.se > 0 and cv.n == 116


def test_iso_week_and_hash(tmp_path):
    assert iso_week(parse_time("2026-01-01T10:00:00Z")) == "2026-W01"
    assert iso_week(parse_time("2025-12-29T00:00:00Z")) == "2026-W01"
    assert iso_week(parse_time("2026-11-22T23:00:00-02:00")) == "2026-W48"  # Monday in UTC
    f = tmp_path / "a.bin"
    f.write_bytes(b"abc")
    assert file_sha256(f) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_migrates_a_version_1_database(tmp_path):
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    hdb._v1(conn)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO sessions (sha256, subject, start_time, day, iso_week, added_at) "
                 "VALUES ('x', 'anna', '2026-10-01T09:00:00Z', '2026-10-01', '2026-W40', 'now')")
    conn.close()
    conn = hdb.connect(path)
    assert hdb.user_version(conn) == hdb.SCHEMA_VERSION
    cols = [r[1] for r in conn.execute("PRAGMA table_info(sessions)")]
    assert "retrogait_version" in cols
    assert [s.subject for s in load_sessions(conn)] == ["anna"]


def test_newer_or_foreign_files_are_refused(tmp_path):
    path = tmp_path / "new.sqlite"
    hdb.connect(path).close()
    sqlite3.connect(path).execute("PRAGMA user_version = 99")
    with pytest.raises(InputFileError, match="newer retrogait"):
        hdb.connect(path)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(InputFileError, match="junk.sqlite: not an SQLite database"):
        hdb.connect(junk)
    with pytest.raises(InputFileError, match="no history database yet"):
        hdb.connect(tmp_path / "missing.sqlite", must_exist=True)


_WRITER = textwrap.dedent(
    """
    import sys, time
    from retrogait.simulator.stride_series import person_sessions
    from retrogait.history import db as hdb
    from retrogait.simulator.weekly_sessions import add_simulated_sessions
    from retrogait.history import store

    conn = hdb.connect(sys.argv[1])
    mode = sys.argv[2]
    if mode == "hang":
        # stop inside the transaction that writes a session, after the first rows went in
        real = store.write_transaction

        class Hang:
            def __init__(self, c): self.cm = real(c)
            def __enter__(self): return self.cm.__enter__()
            def __exit__(self, *exc):
                print("inside", flush=True)
                time.sleep(60)
        store.write_transaction = Hang
        add_simulated_sessions(conn, "anna", person_sessions(1, 1, seed=99), first_week="2026-W45")
    else:
        import os
        tables = person_sessions(10, 2, strides=60, seed=int(sys.argv[3]))
        print("ready", flush=True)
        while not os.path.exists(sys.argv[4]):  # start together with the other writer
            time.sleep(0.005)
        add_simulated_sessions(conn, mode, tables)
    print("done", flush=True)
    """
)


def _spawn(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _WRITER, *args], stdout=subprocess.PIPE, text=True)


def test_database_survives_a_kill_mid_write(tmp_path):
    path = tmp_path / "h.sqlite"
    conn = hdb.connect(path)
    earlier = add_simulated_sessions(conn, "anna", person_sessions(2, 2, strides=60, seed=1))
    conn.close()
    proc = _spawn(str(path), "hang")
    try:
        assert proc.stdout.readline().strip() == "inside"
        conn = hdb.connect(path)  # a reader is not blocked by the open write transaction (WAL)
        assert len(load_sessions(conn)) == 4
        conn.close()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    conn = hdb.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert [s.id for s in load_sessions(conn)] == earlier
    assert conn.execute("SELECT COUNT(*) FROM metric_values WHERE session_id > ?", (max(earlier),)).fetchone()[0] == 0
    # and it still takes new sessions
    add_simulated_sessions(conn, "anna", person_sessions(1, 1, seed=5), first_week="2026-W46")
    assert len(load_sessions(conn)) == 5


def test_concurrent_adds_from_two_processes(tmp_path):
    path = tmp_path / "h.sqlite"
    hdb.connect(path).close()
    go = tmp_path / "go"
    procs = [_spawn(str(path), name, str(seed), str(go)) for name, seed in (("anna", 1), ("ben", 2))]
    assert [p.stdout.readline().strip() for p in procs] == ["ready", "ready"]
    go.touch()
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert all("done" in o for o in outs)
    conn = hdb.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    counts = dict(conn.execute("SELECT subject, COUNT(*) FROM sessions GROUP BY subject").fetchall())
    assert counts == {"anna": 20, "ben": 20}
    per = conn.execute("SELECT COUNT(DISTINCT session_id) FROM metric_values").fetchone()[0]
    assert per == 40


# --- foreign and damaged files (issue 13: one line, the right exit code, a foreign file left as it was)


def _history(path, n_sessions: int = 6):
    conn = hdb.connect(path)
    add_simulated_sessions(conn, "anna", [(1 + k // 2, synthetic_strides(80, seed=k)) for k in range(n_sessions)],
                           n_boot=5)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def test_new_history_is_marked_and_an_old_one_without_the_mark_still_opens(tmp_path):
    path = _history(tmp_path / "h.sqlite", 2)
    assert sqlite3.connect(path).execute("PRAGMA application_id").fetchone()[0] == hdb.APPLICATION_ID
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA application_id = 0")  # a history written before the mark existed
    raw.close()
    conn = hdb.connect(path)
    assert [s.subject for s in load_sessions(conn)] == ["anna", "anna"]
    assert hdb.application_id(conn) == hdb.APPLICATION_ID  # marked on the way
    conn.close()


@pytest.mark.parametrize("kind", ["tables", "application_id", "user_version"])
def test_another_applications_database_is_refused_and_left_unchanged(tmp_path, kind):
    path = tmp_path / "other.sqlite"
    raw = sqlite3.connect(path, isolation_level=None)
    if kind == "tables":
        raw.execute("CREATE TABLE contacts (name TEXT)")
        raw.execute("INSERT INTO contacts VALUES ('x')")
    elif kind == "application_id":
        raw.execute("PRAGMA application_id = 1234")
    else:
        raw.execute("PRAGMA user_version = 7")
    raw.close()
    before = path.read_bytes()
    for must_exist in (True, False):
        with pytest.raises(InputFileError, match=r"other\.sqlite: an SQLite database .*not a retrogait history") as e:
            hdb.connect(path, must_exist=must_exist)
        assert "\n" not in str(e.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.sqlite"]  # no -wal / -shm left either


def test_damaged_pages_and_bad_text_are_one_line_errors(tmp_path):
    good = _history(tmp_path / "good.sqlite")
    raw = good.read_bytes()
    page = 4096
    assert len(raw) >= 4 * page
    hits = 0
    for k in range(1, len(raw) // page):  # every page but the first, overwritten in turn
        bad = bytearray(raw)
        bad[k * page + 8:k * page + 3000] = bytes((i * 37 + k) % 251 for i in range(2992))
        path = tmp_path / f"bad{k}.sqlite"
        path.write_bytes(bytes(bad))
        try:
            conn = hdb.connect(path)
            load_sessions(conn)
            load_sessions(conn, "anna")
            conn.close()
        except InputFileError as exc:
            hits += 1
            assert str(exc).startswith(f"{path}: ") and "\n" not in str(exc)
            assert "damaged" in str(exc) or "not a usable" in str(exc)
    assert hits >= 1  # the sessions / metric pages were hit at least once
    utf = tmp_path / "utf.sqlite"
    utf.write_bytes(raw)
    c = sqlite3.connect(utf, isolation_level=None)
    c.execute("UPDATE sessions SET subject = CAST(x'50ff01' AS TEXT) WHERE id = 2")
    c.close()
    conn = hdb.connect(utf)
    with pytest.raises(InputFileError, match=r"utf\.sqlite: the history database is damaged \(.*UTF-8"):
        load_sessions(conn)
    conn.close()


def test_history_commands_on_damaged_or_foreign_files_exit_3_with_one_line(tmp_path, run_cli):
    good = _history(tmp_path / "good.sqlite")
    utf = tmp_path / "utf.sqlite"
    utf.write_bytes(good.read_bytes())
    c = sqlite3.connect(utf, isolation_level=None)
    c.execute("UPDATE sessions SET subject = CAST(x'ff' AS TEXT) WHERE id = 1")
    c.close()
    foreign = tmp_path / "foreign.sqlite"
    c = sqlite3.connect(foreign, isolation_level=None)
    c.execute("CREATE TABLE notes (x)")
    c.close()
    for db in (utf, foreign):
        for cmd in (["sessions"], ["history"], ["export"], ["compare"], ["trend", "-o", str(tmp_path / "t.png")]):
            code, _, err = run_cli(*cmd, "--db", db)
            assert code == 3, (db.name, cmd, err)
            lines = err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith(f"retrogait: error: {db}: "), (cmd, err)
