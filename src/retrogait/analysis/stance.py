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
from retrogait.analysis.filters import PIECE, moving_mean, running_max
from retrogait.analysis.peaks import find_peaks, local_maxima, window_max_at
from retrogait.analysis.ranges import range_first, range_index, range_sums
from retrogait.analysis.runs import Runs, at_least, close, complement, cover, meets, merge, runs, union, widen
from retrogait.analysis.sensor_errors import unbiased_norm
from retrogait.analysis.settings import DEFAULT, StanceSettings
from retrogait.io.recording import GRAVITY


def _odd(n: float) -> int:
    k = max(1, int(round(n)))
    return k if k % 2 else k + 1


def gyro_energy(gyr_norm: np.ndarray, rate: float, s: StanceSettings = DEFAULT.stance,
                out: np.ndarray | None = None) -> np.ndarray:
    """Gyro norm smoothed over ``energy_window`` (rad/s): low at mid-stance."""
    return moving_mean(gyr_norm, _odd(s.energy_window * rate), out=out)


def unbiased_gyro_energy(gyr: np.ndarray, gyr_norm: np.ndarray, bias: np.ndarray, rate: float,
                         s: StanceSettings = DEFAULT.stance, out: np.ndarray | None = None) -> np.ndarray:
    """:func:`gyro_energy` of the gyro less its ``bias`` (rad/s, sensor frame); a long recording's
    unbiased norms are never held whole (``out``: where to write it, e.g. a used energy's array)."""
    if not bias.any():
        return gyro_energy(gyr_norm, rate, s, out)
    kern = kernels(int(gyr.shape[0]))
    if kern is not None:
        y = np.empty(gyr.shape[0]) if out is None else out
        kern.unbiased_energy(gyr, bias, _odd(s.energy_window * rate) // 2, PIECE, y)
        return y
    return gyro_energy(unbiased_norm(gyr, gyr_norm, bias), rate, s, out)


def zero_velocity(
    acc_norm: np.ndarray,
    gyr_norm: np.ndarray,
    rate: float,
    s: StanceSettings = DEFAULT.stance,
) -> np.ndarray:
    """Boolean mask of zero-velocity samples (:func:`still_runs` as a mask)."""
    return cover(int(gyr_norm.shape[0]), *still_runs(acc_norm, gyr_norm, rate, s))


def still_runs(acc_norm: np.ndarray, gyr_norm: np.ndarray, rate: float, s: StanceSettings = DEFAULT.stance) -> Runs:
    """The still samples, as runs (:mod:`retrogait.analysis.runs`).

    A sample is still when, over a ``window`` around it, the gyro norm stays below ``gyr_threshold`` and
    the accelerometer norm stays within ``acc_threshold`` of g. Motion blips shorter than ``close_gap``
    inside a stance are closed over, and runs shorter than ``min_stance`` dropped. The foot need not
    be still for a stance: :func:`cycle_stances` finds the quiet stretch of every gait cycle whose foot
    never came to rest.
    """
    n = int(gyr_norm.shape[0])
    moving = _moving(acc_norm, gyr_norm, s)
    still = complement(widen(moving, _odd(s.window * rate) // 2, n), n)  # nothing moving within the window
    still = close(still, _odd(s.close_gap * rate) // 2, n)  # binary closing: short blips inside a stance
    return at_least(still, max(1, s.min_stance * rate))


def _moving(acc_norm: np.ndarray, gyr_norm: np.ndarray, s: StanceSettings) -> Runs:
    """Runs of the samples that fail the still test on their own: gyro norm at or above
    ``gyr_threshold``, or specific force not within ``acc_threshold`` of g."""
    kern = kernels(int(gyr_norm.shape[0]))
    if kern is not None:
        starts, stops = kern.moving_runs(gyr_norm, acc_norm, s.gyr_threshold, GRAVITY, s.acc_threshold)
        return starts, stops
    mask = gyr_norm >= s.gyr_threshold
    mask |= ~_calm(acc_norm, s.acc_threshold, strict=True)
    return runs(mask)


def cycle_stances(gyr_norm: np.ndarray, acc_norm: np.ndarray, still: np.ndarray, rate: float,
                  s: StanceSettings = DEFAULT.stance, energy: np.ndarray | None = None) -> np.ndarray:
    """Mask of the stances the stillness test misses (:func:`cycle_runs` as a mask; ``still``: mask)."""
    n = int(gyr_norm.shape[0])
    return cover(n, *cycle_runs(gyr_norm, acc_norm, runs(still), rate, s, energy))


def cycle_runs(gyr_norm: np.ndarray, acc_norm: np.ndarray, still: Runs, rate: float,
               s: StanceSettings = DEFAULT.stance, energy: np.ndarray | None = None) -> Runs:
    """Runs of the stances the stillness test misses: the quietest moment between two swings.

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

    ``still``: the still stances (:func:`still_runs`).
    """
    n = int(gyr_norm.shape[0])
    none = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    big = _odd(s.cycle_window * rate)
    if energy is None:  # the gyro energy (gyro_energy), when the caller has not got it already
        energy = gyro_energy(gyr_norm, rate, s)
    maxima = local_maxima(energy)
    peaks = find_peaks(energy, height=s.swing_min, distance=max(1, int(s.swing_spacing * rate)), maxima=maxima)
    peaks = peaks[energy[peaks] >= 0.5 * window_max_at(energy, peaks, big // 2, maxima)]
    if peaks.size < 2:
        return none
    lo, hi = peaks[:-1], peaks[1:]
    pair = (hi - lo) <= s.cycle_window * rate
    pair &= ~meets(still, lo, hi)  # a still stance between them: found already
    lo, hi = lo[pair], hi[pair]
    if lo.size == 0:  # every stance was still (most walking): the motion score is not needed
        return none
    # the motion score only where it is read: the pairs and cycle_halfwidth around them (a compact
    # layout of those samples: most of a walking day's stances are still, so most is never scored)
    h = max(1, int(round(s.cycle_halfwidth * rate)))
    area = merge(np.maximum(lo - h, 0), np.minimum(hi + h, n))
    at_, _ = range_index(*area)  # the samples scored, area by area
    score = _motion_score_at(gyr_norm, acc_norm, area, at_, _odd(s.cycle_smooth * rate), big)
    calm = np.abs(acc_norm[at_] - GRAVITY) <= s.acc_threshold  # as _calm (not strict)
    offset = range_first(area[1] - area[0]) - area[0]  # compact position = sample + offset of its area
    area_of = np.searchsorted(area[0], lo, side="right") - 1
    c_lo = lo + offset[area_of]
    idx, grp = range_index(c_lo, c_lo + (hi - lo))  # the pairs, in compact positions
    first = range_first(hi - lo)
    # the quietest moment where the specific force is near g: a foot at rest feels exactly g, so a
    # moment of strong acceleration (an impact, the push) cannot be the zero-velocity anchor however
    # little the foot turns there; such moments rank after every calm one (+1 on a score <= 1)
    ranked = score[idx] + ~calm[idx]
    low = np.minimum.reduceat(ranked, first)
    at = np.flatnonzero(ranked == low[grp])
    cand = idx[at[np.r_[True, grp[at][1:] != grp[at][:-1]]]]  # the first lowest sample of each pair
    cand = cand[score[cand] <= s.cycle_ratio]
    cand_i = at_[cand]  # as sample indices
    keep = _one_per_stride(cand_i, score[cand], still, n, int(s.min_stride * rate))
    cand, cand_i = cand[keep], cand_i[keep]
    if cand.size == 0:
        return none
    # the stance: the samples around it that are quiet (score within cycle_ratio) and whose specific
    # force is within acc_threshold of g (an impact transient may end a few ms before the foot is flat);
    # an area holds cycle_halfwidth on either side of its pairs, so the stance lies inside it
    quiet = (score <= s.cycle_ratio) & calm
    quiet[cand] = True
    qa, qb = runs(quiet)
    k = np.searchsorted(qa, cand, side="right") - 1
    shift = cand_i - cand  # compact -> sample index, per candidate
    return merge(np.maximum(qa[k], cand - h) + shift, np.minimum(qb[k], cand + h + 1) + shift)


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


def _motion_score_at(gyr_norm: np.ndarray, acc_norm: np.ndarray, area: Runs, at: np.ndarray, w: int,
                     big: int) -> np.ndarray:
    """The motion score at the samples ``at`` (the runs ``area`` laid out one after another): per sample,
    the larger of the gyro norm and of ``| |f| - g |`` (both averaged over ``w`` samples), each against
    its own highest value within ``big`` samples."""
    kern = kernels(int(gyr_norm.shape[0]))
    if kern is not None:  # area by area, never a recording-sized array
        out = np.empty(at.shape[0])
        kern.motion_score(gyr_norm, acc_norm, area[0], area[1], w // 2, big // 2, GRAVITY, PIECE, out)
        return out
    score = moving_mean(gyr_norm, w)
    top = running_max(score, big)
    score /= np.maximum(top, 1e-9, out=top)
    dev = moving_mean(acc_norm, w, deviation_from=GRAVITY)
    top = running_max(dev, big, out=top)
    dev /= np.maximum(top, 1e-9, out=top)
    del top
    return np.maximum(score[at], dev[at])


def _one_per_stride(cand: np.ndarray, score: np.ndarray, still: Runs, n: int, reach: int) -> np.ndarray:
    """Which quiet moments to keep (a mask over ``cand``): of those closer than ``reach`` samples (less
    than a stride), only the quietest.

    A swing can hold two bursts of rotation with a pause between them (push-off, then the swing
    forward); that pause may pass the ratio where the foot turns about one axis only, but the stance
    next to it is quieter, and two stances of one foot are at least a stride apart. A still stance is
    the quietest of all: a moment within ``reach`` of one is dropped.
    """
    if cand.size == 0:
        return np.zeros(0, dtype=bool)
    sa, sb = still
    keep = np.ones(cand.shape[0], dtype=bool)
    if sa.size:  # the nearest still sample before and after each candidate
        k = np.searchsorted(sa, cand, side="right") - 1
        last_still = np.where(k >= 0, sb[np.maximum(k, 0)] - 1, -reach - 1)
        next_still = np.where(k + 1 < sa.size, sa[np.minimum(k + 1, sa.size - 1)], n + reach + 1)
        keep = (cand - last_still > reach) & (next_still - cand > reach)
    for off in range(1, 5):  # the few candidates of the neighbouring half-strides
        for a, b in ((slice(off, None), slice(None, -off)), (slice(None, -off), slice(off, None))):
            near = np.abs(cand[a] - cand[b]) <= reach
            quieter = (score[b] < score[a]) | ((score[b] == score[a]) & (cand[b] < cand[a]))
            keep[a] &= ~(near & quieter)
    return keep


def stance_regions(still: Runs, blocks: list[tuple[int, int]]) -> Runs:
    """Stance regions ``[start, stop)`` that lie inside one continuous block each (split at gaps): a
    region that runs across a gap ends there."""
    starts, stops = still
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
    still: Runs, acc: np.ndarray, rate: float, s: StanceSettings = DEFAULT.stance,
    reference: np.ndarray | None = None, rolling: bool = False,
) -> tuple[Runs, np.ndarray]:
    """Remove the stance runs where the foot is tilted far from its usual stance attitude; also the
    summed specific force of each kept run (the reference of a later call).

    A swing can pause its rotation for a moment (the pitch reverses after toe-off and before contact,
    notably in slow walking) while the foot is pitched tens of degrees; a foot on the ground is not.
    Brief still runs (fast-walking stances, pauses before contact) must be closer to the usual attitude.
    The reference attitude is the mean gravity direction over all the runs (long stances and standing
    dominate it; over other stances when ``reference``, their summed specific force per run, is given
    and not empty), so no mounting needs to be known. ``rolling`` stances (found between two swings,
    see :func:`cycle_runs`) may tilt up to ``max_tilt`` however brief: a forefoot runner's heel need
    not touch the ground, and the foot then stays pitched toe-down through the contact.
    """
    starts, stops = still
    sums = range_sums(acc, starts, stops)
    if starts.size == 0 or (starts.size < 3 and reference is None):
        return still, sums
    ref = (reference if reference is not None and reference.shape[0] else sums).sum(axis=0)
    ref /= np.linalg.norm(ref)
    up = sums / np.linalg.norm(sums, axis=1, keepdims=True)
    brief = (stops - starts) < s.brief * rate
    limit = np.where(brief & (not rolling), s.max_tilt_brief, s.max_tilt)
    upright = ~(np.arccos(np.clip(up @ ref, -1.0, 1.0)) > limit)
    return (starts[upright], stops[upright]), sums[upright]


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
    still, still_sums = drop_tilted(still_runs(acc_norm, gyr_norm, rate, s), acc, rate, s)
    cycle, _ = drop_tilted(cycle_runs(gyr_norm, acc_norm, still, rate, s, energy), acc, rate, s, still_sums,
                           rolling=True)
    starts, stops = stance_regions(union(still, cycle), blocks)
    rolling = ~meets(still, starts, stops)  # the foot never came to rest in this stance
    bstart = np.array([b[0] for b in blocks]) if blocks else np.zeros(1, dtype=np.int64)
    block_id = np.searchsorted(bstart, starts, side="right") - 1
    return Stances(starts, stops, block_id, rolling)
