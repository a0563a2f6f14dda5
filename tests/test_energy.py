"""Energy expenditure estimate (issue 9): the ACSM equations against their published worked examples,
the backward factor against the Compendium, the uncertainty, and a simulated session against its truth."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import SAMPLE_DATA

from retrogait.analysis import energy as en

MPH = 0.44704  # m/s


def test_walking_equation_worked_example():
    # 2.5 mph (67 m/min), 3 % grade: 13.8 mL/kg/min; 50 kg for 30 min: 0.69 L/min, 103.5 kcal
    v = 67.0 / 60.0
    vo2 = float(en.walking_vo2(v, 0.03))
    assert vo2 == pytest.approx(13.8, abs=0.05)
    assert float(en.vo2_to_kcal(vo2, 50.0, 30.0)) == pytest.approx(103.5, abs=0.5)


def test_running_equation_and_hall_1600_m_example():
    # Hall et al. 2004: 80 kg, 1600 m level, ACSM: walking 1.41 m/s 88 kcal, running 2.82 m/s 137 kcal
    # (they used about 4.86 kcal per L O2; with ACSM's 5.0 the figures are ~3 % higher)
    for speed, run, expected in ((1.41, False, 88.0), (2.82, True, 137.0)):
        minutes = 1600.0 / speed / 60.0
        vo2 = float((en.running_vo2 if run else en.walking_vo2)(speed, 0.0))
        assert float(en.vo2_to_kcal(vo2, 80.0, minutes, kcal_per_l=4.86)) == pytest.approx(expected, rel=0.01)
        assert float(en.vo2_to_kcal(vo2, 80.0, minutes)) == pytest.approx(expected * 5.0 / 4.86, rel=0.01)
    assert float(en.running_vo2(134.0 / 60.0, 0.05)) == pytest.approx(3.5 + 26.8 + 6.03, abs=1e-9)


def test_downhill_counts_as_level_and_power_units():
    assert float(en.walking_vo2(1.0, -0.1)) == float(en.walking_vo2(1.0, 0.0))
    # 1 MET = 3.5 mL/kg/min = 3.5 / 1000 * 5 kcal * 4184 J / 60 s = 1.22 W/kg
    assert float(en.vo2_to_w_per_kg(3.5)) == pytest.approx(1.2203, abs=1e-3)


def test_backward_factor_is_the_compendium_ratio():
    assert en.BACKWARD_WALK_FACTOR == pytest.approx(1.395, abs=0.001)
    speeds = np.full(4, 3.5 * MPH)
    vo2 = en.stride_vo2(speeds, 0.0, ["forward", "backward", "sideways_left", "backward"],
                        ["walk", "walk", "walk", "run"])
    assert vo2[1] / vo2[0] == pytest.approx(en.BACKWARD_WALK_FACTOR)
    assert vo2[2] == vo2[0]                       # sideways: forward equation
    assert vo2[3] == pytest.approx(float(en.running_vo2(speeds[3], 0.0)))  # backward running: no factor
    # against the Compendium's own backward values (6.0 MET level, 8.0 MET at 5 %): within 15 %
    mets = en.stride_vo2(np.full(2, 3.5 * MPH), np.array([0.0, 0.05]), ["backward"] * 2) / en.MET_ML_KG_MIN
    assert mets[0] == pytest.approx(6.0, rel=0.15) and mets[1] == pytest.approx(8.0, rel=0.15)


def test_session_energy_sums_strides_and_states_uncertainty():
    n = 100
    e = en.session_energy(np.full(n, 1.0), np.full(n, 0.05), np.full(n, 1.2), ["forward"] * n, 70.0)
    vo2 = 3.5 + 6.0 + 1.8 * 60 * 0.05
    assert e.kcal == pytest.approx(vo2 * 70 * 2.0 / 1000 * 5)     # 120 s = 2 min
    assert e.kcal_net == pytest.approx((vo2 - 3.5) * 70 * 2.0 / 1000 * 5)
    assert e.mets == pytest.approx(vo2 / 3.5)
    assert e.w_per_kg == pytest.approx(vo2 / 1000 * 5 * 4184 / 60)
    assert 0.10 <= e.rel_sd < 0.12                                  # forward: the equation's 10 % dominates
    assert e.kcal_low == pytest.approx(e.kcal * (1 - 1.96 * e.rel_sd))
    b = en.session_energy(np.full(n, 1.0), np.full(n, 0.05), np.full(n, 1.2), ["backward"] * n, 70.0)
    assert b.kcal == pytest.approx(e.kcal * en.BACKWARD_WALK_FACTOR)
    assert b.rel_sd > 0.18                                          # + the backward factor's 15 %
    assert set(b.by_group) == {"backward"} and b.by_group["backward"]["strides"] == n
    # twice the mass, twice the kcal; same W/kg
    d = en.session_energy(np.full(n, 1.0), 0.05, np.full(n, 1.2), ["forward"] * n, 140.0)
    assert d.kcal == pytest.approx(2 * e.kcal) and d.w_per_kg == pytest.approx(e.w_per_kg)


def test_session_energy_groups_gaits_and_notes():
    e = en.session_energy([1.0, 3.0, 3.0, 0.5], [0.0, 0.0, -0.02, 0.0], [1.0, 0.7, 0.7, 1.0],
                          ["forward", "forward", "backward", "sideways_left"], 60.0,
                          ["walk", "run", "run", "walk"])
    assert set(e.by_group) == {"forward", "forward-running", "backward-running", "sideways_left"}
    assert any("backward running" in s for s in e.notes)
    assert any("downhill" in s for s in e.notes)
    assert any("sideways" in s for s in e.notes)
    json.dumps(e.to_dict())


@pytest.mark.parametrize("mass", [0, -70, float("nan"), 900, "70"])
def test_bad_mass_is_refused(mass):
    with pytest.raises(ValueError, match="body mass"):
        en.session_energy([1.0], [0.0], [1.0], ["forward"], mass)


def test_length_mismatch_is_refused():
    with pytest.raises(ValueError, match="one value per stride"):
        en.session_energy([1.0, 1.0], [0.0], [1.0], ["forward"], 70.0)


def test_stride_grades_use_bout_medians():
    g = en.stride_grades([5.0, 4.0, np.nan, -1.0, np.nan], [0, 0, 0, 1, 2], fallback_pct=3.0)
    assert g.tolist() == pytest.approx([0.045, 0.045, 0.045, -0.01, 0.03])


def test_bundled_backward_session_against_truth():
    """Measured strides vs the simulator's truth (0.6 m/s, 5 %, 170 s backward) for a 70 kg person."""
    import retrogait

    res = retrogait.analyze(retrogait.load_recording(SAMPLE_DATA / "backward_treadmill_5pct.rgt"))
    truth = json.loads((SAMPLE_DATA / "backward_treadmill_5pct.truth.json").read_text())
    walk = [s["walk"] for s in truth["info"]["scenario_spec"]["segments"] if "walk" in s][0]
    grade = truth["info"]["scenario_spec"]["environment"]["grade_pct"] / 100.0
    e_true = en.session_energy([walk["speed"]], [grade], [walk["duration"]], ["backward"], 70.0)
    e = en.energy_of_strides(res.strides, 70.0, res.summary["grade_pct"])
    assert e.kcal == pytest.approx(e_true.kcal, rel=0.03)          # measurement error << model error
    assert e.mets == pytest.approx(e_true.mets, rel=0.03)
    assert e.kcal_low < e_true.kcal < e.kcal_high


def test_bouts_add_up_to_the_session():
    import retrogait

    res = retrogait.analyze(retrogait.load_recording(SAMPLE_DATA / "mixed_session.rgt"))
    total = en.energy_of_strides(res.strides, 80.0, res.summary["grade_pct"])
    bouts = en.energy_by_bout(res.strides, 80.0, res.summary["grade_pct"])
    assert len(bouts) == len(set(res.strides.bout.tolist())) >= 3
    assert sum(b["kcal"] for b in bouts) == pytest.approx(total.kcal, rel=1e-9)
    assert {"backward", "forward"} <= set(total.by_group)


def test_summary_entry_and_line_for_people():
    import retrogait

    res = retrogait.analyze(retrogait.load_recording(SAMPLE_DATA / "backward_treadmill_5pct.rgt"))
    s = en.energy_summary(res.strides, 70.0, res.summary["grade_pct"])
    json.dumps(s, allow_nan=False)
    assert s["kcal"] == pytest.approx(sum(b["kcal"] for b in s["by_bout"]))
    line = en.describe(s)
    assert line.startswith(f"{s['kcal']:.0f} kcal (95 % range ") and line.endswith("W/kg at 70 kg")
    assert f"{s['mets']:.1f} MET" in line and len(line) <= 80
    assert en.describe_short(s) == f"{s['kcal']:.0f} kcal ({s['kcal_low']:.0f}-{s['kcal_high']:.0f}), " \
        f"{s['mets']:.1f} MET, {s['w_per_kg']:.1f} W/kg"
