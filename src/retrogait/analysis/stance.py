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

from retrogait.analysis.compiled import kernels
from retrogait.analysis.filters import PIECE, moving_mean, running_max, running_min
from retrogait.analysis.peaks import find_peaks
from retrogait.analysis.ranges import range_first, range_index, range_sums
from retrogait.analysis.settings import DEFAULT, StanceSettings
from retrogait.io.recording import GRAVITY


def _odd(n: float) -> int:
    k = max(1, int(round(n)))
    return k if k % 2 else k + 1


def gyro_energy(gyr_norm: np.ndarray, rate: float, s: StanceSettings = DEFAULT.stance) -> np.ndarray:
    """Gyro norm smoothed over ``energy_window`` (rad/s): low at mid-stance."""
    return moving_mean(gyr_norm, _odd(s.energy_window * rate))


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop (exclusive) indices of the runs of True in ``mask``."""
    kern = kernels(int(mask.shape[0]))
    if kern is not None:
        starts, stops = kern.runs(mask)
        return starts, stops
    m = np.concatenate([[False], mask, [False]]).view(np.int8)
    d = np.diff(m)
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def cover(n: int, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Boolean mask of length ``n`` that is True inside the ranges ``[starts, stops)``."""
    kern = kernels(n)
    if kern is not None:
        out = np.zeros(n, dtype=bool)
        kern.cover(n, np.asarray(starts, dtype=np.int64), np.asarray(stops, dtype=np.int64), out)
        return out
    d = np.zeros(n + 1, dtype=np.int32)
    np.add.at(d, np.clip(starts, 0, n), 1)
    np.add.at(d, np.clip(stops, 0, n), -1)
    return np.cumsum(d[:-1]) > 0


def zero_velocity(
    acc_norm: np.ndarray,
    gyr_norm: np.ndarray,
    rate: float,
    s: StanceSettings = DEFAULT.stance,
) -> np.ndarray:
    """Boolean mask of zero-velocity samples.

    A sample is still when, over a ``window`` around it, the gyro norm stays below ``gyr_threshold`` and
    the accelerometer norm stays within ``acc_threshold`` of g. The foot need not be still for a stance:
    :func:`cycle_stances` finds the quiet stretch of every gait cycle whose foot never came to rest.
    """
    w = _odd(s.window * rate)
    still = ~running_max(gyr_norm >= s.gyr_threshold, w)  # the largest rate in the window is below it
    still &= ~running_max(~_calm(acc_norm, s.acc_threshold, strict=True), w)  # | |f| - g | < threshold over the window
    # close short motion blips inside a stance (binary closing with min/max filters)
    c = _odd(s.close_gap * rate)
    still = running_min(running_max(still, c), c)

    # drop stance runs too short to be a stance
    starts, stops = runs(still)
    short = (stops - starts) < max(1, s.min_stance * rate)
    if short.any():
        still &= ~cover(still.shape[0], starts[short], stops[short])
    return still


def cycle_stances(gyr_norm: np.ndarray, acc_norm: np.ndarray, still: np.ndarray, rate: float,
                  s: StanceSettings = DEFAULT.stance, energy: np.ndarray | None = None) -> np.ndarray:
    """Mask of the stances the stillness test misses: the quietest moment between two swings.

    1. Swings: the peaks of the gyro energy (``energy_window``) that reach ``swing_min`` and half the
       highest energy within ``cycle_window``, at least ``swing_spacing`` s apart (a stride lasts
       longer; the humps of one swing are closer).
    2. Between two consecutive swings (at most ``cycle_window`` apart) the foot was on the ground once.
       Its quietest moment is the lowest *motion score*: the larger of two ratios over
       ``cycle_smooth`` s, the gyro norm against its highest value within ``cycle_window`` and the
       accelerometer's departure from g against its highest value there. On the ground the foot only
       rolls about its contact, so both are small at some moment of the contact, even in running; in
       the air it is always turning or accelerating, so one of them stays large.
    3. That moment counts when its score is at most ``cycle_ratio``; where a still stance lies between
       the two swings, that is the stance already. Of two such moments less than ``min_stride`` apart
       the quieter is the stance. Each contributes its quiet samples (score within ``cycle_ratio``,
       specific force within ``acc_threshold`` of g) up to ``cycle_halfwidth`` on either side.
    """
    n = gyr_norm.shape[0]
    big = _odd(s.cycle_window * rate)
    if energy is None:  # the gyro energy (gyro_energy), when the caller has not got it already
        energy = gyro_energy(gyr_norm, rate, s)
    peaks = find_peaks(energy, height=s.swing_min, distance=max(1, int(s.swing_spacing * rate)))
    peaks = peaks[energy[peaks] >= 0.5 * running_max(energy, big)[peaks]]
    if peaks.size < 2:
        return np.zeros(n, dtype=bool)
    score = _motion_score(gyr_norm, acc_norm, _odd(s.cycle_smooth * rate), big)
    lo, hi = peaks[:-1], peaks[1:]
    pair = (hi - lo) <= s.cycle_window * rate
    pair &= held_counts(still, lo, hi) == 0  # a still stance between them: found already
    lo, hi = lo[pair], hi[pair]
    if lo.size == 0:
        return np.zeros(n, dtype=bool)
    idx, grp = range_index(lo, hi)
    first = range_first(hi - lo)
    # the quietest moment where the specific force is near g: a foot at rest feels exactly g, so a
    # moment of strong acceleration (an impact, the push) cannot be the zero-velocity anchor however
    # little the foot turns there; such moments rank after every calm one (+1 on a score <= 1)
    calm = _calm(acc_norm, s.acc_threshold)
    ranked = score[idx] + ~calm[idx]
    low = np.minimum.reduceat(ranked, first)
    at = np.flatnonzero(ranked == low[grp])
    cand = idx[at[np.r_[True, grp[at][1:] != grp[at][:-1]]]]  # the first lowest sample of each pair
    cand = cand[score[cand] <= s.cycle_ratio]
    cand = _one_per_stride(cand, score[cand], still, int(s.min_stride * rate))
    if cand.size == 0:
        return np.zeros(n, dtype=bool)
    # the stance: the samples around it that are quiet (score within cycle_ratio) and whose specific
    # force is within acc_threshold of g (an impact transient may end a few ms before the foot is flat)
    h = max(1, int(round(s.cycle_halfwidth * rate)))
    quiet = (score <= s.cycle_ratio) & calm
    quiet[cand] = True
    qa, qb = runs(quiet)
    k = np.searchsorted(qa, cand, side="right") - 1
    return cover(n, np.maximum(qa[k], cand - h), np.minimum(qb[k], cand + h + 1))


def _calm(acc_norm: np.ndarray, threshold: float, strict: bool = False) -> np.ndarray:
    """Samples whose specific force is within ``threshold`` of g (``strict``: closer than it); one
    recording-sized float temporary at most."""
    kern = kernels(int(acc_norm.shape[0]))
    if kern is not None:
        out = np.empty(acc_norm.shape[0], dtype=bool)
        kern.calm(acc_norm, GRAVITY, threshold, strict, out)
        return out
    dev = np.subtract(acc_norm, GRAVITY)
    np.abs(dev, out=dev)
    return dev < threshold if strict else dev <= threshold


def _motion_score(gyr_norm: np.ndarray, acc_norm: np.ndarray, w: int, big: int) -> np.ndarray:
    """Per sample, the larger of the gyro norm and of ``| |f| - g |`` (both averaged over ``w``
    samples), each against its own highest value within ``big`` samples (in place: a few arrays the
    size of the recording at a time)."""
    kern = kernels(int(gyr_norm.shape[0]))
    if kern is not None:
        score = moving_mean(gyr_norm, w)
        kern.ratio_to_running_max(score, big // 2, PIECE)  # in place: two recording-sized arrays at most
        dev = moving_mean(acc_norm, w, deviation_from=GRAVITY)
        kern.ratio_to_running_max(dev, big // 2, PIECE)
        return np.maximum(score, dev, out=score)
    score = moving_mean(gyr_norm, w)
    top = running_max(score, big)
    score /= np.maximum(top, 1e-9, out=top)
    dev = moving_mean(acc_norm, w, deviation_from=GRAVITY)
    top = running_max(dev, big, out=top)
    dev /= np.maximum(top, 1e-9, out=top)
    del top
    return np.maximum(score, dev, out=score)


def _one_per_stride(cand: np.ndarray, score: np.ndarray, still: np.ndarray, reach: int) -> np.ndarray:
    """Of quiet moments closer than ``reach`` samples (less than a stride), keep only the quietest.

    A swing can hold two bursts of rotation with a pause between them (push-off, then the swing
    forward); that pause may pass the ratio where the foot turns about one axis only, but the stance
    next to it is quieter, and two stances of one foot are at least a stride apart. A still stance is
    the quietest of all: a moment within ``reach`` of one is dropped.
    """
    if cand.size == 0:
        return cand
    sa, sb = runs(still)
    keep = np.ones(cand.shape[0], dtype=bool)
    if sa.size:  # the nearest still sample before and after each candidate
        k = np.searchsorted(sa, cand, side="right") - 1
        last_still = np.where(k >= 0, sb[np.maximum(k, 0)] - 1, -reach - 1)
        next_still = np.where(k + 1 < sa.size, sa[np.minimum(k + 1, sa.size - 1)], still.shape[0] + reach + 1)
        keep = (cand - last_still > reach) & (next_still - cand > reach)
    for off in range(1, 5):  # the few candidates of the neighbouring half-strides
        for a, b in ((slice(off, None), slice(None, -off)), (slice(None, -off), slice(off, None))):
            near = np.abs(cand[a] - cand[b]) <= reach
            quieter = (score[b] < score[a]) | ((score[b] == score[a]) & (cand[b] < cand[a]))
            keep[a] &= ~(near & quieter)
    return cand[keep]


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
    kern = kernels(int(mask.shape[0]))
    if kern is not None:
        out = np.empty(starts.shape[0], dtype=np.int64)
        kern.held_counts(mask, np.asarray(starts, dtype=np.int64), np.asarray(stops, dtype=np.int64), out)
        return out
    c = np.concatenate([[0], np.cumsum(mask, dtype=np.int64)])
    return c[stops] - c[starts]


def drop_tilted(
    still: np.ndarray, acc: np.ndarray, rate: float, s: StanceSettings = DEFAULT.stance,
    reference: np.ndarray | None = None, rolling: bool = False,
) -> np.ndarray:
    """Remove still runs where the foot is tilted far from its usual stance attitude.

    A swing can pause its rotation for a moment (the pitch reverses after toe-off and before contact,
    notably in slow walking) while the foot is pitched tens of degrees; a foot on the ground is not.
    Brief still runs (fast-walking stances, pauses before contact) must be closer to the usual attitude.
    The reference attitude is the mean gravity direction over all still samples (long stances and
    standing dominate it; ``reference``, another mask, when given and not empty), so no mounting needs
    to be known. ``rolling`` stances (found between two swings, see :func:`cycle_stances`) may tilt up
    to ``max_tilt`` however brief: a forefoot runner's heel need not touch the ground, and the foot
    then stays pitched toe-down through the contact.
    """
    starts, stops = runs(still)
    if starts.size < 3 and reference is None:
        return still
    if starts.size == 0:
        return still
    sums = range_sums(acc, starts, stops)
    ref_runs = runs(reference) if reference is not None and reference.any() else (starts, stops)
    ref = range_sums(acc, *ref_runs).sum(axis=0)
    ref /= np.linalg.norm(ref)
    up = sums / np.linalg.norm(sums, axis=1, keepdims=True)
    brief = (stops - starts) < s.brief * rate
    limit = np.where(brief & (not rolling), s.max_tilt_brief, s.max_tilt)
    tilted = np.arccos(np.clip(up @ ref, -1.0, 1.0)) > limit
    if tilted.any():
        still = still & ~cover(still.shape[0], starts[tilted], stops[tilted])
    return still



@dataclass(frozen=True)
class Stances:
    """Stance regions ``[starts[k], stops[k])`` (sample indices, sorted, disjoint), the continuous data
    block each lies in, and whether the foot never came to rest in it (``rolling``)."""

    starts: np.ndarray
    stops: np.ndarray
    block_id: np.ndarray
    rolling: np.ndarray

    def __len__(self) -> int:
        return int(self.starts.shape[0])

    def without(self, regions: np.ndarray) -> Stances:
        """The same stances less the regions numbered ``regions``."""
        keep = np.ones(len(self), dtype=bool)
        keep[regions] = False
        return Stances(self.starts[keep], self.stops[keep], self.block_id[keep], self.rolling[keep])


def find_stances(acc: np.ndarray, gyr_norm: np.ndarray, acc_norm: np.ndarray, energy: np.ndarray,
                 blocks: list[tuple[int, int]], rate: float, s: StanceSettings = DEFAULT.stance) -> Stances:
    """The stage: still stances, then cycle-relative (rolling) ones, upright, split at data gaps.

    ``acc`` is the (N, 3) specific force (sensor frame), ``energy`` the smoothed gyro norm
    (:func:`gyro_energy`), ``blocks`` the continuous stretches ``[a, b)`` of the data.
    """
    still = drop_tilted(zero_velocity(acc_norm, gyr_norm, rate, s), acc, rate, s)
    cycle = drop_tilted(cycle_stances(gyr_norm, acc_norm, still, rate, s, energy), acc, rate, s, still, rolling=True)
    starts, stops = stance_regions(still | cycle, blocks)
    rolling = held_counts(still, starts, stops) == 0  # the foot never came to rest in this stance
    bstart = np.array([b[0] for b in blocks]) if blocks else np.zeros(1, dtype=np.int64)
    block_id = np.searchsorted(bstart, starts, side="right") - 1
    return Stances(starts, stops, block_id, rolling)
