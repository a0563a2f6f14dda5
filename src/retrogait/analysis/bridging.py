"""Bridging short data gaps (wireless packet loss) before the analysis, so no stride is lost to them.

Wireless IMUs drop packets in bursts of a few samples (2-11 at a time, several % of a session). A gap
is a missing stretch of the sampling grid: where the step between two timestamps is at least 1.5
nominal steps. Gaps up to ``GapSettings.max_bridge`` long are filled on the nominal grid with a cubic Hermite
curve per channel, whose end slopes are the signal's slopes just outside the gap (the samples before
and after it), so a smooth swing rotation keeps its curvature instead of being cut by a straight line.
Longer gaps are not bridged: the analysis splits the data there, and no stride spans them.

Why 0.15 s: the foot's signals carry little above ~10 Hz (a running swing is ~0.5 s); a cubic through
the slopes at both ends follows such a signal over a good part of its period, while a longer hole in
a swing could hide a whole rotation reversal. A stride over a bridged gap is flagged (``bridged``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from retrogait.analysis.compiled import kernels
from retrogait.analysis.ranges import row_norm
from retrogait.analysis.settings import DEFAULT, GapSettings
from retrogait.io.recording import GRAVITY, Stream


@dataclass(frozen=True)
class FilledSamples:
    """Per sample of the bridged stream: which were filled in, and how uncertain they are.

    ``dynamics`` (m/s^2) is how far the specific force around the gap departs from g (the mean over the
    two samples on each side): an interpolated acceleration is off by a fraction of the motion it
    replaces, so a gap in a quiet stance costs nothing and one over a push-off or an impact costs
    metres per second. ``rotation`` (rad/s) is the angular rate around the gap, likewise. Both are 0
    outside the gaps. The strapdown integration puts the velocity drift and the end-stance tilt error
    into the gaps in proportion to them. Gaps shorter than ``GapSettings.uncertain_gap`` get 0: the foot's
    signals carry little above ~15 Hz, and a cubic through both ends follows them over less than half
    such a period, so their filled samples are as good as measured ones (x-io's 400 Hz files drop 1-4
    samples at a time: weighting those gaps moved the drift there and doubled the loop closure error).
    """

    mask: np.ndarray
    dynamics: np.ndarray
    rotation: np.ndarray


def bridge_gaps(stream: Stream, s: GapSettings = DEFAULT.gaps,
                step: float | None = None) -> tuple[Stream, FilledSamples | None, int]:
    """The stream with its short gaps filled, what was filled (None if nothing) and the number of gaps
    filled. Timestamps that are not finite and increasing are left alone (the gap splitter reports
    them). ``step``: the median sample interval when the caller has it (s)."""
    t = stream.t
    if t.shape[0] < 4:
        return stream, None, 0
    kern = kernels(int(t.shape[0]))
    if kern is not None and step is not None and step > 0:  # one pass, no array of the steps
        gap, finite, increasing = kern.steps(t, s.gap_steps * step, s.max_bridge, True)
        if not (finite and increasing):
            return stream, None, 0
    else:
        dt = np.diff(t)
        if not np.all(np.isfinite(dt)) or np.any(dt <= 0):
            return stream, None, 0
        step = float(np.median(dt)) if step is None else step
        gap = np.flatnonzero((dt >= s.gap_steps * step) & (dt <= s.max_bridge))
    gap = gap[(gap >= 1) & (gap <= t.shape[0] - 3)]  # slopes need a sample on each side
    if gap.size == 0:
        return stream, None, 0
    dt_gap = t[gap + 1] - t[gap]
    n_new = np.maximum(np.rint(dt_gap / step).astype(np.int64) - 1, 1)
    # where every old sample goes in the filled stream
    shift = np.zeros(t.shape[0], dtype=np.int64)
    shift[gap + 1] = n_new
    new_pos = np.arange(t.shape[0]) + np.cumsum(shift)
    total = t.shape[0] + int(n_new.sum())
    # the inserted samples: gap number and fraction of the gap
    owner = np.repeat(np.arange(gap.size), n_new)
    k = np.arange(owner.shape[0]) - np.repeat(np.cumsum(n_new) - n_new, n_new) + 1
    frac = k / (n_new[owner] + 1.0)
    a, b = gap[owner], gap[owner] + 1
    h = t[b] - t[a]
    ins_pos = new_pos[a] + k
    near = np.stack([gap - 1, gap, gap + 1, gap + 2])  # the two samples on each side of each gap
    acc_dev = np.abs(row_norm(stream.acc[near.ravel()].astype(np.float64)) - GRAVITY).reshape(4, -1).mean(axis=0)
    rot = row_norm(stream.gyr[near.ravel()].astype(np.float64)).reshape(4, -1).mean(axis=0)
    certain = dt_gap < s.uncertain_gap
    acc_dev[certain] = 0.0
    rot[certain] = 0.0
    filled = FilledSamples(np.zeros(total, dtype=bool), np.zeros(total), np.zeros(total))
    filled.mask[ins_pos] = True
    filled.dynamics[ins_pos] = acc_dev[owner]
    filled.rotation[ins_pos] = rot[owner]

    def fill(x: np.ndarray) -> np.ndarray:
        out = np.empty((total,) + x.shape[1:], dtype=x.dtype)
        out[new_pos] = x
        x64 = x.astype(np.float64, copy=False)
        m0 = (x64[a] - x64[a - 1]) / (t[a] - t[a - 1])[:, None]
        m1 = (x64[b + 1] - x64[b]) / (t[b + 1] - t[b])[:, None]
        s = frac[:, None]
        h00, h10 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s
        h01, h11 = -2 * s**3 + 3 * s**2, s**3 - s**2
        out[ins_pos] = h00 * x64[a] + h10 * h[:, None] * m0 + h01 * x64[b] + h11 * h[:, None] * m1
        return out

    t_new = np.empty(total)
    t_new[new_pos] = t
    t_new[ins_pos] = t[a] + frac * h
    bridged = replace(stream, t=t_new, acc=fill(stream.acc), gyr=fill(stream.gyr), mag=None, t_host=None)
    return bridged, filled, int(gap.size)


def refill_from_neighbours(x: np.ndarray, filled: FilledSamples, seg_start: np.ndarray, seg_end: np.ndarray,
                           chained: np.ndarray) -> int:
    """Re-fill the uncertain gaps of ``x`` (N, 3), in place, from the same phase of a neighbouring stride.

    Gait repeats itself: where a gap of ``GapSettings.uncertain_gap`` or more falls inside a stride (segment
    ``k`` from anchor ``seg_start[k]`` to ``seg_end[k]``), the previous stride (or the next, when the
    previous one is not chained to it or has a gap at that phase) went through the same motion. Its
    samples at the same fraction of the stride replace the cubic, shifted by a straight line so that
    they meet the measured samples at both ends of the gap. The cubic stays where no neighbour stride
    can lend its samples. Returns the number of samples re-filled.
    """
    gap = np.flatnonzero(filled.mask & (filled.dynamics > 0))
    m = seg_start.shape[0]
    if gap.size == 0 or m < 2:
        return 0
    # contiguous gap runs and the segment holding each
    brk = np.flatnonzero(np.diff(gap) > 1) + 1
    g0, g1 = gap[np.r_[0, brk]], gap[np.r_[brk - 1, gap.size - 1]] + 1
    k = np.searchsorted(seg_start, g0, side="right") - 1
    inside = (k >= 0) & (g0 > seg_start[np.maximum(k, 0)]) & (g1 <= seg_end[np.maximum(k, 0)])
    total = 0
    for side in (-1, 1):  # the previous stride first, then the next one
        n = k + side
        ok = inside & (n >= 0) & (n < m)
        nn, kk = np.clip(n, 0, m - 1), np.clip(k, 0, m - 1)
        ok &= chained[np.maximum(kk, nn)]  # the two strides follow each other directly
        a, b = g0 - 1, g1  # measured samples around each gap
        src_a = _phase_map(a, kk, nn, seg_start, seg_end)
        src_b = _phase_map(b, kk, nn, seg_start, seg_end)
        ok &= ~filled.mask[np.floor(src_a).astype(np.int64)] & ~filled.mask[np.ceil(src_b).astype(np.int64)]
        lens = g1 - g0
        span_ok = ok & (np.ceil(src_b) - np.floor(src_a) > lens)  # the source phase span holds the gap
        runs_ok = np.flatnonzero(span_ok)
        if runs_ok.size == 0:
            continue
        rl = lens[runs_ok]
        owner = np.repeat(runs_ok, rl)
        i = np.repeat(g0[runs_ok], rl) + np.arange(rl.sum()) - np.repeat(np.cumsum(rl) - rl, rl)
        src = _phase_map(i, kk[owner], nn[owner], seg_start, seg_end)
        lo = np.floor(src).astype(np.int64)
        w = (src - lo)[:, None]
        val = (1 - w) * x[lo] + w * x[np.minimum(lo + 1, x.shape[0] - 1)]
        da = x[a[owner]] - _at(x, src_a[owner])
        db = x[b[owner]] - _at(x, src_b[owner])
        f = ((i - a[owner]) / (b[owner] - a[owner]))[:, None]
        x[i] = val + da + f * (db - da)
        total += i.size
        inside &= ~span_ok  # done: the next side only for the rest
    return total


def _phase_map(i: np.ndarray, k: np.ndarray, n: np.ndarray, seg_start: np.ndarray, seg_end: np.ndarray) -> np.ndarray:
    """The (fractional) sample of stride ``n`` at the same fraction of the stride as sample ``i`` of ``k``."""
    u = (i - seg_start[k]) / np.maximum(seg_end[k] - seg_start[k], 1)
    return seg_start[n] + u * (seg_end[n] - seg_start[n])


def _at(x: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """``x`` linearly interpolated at fractional sample positions ``pos``."""
    lo = np.floor(pos).astype(np.int64)
    w = (pos - lo)[:, None]
    return (1 - w) * x[lo] + w * x[np.minimum(lo + 1, x.shape[0] - 1)]
