"""Every per-stride parameter against simulator truth, with tolerances close to the achieved error.

Each check states what the analysis achieves today (pooled over the seeds below, steady strides of the
simulated sessions) and the tolerance; the margin (tolerance / achieved) is kept at about 1.3-2x, so a
realistic bug that moves a parameter by more than its own error fails. The bugs each check was made
to catch are named (``benchmarks/mutation_run.py`` applies them one at a time).

Only public results are read: ``retrogait.analyze(rec).strides`` fields and ``.summary``; strides are
matched to truth here (same foot, nearest stride middle), not with the analysis' own helpers.

Conventions of the truth (``retrogait.simulator.truth``) that differ from the analysis on purpose, and
are therefore compared as a bias plus a spread rather than value for value:

* truth TC / IC are the last / first touch of the ground (within the 4 mm sole compression); the
  analysis' TC is where the foot's pitch comes within 2 deg of its first swing extreme and its IC the
  landing pitch extreme, i.e. 15-30 ms *before* the truth's (a stable bias, see the event tests);
* truth stride boundaries are the middle of the foot-flat phase, the analysis' the quietest sample of
  the stance, so single stride times scatter by ~10 ms while their mean agrees to ~1 ms;
* the analysis' world frame has its own heading, so stride vectors are compared after the one
  rotation that best aligns each session's vectors.

Run ``python3 tests/test_truth_strides.py`` to print the achieved errors behind the tolerances.
"""

from __future__ import annotations

import functools
import sys

import numpy as np
import pytest

import retrogait
from retrogait.simulator import (
    Scenario,
    SensorSpec,
    SideStep,
    Stand,
    Turn,
    Walk,
    simulate,
)
from retrogait.simulator.check import landing_pitch_extremes

SEEDS = (1, 2, 3)

SCENARIOS = {
    "forward": lambda: Scenario(segments=[Stand(3), Walk("forward", n_strides=20, speed=1.2), Stand(3)]),
    "backward_incline": lambda: Scenario(segments=[
        Stand(3), Walk("backward", n_strides=25, speed=0.6, treadmill=True, grade_pct=10.0), Stand(2)]),
    "forward_incline": lambda: Scenario(segments=[
        Stand(3), Walk("forward", n_strides=25, speed=1.0, treadmill=True, grade_pct=10.0), Stand(2)]),
    "two_feet": lambda: Scenario(segments=[
        Stand(3), Walk("forward", n_strides=15, speed=1.1), Stand(2), Walk("backward", n_strides=15, speed=0.6),
        Stand(2)], feet=("left", "right")),
    "curve": lambda: Scenario(segments=[Stand(3), Walk("forward", n_strides=16, turn_deg=120), Turn(180, n_strides=3),
                                        Stand(2)]),
    "side": lambda: Scenario(segments=[Stand(3), SideStep("left", 10), Stand(2), SideStep("right", 10), Stand(2)]),
    "run": lambda: Scenario(segments=[
        Stand(3), Walk("forward", n_strides=20, speed=3.0, gait="run"), Stand(2),
        Walk("backward", n_strides=20, speed=2.5, gait="run", strike="forefoot"), Stand(2)], feet=("left", "right"),
        sensor=SensorSpec(rate=200.0)),
    "packet_loss": lambda: Scenario(segments=[
        Stand(3), Walk("backward", n_strides=25, speed=0.6, treadmill=True), Stand(2)],
        sensor=SensorSpec(packet_loss=0.05)),
}
WALKING = ("forward", "backward_incline", "forward_incline", "two_feet", "curve")


@functools.cache
def session(name: str, seed: int):
    """(simulation, analysis result) of a scenario, cached for the whole test run."""
    sim = simulate(SCENARIOS[name](), seed=seed, trajectory=True)
    return sim, retrogait.analyze(sim.recording)


def match(strides, truth, tol: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """(analysis rows, truth rows): same foot, stride middles within ``tol`` s, one-to-one."""
    di, ti = [], []
    for foot in np.unique(truth.foot):
        d = np.flatnonzero(strides.foot == foot)
        t = np.flatnonzero(truth.foot == foot)
        if not d.size or not t.size:
            continue
        tm = 0.5 * (truth.t_start[t] + truth.t_end[t])
        used: set[int] = set()
        for k in d:
            j = int(np.argmin(np.abs(tm - 0.5 * (strides.t_start[k] + strides.t_end[k]))))
            if abs(tm[j] - 0.5 * (strides.t_start[k] + strides.t_end[k])) <= tol and j not in used:
                used.add(j)
                di.append(k)
                ti.append(t[j])
    return np.array(di, dtype=np.int64), np.array(ti, dtype=np.int64)


def foot_axes(sim, truth, rows) -> tuple[np.ndarray, np.ndarray]:
    """The foot's horizontal forward and left unit vectors (world) at each truth row's start stance."""
    fwd = np.zeros((rows.size, 2))
    mount = sim_mount(sim)
    for foot in np.unique(truth.foot[rows]):
        sel = truth.foot[rows] == foot
        traj = sim.trajectory[foot]
        i = np.clip(np.searchsorted(traj.t, truth.t_start[rows][sel]), 0, traj.t.size - 1)
        x_world = traj.rotation[i].apply(mount[foot].T @ np.array([1.0, 0.0, 0.0]))
        fwd[sel] = x_world[:, :2] / np.linalg.norm(x_world[:, :2], axis=1, keepdims=True)
    return fwd, np.column_stack([-fwd[:, 1], fwd[:, 0]])


def sim_mount(sim) -> dict[str, np.ndarray]:
    """The true sensor-to-foot rotation per foot (from the truth sidecar data)."""
    return {foot: np.asarray(m, float) for foot, m in sim.truth.mounts.items()}


def aligned_vector_error(est: np.ndarray, true: np.ndarray) -> np.ndarray:
    """|est - R true| per row, R the 2-D rotation that best aligns the session's vectors."""
    ang = np.arctan2(np.sum(true[:, 0] * est[:, 1] - true[:, 1] * est[:, 0]), np.sum(true * est))
    c, s = np.cos(ang), np.sin(ang)
    rot = true @ np.array([[c, s], [-s, c]])
    return np.linalg.norm(est - rot, axis=1)


@functools.cache
def paired(name: str, steady_only: bool = True) -> dict[str, np.ndarray]:
    """Per-stride (analysis, truth) pairs of every seed, concatenated; ``session`` = seed index."""
    out: dict[str, list] = {}
    for k, seed in enumerate(SEEDS):
        sim, res = session(name, seed)
        s, tr = res.strides, sim.truth.strides
        di, ti = match(s, tr)
        keep = tr.steady[ti] if steady_only else np.ones(ti.size, bool)
        di, ti = di[keep], ti[keep]
        fwd, left = foot_axes(sim, tr, ti)
        sv = tr.stride_vector[ti]
        cols = {
            "session": np.full(di.size, k),
            "n_truth": np.full(di.size, len(tr)), "n_found": np.full(di.size, len(s)),
            "vector_error": np.zeros(di.size),
            "true_signed_length": np.sum(sv * fwd, axis=1), "true_lateral_deviation": np.sum(sv * left, axis=1),
        }
        for field in ("t_tc", "t_ic", "stride_time", "stance_time", "swing_time", "stride_length", "speed",
                      "clearance", "max_lateral_excursion", "turn_angle", "pitch_ic", "pitch_ff", "grade_pct",
                      "duty_factor", "flight_time", "peak_impact_g", "direction", "gait", "strike", "foot",
                      "steady", "saturated", "bout"):
            if hasattr(tr, field):
                cols["true_" + field] = getattr(tr, field)[ti]
        for field in ("t_tc", "t_ic", "stride_time", "stance_time", "swing_time", "stride_length", "speed",
                      "clearance", "max_lateral_excursion", "turn_angle", "pitch_ic", "pitch_ff", "grade_pct",
                      "duty_factor", "flight_time", "peak_impact_g", "direction", "gait", "strike", "steady",
                      "signed_length", "lateral_deviation", "direction_confidence", "saturated", "bridged", "bout",
                      "rolling_stance", "strike_angle"):
            cols[field] = getattr(s, field)[di]
        for foot in np.unique(tr.foot[ti]):  # each foot's path has its own heading
            sel = tr.foot[ti] == foot
            cols["vector_error"][sel] = aligned_vector_error(s.stride_vector[di][sel], sv[sel])
        for key, v in cols.items():
            out.setdefault(key, []).append(v)
    return {k: np.concatenate(v) for k, v in out.items()}


def walking(*names: str) -> dict[str, np.ndarray]:
    """:func:`paired` of several scenarios, concatenated (``session`` made unique per scenario)."""
    parts = [paired(n) for n in (names or WALKING)]
    out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    out["session"] = np.concatenate([p["session"] + 10 * i for i, p in enumerate(parts)])
    return out


def session_means(x: np.ndarray, sessions: np.ndarray) -> np.ndarray:
    return np.array([np.nanmean(x[sessions == s]) for s in np.unique(sessions)])


# --- achieved errors: one function per check, so that the report below prints what the tests assert --

def stance_pct_error(p):
    return 100 * (p["stance_time"] / p["stride_time"] - p["true_stance_time"] / p["true_stride_time"])


CHECKS = {
    # name: (pairs, error function, unit)
    "tc_error_ms": (lambda: walking(), lambda p: 1000 * (p["t_tc"] - p["true_t_tc"]), "ms"),
    "ic_error_ms": (lambda: walking(), lambda p: 1000 * (p["t_ic"] - p["true_t_ic"]), "ms"),
    "stride_time_ms": (lambda: walking(), lambda p: 1000 * (p["stride_time"] - p["true_stride_time"]), "ms"),
    "stance_time_ms": (lambda: walking(), lambda p: 1000 * (p["stance_time"] - p["true_stance_time"]), "ms"),
    "swing_time_ms": (lambda: walking(), lambda p: 1000 * (p["swing_time"] - p["true_swing_time"]), "ms"),
    "stance_pct": (lambda: walking(), stance_pct_error, "points"),
    "stride_length_pct": (lambda: walking(), lambda p: 100 * (p["stride_length"] / p["true_stride_length"] - 1), "%"),
    "speed_pct": (lambda: walking(), lambda p: 100 * (np.abs(p["speed"]) / p["true_speed"] - 1), "%"),
    "vector_cm": (lambda: walking(), lambda p: 100 * p["vector_error"], "cm"),
    "signed_length_cm": (lambda: walking(), lambda p: 100 * (p["signed_length"] - p["true_signed_length"]), "cm"),
    "lateral_deviation_cm": (lambda: walking(),
                             lambda p: 100 * (p["lateral_deviation"] - p["true_lateral_deviation"]), "cm"),
    "clearance_level_mm": (lambda: walking("forward", "two_feet", "curve"),
                           lambda p: 1000 * (p["clearance"] - p["true_clearance"]), "mm"),
    "clearance_incline_mm": (lambda: walking("forward_incline", "backward_incline"),
                             lambda p: 1000 * (p["clearance"] - p["true_clearance"]), "mm"),
    "lateral_excursion_mm": (lambda: walking(),
                             lambda p: 1000 * (p["max_lateral_excursion"] - p["true_max_lateral_excursion"]), "mm"),
    "turn_deg": (lambda: walking(), lambda p: np.degrees(p["turn_angle"] - p["true_turn_angle"]), "deg"),
    "pitch_ic_deg": (lambda: walking(), lambda p: np.degrees(p["pitch_ic"] - p["true_pitch_ic"]), "deg"),
    "pitch_ff_deg": (lambda: walking(), lambda p: np.degrees(p["pitch_ff"] - p["true_pitch_ff"]), "deg"),
    "grade_pts": (lambda: walking(), lambda p: p["grade_pct"] - p["true_grade_pct"], "points"),
    "duty_factor": (lambda: walking(), lambda p: p["duty_factor"] - p["true_stance_time"] / p["true_stride_time"], ""),
    "impact_g": (lambda: walking(), lambda p: p["peak_impact_g"] - p["true_peak_impact_g"], "g"),
    "run_stride_length_pct": (lambda: paired("run"),
                              lambda p: 100 * (p["stride_length"] / p["true_stride_length"] - 1), "%"),
    "run_contact_ms": (lambda: paired("run"), lambda p: 1000 * (p["stance_time"] - p["true_stance_time"]), "ms"),
    "run_flight_ms": (lambda: paired("run"), lambda p: 1000 * (p["flight_time"] - p["true_flight_time"] / 2), "ms"),
    "run_impact_g": (lambda: paired("run"), lambda p: p["peak_impact_g"] - p["true_peak_impact_g"], "g"),
    "side_length_pct": (lambda: paired("side"),
                        lambda p: 100 * (p["stride_length"] / p["true_stride_length"] - 1), "%"),
    "side_lateral_excursion_mm": (lambda: paired("side"),
                                  lambda p: 1000 * (p["max_lateral_excursion"] - p["true_max_lateral_excursion"]),
                                  "mm"),
    "side_stance_pct": (lambda: paired("side"), stance_pct_error, "points"),
    "loss_stride_length_pct": (lambda: paired("packet_loss"),
                               lambda p: 100 * (p["stride_length"] / p["true_stride_length"] - 1), "%"),
}


def achieved(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(per-stride errors, per-session mean errors) of a check."""
    get, err, _ = CHECKS[name]
    p = get()
    e = err(p)
    return e, session_means(e, p["session"])


def _check(name: str, *, bias: float | None = None, center: float = 0.0, mae: float | None = None,
           sd: float | None = None, largest: float | None = None) -> None:
    """Assert a check: every session's mean error within ``center +- bias``, the pooled MAE / SD and the
    largest single error within their bounds."""
    e, m = achieved(name)
    e = e[np.isfinite(e)]
    unit = CHECKS[name][2]
    assert e.size >= 20, f"{name}: only {e.size} matched strides"
    if bias is not None:
        assert np.all(np.abs(m - center) <= bias), f"{name}: session mean errors {np.round(m, 3)} {unit}, allowed {center:+g} +- {bias:g}"
    if mae is not None:
        assert np.mean(np.abs(e)) <= mae, f"{name}: MAE {np.mean(np.abs(e)):.3f} {unit} > {mae:g}"
    if sd is not None:
        assert np.std(e) <= sd, f"{name}: SD {np.std(e):.3f} {unit} > {sd:g}"
    if largest is not None:
        assert np.max(np.abs(e)) <= largest, f"{name}: largest error {np.max(np.abs(e)):.3f} {unit} > {largest:g}"


# --- timing: TC, IC, stride / stance / swing time and their percentages (walking, 5 scenarios x 3 seeds)

def test_terminal_contact_against_truth():
    """Achieved: TC 23.0 ms before the truth's last touch (session means -20.9..-24.9 ms), SD 3.4 ms,
    largest 31 ms. Tolerance: session means -23 +- 6 ms (1.5x the largest deviation, 2.1 ms... 3.8 ms
    from -23), SD 5 ms (1.5x), largest 40 ms (1.3x). Catches TC at the pitch extreme (+57 ms)."""
    _check("tc_error_ms", center=-23.0, bias=6.0, sd=5.0, largest=40.0)


def test_initial_contact_against_truth():
    """Achieved: IC 15 ms (forward) to 29 ms (backward) before the truth's first touch (session means
    -14.4..-29.8 ms), SD 6.5 ms, largest 39 ms. Tolerance: session means -22 +- 11 ms, SD 9 ms
    (1.4x), largest 50 ms (1.3x)."""
    _check("ic_error_ms", center=-22.0, bias=11.0, sd=9.0, largest=50.0)


def test_initial_contact_at_the_landing_pitch_extreme():
    """IC is defined as the instant the ground halts the landing rotation: against the simulated foot's
    exact landing pitch extreme (100 Hz, walking). Achieved: mean |error| 2.6 ms, largest 5.2 ms (half a
    sample: the parabolic refinement between samples). Tolerance: mean 3.5 ms (1.4x), largest 7 ms
    (1.35x). Catches the refinement with the wrong sign (largest 15 ms)."""
    errors = []
    for name in WALKING:
        for seed in SEEDS:
            sim, res = session(name, seed)
            s, tr = res.strides, sim.truth.strides
            di, ti = match(s, tr)
            for foot in np.unique(tr.foot):
                rows = np.flatnonzero(tr.foot == foot)
                sel = (tr.foot[ti] == foot) & tr.steady[ti]
                extreme = landing_pitch_extremes(sim, foot)[np.searchsorted(rows, ti[sel])]
                errors.append(1000 * (s.t_ic[di[sel]] - extreme))
    e = np.abs(np.concatenate(errors))
    assert e.size > 200
    assert np.mean(e) <= 3.5 and np.max(e) <= 7.0, (np.mean(e), np.max(e))


def test_stride_time_against_truth():
    """Achieved: bias +0.4 ms (sessions within 1.6 ms), MAE 9.8 ms (mid-stance boundaries are defined
    differently), largest 52 ms. Tolerance: sessions within 3 ms (1.9x), MAE 13 ms (1.3x), largest
    70 ms (1.3x)."""
    _check("stride_time_ms", bias=3.0, mae=13.0, largest=70.0)


def test_stance_and_swing_time_against_truth():
    """Achieved: stance -2.4 ms (sessions within 9.1 ms), MAE 12.5 ms; swing +2.8 ms (sessions within
    9.0 ms), MAE 7.9 ms. Tolerance: sessions within 13 ms (1.4x), MAE 16 / 10.5 ms (1.3x). Catches TC at
    the pitch extreme (swing -57 ms)."""
    _check("stance_time_ms", bias=13.0, mae=16.0, largest=75.0)
    _check("swing_time_ms", bias=13.0, mae=10.5, largest=45.0)


def test_stance_percentage_against_truth():
    """Achieved: -0.24 points (sessions within 0.80), MAE 0.72, largest 3.3 points. Tolerance: sessions
    within 1.2 points (1.5x), MAE 1.0 (1.4x), largest 4.5 (1.4x). Catches TC at the pitch extreme
    (backward stance 74.1 % against a truth of 67.1 %)."""
    _check("stance_pct", bias=1.2, mae=1.0, largest=4.5)


def test_duty_factor_against_truth():
    """Walking duty factor = stance / stride of the truth. Achieved: -0.002 (sessions within 0.008),
    MAE 0.007. Tolerance: sessions within 0.012 (1.5x), MAE 0.010 (1.4x)."""
    _check("duty_factor", bias=0.012, mae=0.010, largest=0.045)


# --- space: length, vector, speed, signed length, lateral deviation, clearance, excursion, turn ------

def test_stride_length_against_truth():
    """Achieved: +0.03 % pooled (sessions within 0.42 %), MAE 0.28 %, largest 1.4 %. Tolerance: pooled
    0.25 %, sessions 0.6 % (1.4x), MAE 0.4 % (1.4x), largest 2 % (1.4x). A 1.5 % scale bug moves the
    pooled mean by 1.5 % and fails."""
    e, _ = achieved("stride_length_pct")
    assert abs(np.mean(e)) <= 0.25, f"pooled stride length bias {np.mean(e):.3f} %"
    _check("stride_length_pct", bias=0.6, mae=0.4, largest=2.0)


def test_speed_against_truth():
    """Achieved: +0.03 % pooled (sessions within 0.41 %), MAE 0.50 %, largest 1.8 %. Tolerance: pooled
    0.25 %, sessions 0.6 %, MAE 0.7 % (1.4x), largest 2.5 % (1.4x)."""
    e, _ = achieved("speed_pct")
    assert abs(np.mean(e)) <= 0.25, f"pooled speed bias {np.mean(e):.3f} %"
    _check("speed_pct", bias=0.6, mae=0.7, largest=2.5)


def test_stride_vector_against_truth():
    """After the one rotation that best aligns each foot's path with the truth's. Achieved: mean 0.41 cm,
    largest 1.27 cm. Tolerance: mean 0.6 cm (1.5x), largest 1.8 cm (1.4x)."""
    _check("vector_cm", mae=0.6, largest=1.8)


def test_signed_length_and_lateral_deviation_against_truth():
    """The stride vector along / across the foot's own forward axis at the start stance (truth: the
    simulated foot's orientation). Achieved: signed length +0.03 cm (sessions within 0.33 cm), MAE
    0.28 cm, largest 1.2 cm; lateral deviation +0.10 cm (sessions within 0.66 cm), MAE 0.25 cm,
    largest 0.85 cm. Tolerance: sessions 0.5 / 0.9 cm (1.4-1.5x), MAE 0.4 / 0.35 cm, largest 1.7 /
    1.2 cm (1.4x). The sign says the direction: a sign bug is off by twice the stride length."""
    _check("signed_length_cm", bias=0.5, mae=0.4, largest=1.7)
    _check("lateral_deviation_cm", bias=0.9, mae=0.35, largest=1.2)


def test_clearance_on_level_ground_against_truth():
    """Achieved: -0.1 mm (sessions within 1.7 mm), MAE 0.8 mm, largest 2.6 mm of ~110 mm. Tolerance:
    sessions 2.5 mm (1.5x), MAE 1.1 mm (1.4x), largest 3.5 mm (1.3x)."""
    _check("clearance_level_mm", bias=2.5, mae=1.1, largest=3.5)


def test_clearance_on_an_incline_against_truth():
    """10 % treadmill grade, forward and backward: the height is above the chord joining the two stance
    positions, not above the start stance. Achieved: -0.1 mm (sessions within 2.2 mm), MAE 1.0 mm,
    largest 2.7 mm. Tolerance: sessions 3 mm (1.4x), MAE 1.3 mm (1.3x), largest 3.5 mm (1.3x). Catches
    clearance that ignores the climb (+30 % on a 10 % grade)."""
    _check("clearance_incline_mm", bias=3.0, mae=1.3, largest=3.5)


def test_lateral_excursion_against_truth():
    """Achieved: -0.07 mm (sessions within 1.1 mm), MAE 0.64 mm, largest 2.2 mm of ~16 mm. Tolerance:
    sessions 1.5 mm (1.4x), MAE 0.9 mm (1.4x), largest 3 mm (1.4x). Catches the excursion without its
    abs() (-81 %)."""
    _check("lateral_excursion_mm", bias=1.5, mae=0.9, largest=3.0)


def test_turn_angle_against_truth():
    """Per stride, straight and curved walking. Achieved: MAE 0.026 deg, largest 0.078 deg. Tolerance:
    MAE 0.04 deg (1.5x), largest 0.12 deg (1.5x). Plus the curve's total heading change (120 deg over
    16 strides, then 180 deg on the spot: 300 deg) within 3 deg."""
    _check("turn_deg", mae=0.04, largest=0.12)
    for seed in SEEDS:
        sim, res = session("curve", seed)
        total = np.degrees(np.sum(res.strides.turn_angle))
        assert total == pytest.approx(np.degrees(np.sum(sim.truth.strides.turn_angle)), abs=3.0)


def test_foot_pitch_at_contact_and_foot_flat_against_truth():
    """Achieved: pitch at IC -0.19 deg (sessions within 1.07 deg), MAE 0.66 deg, largest 2.1 deg; at
    foot-flat +0.04 deg (sessions within 0.60 deg), MAE 0.39 deg, largest 0.79 deg. Tolerance: sessions
    1.5 / 0.85 deg (1.4x), MAE 0.9 / 0.55 deg (1.4x), largest 3 / 1.1 deg (1.4x)."""
    _check("pitch_ic_deg", bias=1.5, mae=0.9, largest=3.0)
    _check("pitch_ff_deg", bias=0.85, mae=0.55, largest=1.1)


def test_grade_against_truth():
    """Per stride (level and 10 % scenarios). Achieved: sessions within 1.0 points, MAE 0.69, largest
    1.38. Tolerance: sessions 1.4 points (1.4x), MAE 0.95 (1.4x), largest 1.9 (1.4x). And the summary's
    session grade on the 10 % treadmill within 1.4 points."""
    _check("grade_pts", bias=1.4, mae=0.95, largest=1.9)
    for name in ("backward_incline", "forward_incline"):
        for seed in SEEDS:
            _, res = session(name, seed)
            assert res.summary["grade_pct"] == pytest.approx(10.0, abs=1.4), (name, seed)


def test_peak_impact_against_truth():
    """Walking (small impacts, 100 Hz): median |error| 0.17 g, 90th percentile 0.54 g. Tolerance: 0.25 g
    and 0.75 g (1.4x). (One landing in 300 is off by 9 g: a heel strike between samples.)"""
    e, _ = achieved("impact_g")
    assert np.median(np.abs(e)) <= 0.25 and np.percentile(np.abs(e), 90) <= 0.75


# --- categories: direction, confidence, gait, strike, steady, bouts, rolling stance, bridged ---------

@pytest.mark.parametrize("name", ["forward", "backward_incline", "forward_incline", "two_feet", "curve", "side",
                                  "run"])
def test_every_stride_found_and_its_direction_gait_and_steadiness(name):
    """Every true stride is found once and nothing else (side steps: 20 of 20 per session), its
    direction and gait are right in every stride with a confidence above 0.99 (achieved: 100 %, 1.0),
    and the steady flag agrees with the truth's (achieved 100 % walking straight, 95 % on the curve,
    80 % in side steps; tolerance 100 / 92 / 75 %)."""
    for seed in SEEDS:
        sim, res = session(name, seed)
        assert len(res.strides) == len(sim.truth.strides), seed
    p = paired(name, steady_only=False)
    assert np.all(p["direction"] == p["true_direction"])
    assert np.all(p["gait"] == p["true_gait"])
    assert np.min(p["direction_confidence"]) > 0.99
    assert np.mean(p["steady"] == p["true_steady"]) >= {"curve": 0.92, "side": 0.75}.get(name, 1.0)
    assert np.all(np.isnan(p["flight_time"][p["gait"] == "walk"]))


def test_strike_pattern_against_truth():
    """Walking: rearfoot forward, forefoot backward in every straight stride (achieved 100 %). Running at
    200 Hz: achieved 94.6 % (backward forefoot landings read as midfoot in 9 %); tolerance 90 %."""
    p = walking("forward", "backward_incline", "forward_incline", "two_feet")
    assert np.all(p["strike"] == p["true_strike"])
    run = paired("run")
    assert np.mean(run["strike"] == run["true_strike"]) >= 0.90
    # the strike angle says the same: toe up at a rearfoot landing, toe down at a forefoot one
    assert np.all(p["strike_angle"][p["true_strike"] == "rearfoot"] > 0)
    assert np.all(p["strike_angle"][p["true_strike"] == "forefoot"] < 0)


def test_bouts_against_truth():
    """Per foot, the strides of one true walking bout share one analysis bout and different true bouts
    get different ones (achieved: exact, every scenario and seed)."""
    # not "curve" (a turn on the spot right after a walk joins its bout, as intended) nor "side" (a
    # side-step bout is sometimes split in 3: see the side-step defect below)
    for name in ("forward", "backward_incline", "two_feet", "run"):
        p = paired(name, steady_only=False)
        for k in range(len(SEEDS)):
            for foot in np.unique(p["true_foot"]):
                sel = (p["session"] == k) & (p["true_foot"] == foot)
                pairs = set(zip(p["true_bout"][sel].tolist(), p["bout"][sel].tolist()))
                assert len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs}), (name, k, foot, pairs)


def test_rolling_stance_and_bridged_flags_against_truth():
    """Running (the foot keeps rolling at 0.2 rad/s through mid-stance): every stride has a rolling
    stance; walking (still stance) none. With 5 % packet loss, strides over filled gaps are flagged
    'bridged' (16-17 of 25 per session) and none without loss; their length stays within 7.5 % (largest
    achieved 6.0 %), MAE 0.85 % (achieved 0.61 %)."""
    run = paired("run", steady_only=False)
    assert np.all(run["rolling_stance"])
    walk = walking()
    assert not walk["rolling_stance"].any() and not walk["bridged"].any()
    loss = paired("packet_loss", steady_only=False)
    for k in range(len(SEEDS)):
        assert 10 <= loss["bridged"][loss["session"] == k].sum() <= 25
    _check("loss_stride_length_pct", mae=0.85, largest=7.5)


# --- running and side steps --------------------------------------------------------------------------

def test_running_parameters_against_truth():
    """Forward 3 m/s rearfoot and backward 2.5 m/s forefoot running, two feet, 200 Hz. Achieved: stride
    length sessions within 0.48 %, MAE 0.42 %; contact time -2.2 to -3.9 ms per session, MAE 5.4 ms
    (terminal contact where the sensor leaves its lever about the last contact point, within a few ms
    of the truth; initial contact, the first impact, timed between samples where its jerk crosses half
    the sharpest); flight time (per step: half the truth's two flight phases per stride) +2.5 to +3.8
    ms, MAE 3.9 ms; peak impact -0.80 to -1.17 g per session, MAE 1.09 g. (Initial contact at the mid-step
    time of the first sample at that half, until 2026-11-28: contact -4.7 to -6.2 ms, MAE 6.5 ms;
    flight +5.0 to +6.1 ms, MAE 5.7 ms. With terminal contact at the peak push-off rotation before
    that: contact +9.5 to +10.8 ms, MAE 11.0 ms; flight -9.6 to -10.8 ms, MAE 10.5 ms.)
    Tolerance: sessions 0.7 % / -3.0 +- 2.0 ms / +3.0 +- 2.0 ms / -1.0 +- 0.5 g, MAE 0.6 % / 7 ms /
    5.5 ms / 1.5 g (about 1.3-1.4x)."""
    _check("run_stride_length_pct", bias=0.7, mae=0.6)
    _check("run_contact_ms", center=-3.0, bias=2.0, mae=7.0)
    _check("run_flight_ms", center=3.0, bias=2.0, mae=5.5)
    _check("run_impact_g", center=-1.0, bias=0.5, mae=1.5)


def test_side_steps_length_and_excursion_against_truth():
    """Achieved: length -0.14 % (sessions within 1.09 %), MAE 0.64 %; lateral excursion +0.58 mm
    (sessions within 2.3 mm), MAE 1.4 mm, largest 3.4 mm. Tolerance: sessions 1.5 % / 3.2 mm (1.4x),
    MAE 0.9 % / 2.0 mm (1.4x), largest 4.5 mm (1.3x). A side step moves along the foot's left axis:
    |lateral deviation| / length > 0.95 (achieved 0.99)."""
    _check("side_length_pct", bias=1.5, mae=0.9)
    _check("side_lateral_excursion_mm", bias=3.2, mae=2.0, largest=4.5)
    p = paired("side")
    sign = np.where(p["true_direction"] == "sideways_left", 1.0, -1.0)
    assert np.all(sign * p["lateral_deviation"] / p["stride_length"] > 0.95)


@pytest.mark.xfail(strict=True, reason="known defect (issue 13 truth tests): in side steps TC/IC come from the roll "
                   "extremes and land hundreds of ms from the truth's contacts (stance -24 points); remove this "
                   "marker when fixed")
def test_side_steps_stance_percentage_against_truth():
    """Target: as forward and backward walking (sessions within 1.2 points). Achieved today: -24 points."""
    _check("side_stance_pct", bias=1.2)


def test_saturated_flag_against_truth():
    """Simulated impacts clip one sample at a time (200 Hz): the flag counts repeats of the channel's top
    value anywhere once it is a plausible full scale (it used to need 3 in a row: 0 of 11-14 flagged)."""
    sc = Scenario(segments=[Stand(3), Walk("forward", n_strides=15, speed=3.5, gait="run", impact=3.0), Stand(2)],
                  sensor=SensorSpec(rate=200.0))
    sim = simulate(sc, seed=1)
    res = retrogait.analyze(sim.recording)
    di, ti = match(res.strides, sim.truth.strides)
    assert sim.truth.strides.saturated[ti].sum() >= 5
    assert np.mean(res.strides.saturated[di] == sim.truth.strides.saturated[ti]) >= 0.9


def test_session_summary_against_truth():
    """The summary's cadence, distance (per foot), step time (two feet), per-direction stride length
    and speed, and the walking gait's median cadence and stride length against the same figures of the
    truth's strides (walking). Achieved: cadence 0.98 %, distance 0.51 %, step time 1.1 %, stride length
    0.51 %, speed 0.77 %, per-gait cadence 0.82 % and stride length 0.52 % (largest over 9 sessions).
    Tolerance: 1.3 %, 0.7 %, 1.5 %, 0.7 %, 1.05 %, 1.1 %, 0.7 % (1.3-1.4x)."""
    for name in ("forward", "backward_incline", "two_feet"):
        for seed in SEEDS:
            sim, res = session(name, seed)
            s, tr = res.summary, sim.truth.strides
            feet = len(np.unique(tr.foot))
            assert s["cadence_steps_per_min"] == pytest.approx(120.0 / np.mean(tr.stride_time), rel=0.013)
            assert s["distance_m"] == pytest.approx(np.sum(tr.stride_length) / feet, rel=0.007)
            if feet == 2:
                assert s["step_time_s"] == pytest.approx(np.mean(tr.stride_time) / 2, rel=0.015)
            walk = s["by_gait"]["walk"]  # per gait: from the median stride time
            assert walk["cadence_steps_per_min"] == pytest.approx(120.0 / np.median(tr.stride_time), rel=0.011)
            assert walk["stride_length_m"] == pytest.approx(np.median(tr.stride_length), rel=0.007)
            for d, v in s["by_direction"].items():
                m = tr.direction == d
                assert v["strides"] == m.sum()
                assert v["stride_length_mean_m"] == pytest.approx(np.mean(tr.stride_length[m]), rel=0.007)
                assert v["speed_mean_m_s"] == pytest.approx(np.mean(tr.speed[m]), rel=0.0105)


def report() -> None:  # pragma: no cover - a helper for choosing tolerances
    print(f"{'check':28s} {'bias':>8s} {'|bias|max':>9s} {'MAE':>8s} {'SD':>8s} {'max|e|':>8s}  (pooled; session)")
    for name in CHECKS:
        e, m = achieved(name)
        e = e[np.isfinite(e)]
        print(f"{name:28s} {np.mean(e):+8.3f} {np.max(np.abs(m)):9.3f} {np.mean(np.abs(e)):8.3f} "
              f"{np.std(e):8.3f} {np.max(np.abs(e)):8.3f}  {CHECKS[name][2]}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(report())


def test_tight_circles_have_no_stride_length_bias_by_turning_side():
    """The PyShoe walks turn 40-120 deg per stride, and on 2018-02-09-11-32-01 the strides turning left
    are -3.6 % against +1.0 % for those turning right (a reference point beside the sensor moves
    ``2 sin(turn/2)`` times its offset more or less than the sensor). The sensor's own path has no
    such split: simulated circles at ~57 deg per stride, 200 Hz. Achieved (steady strides, 3 seeds):
    left +0.10 %, right -0.04 % (signed median); median |error| 0.18 % both. Tolerance: each side
    within 0.4 %, the split within 0.5 points (the PyShoe walk's: 4.6 points)."""
    med = {}
    for side, turn in (("left", 880.0), ("right", -880.0)):
        errs, turns = [], []
        for seed in SEEDS:
            sc = Scenario(segments=[Stand(3), Walk("forward", n_strides=16, turn_deg=turn, stride_length=1.35),
                                    Stand(2)], sensor=SensorSpec(rate=200.0))
            sim = simulate(sc, seed=seed, trajectory=False)
            st = retrogait.analyze(sim.recording).strides
            tr = sim.truth.strides
            di, ti = match(st, tr)
            inner = slice(2, -2)  # the circle's steady strides (not its first and last)
            errs.append((st.stride_length[di] / tr.stride_length[ti] - 1)[inner] * 100)
            turns.append(np.degrees(st.turn_angle[di])[inner])
        e, tdeg = np.concatenate(errs), np.concatenate(turns)
        assert e.size >= 30
        assert np.all(np.sign(tdeg) == (1 if side == "left" else -1)) and 45 < np.median(np.abs(tdeg)) < 70
        med[side] = float(np.median(e))
        assert abs(med[side]) <= 0.4, (side, med[side])
    assert abs(med["left"] - med["right"]) <= 0.5, med
