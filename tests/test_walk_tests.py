"""Instrumented walk tests (retrogait.clinical, `retrogait test`, `simulate 3mbwt|timed-walk`, history).

Values are checked against the simulator's test truth (``truth.info["walk_test"]``: onset, body
progress, times, footfalls) with tolerances a little above the errors measured by
``benchmarks/validate_walk_tests.py`` at these speeds (median 0.02-0.05 s, worst 0.11 s at 0.45 m/s and
above). The definitions themselves are checked on hand-computed tracks.
"""

from __future__ import annotations

import json
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

import retrogait
from retrogait.clinical import three_m_backward_walk, timed_walk
from retrogait.clinical.norms import cutoffs_for, interpret
from retrogait.clinical.track import body_track
from retrogait.io.fileformat import write_recording
from retrogait.io.recording import Recording
from retrogait.simulator import Scenario, SensorSpec, Stand, Turn, Walk, write_truth
from retrogait.simulator.walk_tests import (
    simulate_walk_test,
    three_m_bwt_segments,
    timed_walk_segments,
)


def _sim(segments, feet=("left",), seed=1, mount=None, name="3mbwt", **kw):
    sc = Scenario(segments=segments, feet=feet, name=name, sensor=SensorSpec(mount=mount, **kw), subject="T1")
    return simulate_walk_test(sc, seed=seed)


def _bw_truth(sim):
    return [t for t in sim.truth.info["walk_test"]["trials"] if t["direction"] == "backward"]


@pytest.fixture(scope="module")
def one_foot():
    sim = _sim(three_m_bwt_segments(2, 0.6), seed=3)
    return sim, retrogait.analyze(sim.recording)


@pytest.fixture(scope="module")
def two_feet():
    mount = Rotation.from_euler("xyz", [20, -35, 100], degrees=True).as_matrix()
    sim = _sim(three_m_bwt_segments(2, 0.9), feet=("left", "right"), seed=4, mount=mount, rate=200.0)
    return sim, retrogait.analyze(sim.recording)


# --------------------------------------------------------------------------- definitions


def test_body_track_crossing_is_linear_between_mid_stances():
    # left foot at 0.5 m (t=1) and 1.5 m (t=3); right foot at 1.0 m (t=2) and 1.5 m (t=4)
    tr = body_track([np.array([1.0, 3.0]), np.array([2.0, 4.0])],
                    [np.array([0.5, 1.5]), np.array([1.0, 1.5])], t0=0.4)
    assert tr.time_at(1.25) == pytest.approx(2.5)
    assert tr.time_at(0.25) == pytest.approx(0.7)  # from the onset (0 m at 0.4 s) to 0.5 m at 1 s
    assert np.isnan(tr.time_at(1.6))  # never reached
    assert tr.total == 1.5


def _strides(foot, t_tc, lengths, stride_time=1.0):
    n = len(lengths)
    t_tc = np.asarray(t_tc, float)
    return {"foot": np.array([foot] * n), "t_start": t_tc - 0.3, "t_end": t_tc + 0.7, "t_ic": t_tc + 0.4, "t_tc": t_tc,
                "stride_time": np.full(n, stride_time), "stride_length": np.asarray(lengths, float),
                "stride_vector": np.column_stack([-np.asarray(lengths, float), np.zeros(n)]),
                "direction": np.array(["backward"] * n), "turn_angle": np.zeros(n)}


def test_one_foot_that_followed_onset_one_step_earlier_and_steps_from_the_alternation():
    # a full first stride (the foot followed) and a half last stride (it closed): the other foot led
    st = SimpleNamespace(**_strides("left", [10.0, 11.0, 12.0, 13.0], [0.8, 0.8, 0.8, 0.4]))
    trial = three_m_backward_walk(st, distance=1.0).trials[0]
    assert trial.t_onset == pytest.approx(10.0 - 0.5)  # one step (half the 1-s stride) before
    assert trial.steps == 2 * 4 - 1 + 1 + 0  # other foot led, this foot closed
    assert trial.lead_foot == "right" and trial.steps_inferred
    # body: 0 m at the onset 9.5 s, 0.8 m at 10.7 s -> 1.0 m a quarter stride after, at 11.7 s
    assert trial.time_s == pytest.approx(10.7 + 0.25 - 9.5)
    assert trial.step_length_m == pytest.approx(0.4)  # first and last strides left out


def test_one_foot_that_led_and_did_not_close():
    st = SimpleNamespace(**_strides("right", [5.0, 6.0, 7.0, 8.0], [0.4, 0.8, 0.8, 0.8]))
    trial = three_m_backward_walk(st, distance=1.0).trials[0]
    assert trial.t_onset == pytest.approx(5.0)
    assert trial.steps == 2 * 4 - 1 + 0 + 1
    assert trial.lead_foot == "right"


def test_one_odd_stride_inside_a_walk_does_not_split_the_trial():
    cols = _strides("left", np.arange(6.0), [0.4, 0.8, 0.8, 0.8, 0.8, 0.8])
    cols["direction"][2] = "sideways_left"  # one stride misread inside the walk
    test = three_m_backward_walk(SimpleNamespace(**cols), distance=3.0)
    assert len(test.trials) == 1 and test.trials[0].scored and test.trials[0].steps == 2 * 6 - 1 + 0 + 1
    cols["direction"][3] = "sideways_left"  # two strides: a real change of direction
    test = three_m_backward_walk(SimpleNamespace(**cols), distance=3.0)
    assert len(test.trials) == 2 and not any(t.scored for t in test.trials)


def test_cut_off_sentences_name_source_and_population():
    lines = interpret("3mbwt", 4.9)
    assert len(lines) == len(cutoffs_for("3mbwt")) >= 4
    assert lines[0].startswith("above the 4.5 s cut-off that Carter et al. 2019")
    assert "older adults" in lines[0] and lines[0].endswith("[V]")
    assert interpret("3mbwt", float("nan")) == []


# --------------------------------------------------------------------------- against truth


def test_3mbwt_one_foot_matches_truth(one_foot):
    sim, res = one_foot
    truth = _bw_truth(sim)
    test = three_m_backward_walk(res.strides)
    assert len(test.trials) == len(truth) == 2 and len(test.scored) == 2
    for est, tt in zip(test.trials, truth):
        assert est.time_s == pytest.approx(tt["times_s"]["3"], abs=0.10)
        assert est.t_onset == pytest.approx(tt["onset_s"], abs=0.05)
        assert est.steps == tt["steps"]
        assert est.lead_foot == tt["lead_foot"]
        assert est.step_length_m == pytest.approx(tt["step_length_m"], abs=0.015)
        assert est.distance_m == pytest.approx(tt["distance_m"], rel=0.03)


def test_3mbwt_two_feet_random_mounting_matches_truth(two_feet):
    sim, res = two_feet
    truth = _bw_truth(sim)
    test = three_m_backward_walk(res.strides)
    assert [t.scored for t in test.trials] == [True, True]
    for est, tt in zip(test.trials, truth):
        assert est.time_s == pytest.approx(tt["times_s"]["3"], abs=0.08)
        assert est.steps == tt["steps"] and not est.steps_inferred
        assert est.timing_cv_kind == "step" and est.timing_cv_n >= 3
        assert abs(est.veer_m) < 0.10 and abs(est.heading_change_deg) < 10


def test_timed_walk_forward_and_backward_match_truth():
    sim = _sim(timed_walk_segments(0.6), feet=("left", "right"), seed=5, name="timed-walk")
    res = retrogait.analyze(sim.recording)
    for direction in ("forward", "backward"):
        tt = next(t for t in sim.truth.info["walk_test"]["trials"] if t["direction"] == direction)
        true_speed = 6.0 / (tt["times_s"]["8"] - tt["times_s"]["2"])
        trial = timed_walk(res.strides, distance=10.0, direction=direction).trials[0]
        assert trial.scored
        assert trial.extra["middle_speed_m_s"] == pytest.approx(true_speed, rel=0.03)
        assert trial.time_s == pytest.approx(tt["times_s"]["10"], abs=0.15)


def test_timed_walk_duration_mode():
    sim = _sim(timed_walk_segments(0.6, walk_s=25.0), seed=6, name="timed-walk")
    res = retrogait.analyze(sim.recording)
    tt = next(t for t in sim.truth.info["walk_test"]["trials"] if t["direction"] == "forward")
    for seconds in (10.0, 20.0):  # measured: within 0.6 % of the truth (seeds 6-8)
        trial = timed_walk(res.strides, direction="forward", duration=seconds).trials[0]
        assert trial.scored and trial.extra["walked_for_s"] > seconds
        assert trial.distance_m == pytest.approx(tt["path_m_after_s"][f"{seconds:g}"], rel=0.01)
    assert not timed_walk(res.strides, direction="forward", duration=60.0).scored  # the walk was shorter


# --------------------------------------------------------------------------- bad input


def test_short_trial_and_turning_around_are_reported_not_scored():
    sim = _sim([Stand(4.0), Walk("backward", n_strides=3, speed=0.6), Stand(5.0),
                Walk("backward", n_strides=3, speed=0.6), Turn(180.0), Walk("forward", n_strides=4), Stand(3.0)])
    res = retrogait.analyze(sim.recording)
    test = three_m_backward_walk(res.strides)
    assert len(test.trials) == 2 and not test.scored
    assert "less than 3 m" in test.trials[0].note
    assert "less than 3 m" in test.trials[1].note and "walked forward" in test.trials[1].note


def test_standing_or_forward_only_says_no_backward_trial(tmp_path, run_cli):
    sim = _sim([Stand(3.0), Walk("forward", n_strides=8), Stand(3.0)], name="custom")
    path = tmp_path / "fw.rgt"
    write_recording(path, sim.recording)
    code, _, err = run_cli("test", "3mbwt", path)
    assert code == 4 and err.count("\n") == 1
    assert "no backward trial found (strides found: forward)" in err
    path = tmp_path / "stand.rgt"
    write_recording(path, _sim([Stand(20.0)], name="custom").recording)
    code, _, err = run_cli("test", "3mbwt", path)
    assert code == 4 and "no backward trial found" in err and err.count("\n") == 1


def test_two_people_in_one_file_scores_nothing_wrong():
    """A foot whose mounting changes mid-file (two people's data concatenated): whatever is scored is
    the first person's (the second one's strides cannot be trusted with the first one's mounting)."""
    a = _sim(three_m_bwt_segments(1, 0.6), seed=7)
    other = Rotation.from_euler("xyz", [40, 70, 120], degrees=True).as_matrix()
    b = _sim(three_m_bwt_segments(1, 0.45), seed=8, mount=other)
    sa, sb = a.recording.streams[0], b.recording.streams[0]
    st = replace(sa, t=np.concatenate([sa.t, sb.t + sa.t[-1] + 0.01]), acc=np.concatenate([sa.acc, sb.acc]),
                 gyr=np.concatenate([sa.gyr, sb.gyr]))
    try:
        res = retrogait.analyze(Recording(streams=[st], subject="T1"))
    except retrogait.errors.NoGaitError:
        return
    t_a = _bw_truth(a)[0]
    for trial in three_m_backward_walk(res.strides).scored:
        assert trial.t_onset == pytest.approx(t_a["onset_s"], abs=0.1)
        assert trial.time_s == pytest.approx(t_a["times_s"]["3"], abs=0.15)


# --------------------------------------------------------------------------- command line, history


def test_cli_3mbwt_table_json_and_errors(tmp_path, run_cli, one_foot):
    sim, _ = one_foot
    path = tmp_path / "bwt.rgt"
    write_recording(path, sim.recording)
    code, out, _ = run_cli("test", "3mbwt", path)
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "Score: " in out and "Carter et al. 2019" in out
    code, out, _ = run_cli("test", "3mbwt", path, "--json")
    data = json.loads(out)
    times = [t["time_s"] for t in data["trials"]]
    assert data["score"]["value"] == pytest.approx(np.mean(times))
    assert data["score"]["value"] == pytest.approx(np.mean([t["times_s"]["3"] for t in _bw_truth(sim)]), abs=0.1)
    assert {n["source"] for n in data["norms"]} >= {"Kapan et al. 2025 (J Am Med Dir Assoc)"}
    code, _, err = run_cli("test", "3mbwt", path, "--distance", "-1")
    assert code == 2 and err.count("\n") == 1
    code, _, err = run_cli("test", "3mbwt", tmp_path / "missing.rgt")
    assert code == 3 and "no such file" in err
    code, _, err = run_cli("test", "timed-walk", path, "--direction", "up")
    assert code == 2 and "forward or backward" in err


def test_simulate_preset_writes_test_truth_and_tag(tmp_path, run_cli):
    out = tmp_path / "tw.rgt"
    code, _, _ = run_cli("simulate", "timed-walk", "-o", out, "--feet", "both")
    assert code == 0
    truth = json.loads(out.with_suffix(".truth.json").read_text())
    trials = truth["info"]["walk_test"]["trials"]
    assert [t["direction"] for t in trials] == ["forward", "backward"]
    assert all(t["distance_m"] > 10.0 for t in trials)
    assert retrogait.load_recording(out).tags["test"] == "timed-walk"
    code, text, _ = run_cli("test", "timed-walk", out, "--direction", "backward")
    assert code == 0 and "10-m backward walk" in text


def test_history_keeps_the_score_and_compare_judges_it(tmp_path, run_cli, one_foot):
    db = tmp_path / "h.sqlite"
    files = []
    for i, speed in enumerate((0.6, 0.6, 0.6, 0.35)):
        sim = _sim(three_m_bwt_segments(1, speed), seed=20 + i)
        sim.recording.tags.pop("test")  # identified by --test instead
        sim.recording.start_time = f"2026-03-0{i + 2}T09:00:00Z"
        path = tmp_path / f"s{i}.rgt"
        write_recording(path, sim.recording)
        write_truth(path, sim.truth)
        files.append((path, np.mean([t["times_s"]["3"] for t in _bw_truth(sim)])))
    code, out, _ = run_cli("add", *[p for p, _ in files], "--test", "3mbwt", "--db", db)
    assert code == 0 and out.count("3mbwt ") == 4
    code, out, _ = run_cli("compare", "--subject", "T1", "--baseline", "2026-03-02..2026-03-04",
                           "--current", "2026-03-05", "--metric", "bwt3m_time", "--db", db, "--json")
    assert code == 0
    row = next(r for r in json.loads(out)["rows"] if r["metric"] == "bwt3m_time")
    assert row["current"] == pytest.approx(files[3][1], abs=0.15)
    assert row["change"] > 1.0 and row["verdict"] != "no real change"


def test_3mbwt_recorded_through_emulate_and_record(tmp_path):
    """emulator (a simulated 3MBWT, 20x faster than real time) -> record over a pty -> file -> test:
    the same trials and times as the simulated signals analyzed directly, and close to the truth."""
    from retrogait.device.emulator import Emulator
    from retrogait.device.recorder import DeviceSpec, Recorder
    from retrogait.io.fileformat import read_recording

    rate = 200.0
    sim = _sim([Stand(4.0), *three_m_bwt_segments(2, 0.7)], seed=11, rate=rate)
    s0 = sim.recording.streams[0]
    emu = Emulator(s0.acc, s0.gyr, rate, "retrogait", speed=20.0, autostart=False, out_limit=None)
    port = emu.start()
    out = tmp_path / "bwt.rgt"
    rec = Recorder([DeviceSpec(port, "left")], str(out), rate=rate, live_strides=False, sniff_seconds=20.0)
    rec.open()
    needed = (s0.t[-1] - 9.0) * rate  # the recorder joins a little late; stop before the data repeat

    def enough(r: Recorder) -> None:
        if r.states[0].samples >= needed:
            r.stop("enough samples")

    rec.run(300.0, on_tick=enough)  # the limit only guards against a hang
    emu.stop()
    got = read_recording(out)
    got.streams[0] = replace(got.streams[0], mount=s0.mount)
    recorded = three_m_backward_walk(retrogait.analyze(got).strides)
    direct = three_m_backward_walk(retrogait.analyze(sim.recording).strides)
    assert len(recorded.scored) == len(direct.scored) == 2
    shift = recorded.trials[0].t_onset - direct.trials[0].t_onset  # the recording's own time origin
    for r, d, tt in zip(recorded.trials, direct.trials, _bw_truth(sim)):
        assert r.time_s == pytest.approx(d.time_s, abs=0.02)
        assert r.t_onset - d.t_onset == pytest.approx(shift, abs=0.02)
        assert r.steps == d.steps == tt["steps"]
        assert r.time_s == pytest.approx(tt["times_s"]["3"], abs=0.10)
