"""Simulator API, truth bookkeeping, sensor error model, presets and the ``simulate`` command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from retrogait.io.recording import GRAVITY
from retrogait.simulator import (
    PRESETS,
    Environment,
    Person,
    Scenario,
    SensorSpec,
    Stand,
    Walk,
    ideal_sensor,
    parse_mount,
    preset,
    read_truth,
    simulate,
    truth_path,
    write_truth,
)
from retrogait.simulator.footsteps import resolve_speed


def test_same_seed_same_session_other_seed_differs():
    sc = preset("mixed", duration=120)
    a, b, c = simulate(sc, seed=7), simulate(sc, seed=7), simulate(sc, seed=8)
    np.testing.assert_array_equal(a.recording.streams[0].acc, b.recording.streams[0].acc)
    np.testing.assert_array_equal(a.recording.streams[0].t, b.recording.streams[0].t)
    assert a.truth.to_dict() == b.truth.to_dict()
    assert not np.array_equal(a.truth.strides.stride_length, c.truth.strides.stride_length)


def test_recorded_feet_do_not_change_the_walk():
    one = simulate(preset("two-feet", duration=40, feet=("left",)), seed=3)
    two = simulate(preset("two-feet", duration=40), seed=3)
    np.testing.assert_array_equal(one.truth.strides.t_ic, two.truth.strides.of_foot("left").t_ic)


def test_totals_match_per_stride_truth():
    res = simulate(preset("mixed"), seed=2)
    s, tot = res.truth.strides, res.truth.totals
    walking = s.direction != "in_place"
    assert tot["strides"] == walking.sum()
    assert tot["distance_m"] == pytest.approx(s.stride_length[walking].sum())
    for d, entry in tot["by_direction"].items():
        sel = s.direction == d
        assert entry["strides"] == sel.sum()
        assert entry["distance_m"] == pytest.approx(s.stride_length[sel].sum())
        assert entry["cadence_steps_per_min"] == pytest.approx(120 / s.stride_time[sel].mean())
        assert entry["walking_time_s"] <= s.stride_time[sel].sum() + 1e-9
    assert set(tot["by_direction"]) == {"forward", "backward", "sideways_left", "sideways_right", "in_place"}
    # the strides tile each foot's walking: consecutive strides share their mid-stance
    same_bout = s.bout[1:] == s.bout[:-1]
    np.testing.assert_allclose(s.t_start[1:][same_bout], s.t_end[:-1][same_bout])
    assert np.all((s.t_start < s.t_ho) & (s.t_ho < s.t_tc) & (s.t_tc < s.t_ic) & (s.t_ic < s.t_ff)
                  & (s.t_ff < s.t_end))


def test_requested_speed_cadence_and_variability_come_out():
    sc = Scenario(segments=[Stand(2), Walk("backward", n_strides=400, speed=0.7, cv_stride_time=0.04)],
                  environment=Environment(True, 5.0), sensor=ideal_sensor(50))
    res = simulate(sc, seed=11)
    s = res.truth.strides
    st = s.select(s.steady)
    speed, cadence, length = resolve_speed("backward", 0.7, None, None)
    cadence *= res.truth.info["cadence_day_factor"]  # the person's cadence of the day
    length = 120 * speed / cadence
    assert abs(res.truth.info["cadence_day_factor"] - 1) < 0.1
    # on a treadmill the belt-frame distance per time is the belt speed (horizontal: x cos(slope))
    horiz = np.cos(np.arctan(0.05))
    assert st.stride_length.sum() / st.stride_time.sum() == pytest.approx(speed * horiz, rel=0.01)
    assert 120 / st.stride_time.mean() == pytest.approx(cadence, rel=0.01)
    cv = st.stride_time.std() / st.stride_time.mean()
    assert 0.03 < cv < 0.05
    # fluctuations persist from stride to stride (AR(1)), as in real stride-interval series
    x = st.stride_time - st.stride_time.mean()
    assert np.corrcoef(x[:-1], x[1:])[0, 1] > 0.15
    assert 100 <= cadence <= 130 and 0.6 <= length <= 1.0


def test_two_of_three_gait_parameters():
    v, c, length = resolve_speed("forward", None, 110.0, 1.3)
    assert v == pytest.approx(1.3 * 110 / 120)
    with pytest.raises(ValueError):
        resolve_speed("forward", 1.0, 100.0, 2.0)


def test_truth_sidecar_round_trip(tmp_path):
    res = simulate(preset("two-feet", duration=40), seed=1)
    p = write_truth(tmp_path / "x.rgt", res.truth)
    assert p == tmp_path / "x.truth.json" == truth_path(tmp_path / "x.rgt")
    back = read_truth(tmp_path / "x.rgt")
    for name, col in res.truth.strides.columns.items():
        if col.dtype.kind == "f":
            np.testing.assert_allclose(back.strides.columns[name], col, atol=1e-6)
        else:
            np.testing.assert_array_equal(back.strides.columns[name], col)
    assert back.totals["strides"] == res.truth.totals["strides"]
    np.testing.assert_allclose(back.mounts["right"], res.truth.mounts["right"])
    json.loads(p.read_text())  # plain JSON


def test_truth_sidecar_errors(tmp_path):
    from retrogait.errors import InputFileError

    with pytest.raises(InputFileError, match="no such truth file"):
        read_truth(tmp_path / "missing.rgt")
    (tmp_path / "bad.truth.json").write_text("{not json")
    with pytest.raises(InputFileError, match="not a readable"):
        read_truth(tmp_path / "bad.truth.json")
    (tmp_path / "other.truth.json").write_text('{"format": "something"}')
    with pytest.raises(InputFileError, match="not a retrogait truth file"):
        read_truth(tmp_path / "other.truth.json")


def test_noise_bias_and_quantization_are_realistic():
    sc = Scenario(segments=[Stand(20.0)], sensor=SensorSpec(rate=200))
    st = simulate(sc, seed=1).recording.streams[0]
    # standing still: mean close to gravity (bias ~ 0.05 m/s^2), sd = density * sqrt(rate / 2)
    assert abs(np.linalg.norm(st.acc.mean(axis=0)) - GRAVITY) < 0.25
    sd = st.acc.std(axis=0)
    expected = 300e-6 * GRAVITY * np.sqrt(100)
    assert np.all((sd > 0.7 * expected) & (sd < 1.4 * expected))
    assert np.abs(st.gyr.mean(axis=0)).max() < np.deg2rad(3)
    lsb = 16 * GRAVITY / 32768
    np.testing.assert_allclose(st.acc / lsb, np.round(st.acc / lsb), atol=1e-6)


def test_saturation_clips_at_the_range():
    sensor = SensorSpec(rate=200, noise=0.0, quantize=False, acc_range=2 * GRAVITY, gyr_range=np.deg2rad(250))
    res = simulate(Scenario(segments=[Walk("forward", n_strides=5, speed=1.6)], sensor=sensor), seed=1)
    st = res.recording.streams[0]
    assert np.abs(st.acc).max() == pytest.approx(2 * GRAVITY)
    assert np.abs(st.gyr).max() == pytest.approx(np.deg2rad(250))
    assert res.truth.info["saturated"]["left"]["gyr"] > 0
    assert np.abs(res.trajectory["left"].gyr).max() > np.deg2rad(300)  # the truth is not clipped


def test_dropped_samples_leave_gaps_in_timestamps():
    sensor = SensorSpec(rate=100, dropouts=3, dropout_max=0.5)
    res = simulate(Scenario(segments=[Stand(2), Walk("forward", n_strides=20)], sensor=sensor), seed=4)
    st = res.recording.streams[0]
    gaps = res.truth.info["gaps"]["left"]
    assert 1 <= len(gaps) <= 3
    dt = np.diff(st.t)
    big = np.flatnonzero(dt > 1.5 / 100)
    assert len(big) == len(gaps)
    for i, (a, b) in zip(big, gaps):
        assert st.t[i] < a <= b < st.t[i + 1]
        assert round((st.t[i + 1] - st.t[i]) * 100) - 1 == round((b - a) * 100) + 1
    assert res.truth.info["samples"] - st.n == sum(round((b - a) * 100) + 1 for a, b in gaps)


def test_mount_is_stored_or_not_and_applied():
    m = parse_mount("lateral")
    for store in (True, False):
        sc = Scenario(segments=[Stand(1.0)], sensor=SensorSpec(rate=50, mount=m, store_mount=store, noise=0,
                                                               quantize=False))
        res = simulate(sc, seed=0)
        st = res.recording.streams[0]
        assert (st.mount is not None) == store
        np.testing.assert_allclose(res.truth.mounts["left"], m)
        # standing flat: gravity along foot +z, i.e. along sensor mount^T z
        np.testing.assert_allclose(st.acc[0], m.T @ [0, 0, GRAVITY], atol=1e-9)


def test_parse_mount_forms():
    assert np.allclose(parse_mount("identity"), np.eye(3))
    r = parse_mount("euler:zyx:90,0,0")
    assert np.allclose(r @ [1, 0, 0], [0, 1, 0])
    assert np.allclose(parse_mount("0,-1,0,1,0,0,0,0,1"), r)
    assert parse_mount(None) is None
    for bad in ("sideways", "1,2,3", "1,0,0,0,1,0,0,0,-1"):
        with pytest.raises(ValueError):
            parse_mount(bad)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_runs(name):
    res = simulate(preset(name, duration=40, rate=50), seed=1)
    assert res.recording.duration > 20
    if name == "standing":
        assert len(res.truth.strides) == 0
    else:
        assert len(res.truth.strides) >= 8
    if name == "calibration":
        s = res.truth.strides
        assert np.all(s.direction == "forward") and len(s) >= 12
        assert res.truth.strides.t_start.min() >= 5.0 - 1.2  # standing 5 s first


def test_person_variability_scale_changes_cv():
    def cv(scale):
        sc = Scenario(segments=[Walk("backward", n_strides=300)], person=Person(variability_scale=scale),
                      sensor=ideal_sensor(50))
        s = simulate(sc, seed=5).truth.strides
        s = s.select(s.steady)
        return s.stride_time.std() / s.stride_time.mean()

    assert cv(0.7) == pytest.approx(0.7 * cv(1.0), rel=0.1)


def test_simulate_command_writes_recording_and_truth(tmp_path, run_cli):
    from retrogait.io.fileformat import read_recording

    out = tmp_path / "bw.rgt"
    code, stdout, err = run_cli("simulate", "backward-treadmill", "-o", out, "--duration", "40s", "--grade", "8",
                                "--mount", "upside-down", "--seed", "3", "--json")
    assert code == 0, err
    summary = json.loads(stdout)
    rec = read_recording(out)
    truth = read_truth(out)
    assert summary["strides"] == len(truth.strides) > 20
    assert rec.tags["incline_pct"] == 8.0 and rec.tags["condition"] == "treadmill"
    np.testing.assert_allclose(rec.streams[0].mount, parse_mount("upside-down"))
    assert np.all(truth.strides.direction == "backward")
    assert 35 < rec.duration < 45


@pytest.mark.parametrize("args, needle", [
    (("nope",), "unknown preset"),
    (("mixed", "--mount", "crooked"), "mount"),
    (("mixed", "--duration", "3q"), "--duration"),
    (("mixed", "--grade", "40"), "--grade"),
    (("mixed", "--feet", "three"), "--feet"),
    (("forward-overground", "--grade", "5"), "--grade"),
    (("mixed", "--start-time", "yesterday"), "--start-time"),
    (("s.json", "--speed", "1"), "apply to presets"),
])
def test_simulate_command_rejects_bad_input(tmp_path, run_cli, args, needle):
    code, _, err = run_cli("simulate", *args, "-o", tmp_path / "x.rgt")
    assert code == 2
    assert needle in err and "Traceback" not in err


def test_sample_data_is_current_and_labelled():
    import importlib.util

    from retrogait.io.fileformat import read_recording

    root = Path(__file__).resolve().parents[1] / "sample_data"
    files = sorted(root.glob("*.rgt")) + sorted((root / "weekly").glob("*.rgt"))
    assert len(files) >= 10
    readme = (root / "README.md").read_text()
    for f in files:
        truth = read_truth(f)
        rec = read_recording(f)
        assert rec.feet == truth.info["feet"]
        assert abs(rec.duration - truth.info["duration_s"]) < 0.02
        name = f.name if f.parent == root else "weekly/"
        assert name in readme
    spec = importlib.util.spec_from_file_location("make_sample_data", root / "make_sample_data.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    date, week, scale = mod.WEEKLY[0]
    again = simulate(mod.weekly_scenario(date, week, scale), seed=200, trajectory=False)
    stored = read_truth(root / "weekly" / f"p01_{date}.rgt")
    np.testing.assert_allclose(again.truth.strides.t_ic, stored.strides.t_ic, atol=1e-6)
    np.testing.assert_allclose(again.recording.streams[0].acc, read_recording(
        root / "weekly" / f"p01_{date}.rgt").streams[0].acc, atol=1e-5)
    np.testing.assert_allclose(again.recording.streams[0].mount, read_recording(
        root / "weekly" / f"p01_{date}.rgt").streams[0].mount, atol=1e-9)
    cal = simulate(mod.calibration_scenario(), seed=mod.CALIBRATION_SEED, trajectory=False)
    np.testing.assert_allclose(cal.recording.streams[0].acc, read_recording(root / mod.CALIBRATION).streams[0].acc,
                               atol=1e-5)


def test_power_law_fluctuations_have_long_range_correlation():
    def dfa_alpha(x, scales=(4, 6, 8, 12, 16, 24, 32)):
        y = np.cumsum(x - x.mean())
        f = []
        for s in scales:
            seg = y[: len(y) // s * s].reshape(-1, s)
            t = np.arange(s)
            coef = np.polynomial.polynomial.polyfit(t, seg.T, 1)
            fit = coef[0][:, None] + coef[1][:, None] * t
            f.append(np.sqrt(((seg - fit) ** 2).mean()))
        return np.polyfit(np.log(scales), np.log(f), 1)[0]

    alphas = {}
    for model in ("ar1", "power-law"):
        vals = []
        for seed in range(3):
            sc = Scenario(segments=[Walk("forward", n_strides=400)], person=Person(fluctuation=model),
                          sensor=ideal_sensor(50))
            s = simulate(sc, seed=seed, trajectory=False).truth.strides
            vals.append(dfa_alpha(s.stride_time[s.steady]))
        alphas[model] = np.mean(vals)
    assert 0.7 < alphas["power-law"] < 1.0
    assert alphas["power-law"] > alphas["ar1"] + 0.08


def test_preferred_cadence_varies_from_day_to_day():
    def factor(seed, cv=0.015, cadence=None):
        sc = Scenario(segments=[Walk("backward", n_strides=4, speed=0.6, cadence=cadence)],
                      environment=Environment(True, 0.0), person=Person(day_to_day_cv=cv), sensor=ideal_sensor(50))
        res = simulate(sc, seed=seed, trajectory=False)
        return res.truth.info["cadence_day_factor"], res.truth.totals["mean_stride_time_s"]

    factors = np.array([factor(s)[0] for s in range(12)])
    assert 0.005 < factors.std() < 0.03
    assert factor(3, cv=0.0)[0] == 1.0
    # a bout that fixes its cadence keeps it
    assert factor(3, cadence=100.0)[1] == pytest.approx(1.2, rel=0.03)


def test_scenario_spec_in_truth_regenerates_the_session():
    from retrogait.simulator import scenario_from_dict

    res = simulate(preset("mixed", duration=100, mount=parse_mount("random", rng_seed=4)), seed=9)
    spec = json.loads(json.dumps(res.truth.info["scenario_spec"]))
    again = simulate(scenario_from_dict(spec), seed=9)
    np.testing.assert_array_equal(again.recording.streams[0].gyr, res.recording.streams[0].gyr)
    np.testing.assert_array_equal(again.truth.strides.t_ic, res.truth.strides.t_ic)


@pytest.mark.parametrize("spec, needle", [
    ({}, "segments"),
    ({"segments": [{"jump": 3}]}, "unknown segment 'jump'"),
    ({"segments": [{"walk": {"dir": "backward"}}]}, "unknown setting(s) dir"),
    ({"segments": [{"walk": {"direction": "upward"}}]}, "direction"),
    ({"segments": [{"stand": -1}]}, "seconds"),
    ({"segments": [{"stand": 1}], "sensor": {"rate": 5}}, "rate"),
    ({"segments": [{"stand": 1}], "colour": "red"}, "unknown scenario key"),
])
def test_scenario_spec_errors_name_the_problem(spec, needle):
    from retrogait.simulator import scenario_from_dict

    with pytest.raises(ValueError, match=re.escape(needle)):
        scenario_from_dict(spec)


def test_simulate_command_takes_a_scenario_file_or_a_truth_sidecar(tmp_path, run_cli):
    spec = {"segments": [{"stand": 2}, {"walk": {"direction": "backward", "n_strides": 8, "treadmill": True,
                                                 "grade_pct": 8}}, {"sidestep": {"side": "right", "n_strides": 3}}],
            "feet": ["left", "right"], "subject": "J"}
    (tmp_path / "s.json").write_text(json.dumps(spec))
    code, _, err = run_cli("simulate", tmp_path / "s.json", "-o", tmp_path / "a.rgt", "--seed", "2")
    assert code == 0, err
    truth = read_truth(tmp_path / "a.rgt")
    assert (truth.strides.direction == "backward").sum() == 16 and truth.info["feet"] == ["left", "right"]
    code, _, err = run_cli("simulate", tmp_path / "a.truth.json", "-o", tmp_path / "b.rgt")  # its seed
    assert code == 0, err
    assert (tmp_path / "a.rgt").read_bytes() == (tmp_path / "b.rgt").read_bytes()
    (tmp_path / "bad.json").write_text('{"segments": [{"walk": {"speed": "fast"}}]}')
    code, _, err = run_cli("simulate", tmp_path / "bad.json", "-o", tmp_path / "c.rgt")
    assert code == 3 and "bad.json" in err and "Traceback" not in err
