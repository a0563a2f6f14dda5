"""`analyze` for people (issue 9, item 3): per direction and gait the core numbers, two-feet asymmetry,
incline with its uncertainty, mounting source, the default-mounting warning before the tables, and
tables that fit 80 columns in display units."""

from __future__ import annotations

import json
import re

import pytest
from conftest import SAMPLE_DATA

from retrogait.analysis import analyze
from retrogait.io.loading import load_recording
from retrogait.report.session_tables import fmt_duration


@pytest.fixture
def narrow(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")


def _check_narrow(out: str) -> None:
    assert max(len(line) for line in out.splitlines()) <= 80
    assert not re.search(r"\de[+-]\d", out)  # no scientific notation


def test_two_feet_per_direction_and_asymmetry(run_cli, narrow):
    path = SAMPLE_DATA / "two_feet_treadmill.rgt"
    code, out, err = run_cli("analyze", path)
    assert code == 0, err
    _check_narrow(out)
    assert "left / right" in out and "step L ms" in out and "sensor mounting" in out
    code, out, _ = run_cli("analyze", path, "--json")
    s = json.loads(out)["summary"]
    rows = {g["direction"]: g for g in s["by_direction_gait"]}
    assert set(rows) == {"forward", "backward"}
    # the two directions' cadences are told apart (not one mixed headline figure)
    assert rows["forward"]["cadence_steps_per_min"] > rows["backward"]["cadence_steps_per_min"] + 3
    for g in rows.values():
        assert 50 < g["stance_pct"] < 80 and 0.8 < g["stride_time_s"] < 1.5 and g["stride_length_m"] > 0.3  # SI
    a = s["asymmetry"]["backward"]
    assert a["step_time_asymmetry_pct"] < 5 and a["step_length_asymmetry_pct"] < 5
    assert abs(a["step_time_left_s"] + a["step_time_right_s"] - rows["backward"]["stride_time_s"]) < 0.06
    inc = s["incline"]
    assert inc["ci95_low_pct"] <= inc["grade_pct"] <= inc["ci95_high_pct"]
    assert s["mounting"] == {"sources": {"left": "recording", "right": "recording"}, "default_used": False}
    # one truth: the Python API's summary holds the same numbers as the command's --json
    api = analyze(load_recording(path)).summary
    assert api["by_direction_gait"] == s["by_direction_gait"] and api["asymmetry"] == s["asymmetry"]


def test_default_mounting_warning_comes_before_the_tables(run_cli, narrow, monkeypatch, tmp_path):
    from retrogait.analysis.calibration import DEVICES_ENV

    monkeypatch.setenv(DEVICES_ENV, str(tmp_path / "no-profiles"))  # a user's own profile must not count
    code, out, err = run_cli("analyze", SAMPLE_DATA / "calibration_tilted_mount.rgt")
    assert code == 0, err
    _check_narrow(out)
    first_table = out.index("by direction")
    warn = out.index("stores no sensor mounting")
    tilt = out.index("looks wrong")
    assert warn < first_table and tilt < first_table
    code, out, _ = run_cli("analyze", SAMPLE_DATA / "calibration_tilted_mount.rgt", "--json")
    assert json.loads(out)["summary"]["mounting"]["default_used"] is True


def test_one_foot_mixed_session(run_cli, narrow):
    code, out, err = run_cli("analyze", SAMPLE_DATA / "mixed_session.rgt")
    assert code == 0, err
    _check_narrow(out)
    assert "left / right" not in out
    for d in ("forward", "backward", "side left"):
        assert d in out


def test_durations_for_people():
    assert fmt_duration(37.84) == "37.8 s"
    assert fmt_duration(252) == "4 min 12 s"
    assert fmt_duration(23034.1) == "6 h 23 min"


def test_energy_estimate_with_a_body_mass(run_cli, narrow):
    """``--mass`` adds the energy estimate: the bundled backward session's truth (its true strides
    through the same equations) is 14.4 kcal at 70 kg; the table stays within 80 columns."""
    path = SAMPLE_DATA / "backward_treadmill_5pct.rgt"
    code, out, err = run_cli("analyze", path, "--mass", "70")
    assert code == 0, err
    _check_narrow(out)
    assert "energy (estimate)" in out and "MET" in out
    code, out, _ = run_cli("analyze", path, "--mass", "70", "--json")
    e = json.loads(out)["summary"]["energy"]
    assert abs(e["kcal"] - 14.4) < 0.03 * 14.4 and e["kcal_low"] < e["kcal"] < e["kcal_high"]
    assert e["mass_kg"] == 70
    code, out, err = run_cli("analyze", path, "--mass", "0")
    assert code == 2 and "--mass" in err and len(err.strip().splitlines()) == 1
