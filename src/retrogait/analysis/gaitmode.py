"""Walk or run per stride, and the running parameters: duty factor, flight, strike pattern, impact.

The rule. One foot cannot see the flight phase directly, but its duty factor (the fraction of its own
stride it spends on the ground) decides it for an alternating gait: the two feet alternate half a
stride apart, so they overlap (double support) when the duty factor is above 0.5 and are both off the
ground (flight) when it is below 0.5. That is the definition of running versus walking, so a stride is
``run`` when its duty factor is below :data:`RUN_DUTY` = 0.5.

The duty factor for the decision is measured with the swing bounds of
:func:`retrogait.analysis.events.swing_bounds` (push-off rotation, landing impact, bracketed by the
swing's tilt extremes), because the walking events (pitch extremes) sit inside a running swing and
would read ~0.55 for a run. On the PyShoe trials (real, 200 Hz) they give a median duty factor of
0.36-0.42 for the four runs and 0.54-0.58 for the six walks. Single strides scatter (5-95 %:
0.34-0.58 running), so the per-stride evidence (a logistic of the distance to 0.5, width ``GaitSettings.duty_spread``) is smoothed with the
same Viterbi pass as the walking direction: the gait changes rarely, and only for a run of strides.
Walking strides then keep the walking events (validated against motion capture), running strides
take the running events. Only forward and backward strides can be running: side steps and steps in
place (shuffles, turning on the spot) are short and quick too, but are not a run.

Strike pattern, from the foot strike angle (the foot's pitch at initial contact relative to its pitch
when flat in stance, toe up positive): ``rearfoot`` above 8 deg, ``forefoot`` below -1.6 deg,
``midfoot`` in between (the sagittal foot-strike-angle categories of Altman & Davis 2012, Gait
Posture 35:298, measured against motion capture; recalled [R], see docs/stances-and-running.md).
Backward runners land on the forefoot. Peak impact: the largest specific force (in g) from 20 ms
before to 60 ms after initial contact (the sensor's own range bounds it: saturated strides are
flagged).
"""

from __future__ import annotations

import numpy as np

from retrogait.analysis.direction import smooth_directions
from retrogait.analysis.ranges import range_first, range_index, row_norm
from retrogait.analysis.settings import DEFAULT, GaitSettings
from retrogait.io.recording import GRAVITY

GAITS = ("walk", "run")
STRIKES = ("rearfoot", "midfoot", "forefoot")


def duty_factor(stance_time: np.ndarray, stride_time: np.ndarray) -> np.ndarray:
    """Fraction of the stride the foot is on the ground."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(stride_time > 0, stance_time / stride_time, np.nan)


def gait_modes(duty_run: np.ndarray, bout: np.ndarray, s: GaitSettings = DEFAULT.gait,
               switch_prob: float = DEFAULT.direction.switch_prob) -> np.ndarray:
    """``walk`` / ``run`` per stride from the duty factor measured with the running events (see above)."""
    with np.errstate(over="ignore"):
        p_run = 1.0 / (1.0 + np.exp((np.nan_to_num(duty_run, nan=1.0) - s.run_duty) / s.duty_spread))
    state = smooth_directions(np.column_stack([1.0 - p_run, p_run]), bout, switch_prob)
    return np.array(GAITS, dtype="<U14")[state]


def flight_time(stance_time: np.ndarray, stride_time: np.ndarray, gait: np.ndarray) -> np.ndarray:
    """Time with both feet off the ground per step, s (``stride / 2 - contact``; NaN when walking)."""
    return np.where(gait == "run", np.maximum(0.5 * stride_time - stance_time, 0.0), np.nan)


def strike_pattern(strike_angle: np.ndarray, s: GaitSettings = DEFAULT.gait) -> np.ndarray:
    """``rearfoot`` / ``midfoot`` / ``forefoot`` from the foot strike angle (rad)."""
    out = np.where(strike_angle > s.rearfoot_above, "rearfoot",
                   np.where(strike_angle < s.forefoot_below, "forefoot", "midfoot"))
    return out.astype("<U14")


def peak_impact(acc: np.ndarray, t: np.ndarray, t_ic: np.ndarray, s: GaitSettings = DEFAULT.gait) -> np.ndarray:
    """Largest specific force (g) around each initial contact (``acc`` (N, 3) in m/s^2)."""
    if t_ic.size == 0:
        return np.zeros(0)
    a = np.searchsorted(t, t_ic - s.impact_before, side="left")
    b = np.maximum(np.searchsorted(t, t_ic + s.impact_after, side="right"), a + 1)
    b = np.minimum(b, t.shape[0])
    a = np.minimum(a, b - 1)
    idx, _ = range_index(a, b)
    return np.maximum.reduceat(row_norm(acc[idx]), range_first(b - a)) / GRAVITY
