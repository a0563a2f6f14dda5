"""The history commands: listing, tables, export, compare messages and exit codes, trend plots."""

from __future__ import annotations

import csv
import io
import json
import struct
from pathlib import Path

import pytest

from retrogait.history import connect
from retrogait.report.trend import DPI, FIG_SIZE
from retrogait.simulator.stride_series import person_sessions
from retrogait.simulator.weekly_sessions import add_simulated_sessions


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "h.sqlite"
    conn = connect(path)
    add_simulated_sessions(conn, "anna", person_sessions(8, 2, change_after_week=4, strides=150, seed=3))
    add_simulated_sessions(conn, "ben", person_sessions(1, 1, seed=4))
    conn.close()
    return path


def test_sessions_history_export(db, run_cli, tmp_path):
    code, out, _ = run_cli("sessions", "--subject", "ben", "--db", db)
    assert code == 0 and "ben" in out and "anna" not in out and "2026-W40" in out
    code, out, _ = run_cli("sessions", "--db", db)
    assert code == 0 and max(len(ln) for ln in out.splitlines()) <= 80   # was ~113 columns
    assert out.index("anna: 16 sessions, 2026-W40 to 2026-W47") < out.index("ben: 1 session, 2026-W40")
    row = next(ln.split() for ln in out.splitlines() if ln.lstrip().startswith("1 "))
    assert row[:4] == ["1", "2026-09-28", "09:00", "W40"] and row[4] == "treadmill"
    code, out, _ = run_cli("sessions", "--json", "--db", db)
    assert len(json.loads(out)) == 17
    code, out, _ = run_cli("history", "-s", "anna", "-m", "stride_time_cv", "--json", "--db", db)
    rows = json.loads(out)["rows"]
    assert [r["week"] for r in rows] == [f"2026-W{w}" for w in range(40, 48)]
    assert all(r["sessions"] == 2 for r in rows)
    assert rows[-1]["stride_time_cv"] < 0.85 * rows[0]["stride_time_cv"]
    code, out, _ = run_cli("history", "-s", "anna", "--by", "session", "--db", db)
    assert code == 0 and len([ln for ln in out.splitlines() if ln.strip()[:1].isdigit()]) == 16  # one row per session
    assert max(len(ln) for ln in out.splitlines()) <= 80
    out_csv = tmp_path / "all.csv"
    code, out, _ = run_cli("export", "-o", out_csv, "--db", db)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text())))
    assert {r["subject"] for r in rows} == {"anna", "ben"}
    cv = [r for r in rows if r["metric"] == "stride_time_cv" and r["session_id"] == "1"][0]
    assert float(cv["value"]) == pytest.approx(2.5, rel=0.3) and float(cv["se"]) > 0 and cv["unit"] == "%"


def test_compare_text_and_exit_codes(db, run_cli):
    code, out, err = run_cli("compare", "-s", "anna", "-b", "2026-W40..2026-W43", "-c", "2026-W47", "--db", db)
    assert code == 0, err
    line = next(ln for ln in out.splitlines() if ln.startswith("stride_time_cv "))
    # beyond noise, but the literature has no minimal important change for stride-time CV
    assert line.endswith("beyond noise") and "backward: 8 baseline vs 2 current sessions (personal thresholds)" in out
    assert max(len(ln) for ln in out.splitlines()) <= 80
    code, _, err = run_cli("compare", "-s", "nobody", "--db", db)
    assert code == 2 and err.strip() == "retrogait: error: unknown subject 'nobody'; subjects in the history: anna, ben"
    code, _, err = run_cli("compare", "-s", "anna", "-b", "2026-W30", "-c", "2026-W47", "--db", db)
    assert code == 4 and "no sessions of anna in the baseline period '2026-W30'" in err and err.count("\n") == 1
    code, _, err = run_cli("compare", "-s", "ben", "--db", db)
    assert code == 4 and "only one session" in err
    code, _, err = run_cli("compare", "-s", "anna", "-b", "week 40", "--db", db)
    assert code == 2 and "cannot read 'week 40'" in err
    code, out, _ = run_cli("compare", "-s", "anna", "-b", "2026-W40..2026-W43", "-c", "2026-W47",
                           "--confidence", "0.99", "--json", "--db", db)
    strict = next(r for r in json.loads(out)["rows"] if r["metric"] == "stride_time_cv")
    assert strict["detectable"] > float(line.split()[-3])  # a stricter confidence needs a bigger change
    code, _, err = run_cli("compare", "-s", "anna", "--confidence", "2", "--db", db)
    assert code == 2 and "confidence" in err
    code, _, err = run_cli("compare", "-s", "anna", "-m", "no_such_metric", "--db", db)
    assert code == 2 and "unknown metric" in err
    code, _, err = run_cli("compare", "-s", "anna", "--db", db.parent / "missing.sqlite")
    assert code == 3 and "no history database yet" in err
    code, _, err = run_cli("history", "--db", db)
    assert code == 2 and "several subjects" in err


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_trend_png_and_html(db, run_cli, tmp_path):
    png, report = tmp_path / "t.png", tmp_path / "r.html"
    code, out, err = run_cli("trend", "-s", "anna", "-m", "stride_time_cv", "-o", png, "--html", report, "--db", db)
    assert code == 0, err
    data = png.read_bytes()
    assert _png_size(data) == (int(FIG_SIZE[0] * DPI), int(FIG_SIZE[1] * DPI))
    assert len(data) > 20_000  # a drawn plot, not a blank canvas
    from matplotlib.image import imread

    pixels = imread(str(png))
    assert pixels.std() > 0.05 and (pixels[..., :3] < 0.5).mean() > 0.005  # ink on the page
    html = report.read_text()
    assert html.count("data:image/png;base64,") >= 10 and "Stride time CV" in html and "beyond noise" in html
    code, _, err = run_cli("trend", "-s", "anna", "-m", "bogus", "--db", db)
    assert code == 2 and "unknown metric" in err


def _stored(db, session_id):
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t} WHERE session_id = ?", (session_id,)).fetchone()[0]
                for t in ("direction_stats", "metric_values", "session_notes")
                if conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (t,)).fetchone()}
    finally:
        conn.close()


def test_add_note_and_tags_are_stored_and_shown(tmp_path, run_cli):
    from conftest import SAMPLE_DATA

    db = tmp_path / "h.sqlite"
    src = SAMPLE_DATA / "mixed_session.rgt"
    note = "felt dizzy after the second backward bout, rested 2 min; keep the belt at 0.6 m/s next week"
    code, out, err = run_cli("add", src, "--note", note, "--tag", "knee", "--tag", "post-op", "--db", db)
    assert code == 0, err
    assert "added as session 1" in out and "note and 2 tag(s) kept" in out
    code, out, err = run_cli("add", src, "--tag", "brace", "--tag", "knee", "--db", db)   # same file again
    assert code == 0 and "already in the history as session 1" in out and "2 tag(s) kept" in out
    code, out, _ = run_cli("sessions", "--db", db)
    assert max(len(ln) for ln in out.splitlines()) <= 80
    shown = " ".join(ln.strip() for ln in out.splitlines() if ln.startswith("      "))
    assert note in shown and "tags: knee, post-op, brace" in shown
    row = next(ln.split() for ln in out.splitlines() if ln.lstrip().startswith("1 "))
    assert row[-3:] == ["24", "64", "16"]                       # forward, backward, other (side, in place)
    code, out, _ = run_cli("sessions", "--json", "--db", db)
    got = json.loads(out)[0]
    assert got["note"] == note and got["tags"] == ["knee", "post-op", "brace"]
    assert got["path"].endswith("mixed_session.rgt")


def test_remove_asks_or_needs_yes(db, run_cli):
    before = _stored(db, 3)
    assert before["metric_values"] > 0
    code, out, err = run_cli("remove", "3", "--db", db)          # no terminal to ask on: refused
    assert code == 2 and err.strip() == "retrogait: error: not deleting without confirmation: add --yes"
    assert "session 3: anna, 2026-10-05 09:00 UTC, treadmill" in out
    assert _stored(db, 3) == before
    code, _, err = run_cli("remove", "3", "999", "--yes", "--db", db)
    assert code == 2 and "no session with id 999" in err and err.count("\n") == 1
    assert _stored(db, 3) == before                               # nothing deleted when one id is wrong
    code, out, err = run_cli("remove", "3", "--yes", "--db", db)
    assert code == 0 and "deleted 1 session(s)" in out
    assert all(v == 0 for v in _stored(db, 3).values())           # metrics go with the session
    code, out, _ = run_cli("sessions", "--json", "--db", db)
    assert 3 not in [s["id"] for s in json.loads(out)] and len(json.loads(out)) == 16
    code, _, err = run_cli("remove", "3", "--yes", "--db", db)
    assert code == 2 and "no session with id 3" in err
    code, out, err = run_cli("remove", "5", "--yes", "--json", "--db", db)
    assert code == 0 and "session 5: anna" in err
    got = json.loads(out)
    assert got["deleted"] == [5] and got["sessions"][0]["subject"] == "anna"


def test_remove_asks_on_a_terminal(db):
    import os
    import pty
    import subprocess
    import sys

    for answer, gone in ((b"n\n", False), (b"y\n", True)):
        master, slave = pty.openpty()
        proc = subprocess.Popen([sys.executable, "-m", "retrogait", "remove", "4", "--db", str(db)],
                                stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.close(slave)
        os.write(master, answer)
        out, err = proc.communicate(timeout=120)
        os.close(master)
        assert proc.returncode == 0, err
        assert b"Delete 1 session(s) from the history?" in out
        assert (b"deleted 1 session(s)" in out) == gone and (b"nothing deleted" in out) == (not gone)
        assert (_stored(db, 4)["metric_values"] == 0) == gone


def test_add_keeps_the_analysis_settings_with_the_session(tmp_path):
    """`add --settings` analyzes with those thresholds and the history records which were changed."""
    import sqlite3

    from retrogait.history import store

    db = tmp_path / "h.sqlite"
    f = tmp_path / "s.toml"
    f.write_text("[direction]\nswitch_prob = 0.1\n")
    sample = Path(__file__).resolve().parents[1] / "sample_data" / "backward_treadmill_5pct.rgt"
    from retrogait.cli import main

    with pytest.raises(SystemExit) as done:
        main(["add", str(sample), "--db", str(db), "--settings", str(f)])
    assert done.value.code in (0, None)
    conn = sqlite3.connect(db)
    sid = conn.execute("SELECT id FROM sessions").fetchone()[0]
    assert store.stored_settings(conn, sid) == {"direction": {"switch_prob": 0.1}}
