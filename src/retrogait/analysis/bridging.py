"""Bridging short data gaps (wireless packet loss) before the analysis, so no stride is lost to them.

Wireless IMUs drop packets in bursts of a few samples (2-11 at a time, several % of a session). A gap
is a missing stretch of the sampling grid: where the step between two timestamps is at least 1.5
nominal steps. Gaps up to :data:`MAX_BRIDGE` long are filled on the nominal grid with a cubic Hermite
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

from retrogait.analysis.ranges import row_norm
from retrogait.recording import GRAVITY, Stream

MAX_BRIDGE = 0.15  # s: longest gap filled by interpolation
UNCERTAIN_GAP = 0.03  # s: shorter gaps are filled well enough to count as measured (see FilledSamples)
GAP_STEPS = 1.5  # a step this many nominal steps long or more has samples missing


@dataclass(frozen=True)
class FilledSamples:
    """Per sample of the bridged stream: which were filled in, and how uncertain they are.

    ``dynamics`` (m/s^2) is how far the specific force around the gap departs from g (the mean over the
    two samples on each side): an interpolated acceleration is off by a fraction of the motion it
    replaces, so a gap in a quiet stance costs nothing and one over a push-off or an impact costs
    metres per second. ``rotation`` (rad/s) is the angular rate around the gap, likewise. Both are 0
    outside the gaps. The strapdown integration puts the velocity drift and the end-stance tilt error
    into the gaps in proportion to them. Gaps shorter than :data:`UNCERTAIN_GAP` get 0: the foot's
    signals carry little above ~15 Hz, and a cubic through both ends follows them over less than half
    such a period, so their filled samples are as good as measured ones (x-io's 400 Hz files drop 1-4
    samples at a time: weighting those gaps moved the drift there and doubled the loop closure error).
    """

    mask: np.ndarray
    dynamics: np.ndarray
    rotation: np.ndarray


def bridge_gaps(stream: Stream) -> tuple[Stream, FilledSamples | None, int]:
    """The stream with its short gaps filled, what was filled (None if nothing) and the number of gaps
    filled. Timestamps that are not finite and increasing are left alone (the gap splitter reports
    them)."""
    t = stream.t
    if t.shape[0] < 4:
        return stream, None, 0
    dt = np.diff(t)
    if not np.all(np.isfinite(dt)) or np.any(dt <= 0):
        return stream, None, 0
    step = float(np.median(dt))
    gap = np.flatnonzero((dt >= GAP_STEPS * step) & (dt <= MAX_BRIDGE))
    gap = gap[(gap >= 1) & (gap <= t.shape[0] - 3)]  # slopes need a sample on each side
    if gap.size == 0:
        return stream, None, 0
    n_new = np.maximum(np.rint(dt[gap] / step).astype(np.int64) - 1, 1)
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
    certain = dt[gap] < UNCERTAIN_GAP
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
