"""The simulator is physically self-consistent and walks like people do (forward vs backward)."""

from __future__ import annotations

import numpy as np
import pytest

from retrogait.io.recording import GRAVITY
from retrogait.simulator import (
    Environment,
    Scenario,
    SideStep,
    Stand,
    Turn,
    Walk,
    ideal_sensor,
    parse_mount,
    preset,
    simulate,
)
from retrogait.simulator.check import stride_errors

ODD_MOUNT = parse_mount("euler:xyz:30,-50,120")

CASES = {
    "forward": ([Stand(1), Walk("forward", n_strides=5), Stand(1)], Environment()),
    "backward": ([Stand(1), Walk("backward", n_strides=5), Stand(1)], Environment()),
    "treadmill-backward-15pct": ([Stand(1), Walk("backward", n_strides=5)], Environment(True, 15.0)),
    "treadmill-forward-minus10pct": ([Stand(1), Walk("forward", n_strides=5)], Environment(True, -10.0)),
    "turns": ([Stand(1), Walk("forward", n_strides=5, turn_deg=90), Turn(-180), SideStep("left", 3),
               Walk("backward", n_strides=4, turn_deg=45)], Environment()),
}

# measured worst per-stride errors over many scenarios (benchmarks/validate_simulator.py, odd mounting):
# 100 Hz <= 20 mm / 0.044 deg; 200 Hz <= 4.9 mm / 0.006 deg; 1000 Hz <= 0.19 mm / 0.0001 deg (the sharp
# toe-off and contact transients limit low rates, as in real recordings).
TOLERANCE = {100: (0.03, 0.07), 200: (0.007, 0.01), 1000: (0.0003, 0.0005)}


@pytest.mark.parametrize("rate", sorted(TOLERANCE))
@pytest.mark.parametrize("case", sorted(CASES))
def test_integrating_signals_recovers_trajectory(case, rate):
    segs, env = CASES[case]
    sc = Scenario(segments=segs, environment=env, sensor=ideal_sensor(rate, mount=ODD_MOUNT))
    res = simulate(sc, seed=3)
    pos_err, ang_err = stride_errors(res, "left")
    assert len(pos_err) >= 5
    pos_tol, ang_tol = TOLERANCE[rate]
    assert pos_err.max() < pos_tol, f"{case} @ {rate} Hz: position error {pos_err.max() * 1000:.2f} mm"
    assert ang_err.max() < ang_tol, f"{case} @ {rate} Hz: orientation error {ang_err.max():.4f} deg"


def test_errors_shrink_with_rate():
    errs = []
    for rate in (100, 400):
        sc = Scenario(segments=CASES["forward"][0], sensor=ideal_sensor(rate))
        errs.append(stride_errors(simulate(sc, seed=1), "left")[0].max())
    assert errs[1] < errs[0] / 8  # at least second order


def _stance_mask(res, foot="left", margin=0.02):
    t = res.trajectory[foot].t
    s = res.truth.strides.of_foot(foot)
    moving = np.zeros(t.shape, dtype=bool)
    for a, b in zip(s.t_ho, s.t_ff):
        moving |= (t >= a - margin) & (t <= b + margin)
    return ~moving


def test_stance_is_still_and_reads_gravity():
    sc = Scenario(segments=[Stand(2), Walk("backward", n_strides=6), Stand(1)],
                  environment=Environment(True, 8.0), sensor=ideal_sensor(200, mount=ODD_MOUNT))
    res = simulate(sc, seed=2)
    st = res.recording.streams[0]
    still = _stance_mask(res)
    assert still.sum() > 0.3 * still.size
    np.testing.assert_allclose(np.linalg.norm(st.acc[still], axis=1), GRAVITY, atol=1e-9)
    np.testing.assert_allclose(st.gyr[still], 0.0, atol=1e-12)
    np.testing.assert_allclose(res.trajectory["left"].vel[still], 0.0, atol=1e-12)
    # and the foot really moves in between
    assert np.abs(st.gyr[~still]).max() > 3.0


def test_grade_shows_in_gravity_direction_during_stance():
    grade = 10.0
    for direction, sign in (("forward", 1.0), ("backward", -1.0)):
        sc = Scenario(segments=[Stand(1), Walk(direction, n_strides=8)], environment=Environment(True, grade),
                      sensor=ideal_sensor(100, mount=ODD_MOUNT))
        res = simulate(sc, seed=5)
        st = res.recording.streams[0]
        f_foot = st.acc @ ODD_MOUNT.T  # v_foot = mount @ v_sensor
        s = res.truth.strides
        mid = np.searchsorted(st.t, s.t_end[s.steady])
        slope = f_foot[mid, 0] / np.hypot(f_foot[mid, 1], f_foot[mid, 2])  # tan(pitch), toe up +
        np.testing.assert_allclose(slope, np.tan(s.pitch_ff[s.steady]), atol=1e-9)
        # forward walkers stand toe-up on the incline, backward walkers (facing downhill) toe-down;
        # the 5 deg toe-out and yaw scatter make it slightly less than the full slope
        assert np.all(sign * slope > 0.95 * grade / 100) and np.all(sign * slope < grade / 100 + 1e-9)
        assert np.all(s.grade_pct == grade)


def test_backward_is_not_mirrored_forward():
    res = {}
    for d in ("forward", "backward"):
        sc = Scenario(segments=[Stand(1), Walk(d, n_strides=10), Stand(1)], sensor=ideal_sensor(200, mount=ODD_MOUNT))
        res[d] = simulate(sc, seed=6)
    fw, bw = res["forward"].truth.strides, res["backward"].truth.strides
    assert np.all(fw.pitch_ic > np.deg2rad(10)) and np.all(fw.pitch_tc < np.deg2rad(-25))  # heel strike, toe off
    assert np.all(bw.pitch_ic < np.deg2rad(-10)) and np.all(bw.pitch_tc > np.deg2rad(8))  # toe lands, heel leaves last
    for d, sign in (("forward", -1.0), ("backward", 1.0)):
        r = res[d]
        st, s = r.recording.streams[0], r.truth.strides
        gyr_foot = st.gyr @ ODD_MOUNT.T
        dt = 1.0 / st.nominal_rate
        for a, b in zip(s.t_tc, s.t_ic):
            sel = (st.t >= a) & (st.t <= b)
            # pitch (toe up) = minus the rotation about the foot's y axis
            assert sign * gyr_foot[sel, 1].sum() * dt > np.deg2rad(25)
    # displacement along the foot's own axis: forward +x, backward -x
    for d, sign in (("forward", 1.0), ("backward", -1.0)):
        r = res[d]
        s = r.truth.strides
        quat = r.trajectory["left"].rotation
        idx = np.searchsorted(r.trajectory["left"].t, s.t_start)
        x_axis = (quat[idx].as_matrix() @ ODD_MOUNT.T)[:, :, 0]  # foot x in world
        cosang = (s.stride_vector * x_axis[:, :2]).sum(1) / s.stride_length / np.linalg.norm(x_axis[:, :2], axis=1)
        assert np.all(sign * cosang > 0.9)
    # shorter strides and a different cadence at the default speeds
    assert bw.stride_length[bw.steady].mean() < 0.8 * fw.stride_length[fw.steady].mean()
    assert abs(res["backward"].truth.totals["cadence_steps_per_min"] - res["forward"].truth.totals["cadence_steps_per_min"]) > 3


def test_sideways_and_turn_in_place():
    sc = Scenario(segments=[Stand(1), SideStep("left", 5), Turn(180, n_strides=2), SideStep("right", 5)],
                  sensor=ideal_sensor(100))
    res = simulate(sc, seed=1)
    s = res.truth.strides
    traj = res.trajectory["left"]
    idx = np.searchsorted(traj.t, s.t_start)
    x_axis = traj.rotation[idx].as_matrix()[:, :, 0]
    lateral = (s.stride_vector[:, 0] * -x_axis[:, 1] + s.stride_vector[:, 1] * x_axis[:, 0]) / s.stride_length.clip(1e-9)
    left, right, turn = (s.direction == "sideways_left"), (s.direction == "sideways_right"), s.direction == "in_place"
    assert left.sum() == 5 and right.sum() == 5 and turn.sum() == 2
    assert np.all(lateral[left] > 0.9) and np.all(lateral[right] < -0.9)  # along the foot's +y / -y
    assert abs(np.degrees(s.turn_angle[turn].sum()) - 180) < 10
    assert np.all(s.stride_length[turn] < 0.25)


def test_feet_never_go_through_the_ground():
    for name in ("forward-overground", "backward-overground", "turns", "sideways"):
        sc = preset(name, rate=200, noise=0)
        res = simulate(sc, seed=2)
        tr = res.trajectory["left"]
        foot_rot = tr.rotation.as_matrix() @ np.eye(3)  # mount identity
        heel = tr.pos - foot_rot @ np.array(sc.person.r_sensor)
        toe = heel + foot_rot @ np.array([sc.person.ball, 0.0, 0.0])
        assert heel[:, 2].min() > -1e-3 and toe[:, 2].min() > -1e-3, name


def test_two_feet_alternate_with_half_cycle_offset():
    res = simulate(preset("two-feet", duration=60, noise=0), seed=4)
    s = res.truth.strides
    left, right = s.of_foot("left"), s.of_foot("right")
    assert len(left) > 10 and len(right) > 10
    lic = left.t_ic[left.steady & (left.direction == "forward")]
    ric = right.t_ic[right.steady & (right.direction == "forward")]
    t_stride = np.median(np.diff(lic))
    phase = ((ric[:, None] - lic[None, :]) / t_stride) % 1.0
    nearest = phase[np.arange(len(ric)), np.abs(ric[:, None] - lic[None, :]).argmin(axis=1)]
    assert np.all(np.abs(nearest - 0.5) < 0.1)
    # feet walk side by side about a step width apart
    y_l = res.trajectory["left"].pos[:, 1].mean()
    y_r = res.trajectory["right"].pos[:, 1].mean()
    assert 0.05 < y_l - y_r < 0.2


def test_optional_impact_bounce_is_consistent_and_peaks_at_contact():
    from retrogait.simulator import Person

    sc = Scenario(segments=[Stand(1), Walk("forward", n_strides=5), Stand(1)], person=Person(impact_mm=0.5),
                  sensor=ideal_sensor(1000))
    res = simulate(sc, seed=3)
    pos_err, ang_err = stride_errors(res, "left")
    assert pos_err.max() < 0.0005 and ang_err.max() < 0.001
    plain = simulate(Scenario(segments=sc.segments, sensor=ideal_sensor(1000)), seed=3)
    st, st0 = res.recording.streams[0], plain.recording.streams[0]
    s = res.truth.strides
    for t_ic, t_ff in zip(s.t_ic[1:], s.t_ff[1:]):
        win = (st.t >= t_ic - 0.01) & (st.t <= t_ic + 0.06)
        extra = np.linalg.norm(st.acc[win] - st0.acc[win], axis=1).max()
        assert extra > 10.0  # about 2.5 g of impact on top of the rigid-foot landing
        after = (st.t > t_ic + 0.08) & (st.t < t_ff)
        np.testing.assert_allclose(st.acc[after], st0.acc[after], atol=1e-9)


def test_random_scenarios_are_physically_sane():
    """Random mixes of bouts, stands, turns, rates, mounts: finite signals, ordered events, feet above
    level ground, clearance > 1 cm."""
    from retrogait.simulator import SensorSpec

    rng = np.random.default_rng(0)
    directions = ["forward", "backward", "sideways_left", "sideways_right"]
    for trial in range(12):
        segs = []
        for _ in range(rng.integers(1, 5)):
            kind = rng.choice(["walk", "stand", "turn"], p=[0.6, 0.2, 0.2])
            if kind == "walk":
                segs.append(Walk(str(rng.choice(directions)), n_strides=int(rng.integers(1, 6)),
                                 speed=float(rng.uniform(0.3, 1.6)), turn_deg=float(rng.uniform(-90, 90))))
            elif kind == "stand":
                segs.append(Stand(float(rng.uniform(0, 2))))
            else:
                segs.append(Turn(float(rng.uniform(-360, 360))))
        mount = parse_mount("random", rng_seed=trial)
        sc = Scenario(segments=segs, sensor=SensorSpec(rate=float(rng.choice([50, 100, 1000])), mount=mount),
                      feet=("left", "right"))
        res = simulate(sc, seed=trial)
        s = res.truth.strides
        for st in res.recording.streams:
            assert np.all(np.isfinite(st.acc)) and np.all(np.isfinite(st.gyr)) and np.all(np.diff(st.t) > 0)
        assert np.all((s.t_start < s.t_ho) & (s.t_ho < s.t_tc) & (s.t_tc < s.t_ic) & (s.t_ic < s.t_ff)
                      & (s.t_ff <= s.t_end + 1e-9))
        assert np.all(s.clearance > 0.01)
        for tr in res.trajectory.values():
            foot_rot = tr.rotation.as_matrix() @ mount.T
            heel = tr.pos - foot_rot @ np.array(sc.person.r_sensor)
            toe = heel + foot_rot @ np.array([sc.person.ball, 0.0, 0.0])
            assert min(heel[:, 2].min(), toe[:, 2].min()) > -1e-3
