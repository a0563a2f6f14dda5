"""Zero-velocity (stance) detection: windowed gyro norm + accelerometer norm, with an energy fallback.

All thresholds are physical (rad/s, m/s^2) and all windows are in seconds, so the detector behaves the
same at 50 Hz and at 1000 Hz. On a treadmill the belt is an inertial frame: the stance foot moving with
the belt looks exactly like a foot standing still, so the same detector applies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d, uniform_filter1d

from retrogait.analysis.ranges import range_sums
from retrogait.recording import GRAVITY


@dataclass(frozen=True)
class StanceSettings:
    """Thresholds of the stance detector (physical units, windows in seconds)."""

    gyr_threshold: float = 0.6  # rad/s (~34 deg/s), max of the gyro norm over the window
    acc_threshold: float = 2.5  # m/s^2, max | |acc| - g | over the window
    window: float = 0.05  # s
    close_gap: float = 0.06  # s, motion blips shorter than this inside a stance are ignored
    min_stance: float = 0.02  # s
    energy_window: float = 0.1  # s, smoothing of the gyro energy used for mid-stance / fallback
    fallback_after: float = 1.2  # s of uninterrupted motion before looking for forced stances
    fallback_threshold: float = 2.0  # rad/s, energy minimum must be below this to count as a stance
    fallback_spacing: float = 0.5  # s between forced stances
    fallback_halfwidth: float = 0.025  # s, half width of a forced stance
    max_tilt: float = np.deg2rad(25.0)  # a stance's gravity direction within this of the usual one
    max_tilt_brief: float = np.deg2rad(12.0)  # ... for stances shorter than ``brief``
    brief: float = 0.15  # s


def _odd(n: float) -> int:
    k = max(1, int(round(n)))
    return k if k % 2 else k + 1


def gyro_energy(gyr_norm: np.ndarray, rate: float, s: StanceSettings = StanceSettings()) -> np.ndarray:
    """Gyro norm smoothed over ``energy_window`` (rad/s): low at mid-stance."""
    return uniform_filter1d(gyr_norm, _odd(s.energy_window * rate), mode="nearest")


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop (exclusive) indices of the runs of True in ``mask``."""
    m = np.concatenate([[False], mask, [False]]).view(np.int8)
    d = np.diff(m)
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def cover(n: int, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Boolean mask of length ``n`` that is True inside the ranges ``[starts, stops)``."""
    d = np.zeros(n + 1, dtype=np.int32)
    np.add.at(d, np.clip(starts, 0, n), 1)
    np.add.at(d, np.clip(stops, 0, n), -1)
    return np.cumsum(d[:-1]) > 0


def zero_velocity(
    acc_norm: np.ndarray,
    gyr_norm: np.ndarray,
    energy: np.ndarray,
    rate: float,
    s: StanceSettings = StanceSettings(),
) -> np.ndarray:
    """Boolean mask of zero-velocity samples.

    A sample is still when, over a ``window`` around it, the gyro norm stays below ``gyr_threshold`` and
    the accelerometer norm stays within ``acc_threshold`` of g. Long stretches of motion (fast strides
    whose stance is too short for the thresholds) get a short forced stance at each clear minimum of the
    gyro energy, so every stride has at least one zero-velocity region.
    """
    w = _odd(s.window * rate)
    still = maximum_filter1d(gyr_norm, w, mode="nearest") < s.gyr_threshold
    still &= maximum_filter1d(np.abs(acc_norm - GRAVITY), w, mode="nearest") < s.acc_threshold
    # close short motion blips inside a stance (binary closing with min/max filters)
    c = _odd(s.close_gap * rate)
    still = minimum_filter1d(maximum_filter1d(still, c, mode="nearest"), c, mode="nearest")

    starts, stops = runs(~still)
    long_motion = (stops - starts) > s.fallback_after * rate
    if long_motion.any():
        spacing = _odd(s.fallback_spacing * rate)
        is_min = (energy <= minimum_filter1d(energy, spacing, mode="nearest")) & (
            energy < s.fallback_threshold
        )
        n = still.shape[0]
        cand = np.flatnonzero(is_min & cover(n, starts[long_motion], stops[long_motion]))
        if cand.size:
            h = max(1, int(round(s.fallback_halfwidth * rate)))
            still |= cover(n, cand - h, cand + h + 1)
    # drop stance runs too short to be a stance
    starts, stops = runs(still)
    short = (stops - starts) < max(1, s.min_stance * rate)
    if short.any():
        still &= ~cover(still.shape[0], starts[short], stops[short])
    return still


def stance_regions(still: np.ndarray, blocks: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Stance regions ``[start, stop)`` that lie inside one continuous block each (split at gaps)."""
    starts, stops = runs(still)
    if not len(blocks):
        return starts, stops
    bstart = np.array([b[0] for b in blocks])
    bstop = np.array([b[1] for b in blocks])
    k = np.searchsorted(bstart, starts, side="right") - 1
    ok = (k >= 0) & (starts < bstop[np.clip(k, 0, None)])
    starts, stops, k = starts[ok], stops[ok], k[ok]
    stops = np.minimum(stops, bstop[k])
    return starts, stops


def drop_tilted(
    still: np.ndarray, acc: np.ndarray, rate: float, s: StanceSettings = StanceSettings()
) -> np.ndarray:
    """Remove still runs where the foot is tilted far from its usual stance attitude.

    A swing can pause its rotation for a moment (the pitch reverses after toe-off and before contact,
    notably in slow walking) while the foot is pitched tens of degrees; a foot on the ground is not.
    Brief still runs (fast-walking stances, pauses before contact) must be closer to the usual attitude.
    The reference attitude is the mean gravity direction over all still samples (long stances and
    standing dominate it), so no mounting needs to be known.
    """
    starts, stops = runs(still)
    if starts.size < 3:
        return still
    sums = range_sums(acc, starts, stops)
    ref = sums.sum(axis=0)
    ref /= np.linalg.norm(ref)
    up = sums / np.linalg.norm(sums, axis=1, keepdims=True)
    limit = np.where((stops - starts) < s.brief * rate, s.max_tilt_brief, s.max_tilt)
    tilted = np.arccos(np.clip(up @ ref, -1.0, 1.0)) > limit
    if tilted.any():
        still = still & ~cover(still.shape[0], starts[tilted], stops[tilted])
    return still

