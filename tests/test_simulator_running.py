"""Running, rolling-stance fast walking: physics, exact truth, strike patterns, flight phase."""

from __future__ import annotations

import json

import numpy as np
import pytest

from retrogait.simulator import Scenario, SensorSpec, Stand, Walk, ideal_sensor, parse_mount, read_truth, simulate
from retrogait.simulator.check import stride_errors
from retrogait.simulator.running import contact_time
from retrogait.simulator.scenario_io import scenario_from_dict, scenario_to_dict
from retrogait.simulator.truth import write_truth

ODD_MOUNT = parse_mount("euler:xyz:30,-50,120")


def _run(direction="forward", speed=3.0, strike=None, rate=500.0, n=6, seed=3, feet=("left",), **kw):
    sc = Scenario([Stand(1), Walk(direction, n_strides=n, speed=speed, gait="run", strike=strike, **kw), Stand(1)],
                  sensor=ideal_sensor(rate, mount=ODD_MOUNT), feet=feet)
    return simulate(sc, seed=seed)


@pytest.mark.parametrize("direction,speed,strike", [("forward", 3.0, "rearfoot"), ("forward", 5.0, "midfoot"),
                                                    ("backward", 2.2, None)])
def test_running_signals_integrate_to_the_truth(direction, speed, strike):
    res = _run(direction, speed, strike, rate=1000.0)
    pos_err, ang_err = stride_errors(res, "left")
    assert pos_err.max() < 0.0006 and ang_err.max() < 0.002
    # the stride vector is the sensor's displacement between the two mid-stance instants
    s, tr = res.truth.strides, res.trajectory["left"]
    i0, i1 = (np.searchsorted(tr.t, x) for x in (s.t_start, s.t_end))
    np.testing.assert_allclose(s.stride_vector, (tr.pos[i1] - tr.pos[i0])[:, :2], atol=2e-4)


@pytest.mark.parametrize("direction,speed", [("forward", 2.0), ("forward", 3.0), ("forward", 5.0),
                                             ("backward", 2.2), ("backward", 3.0)])
def test_running_has_a_flight_phase_and_realistic_timing(direction, speed):
    s = _run(direction, speed, rate=200.0, n=8, feet=("left", "right")).truth.strides
    st = s.select(s.steady)
    assert set(s.gait) == {"run"}
    assert np.all(st.duty_factor < 0.4) and np.all(st.duty_factor > 0.2)
    assert np.all(st.flight_time > 0.05)  # both feet off the ground after every take-off
    assert np.nanmean(st.contact_time) == pytest.approx(contact_time(direction, speed), rel=0.1)
    cadence = 120.0 / st.stride_time.mean()
    assert 145 < cadence < 205
    assert np.all(st.contact_time < st.swing_time)


@pytest.mark.parametrize("strike,lo,hi", [("rearfoot", 8, 25), ("midfoot", -1.6, 8.5), ("forefoot", -20, -5)])
def test_strike_patterns_land_at_their_sole_angles(strike, lo, hi):
    s = _run("forward", 3.0, strike, rate=200.0).truth.strides
    assert set(s.strike) == {strike}
    assert np.all((np.degrees(s.pitch_ic) > lo) & (np.degrees(s.pitch_ic) < hi))
    assert np.all(s.pitch_tc < 0)  # toe-off forward


@pytest.mark.parametrize("speed,strike,max_ratio", [(2.0, None, 0.15), (2.2, None, 0.15), (3.0, None, 0.2),
                                                     (3.0, "forefoot", 0.2)])
def test_running_stance_has_a_quiet_nearly_flat_moment(speed, strike, max_ratio):
    """As in real running recordings (PyShoe jogs, 1.6-2.2 m/s: E = 0.1-s mean |gyro| 0.4-1.3 rad/s at
    its stance minimum, 0.05-0.14 of the swing peak, sole within ~10 deg of standing): the quietest moment
    of every stride is inside the contact, nearly flat; the quiet moment gets shorter and less quiet at
    speed."""
    from retrogait.simulator.check import quiet_stances

    sc = Scenario([Stand(2), Walk("forward", n_strides=10, speed=speed, gait="run", strike=strike), Stand(2)],
                  sensor=SensorSpec(rate=200))
    res = simulate(sc, seed=2, trajectory=False)
    st, s = res.recording.streams[0], res.truth.strides
    q = quiet_stances(st.t, st.acc, st.gyr, st.acc[:200].mean(axis=0))
    assert len(q["t_min"]) >= 7
    assert np.all(q["tilt_deg"] < 10) and np.all(q["ratio"] < max_ratio)
    # each quiet moment lies between a landing and the take-off that follows it (the truth's contact)
    for t in q["t_min"]:
        i = np.searchsorted(s.t_ic, t) - 1
        assert i >= 0 and s.t_ic[i] < t < s.t_ic[i] + s.contact_time[i]
    assert np.all(np.abs(s.mid_stance_rate[s.steady] - 0.2) < 0.06)  # the default residual roll
    assert np.all(q["swing_pause"] > 0.15)  # the swing's pitch turns are not mistaken for a stance


def test_backward_running_is_toe_first_heel_last():
    s = _run("backward", 2.2, rate=200.0).truth.strides
    assert set(s.strike) == {"forefoot"}
    assert np.all(s.pitch_ic < np.radians(-5)) and np.all(s.pitch_tc > np.radians(5))


def test_impacts_swing_rates_and_saturation():
    rear = _run("forward", 3.0, "rearfoot", rate=1000.0, n=8)
    fore = _run("forward", 3.0, "forefoot", rate=1000.0, n=8)
    ri, fi = rear.truth.strides.peak_impact_g, fore.truth.strides.peak_impact_g
    st = rear.truth.strides.steady
    assert np.all((ri[st] > 5) & (ri[st] < 16)) and ri[st].mean() > fi[st].mean() > 3
    gyr = np.linalg.norm(rear.trajectory["left"].gyr, axis=1)
    assert 8 < gyr.max() < 16  # the real PyShoe jogs (1.6-2.2 m/s): 12-14 rad/s, 99th percentile 9-11
    # impacts are short: above 3 g for a few ms to ~20 ms after each landing
    tr, s = rear.trajectory["left"], rear.truth.strides
    acc_g = np.linalg.norm(tr.acc, axis=1) / 9.80665
    for t_ic in s.t_ic[st]:
        win = (tr.t > t_ic - 0.01) & (tr.t < t_ic + 0.03)
        assert 0.002 < np.count_nonzero(acc_g[win] > 0.5 * acc_g[win].max()) / 1000.0 < 0.02
    # a narrow range clips the landings, and the truth says which strides
    sc = Scenario([Stand(1), Walk("forward", n_strides=6, speed=4.0, gait="run"), Stand(1)],
                  sensor=SensorSpec(rate=400.0, noise=0.0, quantize=False, acc_range=6 * 9.80665))
    res = simulate(sc, seed=1, trajectory=False)
    sat = res.truth.strides.saturated
    assert sat.any() and res.truth.info["saturated"]["left"]["acc"] > 0
    assert not simulate(Scenario([Stand(1), Walk(n_strides=4), Stand(1)]), seed=1).truth.strides.saturated.any()
    # harder landings (Walk impact multiplier) clip the default +-16 g range
    hard = simulate(Scenario([Stand(1), Walk("forward", n_strides=8, speed=3.5, gait="run", impact=3.0), Stand(1)],
                             sensor=SensorSpec(rate=400)), seed=1, trajectory=False).truth.strides
    assert hard.saturated.mean() > 0.5 and np.median(hard.peak_impact_g) > 16


def test_rolling_stance_never_rests_and_keeps_exact_truth():
    sc = Scenario([Stand(1), Walk("forward", n_strides=8, speed=1.65, cadence=132, stance_roll=0.2), Stand(1)],
                  sensor=ideal_sensor(100, mount=ODD_MOUNT))
    res = simulate(sc, seed=2)
    s, tr = res.truth.strides, res.trajectory["left"]
    assert set(s.gait) == {"walk"} and 1.4 < s.stride_length[s.steady].mean() < 1.6
    gyr = np.linalg.norm(tr.gyr, axis=1)
    for a, b in zip(s.t_ff[:-1], s.t_ho[1:]):  # every flat phase between two strides of the bout
        win = (tr.t >= a) & (tr.t <= b)
        assert gyr[win].min() > 0.1
    rate = s.mid_stance_rate[:-1]
    assert np.all((rate > 0.15) & (rate < 0.25)) and s.mid_stance_rate[-1] == 0.0  # the last stance rests
    pos_err, _ = stride_errors(res, "left")
    assert pos_err.max() < 0.02  # as walking at 100 Hz
    hi = simulate(Scenario(sc.segments, sensor=ideal_sensor(1000, mount=ODD_MOUNT)), seed=2)
    assert stride_errors(hi, "left")[0].max() < 0.0005
    np.testing.assert_allclose(hi.truth.strides.stride_vector, s.stride_vector, atol=1e-12)  # rate-free


def test_walk_run_transitions_and_defaults():
    sc = Scenario([Stand(1), Walk(n_strides=4), Walk(n_strides=6, speed=3.0, gait="run"), Walk(n_strides=4),
                   Stand(1)], sensor=ideal_sensor(1000, mount=ODD_MOUNT), feet=("left", "right"))
    res = simulate(sc, seed=5)
    s = res.truth.strides
    g = list(s.of_foot("left").gait)
    assert [x for i, x in enumerate(g) if i == 0 or g[i - 1] != x] == ["walk", "run", "walk"]
    for foot in ("left", "right"):
        assert stride_errors(res, foot)[0].max() < 0.0006
    walk = s.select((s.gait == "walk") & s.steady)
    assert np.all(walk.duty_factor > 0.55) and np.all(walk.flight_time == 0) and np.all(walk.mid_stance_rate == 0)
    assert set(walk.strike) == {"rearfoot"}


def test_running_is_deterministic_and_round_trips(tmp_path):
    sc = Scenario([Stand(1), Walk("backward", n_strides=5, gait="run", stance_roll=0.5), Stand(1)])
    a, b = simulate(sc, seed=9, trajectory=False), simulate(sc, seed=9, trajectory=False)
    assert a.recording.streams[0].acc.tobytes() == b.recording.streams[0].acc.tobytes()
    back = scenario_from_dict(scenario_to_dict(sc))
    assert back.segments[1].gait == "run" and back.segments[1].stance_roll == 0.5
    c = simulate(back, seed=9, trajectory=False)
    assert c.recording.streams[0].gyr.tobytes() == a.recording.streams[0].gyr.tobytes()
    write_truth(tmp_path / "r.rgt", a.truth)
    t = read_truth(tmp_path / "r.rgt")
    assert list(t.strides.gait) == list(a.truth.strides.gait)
    np.testing.assert_array_equal(np.isnan(t.strides.contact_time), np.isnan(a.truth.strides.contact_time))


def test_old_truth_files_read_with_gait_defaults(tmp_path):
    import json

    res = simulate(Scenario([Stand(1), Walk("backward", n_strides=3), Stand(1)]), seed=1, trajectory=False)
    p = write_truth(tmp_path / "old.rgt", res.truth)
    d = json.loads(p.read_text())
    for row in d["strides"]:
        for k in ("gait", "strike", "contact_time", "duty_factor", "flight_time", "peak_impact_g",
                  "mid_stance_rate", "saturated"):
            del row[k]
    p.write_text(json.dumps(d))
    t = read_truth(p)
    assert set(t.strides.gait) == {"walk"} and set(t.strides.strike) == {"forefoot"}
    assert np.all(np.isnan(t.strides.contact_time)) and not t.strides.saturated.any()


@pytest.mark.parametrize("kw,needle", [
    (dict(direction="sideways_left", gait="run"), "forward or backward"),
    (dict(gait="jog"), "gait must be"),
    (dict(strike="rearfoot"), "running bouts"),
    (dict(direction="backward", gait="run", strike="rearfoot"), "forefoot"),
    (dict(stance_roll=-0.1), "stance_roll"),
])
def test_bad_running_settings_are_one_line_errors(kw, needle):
    with pytest.raises(ValueError, match=needle) as exc:
        Walk(**kw)
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize("name,gaits,direction", [("running", {"run"}, "forward"),
                                                  ("backward-running", {"run"}, "backward"),
                                                  ("walk-run", {"walk", "run"}, "forward"),
                                                  ("fast-walking", {"walk"}, "forward")])
def test_running_presets(name, gaits, direction):
    from retrogait.simulator import preset

    res = simulate(preset(name, duration=70, rate=100), seed=1, trajectory=False)
    s = res.truth.strides
    assert set(s.gait) == gaits and set(s.direction) == {direction}
    if name == "fast-walking":
        assert np.all(s.mid_stance_rate[s.steady] > 0.15) and 1.4 < s.stride_length[s.steady].mean() < 1.6
    if name == "backward-running":
        assert res.recording.tags["condition"] == "treadmill" and res.recording.tags["belt_speed_m_s"] == 2.2
    fast = simulate(preset("running", duration=20, speed=4.5), seed=1, trajectory=False).truth.strides
    assert fast.speed[fast.steady].mean() == pytest.approx(4.5, rel=0.05)


def test_simulate_command_running_and_packet_loss(tmp_path, run_cli):
    out = tmp_path / "fw.rgt"
    code, stdout, err = run_cli("simulate", "fast-walking", "-o", out, "--duration", "20s", "--packet-loss", "0.07",
                                "--json")
    assert code == 0, err
    assert json.loads(stdout)["gaps"]["left"] > 5
    code, stdout, err = run_cli("simulate", "running", "-o", tmp_path / "r.rgt", "--speed", "4", "--duration", "15s")
    assert code == 0 and "running" in stdout, err
    code, _, err = run_cli("simulate", "running", "-o", tmp_path / "r.rgt", "--speed", "7")
    assert code == 2 and "0.05 to 6 m/s" in err
    code, _, err = run_cli("simulate", "running", "-o", tmp_path / "r.rgt", "--packet-loss", "0.9")
    assert code == 2 and "--packet-loss" in err


def test_random_running_sessions_are_physically_sane():
    """Random mixes of running / rolling / plain walking bouts, turns, stands, treadmill grades, rates,
    mounts: finite signals, ordered events, feet never below the ground, exact integration at 1 kHz."""
    from retrogait.simulator import Environment, Turn

    rng = np.random.default_rng(7)
    for trial in range(4):
        segs: list = [Stand(0.5)]
        for _ in range(int(rng.integers(2, 5))):
            kind = rng.choice(["run", "roll", "walk", "stand", "turn"], p=[0.35, 0.2, 0.2, 0.15, 0.1])
            direction = str(rng.choice(["forward", "backward"]))
            if kind == "run":
                segs.append(Walk(direction, n_strides=int(rng.integers(1, 5)), gait="run",
                                 speed=float(rng.uniform(2.0, 5.0) if direction == "forward" else rng.uniform(1.8, 3.0)),
                                 strike=str(rng.choice(["rearfoot", "midfoot", "forefoot"]))
                                 if direction == "forward" else None, turn_deg=float(rng.uniform(-60, 60))))
            elif kind == "roll":
                segs.append(Walk(direction, n_strides=int(rng.integers(1, 5)), stance_roll=float(rng.uniform(0.1, 0.4)),
                                 speed=float(rng.uniform(0.5, 1.8)), turn_deg=float(rng.uniform(-60, 60))))
            elif kind == "walk":
                segs.append(Walk(direction, n_strides=int(rng.integers(1, 4))))
            elif kind == "stand":
                segs.append(Stand(float(rng.uniform(0, 1))))
            else:
                segs.append(Turn(float(rng.uniform(-180, 180))))
        mount = parse_mount("random", rng_seed=trial)
        env = Environment(treadmill=True, grade_pct=float(rng.uniform(-10, 15))) if trial % 2 else Environment()
        sc = Scenario(segments=segs, environment=env, sensor=ideal_sensor(1000, mount=mount), feet=("left", "right"))
        res = simulate(sc, seed=trial)
        s = res.truth.strides
        for stream in res.recording.streams:
            assert np.all(np.isfinite(stream.acc)) and np.all(np.isfinite(stream.gyr))
        assert np.all((s.t_start < s.t_ho) & (s.t_ho < s.t_tc) & (s.t_tc < s.t_ic) & (s.t_ic < s.t_ff)
                      & (s.t_ff <= s.t_end + 1e-9))
        assert np.all(s.clearance > 0.01)
        for foot, tr in res.trajectory.items():
            assert stride_errors(res, foot)[0].max() < 0.001
            if not env.grade_pct:
                foot_rot = tr.rotation.as_matrix() @ mount.T
                heel = tr.pos - foot_rot @ np.array(sc.person.r_sensor)
                toe = heel + foot_rot @ np.array([sc.person.ball, 0.0, 0.0])
                assert min(heel[:, 2].min(), toe[:, 2].min()) > -1e-3
