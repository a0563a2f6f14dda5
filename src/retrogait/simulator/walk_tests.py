"""Simulated clinical walk tests with their truth: the 3-m backward walk test and timed walks.

Presets (``retrogait simulate 3mbwt`` / ``timed-walk``; see :mod:`retrogait.simulator.presets`):

* ``3mbwt`` -- trials of the 3-m backward walk test: stand, walk backward past the 3-m line (about
  0.5 m beyond it) and stop with the feet together, stand, walk forward back to the start, stand.
* ``timed-walk`` -- a forward walk past the 10-m line, stand, a backward walk back past the start
  line, stand (the 10-m walk test and its backward variant in one recording).

:func:`simulate_walk_test` always simulates **both** feet (the planner moves both anyway) so that the
truth of a one-foot recording knows where the other foot was; it then keeps only the recorded feet in
the recording and the stride truth, and stores the test truth under ``truth.info["walk_test"]``.

Truth definitions (the same definitions :mod:`retrogait.clinical` estimates from the IMU):

* movement onset: the first terminal contact of the bout, either foot (the first foot leaves the
  ground);
* body position: the body passes over a foot at that foot's mid-stance, and moves linearly between
  consecutive mid-stances (of either foot); the position is the foot's displacement since the bout
  started, projected on the bout's direction of travel (start-to-end line);
* the time to a distance: from the onset to the instant this body position reaches it.

Simulator limits: the simulated body point *is* this piecewise-linear model, so the truth tests the
IMU's timing and distances, not how well the model matches a real centre of mass or a stopwatch.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from retrogait.simulator.scenario import Environment, Scenario, Stand, Walk

WALK_TEST_PRESETS = ("3mbwt", "timed-walk")
BWT_DISTANCE = 3.0  # m
TIMED_WALK_DISTANCE = 10.0  # m
TIMED_WALK_EXCLUDE = 2.0  # m at each end (acceleration / deceleration)
OVERSHOOT = 0.5  # m walked beyond the line before stopping
TRIAL_SECONDS = 22.0  # one 3MBWT trial with the walk back and the rests, roughly
TIMED_SECONDS = (10.0, 20.0, 30.0, 60.0, 120.0, 360.0)  # truth of the distance walked in these times


def _stride_length(direction: str, speed: float | None) -> float:
    from retrogait.simulator.footsteps import resolve_speed

    return resolve_speed(direction, speed, None, None)[2]


def strides_for(distance: float, direction: str, speed: float | None) -> int:
    """Strides per foot so that a bout starting and ending with the feet together covers at least
    ``distance`` m: the body covers about ``(n - 1/2)`` stride lengths in ``n`` strides per foot (the
    first step is half a stride, the closing step brings the feet together); 10 % is kept in reserve
    for the day's cadence and stride-to-stride variation."""
    length = _stride_length(direction, speed)
    return max(2, math.ceil(1.1 * distance / length + 0.5))


def three_m_bwt_segments(trials: int = 3, speed: float | None = None, rest: float = 5.0,
                         distance: float = BWT_DISTANCE) -> list:
    """Segments of ``trials`` 3-m backward walk test trials, each followed by the walk back."""
    n_bw = strides_for(distance + OVERSHOOT, "backward", speed)
    back_len = (n_bw - 0.5) * _stride_length("backward", speed)
    n_fw = max(2, round(back_len / _stride_length("forward", None) + 0.5))
    segs: list = [Stand(rest)]
    for _ in range(trials):
        segs += [Walk("backward", n_strides=n_bw, speed=speed), Stand(3.0),
                 Walk("forward", n_strides=n_fw), Stand(rest)]
    return segs


def _three_m_bwt(duration: float, speed: float | None, grade: float | None):
    trials = max(1, round(duration / TRIAL_SECONDS))
    v = 0.6 if speed is None else speed
    return three_m_bwt_segments(trials, speed), Environment(), (
        f"3-m backward walk test: {trials} trial(s) at {v:g} m/s, each from standing past the 3-m line "
        "(about 0.5 m beyond) and back forward to the start")


def timed_walk_segments(speed: float | None = None, walk_s: float = 0.0,
                        distance: float = TIMED_WALK_DISTANCE) -> list:
    """A forward walk past ``distance`` then a backward walk back past the start; each walk lasts at
    least ``walk_s`` seconds (for timed tests such as a 2-minute walk)."""
    from retrogait.simulator.footsteps import resolve_speed

    v_bw = speed
    v_fw = None if speed is None else min(2.0 * speed, 1.8)
    segs: list = [Stand(5.0)]
    for direction, v in (("forward", v_fw), ("backward", v_bw)):
        _, cadence, _ = resolve_speed(direction, v, None, None)
        n = max(strides_for(distance + OVERSHOOT, direction, v), math.ceil(walk_s * cadence / 120.0))
        segs += [Walk(direction, n_strides=n, speed=v), Stand(5.0)]
    return segs


def _timed_walk(duration: float, speed: float | None, grade: float | None):
    walk_s = max(0.0, (duration - 15.0) / 2.0)
    return timed_walk_segments(speed, walk_s), Environment(), (
        "timed walks: forward past the 10-m line, stand, backward back past the start line, stand")


PRESET_ENTRIES: dict[str, tuple] = {
    "3mbwt": (_three_m_bwt, 3 * TRIAL_SECONDS,
              ("3-m backward walk test: trials from standing past the 3-m line, walking back between "
               "(truth: onset, 3-m time, steps); --duration sets the number of trials (22 s each)")),
    "timed-walk": (_timed_walk, 20.0,
                   ("10-m walk forward then backward (truth: times and speeds); --duration lengthens "
                    "both walks (timed tests)")),
}


# ----------------------------------------------------------------------------------------- truth

def _bout_truth(st, mask: np.ndarray, distances: tuple[float, ...]) -> dict[str, Any]:
    """Truth of one walking bout (both feet): onset, distance, times to ``distances``, steps."""
    idx = np.flatnonzero(mask)
    onset = float(st.t_tc[idx].min())
    times, positions = [], []
    for foot in np.unique(st.foot[idx]):
        k = idx[st.foot[idx] == foot]
        k = k[np.argsort(st.t_end[k])]
        vec = np.asarray(st.stride_vector[k], dtype=float)
        total = vec.sum(axis=0)
        u = total / max(float(np.linalg.norm(total)), 1e-12)
        times.append(st.t_end[k])
        positions.append(np.cumsum(vec @ u))
    t = np.concatenate(times)
    d = np.concatenate(positions)
    order = np.argsort(t, kind="stable")
    t, d = t[order], np.maximum.accumulate(d[order])
    # the distance along the walked path (timed tests): the same body model on the strides' lengths
    tp, dp = [], []
    for foot in np.unique(st.foot[idx]):
        k = idx[st.foot[idx] == foot]
        k = k[np.argsort(st.t_end[k])]
        tp.append(st.t_end[k])
        dp.append(np.cumsum(st.stride_length[k]))
    tp_all, dp_all = np.concatenate(tp), np.concatenate(dp)
    o = np.argsort(tp_all, kind="stable")
    tp_all = np.concatenate([[onset], tp_all[o]])
    dp_all = np.concatenate([[0.0], np.maximum.accumulate(dp_all[o])])
    out: dict[str, Any] = {
        "direction": str(st.direction[idx[0]]),
        "onset_s": onset,
        "end_s": float(st.t_ic[idx].max()),
        "distance_m": float(np.mean([p[-1] for p in positions])),
        "steps": int(idx.size),
        "strides_per_foot": {str(f): int((st.foot[idx] == f).sum()) for f in np.unique(st.foot[idx])},
        "lead_foot": str(st.foot[idx][np.argmin(st.t_tc[idx])]),
        "step_length_m": float(np.mean(st.stride_length[idx][~(st.first[idx] | st.last[idx])]) / 2.0),
        "times_s": {},
        "path_m_after_s": {f"{s:g}": float(np.interp(onset + s, tp_all, dp_all))
                           for s in TIMED_SECONDS if onset + s <= tp_all[-1]},
    }
    for dist in distances:
        hit = np.flatnonzero(d >= dist)
        if hit.size == 0 or hit[0] == 0:
            continue
        i = hit[0]
        tc = t[i - 1] + (dist - d[i - 1]) / (d[i] - d[i - 1]) * (t[i] - t[i - 1])
        out["times_s"][f"{dist:g}"] = float(tc - onset)
    return out


def walk_test_truth(strides, distances: tuple[float, ...]) -> list[dict[str, Any]]:
    """One truth dict per forward or backward walking bout (both feet's stride truth needed)."""
    out = []
    for bout in np.unique(strides.bout):
        mask = (strides.bout == bout) & np.isin(strides.direction, ("forward", "backward"))
        if mask.sum() >= 2:
            out.append(_bout_truth(strides, mask, distances))
    return out


def simulate_walk_test(scenario: Scenario, seed: int = 0, *, trajectory: bool = False):
    """Simulate ``scenario`` (a walk-test preset or any scenario) with the walk-test truth: both feet
    are simulated, the recorded ones (``scenario.feet``) kept. Returns a
    :class:`~retrogait.simulator.engine.SimResult` whose ``truth.info["walk_test"]`` holds one dict per
    walking bout (see the module docstring)."""
    from retrogait.simulator.engine import simulate
    from retrogait.simulator.scenario_io import scenario_to_dict
    from retrogait.simulator.truth import session_totals

    both = copy.deepcopy(scenario)
    both.feet = ("left", "right")
    res = simulate(both, seed=seed, trajectory=trajectory)
    distances = (BWT_DISTANCE, TIMED_WALK_EXCLUDE, TIMED_WALK_DISTANCE - TIMED_WALK_EXCLUDE,
                 TIMED_WALK_DISTANCE)
    trials = walk_test_truth(res.truth.strides, distances)
    feet = tuple(scenario.feet)
    res.recording.streams = [s for s in res.recording.streams if s.foot in feet]
    test = "3mbwt" if scenario.name == "3mbwt" else "timed-walk" if scenario.name == "timed-walk" else None
    if test:
        res.recording.tags["test"] = test
    st = res.truth.strides.select(np.isin(res.truth.strides.foot, feet))
    res.truth.strides = st
    res.truth.totals = session_totals(st, list(feet))
    res.truth.mounts = {f: m for f, m in res.truth.mounts.items() if f in feet}
    info = res.truth.info
    info["feet"] = list(feet)
    info["scenario_spec"] = scenario_to_dict(scenario)
    for key in ("gaps", "saturated", "sensor_errors"):
        if isinstance(info.get(key), dict):
            info[key] = {f: v for f, v in info[key].items() if f in feet}
    info["walk_test"] = {
        "definitions": {
            "onset": "first terminal contact of the bout, either foot",
            "body": "over each foot at its mid-stance, linear in between (either foot); displacement "
                    "since the bout start projected on the start-to-end line",
            "times_s": "from the onset to the instant the body reaches the distance (keys in m)",
            "steps": "footfalls of both feet in the bout (strides of both feet)",
            "path_m_after_s": "body progress along the walked path (stride lengths) this many seconds "
                              "after the onset (keys in s)",
            "step_length_m": "mean stride length / 2 over strides that are neither a foot's first "
                             "nor its last of the bout",
        },
        "trials": trials,
    }
    if trajectory:
        res.trajectory = {f: v for f, v in res.trajectory.items() if f in feet}
    return res
