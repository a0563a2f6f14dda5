"""Zero-velocity (stance) detection that adapts to the gait: still stances, then rolling ones.

Every gait cycle of a foot-mounted sensor has a stance, even when the foot is never still (running,
fast walking with a foot that keeps rolling). Stances are found in two ways, and their union is used:

1. *Still* samples: over a short window the gyro norm stays below ``gyr_threshold`` and the
   accelerometer norm stays within ``acc_threshold`` of g (the classic windowed detector). This is
   exact where the foot does come to rest (walking, standing) and sets the anchor there.
2. *Cycle-relative* stances (:func:`cycle_stances`): between two swings, the quietest stretch of the
   gyro energy. A stretch counts when the energy there is a small fraction (``cycle_ratio``) of the
   swing rotation around it (the highest energy within ``cycle_window``). The reason: on the ground the
   foot can only roll about its contact, a few degrees over the quiet part of the stance, while a swing
   turns it through 60-150 deg; the pauses of the rotation inside a swing (where the pitch reverses)
   keep a third or more of the swing's energy, because the other axes and the rest of the swing stay
   in the window. The ratio makes the rule independent of the gait's speed and of the sensor; the
   attitude check (:func:`drop_tilted`) and the pipeline's velocity check on brief stances back it up.

A stance region holding still samples is *still* (the foot came to rest); one found only by the cycle
rule is *rolling* (running contacts, fast-walking stances): see :func:`stance_regions`.

All thresholds are physical (rad/s, m/s^2) or ratios, and all windows are in seconds, so the detector
behaves the same at 50 Hz and at 1000 Hz. On a treadmill the belt is an inertial frame: the stance
foot moving with the belt looks exactly like a foot standing still, so the same detector applies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d, uniform_filter1d

from retrogait.analysis.ranges import range_quiet_middle, range_sums
from retrogait.recording import GRAVITY


@dataclass(frozen=True)
class StanceSettings:
    """Thresholds of the stance detector (physical units, windows in seconds)."""

    gyr_threshold: float = 0.6  # rad/s (~34 deg/s), max of the gyro norm over the window
    acc_threshold: float = 2.5  # m/s^2, max | |acc| - g | over the window
    window: float = 0.05  # s
    close_gap: float = 0.06  # s, motion blips shorter than this inside a stance are ignored
    min_stance: float = 0.02  # s
    energy_window: float = 0.1  # s, smoothing of the gyro energy used for mid-stance and cycle stances
    cycle_window: float = 1.6  # s: the swing around a stance lies within +-0.8 s (any stride < 1.6 s)
    cycle_ratio: float = 0.2  # a quiet stretch has at most this fraction of the swing's gyro energy
    swing_min: float = 1.0  # rad/s: energy a swing must reach around a cycle-relative stance
    cycle_halfwidth: float = 0.05  # s: half width kept around the quietest sample of such a stance
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
    rate: float,
    s: StanceSettings = StanceSettings(),
) -> np.ndarray:
    """Boolean mask of zero-velocity samples.

    A sample is still when, over a ``window`` around it, the gyro norm stays below ``gyr_threshold`` and
    the accelerometer norm stays within ``acc_threshold`` of g. The foot need not be still for a stance:
    :func:`cycle_stances` finds the quiet stretch of every gait cycle whose foot never came to rest.
    """
    w = _odd(s.window * rate)
    still = maximum_filter1d(gyr_norm, w, mode="nearest") < s.gyr_threshold
    still &= maximum_filter1d(np.abs(acc_norm - GRAVITY), w, mode="nearest") < s.acc_threshold
    # close short motion blips inside a stance (binary closing with min/max filters)
    c = _odd(s.close_gap * rate)
    still = minimum_filter1d(maximum_filter1d(still, c, mode="nearest"), c, mode="nearest")

    # drop stance runs too short to be a stance
    starts, stops = runs(still)
    short = (stops - starts) < max(1, s.min_stance * rate)
    if short.any():
        still &= ~cover(still.shape[0], starts[short], stops[short])
    return still


def cycle_stances(energy: np.ndarray, still: np.ndarray, rate: float,
                  s: StanceSettings = StanceSettings()) -> np.ndarray:
    """Mask of the stances the stillness test misses: the quiet stretch of each gait cycle.

    A stretch is quiet where the gyro energy is at most ``cycle_ratio`` of the highest energy within
    ``cycle_window`` (the swings around it), and that swing reaches ``swing_min``. Quiet stretches that
    hold a still sample are already stances; each other one contributes ``cycle_halfwidth`` around its
    quietest samples (see the module docstring for why the ratio separates stances from swings; the
    pipeline re-checks those that lie between two still stances, where a slow swing that turns about
    one axis only can pause as quietly as a stance).
    """
    n = energy.shape[0]
    swing = maximum_filter1d(energy, _odd(s.cycle_window * rate), mode="nearest")
    quiet = (energy <= s.cycle_ratio * swing) & (swing >= s.swing_min)
    a, b = runs(quiet)
    if a.size == 0:
        return np.zeros(n, dtype=bool)
    held = held_counts(still, a, b)  # still samples inside each quiet run
    a, b = a[held == 0], b[held == 0]
    if a.size == 0:
        return np.zeros(n, dtype=bool)
    mid = range_quiet_middle(energy, a, b, 0.0)
    h = max(1, int(round(s.cycle_halfwidth * rate)))
    return cover(n, np.maximum(a, mid - h), np.minimum(b, mid + h + 1))


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


def held_counts(mask: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Number of True samples of ``mask`` inside each range ``[starts, stops)``."""
    c = np.concatenate([[0], np.cumsum(mask, dtype=np.int64)])
    return c[stops] - c[starts]


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

