"""Body mass per subject (issue 9): ``add --mass`` keeps it in the history (schema v4), and ``analyze`` /
``report`` estimate energy with it when ``--mass`` is not given; without a history they work as before."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from retrogait.history import db as hdb
from retrogait.history import queries, store

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "mixed_session.rgt"


@pytest.fixture
def session(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """A copy of the bundled mixed session (subject 'demo') and a history path that analyze also uses."""
    path = tmp_path / "mixed.rgt"
    shutil.copy(SAMPLE, path)
    db = tmp_path / "h.sqlite"
    monkeypatch.setenv(hdb.ENV_DB, str(db))
    return path, db


def _energy(run_cli, *args) -> dict | None:
    code, out, err = run_cli("analyze", *args, "--json")
    assert code == 0, err
    return json.loads(out)["summary"].get("energy")


def test_schema_v4_has_subjects_and_migrates_a_v3_history(tmp_path):
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    for step in hdb.MIGRATIONS[:3]:
        step(conn)
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    conn = hdb.connect(path)
    assert hdb.user_version(conn) == hdb.SCHEMA_VERSION == 4
    assert queries.stored_body_mass(conn, "P01") is None
    store.set_body_mass(conn, "P01", 70)
    store.set_body_mass(conn, "P01", 71.5)   # replaces
    assert queries.stored_body_mass(conn, "P01") == 71.5
    assert queries.stored_body_mass(conn, "P02") is None
    conn.close()


@pytest.mark.parametrize("bad", [0, -3, 500, 1e9, float("nan"), float("inf")])
def test_check_body_mass_refuses_implausible_values(bad):
    with pytest.raises(ValueError, match="body mass must be"):
        store.check_body_mass(bad)


def test_no_history_or_no_stored_mass_means_no_energy(session, run_cli):
    path, db = session
    assert _energy(run_cli, path) is None and not db.exists()   # analyze never creates a history
    code, _, err = run_cli("add", path)
    assert code == 0, err
    before = db.read_bytes()
    assert _energy(run_cli, path) is None                          # a history, but no mass stored
    assert db.read_bytes() == before                               # read only
    code, out, _ = run_cli("analyze", path)
    assert code == 0 and "energy" not in out


def test_add_mass_then_analyze_and_report_use_it(session, run_cli, tmp_path):
    path, db = session
    code, out, err = run_cli("add", path, "--subject", "P01", "--mass", "70")
    assert code == 0, err
    assert "body mass 70 kg stored for P01" in out
    stored = _energy(run_cli, path)
    given = _energy(run_cli, path, "--mass", "70")
    assert stored is not None and given is not None
    assert stored["mass_kg"] == 70 and stored["mass_source"] == "stored for P01"   # the subject add filed it under
    assert given["mass_source"] == "--mass"
    assert stored["kcal"] == pytest.approx(given["kcal"], rel=1e-12)
    # truth: the same estimate as the analysis API gives for 70 kg
    import retrogait
    from retrogait.analysis.calibration import profile_mounts
    from retrogait.analysis.energy import energy_summary

    rec = retrogait.load_recording(path)
    res = retrogait.analyze(rec, mount=profile_mounts(rec))
    assert stored["kcal"] == pytest.approx(energy_summary(res.strides, 70.0, res.summary.get("grade_pct"))["kcal"])
    # --mass wins over the stored value; the energy scales with the mass
    other = _energy(run_cli, path, "--mass", "35")
    assert other["mass_source"] == "--mass" and other["kcal"] == pytest.approx(stored["kcal"] / 2)
    code, out, _ = run_cli("analyze", path)
    assert code == 0 and "at 70 kg (stored for P01)" in " ".join(out.split())
    # report: the same history (--db), the same numbers in the HTML
    html = tmp_path / "r.html"
    code, out, err = run_cli("report", path, "-o", html, "--db", db)
    assert code == 0, err
    assert "at 70 kg" in html.read_text()
    code, out, err = run_cli("report", path, "-o", html, "--db", tmp_path / "none.sqlite")
    assert code == 0 and "energy (estimate)" not in html.read_text()


def test_the_recordings_own_subject_when_the_file_is_not_stored(session, run_cli, tmp_path):
    path, db = session
    other = tmp_path / "other.rgt"
    shutil.copy(SAMPLE.parent / "backward_treadmill_5pct.rgt", other)   # also subject 'demo'
    code, out, err = run_cli("add", other, "--mass", "64")
    assert code == 0 and "stored for demo" in out, err
    e = _energy(run_cli, path)           # mixed.rgt is not in the history, but its subject is
    assert e is not None and e["mass_kg"] == 64 and e["mass_source"] == "stored for demo"


@pytest.mark.parametrize("bad", ["0", "-5", "600", "nan"])
def test_bad_mass_is_a_one_line_error_and_stores_nothing(session, run_cli, bad):
    path, db = session
    code, out, err = run_cli("add", path, "--mass", bad)
    assert code == 2
    assert err.strip().count("\n") == 0 and err.startswith("retrogait: error: --mass") and "kg" in err
    assert not db.exists() or queries.stored_body_mass(hdb.connect(db), "demo") is None


def test_a_removed_sessions_id_is_never_reused(tmp_path):
    from retrogait.simulator.stride_series import person_sessions
    from retrogait.simulator.weekly_sessions import add_simulated_sessions

    conn = hdb.connect(tmp_path / "h.sqlite")
    ids = add_simulated_sessions(conn, "anna", person_sessions(3, 1, strides=60, seed=1))
    assert ids == [1, 2, 3]
    assert store.remove_sessions(conn, [3]) == 1            # the newest: SQLite alone would give 3 again
    assert add_simulated_sessions(conn, "ben", person_sessions(1, 1, strides=60, seed=2)) == [4]
    assert store.remove_sessions(conn, [1]) == 1
    more = add_simulated_sessions(conn, "ben", person_sessions(1, 1, strides=60, seed=5))
    assert more == [5] and sorted(s.id for s in queries.load_sessions(conn)) == [2, 4, 5]
    conn.close()
