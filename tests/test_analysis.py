"""The analysis core end to end on simulator truth: strides, direction, length, cadence, grade, feet."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from retrogait.analysis import DIRECTIONS, analyze
from retrogait.analysis.calibration import calibrate_stream
from retrogait.analysis.evaluation import compare
from retrogait.simulator import Scenario, SensorSpec, Stand, Turn, Walk, simulate
from retrogait.simulator.check import landing_pitch_extremes


def sim(segments, seed=1, rate=100.0, feet=("left",), mount=None, store_mount=True, **sensor):
    sc = Scenario(segments=segments, feet=feet,
                  sensor=SensorSpec(rate=rate, mount=mount, store_mount=store_mount, **sensor))
    return simulate(sc, seed=seed, trajectory=False)


def scored(res, truth, bout=None):
    tr = truth if bout is None else truth.select(truth.bout == bout)
    return compare(res.strides, tr), tr


def test_forward_overground_strides_length_cadence():
    s = sim([Stand(3), Walk("forward", n_strides=20, speed=1.2), Stand(3)])
    res = analyze(s.recording)
    c, tr = scored(res, s.truth.strides)
    assert c["matched"] == len(tr) == len(res.strides)
    assert np.all(c["direction_correct"])
    steady = tr.steady[c["truth_index"]]
    rel = c["length_error"][steady] / c["length_true"][steady]
    # achieved: mean +0.02 %, largest 0.46 %; tolerance 0.6 % / 0.8 % (a 1.5 % scale bug fails)
    assert abs(np.mean(rel)) < 0.006 and np.max(np.abs(rel)) < 0.008
    # IC is 15 ms before the truth's first touch by definition (tests/test_truth_strides.py); tol 25 ms
    assert np.median(np.abs(c["ic_error"])) < 0.025
    true_cad = 120.0 / np.mean(tr.stride_time[tr.steady])
    # achieved 0.12 %; tolerance 0.4 %
    assert res.summary["cadence_steps_per_min"] == pytest.approx(true_cad, rel=0.004)
    assert res.summary["steps_estimated"] is True
    assert res.summary["bouts"] == 1
    assert res.strides.speed[res.strides.steady].mean() == pytest.approx(1.2, rel=0.006)  # achieved 0.02 %


def test_backward_treadmill_with_grade_is_all_backward_and_grade_is_measured():
    s = sim([Stand(3), Walk("backward", n_strides=25, speed=0.6, treadmill=True, grade_pct=10.0), Stand(2)])
    res = analyze(s.recording)
    c, tr = scored(res, s.truth.strides)
    assert c["matched"] == len(tr)
    assert set(res.strides.direction) == {"backward"}
    assert np.all(res.strides.signed_length < 0)
    assert res.summary["grade_pct"] == pytest.approx(10.0, abs=1.0)
    # belt frame: speed relative to the belt is the belt speed
    assert res.summary["speed_mean_m_s"] == pytest.approx(0.6, rel=0.011)  # achieved 0.74 %
    assert res.summary["time_backward_s"] > 20
    # backward landing is toe first: pitch at IC below foot-flat
    assert np.mean(res.strides.pitch_ic < res.strides.pitch_ff) > 0.95


@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_initial_contact_is_where_the_landing_rotation_turns(direction):
    """IC is defined as the instant the ground halts the landing rotation (heel-first forward, toe-first
    backward): against the simulated foot's exact pitch extreme it is within one 200 Hz sample."""
    sc = Scenario(segments=[Stand(3), Walk(direction, n_strides=20, speed=0.9, treadmill=True), Stand(2)],
                  sensor=SensorSpec(rate=200.0, mount=Rotation.random(random_state=5).as_matrix()))
    s = simulate(sc, seed=4, trajectory=True)
    res = analyze(s.recording)
    c, tr = scored(res, s.truth.strides)
    off = res.strides.t_ic[c["det_index"]] - landing_pitch_extremes(s, "left")[c["truth_index"]]
    assert c["matched"] == len(tr)
    assert np.max(np.abs(off)) < 0.005 and abs(np.median(off)) < 0.0015


def test_mixed_session_directions_and_bouts():
    s = sim([Stand(3), Walk("forward", n_strides=12), Stand(4), Walk("backward", n_strides=12, speed=0.6),
             Stand(4), Walk("forward", n_strides=8), Stand(2)], seed=4)
    res = analyze(s.recording)
    c, tr = scored(res, s.truth.strides)
    assert c["matched"] >= len(tr) - 1
    assert np.mean(c["direction_correct"]) >= 0.98
    assert res.summary["bouts"] == 3
    by = res.summary["by_direction"]
    assert by["backward"]["strides"] == pytest.approx(np.sum(tr.direction == "backward"), abs=1)
    bouts = res.bouts
    assert [b["direction"] for b in bouts] == ["forward", "backward", "forward"]


def test_entirely_backward_session_after_calibration_with_odd_mounting():
    """The mounting is learned from a separate forward calibration walk, never from the session."""
    mount = Rotation.from_euler("zyx", [130, -35, 75], degrees=True).as_matrix()
    cal_sim = sim([Stand(4), Walk("forward", n_strides=12), Stand(2)], seed=7, mount=mount,
                  store_mount=False)
    cal = calibrate_stream(cal_sim.recording.streams[0], "calibration")
    assert cal.consistent and cal.strides >= 10
    assert np.degrees(Rotation.from_matrix(cal.mount @ mount.T).magnitude()) < 3.0
    session = sim([Stand(3), Walk("backward", n_strides=20, speed=0.5, treadmill=True), Stand(2)], seed=8,
                  mount=mount, store_mount=False)
    res = analyze(session.recording, mount=cal.mount)
    assert set(res.strides.direction) == {"backward"}
    c, tr = scored(res, session.truth.strides)
    assert c["matched"] == len(tr)
    steady = tr.steady[c["truth_index"]]
    # achieved 0.39 % (mean +0.30 %); tolerance 0.6 %: a 1.5 % scale bug fails
    assert np.mean(np.abs(c["length_error"][steady] / c["length_true"][steady])) < 0.006
    # without the calibration the default mounting is visibly wrong: said, and no incline is invented
    raw = analyze(session.recording)
    assert any("looks wrong" in w and "no incline" in w for w in raw.warnings)
    assert raw.summary["grade_pct"] is None and np.isnan(raw.strides.grade_pct).all()
    assert res.summary["grade_pct"] is not None and not any("looks wrong" in w for w in res.warnings)


def test_turns_and_turning_in_place():
    s = sim([Stand(3), Walk("forward", n_strides=12, turn_deg=90), Turn(180, n_strides=3), Stand(2)], seed=3)
    res = analyze(s.recording)
    c, tr = scored(res, s.truth.strides)
    assert c["matched"] >= len(tr) - 1
    turn = res.strides.turn_angle[c["det_index"]]
    assert np.degrees(np.sum(turn)) == pytest.approx(np.degrees(np.sum(tr.turn_angle[c["truth_index"]])), abs=12)
    in_place = tr.direction[c["truth_index"]] == "in_place"
    assert in_place.any()
    assert np.mean(res.strides.direction[c["det_index"]][in_place] == "in_place") >= 0.5
    assert not res.strides.steady[np.abs(res.strides.turn_angle) > np.deg2rad(25)].any()


def test_two_feet_strides_and_step_times():
    s = sim([Stand(3), Walk("forward", n_strides=15, speed=1.1), Stand(2)], feet=("left", "right"), seed=5)
    res = analyze(s.recording)
    c, tr = scored(res, s.truth.strides)
    assert set(res.strides.foot) == {"left", "right"}
    assert c["matched"] >= len(tr) - 1
    assert res.summary["steps_estimated"] is False
    true_cad = 120.0 / np.mean(tr.stride_time[tr.steady])
    # achieved 0.001 % and 0.14 %; tolerance 0.2 % and 0.4 %
    assert res.summary["cadence_steps_per_min"] == pytest.approx(true_cad, rel=0.002)
    assert res.summary["step_time_s"] == pytest.approx(60.0 / true_cad, rel=0.004)


@pytest.mark.parametrize("rate", [50.0, 1000.0])
def test_sample_rate_extremes(rate):
    s = sim([Stand(2), Walk("backward", n_strides=10, speed=0.7), Stand(2)], rate=rate, seed=2)
    res = analyze(s.recording)
    c, tr = scored(res, s.truth.strides)
    assert c["matched"] == len(tr)
    assert set(res.strides.direction) == {"backward"}
    steady = tr.steady[c["truth_index"]]
    # achieved 0.84 % at 50 Hz, 0.10 % at 1000 Hz; tolerance 1.2 % (a 1.5 % scale bug fails at both)
    assert np.mean(np.abs(c["length_error"][steady] / c["length_true"][steady])) < 0.012


def test_slow_shuffle_and_fast_walk():
    for speed, direction in ((0.3, "forward"), (1.6, "forward"), (0.3, "backward")):
        s = sim([Stand(2), Walk(direction, n_strides=10, speed=speed), Stand(2)], seed=6)
        res = analyze(s.recording)
        c, tr = scored(res, s.truth.strides)
        assert c["matched"] == len(tr) == len(res.strides), (speed, direction)
        assert np.all(c["direction_correct"]), (speed, direction)


def test_result_is_json_ready_and_table_consistent(tmp_path):
    s = sim([Stand(2), Walk("forward", n_strides=8), Stand(2)])
    res = analyze(s.recording)
    json.dumps(res.to_dict(), allow_nan=False)
    n = len(res.strides)
    for name, arr in res.strides.columns().items():
        assert arr.shape[0] == n, name
    assert set(res.strides.direction) <= set(DIRECTIONS)
    assert np.all((res.strides.direction_confidence >= 0) & (res.strides.direction_confidence <= 1))
    assert np.all(res.strides.t_start < res.strides.t_tc)
    assert np.all(res.strides.t_tc < res.strides.t_ic)
    assert np.all(res.strides.t_ic <= res.strides.t_end)
    assert np.allclose(res.strides.stance_time + res.strides.swing_time, res.strides.stride_time)
    out = tmp_path / "s.csv"
    res.strides.to_csv(out)
    assert len(out.read_text().splitlines()) == n + 1


def test_bouts_numbered_across_feet_in_start_order():
    """Bouts of both feet get one numbering in the order they start; the integer-keyed ranking gives
    the numbers of the plain text-keyed one (foot + bout), equal start times included."""
    from types import SimpleNamespace

    from retrogait.analysis.pipeline import _bouts_in_time_order

    rng = np.random.default_rng(4)
    for case in range(300):
        n = int(rng.integers(1, 120))
        foot = rng.choice(np.array(["left", "right"]), n)
        bout = rng.integers(0, int(rng.integers(1, 30)), n)
        t_start = rng.integers(0, int(rng.integers(1, 20)), n).astype(float)  # many equal start times
        got = _bouts_in_time_order(SimpleNamespace(foot=foot, bout=bout, t_start=t_start))
        key = np.char.add(foot, np.char.mod("%d", bout))
        _, first, inv = np.unique(key, return_index=True, return_inverse=True)
        assert np.array_equal(got, np.argsort(np.argsort(t_start[first]))[inv]), case
        starts = [t_start[np.flatnonzero(got == k)[0]] for k in range(got.max() + 1)]  # each bout's first stride
        assert starts == sorted(starts), case
