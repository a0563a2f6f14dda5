"""``simulate(scenario, seed)``: plan the footsteps, move each foot, derive the IMU signals, add errors,
and collect the recording and its ground truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from retrogait._version import __version__
from retrogait.io.recording import GRAVITY, TAG_BELT_SPEED, TAG_CONDITION, TAG_INCLINE, TAG_NOTES, Recording, Stream
from retrogait.simulator.footmodel import (
    IMPACT_LEAD,
    FootGeometry,
    Kinematics,
    StridePlan,
    relative_turn,
    rolling_flat,
    stride_motion,
)
from retrogait.simulator.footsteps import FootState, StrideRecord, plan_session, resolve_speed
from retrogait.simulator.imu import apply_errors, ideal_signals, unit_name
from retrogait.simulator.scenario import Scenario, Walk
from retrogait.simulator.scenario_io import scenario_to_dict
from retrogait.simulator.truth import COLUMNS, StrideTruth, Truth, session_totals

BLOCK = 200_000  # samples evaluated at once (bounds memory at high rates)
CLEARANCE_GRID = 64  # evaluation points per swing for the clearance truth
RUN_TURN = (2.0, 3.5)  # running: curvature factors at the heel-kick and late-swing pitch extremes
IMPACT_WINDOW = (-0.005, 0.040)  # s around the truth's t_ic where the peak impact is looked for
IMPACT_STEP = 0.001  # s, its evaluation grid (continuous-time truth, independent of the sample rate; the
# peak is refined by a parabola through the largest grid value and its neighbours)


@dataclass
class Trajectory:
    """Exact motion of one foot's sensor at every sample time (before dropouts), world/belt frame.

    ``quat``: world <- sensor orientation (scipy order x, y, z, w); ``acc``/``gyr``: the noise-free
    sensor signals (sensor frame).
    """

    t: np.ndarray
    pos: np.ndarray
    vel: np.ndarray
    quat: np.ndarray
    acc: np.ndarray
    gyr: np.ndarray

    @property
    def rotation(self) -> Rotation:
        return Rotation.from_quat(self.quat)


@dataclass
class SimResult:
    """What :func:`simulate` returns: the recording, its truth, and the exact per-sample trajectory
    (``trajectory[foot]``, not stored in the sidecar)."""

    recording: Recording
    truth: Truth
    trajectory: dict[str, Trajectory] = field(default_factory=dict)
    packets: dict[str, np.ndarray] = field(default_factory=dict)
    """Per foot, the packet counter of every recorded sample (uint8 / uint16, wrapping) when the sensor
    sends one (``SensorSpec.packet_counter`` or ``packet_loss``); empty otherwise."""


def build_plan(records: list[StrideRecord], geom: FootGeometry) -> StridePlan:
    """Stride arrays for one foot's stride records (in time order)."""
    ev = np.array([r.events for r in records], dtype=float)  # t_ho, t_tc, t_ic, t_ff
    pitch = np.array([r.pitch for r in records], dtype=float)  # tc, ext1, ext2, ic
    t_ho, t_tc, t_ic, t_ff = ev.T
    sw = t_ic - t_tc
    frac = np.array([r.swing_knots for r in records], dtype=float)  # (0.15, 0.88) walking
    knots = np.column_stack([t_ho, t_tc, t_tc + frac[:, 0] * sw, t_tc + frac[:, 1] * sw, t_ic, t_ff])
    zeros = np.zeros(len(records))
    values = np.column_stack([zeros, pitch[:, 0], pitch[:, 1], pitch[:, 2], pitch[:, 3], zeros])
    # knot slopes and curvatures: zero at the ends (flat foot); at the two swing extremes those of the
    # parabola through the neighbouring knots (a natural turn-around, no flat spot); at initial contact
    # the harmonic mean of the neighbouring secants (monotone loading roll, Fritsch-Carlson style); at
    # terminal contact 2.2x the mean rate of the pre-swing roll (the roll accelerates toward toe-off; up
    # to 2.5x keeps the quintic monotone)
    h = np.diff(knots, axis=1)
    sec = np.diff(values, axis=1) / h
    slopes = np.zeros_like(values)
    curv = np.zeros_like(values)
    for i in (2, 3):
        hl, hr, sl, sr = h[:, i - 1], h[:, i], sec[:, i - 1], sec[:, i]
        slopes[:, i] = (sl * hr + sr * hl) / (hl + hr)
        curv[:, i] = 2.0 * (sr - sl) / (hl + hr)
    sl, sr = sec[:, 3], sec[:, 4]
    with np.errstate(divide="ignore", invalid="ignore"):
        slopes[:, 4] = np.where(sl * sr > 0, 2.0 * sl * sr / (sl + sr), 0.0)
    slopes[:, 1] = 2.2 * pitch[:, 0] / (knots[:, 1] - knots[:, 0])
    run = np.array([r.gait == "run" for r in records])
    if run.any():
        # running: the push-off roll accelerates into the heel kick without overshooting the swing's
        # rate (at most the secant to the kick); the late-swing extreme sits exactly at its knot (~35 ms
        # before the first touch at a jog), where the foot turns sharply and is lowered at once, as in
        # real heel strikes
        pre, post = pitch[:, 0] / (knots[:, 1] - knots[:, 0]), sec[:, 1]
        end = np.where(pre * post > 0, np.sign(pre) * np.minimum(2.0 * np.abs(pre), np.abs(post)), 2.0 * pre)
        slopes[:, 1] = np.where(run, end, slopes[:, 1])
        # (forefoot landings without a late-swing turn, the sole still rotating toe-up toward flat at
        # the touch: the monotone slope of the walking model)
        turn = run & ((values[:, 3] - values[:, 2]) * (values[:, 4] - values[:, 3]) < 0)
        slopes[:, 3] = np.where(turn, 0.0, slopes[:, 3])
        # sharper turns at the two swing extremes (the real foot keeps its swing rate until shortly
        # before each turn: the 0.1-s mean rotation rate never falls below ~0.3 of its swing peak)
        curv[:, 2] = np.where(run, RUN_TURN[0] * curv[:, 2], curv[:, 2])
        curv[:, 3] = np.where(turn, RUN_TURN[1] * curv[:, 3], curv[:, 3])
    rflat_a = np.array([r.rflat_a for r in records])
    rflat_b = np.array([r.rflat_b for r in records])
    heel_a = np.array([r.heel_a for r in records])
    heel_b = np.array([r.heel_b for r in records])
    axis, angle = relative_turn(rflat_a, rflat_b)
    r_tc, r_ic = geom.contact_point(pitch[:, 0]), geom.contact_point(pitch[:, 3])
    return StridePlan(
        pitch_t=knots, pitch_y=values, pitch_dy=slopes, pitch_ddy=curv, rflat_a=rflat_a, turn_axis=axis,
        turn_angle=angle,
        c_tc=heel_a + np.einsum("kij,kj->ki", rflat_a, r_tc),
        c_ic=heel_b + np.einsum("kij,kj->ki", rflat_b, r_ic),
        r_tc=r_tc, r_ic=r_ic,
        lift=np.array([r.clearance for r in records], dtype=float),
        lateral=np.array([r.lateral for r in records], dtype=float),
        roll=np.array([r.roll for r in records], dtype=float),
        impact=np.array([r.impact for r in records], dtype=float),
        impact_time=np.minimum(np.array([r.impact_time for r in records], dtype=float),
                               IMPACT_LEAD + 0.6 * (t_ff - t_ic)),
        heel_b=heel_b, rflat_b=rflat_b, **_rolling_stance(records, knots),
    )


def _rolling_stance(records: list[StrideRecord], knots: np.ndarray) -> dict[str, np.ndarray]:
    """Stance-roll profiles (see :class:`~retrogait.simulator.footmodel.StridePlan`) when any stride of
    the foot has a rolling stance; {} otherwise (walking: every stance still, arrays untouched)."""
    w = np.array([r.stance_roll for r in records], dtype=float)
    ev = np.array([r.stance_evert for r in records], dtype=float)
    if not np.any(w) and not np.any(ev):
        return {}
    k_n = len(records)
    bout = np.array([r.bout for r in records])
    roll_t = np.tile(np.arange(4.0), (k_n + 1, 1))  # rows without a profile: zero everywhere
    roll_y = np.zeros((k_n + 1, 4))
    roll_dy = np.zeros((k_n + 1, 4))
    # the stance after stride k's landing rolls when the foot takes off again in the same bout
    k = np.flatnonzero(((w[:-1] != 0.0) | (ev[:-1] != 0.0)) & (bout[:-1] == bout[1:]))
    t0, t1 = knots[k, 4], knots[k, 5]  # landing (model) and foot flat of stride k
    t2, t3 = knots[k + 1, 0], knots[k + 1, 1]  # push-off roll and take-off of stride k + 1
    phi1 = w[k] * (t1 - t0) / 2.0 + ev[k]  # running: the eversion happens while the foot is lowered
    roll_t[k + 1] = np.column_stack([t0, t1, t2, t3])
    roll_y[k + 1] = np.column_stack([np.zeros_like(t0), phi1, phi1 + w[k] * (t2 - t1), np.zeros_like(t0)])
    roll_dy[k + 1, 1] = w[k]
    roll_dy[k + 1, 2] = w[k]
    return {"roll_t": roll_t, "roll_y": roll_y, "roll_dy": roll_dy, "roll_ddy": np.zeros((k_n + 1, 4))}


@dataclass
class SwingTruth:
    """Per-stride truth measured on the exact swing motion."""

    clearance: np.ndarray
    excursion: np.ndarray
    t_off: np.ndarray  # terminal contact: the take-off contact point rises above the sole compression
    t_on: np.ndarray  # initial contact: the landing contact point comes within the sole compression


def _crossing(t: np.ndarray, h: np.ndarray, level: float, first: bool, default: np.ndarray) -> np.ndarray:
    """Per row, the time where ``h`` crosses ``level``: the first upward crossing (``first``) or the last
    downward one, linearly interpolated on the grid; ``default`` where it never crosses."""
    above = h > level
    n = h.shape[1]
    if first:
        i = np.where(above.any(axis=1), above.argmax(axis=1), 0)
        i0, i1 = np.maximum(i - 1, 0), i
    else:
        i = np.where(above.any(axis=1), n - 1 - above[:, ::-1].argmax(axis=1), n - 1)
        i0, i1 = i, np.minimum(i + 1, n - 1)
    rows = np.arange(h.shape[0])
    h0, h1 = h[rows, i0], h[rows, i1]
    frac = np.where(h1 != h0, (level - h0) / np.where(h1 != h0, h1 - h0, 1.0), 0.0)
    out = t[rows, i0] + np.clip(frac, 0.0, 1.0) * (t[rows, i1] - t[rows, i0])
    return np.where(above.any(axis=1), out, default)


def swing_geometry(plan: StridePlan, geom: FootGeometry, s_a: np.ndarray, s_b: np.ndarray,
                   sole: float = 0.0) -> SwingTruth:
    """Sensor-point clearance, maximum lateral excursion and the contact events of every stride (see
    :mod:`retrogait.simulator.truth`), from the exact pose on a fine grid over the swing."""
    k_n = plan.t_tc.shape[0]
    u = np.linspace(0.0, 1.0, CLEARANCE_GRID)
    t = plan.t_tc[:, None] + u * (plan.t_ic - plan.t_tc)[:, None]
    k = np.repeat(np.arange(k_n), CLEARANCE_GRID)
    kin = stride_motion(t.ravel(), k, plan, geom)
    pos = kin.pos.reshape(k_n, CLEARANCE_GRID, 3)
    d = (s_b - s_a)[:, None, :2]
    rel = pos[:, :, :2] - s_a[:, None, :2]
    dd = (d**2).sum(axis=2)
    ok = dd > 1e-12
    lam = np.clip(np.where(ok, (rel * d).sum(axis=2) / np.where(ok, dd, 1.0), 0.0), 0.0, 1.0)
    chord = s_a[:, None, 2] + lam * (s_b - s_a)[:, None, 2]
    cross = np.abs(rel[:, :, 0] * d[:, :, 1] - rel[:, :, 1] * d[:, :, 0]) / np.sqrt(np.where(ok, dd, 1.0))
    lateral = np.where(ok, cross, np.linalg.norm(rel, axis=2))
    out = SwingTruth((pos[:, :, 2] - chord).max(axis=1), lateral.max(axis=1), plan.t_tc.copy(),
                     plan.t_ic.copy())
    if sole > 0.0:
        rot = kin.rot.reshape(k_n, CLEARANCE_GRID, 3, 3)
        rs = np.asarray(geom.r_sensor, dtype=float)
        for r_c, c_w, rflat, attr, first in ((plan.r_tc, plan.c_tc, plan.rflat_a, "t_off", True),
                                             (plan.r_ic, plan.c_ic, plan.rflat_b, "t_on", False)):
            point = pos + np.einsum("kgij,kj->kgi", rot, r_c - rs)
            height = np.einsum("kgi,ki->kg", point - c_w[:, None, :], rflat[:, :, 2])
            setattr(out, attr, _crossing(t, height, sole, first, getattr(out, attr)))
    return out


def calibrate_lift(plan: StridePlan, geom: FootGeometry, target: np.ndarray, s_a, s_b, sole: float
                   ) -> SwingTruth:
    """Adjust the anchor lift so the sensor clearance hits ``target`` (one fixed-point step: clearance
    grows ~1:1 with the lift); returns what was achieved (the truth)."""
    got = swing_geometry(plan, geom, s_a, s_b).clearance
    plan.lift = np.maximum(plan.lift + (target - got), 0.0)
    return swing_geometry(plan, geom, s_a, s_b, sole)


def foot_motion(t: np.ndarray, plan: StridePlan | None, geom: FootGeometry, rest: FootState) -> Kinematics:
    """The foot's exact motion at times ``t``. Samples in flat stance (or before any stride) are at rest
    on their footprint; only samples inside a stride's moving part (``t_ho..t_ff``) are evaluated."""
    n = t.shape[0]
    rs = np.asarray(geom.r_sensor, dtype=float)
    out = Kinematics(np.zeros((n, 3)), np.zeros((n, 3)), np.zeros((n, 3)), np.zeros((n, 3, 3)),
                     np.zeros((n, 3)), np.zeros((n, 3)))
    if plan is None:
        out.rot[:] = rest.rflat
        out.pos[:] = rest.heel + rest.rflat @ rs
        return out
    k = np.searchsorted(plan.t_ho, t, side="right") - 1
    moving = (k >= 0) & (t <= plan.t_ff[np.maximum(k, 0)])
    # at rest: on the initial footprint before the first stride, else on the landing footprint of k
    rflat = np.concatenate([rest.rflat[None], plan.rflat_b])
    heel = np.concatenate([rest.heel[None], plan.heel_b])
    still = np.flatnonzero(~moving)
    if plan.roll_t is not None:  # rolling stance: the flat phase turns about the heel-ball line
        row = k[still] + 1
        part = rolling_flat(t[still], row, plan, heel[row], rflat[row], geom)
        for f in ("pos", "vel", "acc", "rot", "omega", "alpha"):
            getattr(out, f)[still] = getattr(part, f)
    else:
        out.rot[still] = rflat[k[still] + 1]
        out.pos[still] = heel[k[still] + 1] + np.einsum("nij,j->ni", out.rot[still], rs)
    idx = np.flatnonzero(moving)
    for i in range(0, idx.size, BLOCK):
        sel = idx[i : i + BLOCK]
        part = stride_motion(t[sel], k[sel], plan, geom)
        for f in ("pos", "vel", "acc", "rot", "omega", "alpha"):
            getattr(out, f)[sel] = getattr(part, f)
    return out


def _prepare_foot(recs: list[StrideRecord], geom: FootGeometry, rest: FootState, sole: float
                  ) -> tuple[StridePlan, np.ndarray, np.ndarray, SwingTruth]:
    """One foot's stride plan, its sensor positions at the mid-stance instants (``t_start`` / ``t_end``)
    and its swing truth (clearance calibrated; contact events; running: the landing bounce starts at the
    first touch)."""
    plan = build_plan(recs, geom)
    if plan.roll_t is None:  # still stance: the sensor rests on the footprint
        rs = np.asarray(geom.r_sensor)
        s_a = np.array([r.heel_a for r in recs]) + np.einsum("kij,j->ki", np.array([r.rflat_a for r in recs]), rs)
        s_b = np.array([r.heel_b for r in recs]) + np.einsum("kij,j->ki", np.array([r.rflat_b for r in recs]), rs)
    else:  # rolling stance: where the sensor is at the mid-stance instants
        s_a = foot_motion(np.array([r.t_start for r in recs]), plan, geom, rest).pos
        s_b = foot_motion(np.array([r.t_end for r in recs]), plan, geom, rest).pos
    run = np.array([r.gait == "run" for r in recs])
    if not run.any():
        return plan, s_a, s_b, calibrate_lift(plan, geom, plan.lift.copy(), s_a, s_b, sole)
    impact = plan.impact.copy()
    plan.impact = np.where(run, 0.0, impact)  # find the first touch without the bounce
    first = calibrate_lift(plan, geom, plan.lift.copy(), s_a, s_b, sole)
    plan.impact = impact
    plan.impact_lead = np.where(run, np.maximum(plan.t_ic - first.t_on, 0.002), IMPACT_LEAD)
    return plan, s_a, s_b, swing_geometry(plan, geom, s_a, s_b, sole)


def _flight(t_off: np.ndarray, t_on: np.ndarray, other: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Per swing ``[t_off, t_on]``: the time during which the other foot is in its swing too (both feet
    off the ground), s. The other foot's swings are disjoint and in time order."""
    o_off, o_on = other
    out = np.zeros(t_off.shape[0])
    if o_off.size == 0:
        return out
    j0 = np.searchsorted(o_on, t_off, side="right")  # first other swing ending after this take-off
    for d in range(4):  # a swing overlaps at most a few of the other foot's swings
        j = np.minimum(j0 + d, o_off.size - 1)
        ok = (j0 + d) < o_off.size
        out += np.where(ok, np.clip(np.minimum(t_on, o_on[j]) - np.maximum(t_off, o_off[j]), 0.0, None), 0.0)
    return out


def _peak_impact(t_on: np.ndarray, plan: StridePlan, geom: FootGeometry, rest: FootState) -> np.ndarray:
    """Per stride: the largest specific-force magnitude at the sensor, g, from 5 ms before to 40 ms after
    the first touch (exact motion on a 1 ms grid, the peak refined by a parabola through its grid
    neighbours; before the sensor's range and errors)."""
    offs = np.arange(IMPACT_WINDOW[0], IMPACT_WINDOW[1] + 1e-12, IMPACT_STEP)
    tt = (t_on[:, None] + offs).ravel()
    kin = foot_motion(tt, plan, geom, rest)
    f = kin.acc.copy()
    f[:, 2] += GRAVITY
    g = (np.linalg.norm(f, axis=1) / GRAVITY).reshape(t_on.shape[0], offs.size)
    rows = np.arange(g.shape[0])
    i = np.clip(g.argmax(axis=1), 1, offs.size - 2)
    y0, y1, y2 = g[rows, i - 1], g[rows, i], g[rows, i + 1]
    den = y0 - 2.0 * y1 + y2
    vertex = y1 - np.where(den < 0.0, (y2 - y0) ** 2 / (8.0 * np.where(den < 0.0, den, -1.0)), 0.0)
    return np.maximum(g.max(axis=1), vertex)


def _heading(r: np.ndarray) -> np.ndarray:
    return np.arctan2(r[:, 1, 0], r[:, 0, 0])


def _pitch(r: np.ndarray) -> np.ndarray:
    return np.arcsin(np.clip(r[:, 2, 0], -1.0, 1.0))


def _stride_truth(foot: str, recs: list[StrideRecord], plan: StridePlan, geom: FootGeometry,
                  swing: SwingTruth, s_a: np.ndarray, s_b: np.ndarray, rest: FootState,
                  other_swings: tuple[np.ndarray, np.ndarray] | None) -> dict[str, np.ndarray]:
    ev = np.array([r.events for r in recs])
    ev[:, 1], ev[:, 2] = swing.t_off, swing.t_on
    t_start = np.array([r.t_start for r in recs])
    t_end = np.array([r.t_end for r in recs])
    idx = np.arange(len(recs))
    rot_tc = stride_motion(ev[:, 1], idx, plan, geom).rot
    rot_ic = stride_motion(ev[:, 2], idx, plan, geom).rot
    rflat_a = np.array([r.rflat_a for r in recs])
    rflat_b = np.array([r.rflat_b for r in recs])
    turn = np.angle(np.exp(1j * (_heading(rflat_b) - _heading(rflat_a))))
    first = np.array([r.first for r in recs])
    last = np.array([r.last for r in recs])
    vec = (s_b - s_a)[:, :2]
    return {
        "foot": np.array([foot] * len(recs)),
        "t_start": t_start, "t_end": t_end,
        "t_ho": ev[:, 0], "t_tc": ev[:, 1], "t_ic": ev[:, 2], "t_ff": ev[:, 3],
        "stride_time": t_end - t_start,
        "swing_time": ev[:, 2] - ev[:, 1],
        "stance_time": (t_end - t_start) - (ev[:, 2] - ev[:, 1]),
        "direction": np.array([r.direction for r in recs]),
        "stride_vector": vec,
        "stride_length": np.linalg.norm(vec, axis=1),
        "speed": np.linalg.norm(vec, axis=1) / (t_end - t_start),
        "max_lateral_excursion": swing.excursion,
        "rise": (s_b - s_a)[:, 2],
        "clearance": swing.clearance,
        "turn_angle": turn,
        "grade_pct": np.array([r.grade_pct for r in recs]),
        "pitch_tc": _pitch(rot_tc), "pitch_ic": _pitch(rot_ic), "pitch_ff": _pitch(rflat_b),
        "bout": np.array([r.bout for r in recs]), "segment": np.array([r.segment for r in recs]),
        "first": first, "last": last,
        "steady": ~first & ~last & (np.abs(turn) < np.deg2rad(15.0)),
        **_gait_truth(recs, plan, geom, swing, t_start, t_end, rest, other_swings),
    }


DEFAULT_STRIKE = {"forward": "rearfoot", "backward": "forefoot"}


def _gait_truth(recs: list[StrideRecord], plan: StridePlan, geom: FootGeometry, swing: SwingTruth,
                t_start: np.ndarray, t_end: np.ndarray, rest: FootState,
                other_swings: tuple[np.ndarray, np.ndarray] | None) -> dict[str, np.ndarray]:
    """The gait columns of the truth (see :mod:`retrogait.simulator.truth`)."""
    bout = np.array([r.bout for r in recs])
    t_on, t_off = swing.t_on, swing.t_off
    same = bout[1:] == bout[:-1]  # the foot takes off again in the same bout
    contact = np.full(len(recs), np.nan)
    cycle = np.full(len(recs), np.nan)
    contact[:-1] = np.where(same, t_off[1:] - t_on[:-1], np.nan)
    cycle[:-1] = np.where(same, t_on[1:] - t_on[:-1], np.nan)
    if plan.roll_t is None:
        rate = np.zeros(len(recs))
    else:
        rate = np.linalg.norm(foot_motion(t_end, plan, geom, rest).omega, axis=1)
    return {
        "gait": np.array([r.gait for r in recs]),
        "strike": np.array([r.strike or DEFAULT_STRIKE.get(r.direction, "midfoot") for r in recs]),
        "contact_time": contact,
        "duty_factor": contact / cycle,
        "flight_time": np.zeros(len(recs)) if other_swings is None else _flight(t_off, t_on, other_swings),
        "peak_impact_g": _peak_impact(t_on, plan, geom, rest),
        "mid_stance_rate": rate,
        "saturated": np.zeros(len(recs), dtype=bool),
    }


def _tags(scenario: Scenario) -> dict:
    walks = [s for s in scenario.segments if isinstance(s, Walk)]
    env = scenario.environment
    on_tm = [env.treadmill if w.treadmill is None else w.treadmill for w in walks]
    grades = {env.grade_pct if w.grade_pct is None else w.grade_pct for w in walks if w}
    tags: dict = {"simulated": True, "scenario": scenario.name}
    if walks and all(on_tm):
        tags[TAG_CONDITION] = "treadmill"
        speeds = {round(resolve_speed(w.direction, w.speed, w.cadence, w.stride_length, w.gait)[0], 3)
                  for w in walks}
        if len(speeds) == 1:
            tags[TAG_BELT_SPEED] = speeds.pop()
        if len(grades) == 1:
            tags[TAG_INCLINE] = float(grades.pop())
    elif walks and not any(on_tm):
        tags[TAG_CONDITION] = "overground"
    elif walks:
        tags[TAG_CONDITION] = "mixed"
    if scenario.notes:
        tags[TAG_NOTES] = scenario.notes
    return tags


def simulate(scenario: Scenario, seed: int = 0, *, trajectory: bool = True) -> SimResult:
    """Simulate ``scenario`` (a :class:`Scenario`; ``preset(name)`` makes one from a preset's name); the
    same seed gives the same recording and truth, bit for bit.

    Returns a :class:`SimResult` with ``recording`` (one stream per foot in ``scenario.feet``, sensor
    frame, SI), ``truth`` (:class:`~retrogait.simulator.truth.Truth`) and, unless ``trajectory=False``,
    the exact per-sample ``trajectory`` of each foot's sensor.
    """
    ss = np.random.SeedSequence(seed)
    rng_plan, rng_left, rng_right, rng_day = (np.random.default_rng(s) for s in ss.spawn(4))
    p = scenario.person
    day_factor = float(np.clip(1.0 + p.day_to_day_cv * rng_day.standard_normal(), 0.8, 1.2))
    plan_all = plan_session(scenario, rng_plan, day_factor)
    geom = FootGeometry(ball=p.ball, r_sensor=tuple(p.r_sensor))
    spec = scenario.sensor
    mount = np.eye(3) if spec.mount is None else np.asarray(spec.mount, dtype=float)
    n = int(np.floor(plan_all.duration * spec.rate + 1e-9)) + 1
    t = np.arange(n) / spec.rate
    stored = mount if spec.stored_mount is None else np.asarray(spec.stored_mount, dtype=float)
    streams, trajs, rows, gaps, saturated, errors, packets = [], {}, [], {}, {}, {}, {}
    running = any(r.gait == "run" for r in plan_all.strides)
    prepared: dict[str, Any] = {}
    for foot in scenario.feet:
        recs = [r for r in plan_all.strides if r.foot == foot]
        plan = None
        if recs:
            plan, s_a, s_b, swing = _prepare_foot(recs, geom, plan_all.initial[foot], p.sole_compression)
            prepared[foot] = (recs, plan, s_a, s_b, swing)
    for foot in scenario.feet:
        plan = None
        if foot in prepared:
            recs, plan, s_a, s_b, swing = prepared[foot]
            other = "right" if foot == "left" else "left"
            other_swings = None
            if running:  # the flight phases need the other foot's contacts (recorded or not)
                if other not in prepared:
                    o_recs = [r for r in plan_all.strides if r.foot == other]
                    prepared[other] = ((o_recs, *_prepare_foot(o_recs, geom, plan_all.initial[other],
                                                               p.sole_compression)) if o_recs else None)
                o = prepared[other]
                other_swings = (o[4].t_off, o[4].t_on) if o else (np.zeros(0), np.zeros(0))
            rows.append(_stride_truth(foot, recs, plan, geom, swing, s_a, s_b, plan_all.initial[foot],
                                      other_swings))
        kin = foot_motion(t, plan, geom, plan_all.initial[foot])
        acc0, gyr0 = ideal_signals(kin, mount)
        rng = rng_left if foot == "left" else rng_right
        unit = unit_name(spec.device_id, foot)
        acc, gyr, keep, report = apply_errors(t, acc0, gyr0, spec, rng, unit)
        gaps[foot] = report["gaps"]
        if "errors" in report:
            errors[foot] = report["errors"].to_dict()
        saturated[foot] = {"acc": report["saturated_acc"], "gyr": report["saturated_gyr"]}
        if foot in prepared:  # which strides had a clipped sample among the recorded ones
            clipped = np.zeros(n, dtype=bool)
            clipped[keep] = report["saturated_mask"][keep]
            count = np.concatenate([[0], np.cumsum(clipped)])
            lo = np.searchsorted(t, rows[-1]["t_start"], side="left")
            hi = np.searchsorted(t, rows[-1]["t_end"], side="right")
            rows[-1]["saturated"] = count[hi] > count[lo]
        bits = spec.counter_bits
        if bits:
            packets[foot] = (np.arange(n)[keep] % (1 << bits)).astype(np.uint8 if bits == 8 else np.uint16)
        streams.append(Stream(
            t=t[keep], acc=acc[keep], gyr=gyr[keep], foot=foot,
            mount=stored.copy() if spec.store_mount else None, nominal_rate=float(spec.rate),
            device={"model": "retrogait simulator",
                    "id": f"sim-{foot}" if spec.device_id is None else f"{spec.device_id}-{foot}",
                    "firmware": __version__,
                    "protocol": "simulated",
                    **({"packet_counter_bits": bits} if bits else {})},
        ))
        if trajectory:
            quat = Rotation.from_matrix(np.einsum("nij,jk->nik", kin.rot, mount)).as_quat()
            trajs[foot] = Trajectory(t, kin.pos, kin.vel, quat, acc0, gyr0)
    if rows:
        cols = {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}
    else:
        cols = {k: np.zeros((0, 2)) if k == "stride_vector" else np.zeros(0) for k in
                COLUMNS}
    strides = StrideTruth(cols)
    rec = Recording(streams=streams, start_time=scenario.start_time, subject=scenario.subject,
                    tags=_tags(scenario))
    truth = Truth(
        strides=strides,
        totals=session_totals(strides, list(scenario.feet)),
        mounts={f: mount.copy() for f in scenario.feet},
        info={
            "scenario": scenario.name, "seed": seed, "simulator_version": __version__,
            "scenario_spec": scenario_to_dict(scenario),
            "rate_hz": spec.rate, "feet": list(scenario.feet), "duration_s": float(t[-1]),
            "samples": int(n), "mount_stored": spec.store_mount, "noise": spec.noise,
            "stored_mount": stored.tolist() if spec.store_mount else None,
            "device_id": spec.device_id, "sensor_errors": errors,
            "cadence_day_factor": day_factor,
            "condition": rec.tags.get("condition", "none"),
            "segments": plan_all.segments, "gaps": gaps, "saturated": saturated,
            "geometry": {"heel_to_ball_m": geom.ball, "sensor_lever_arm_m": list(geom.r_sensor)},
            "clearance_definition": "max sensor-point height during swing above the chord joining its "
                                    "stance positions (vertical), m",
        },
    )
    return SimResult(rec, truth, trajs, packets)
