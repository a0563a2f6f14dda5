"""Stage: stances that were not stances (a pause of the rotation in mid-swing), found and dropped.

A quiet moment of the gyro is not always the foot on the ground: a swing that turns about one axis
pauses where its pitch reverses. Both checks below integrate through the doubtful stance and ask the
question the stance answers: was the foot at rest there (speed near zero, attitude as on the ground)?
"""

from __future__ import annotations

import numpy as np

from retrogait.analysis.bridging import FilledSamples
from retrogait.analysis.frames import FootSignals
from retrogait.analysis.ranges import row_norm
from retrogait.analysis.segmentation import Segments, anchors, segments
from retrogait.analysis.settings import DEFAULT, AnalysisSettings
from retrogait.analysis.stance import Stances
from retrogait.analysis.strapdown import integrate


def drop_false_stances(t: np.ndarray, sig: FootSignals, st: Stances, energy: np.ndarray, rate: float,
                       s: AnalysisSettings = DEFAULT, filled: FilledSamples | None = None,
                       ) -> tuple[Stances, Segments]:
    """The stage: the stances without the false ones, and the segments between them. ``filled``: the
    samples bridged over data gaps (see :func:`moving_stances`)."""
    segs = segments(st.starts, st.stops, st.block_id, energy, rate, st.rolling, s.segments)
    false = np.union1d(moving_stances(t, sig, segs, rate, s, filled),
                       moving_rolling_stances(t, sig, st.starts, st.stops, st.block_id, st.rolling, energy, rate, s))
    if false.size == 0:
        return st, segs
    st = st.without(false)
    return st, segments(st.starts, st.stops, st.block_id, energy, rate, st.rolling, s.segments)


def moving_stances(t: np.ndarray, sig: FootSignals, segs: Segments, rate: float,
                   s: AnalysisSettings = DEFAULT, filled: FilledSamples | None = None) -> np.ndarray:
    """Brief stance regions where the foot was in fact moving (a pause of the rotation mid-swing).

    The two segments around each brief stance are integrated as one; if the foot's velocity at the
    stance is well above zero, the stance is not one. Returns the indices of those regions. A pair
    holding samples filled in over an uncertain data gap (``filled``) is not judged: the velocity
    integrated through invented samples says nothing about the stance (packet loss at an impact
    would otherwise remove the stance after it and merge two strides).
    """
    brief = (segs.stance1_stop - segs.still_from) < s.segments.brief_stance * rate
    k = np.flatnonzero(brief[:-1] & segs.chained[1:] & (segs.region[1:] == segs.region[:-1] + 1))
    if filled is not None and k.size:
        uncertain = filled.mask & ((filled.dynamics > 0) | (filled.rotation > 0))
        count = np.concatenate([[0], np.cumsum(uncertain)])
        k = k[count[segs.end[k + 1] + 1] == count[segs.start[k]]]
    if k.size == 0:
        return k
    tr = integrate(
        t, sig, segs.start[k], segs.end[k + 1], segs.still_until[k], segs.still_from[k + 1],
        segs.stance0_start[k], segs.stance1_stop[k + 1], rate, segs.rolling[k] | segs.rolling[k + 1],
        s=s.kinematics,
    )
    mid = tr.first + (segs.end[k] - segs.start[k])
    dt = t[tr.idx[mid + 1]] - t[tr.idx[mid - 1]]
    v = row_norm(tr.pos[mid + 1] - tr.pos[mid - 1]) / dt
    # peak speed over the merged pair: integration drift over two strides scales with it (running)
    step = np.diff(tr.pos, axis=0, prepend=tr.pos[:1])
    speed = row_norm(step) / np.maximum(np.diff(t[tr.idx], prepend=t[tr.idx[0]]), 1e-9)
    speed[tr.first] = 0.0
    v_max = np.maximum.reduceat(speed, tr.first)
    moving = v > np.maximum(s.segments.moving_stance, s.segments.moving_fraction * v_max)
    return segs.region[k[moving]] + 1


def moving_rolling_stances(
    t: np.ndarray, sig: FootSignals, starts: np.ndarray, stops: np.ndarray, block_id: np.ndarray,
    rolling: np.ndarray, energy: np.ndarray, rate: float, s: AnalysisSettings = DEFAULT,
) -> np.ndarray:
    """Rolling stance regions that were a pause of the swing, judged between the still stances.

    In slow walking a swing that turns about one axis only pauses its rotation where the pitch
    reverses (after toe-off, before landing) as quietly as a stance. A rolling stance found between two
    still stances no more than ``segments.bracket`` s apart is checked by integrating from the still stance
    before it to the one after it, where the foot truly is at rest: on the ground the foot is near the
    attitude it had at the still stance (within ``stance.max_tilt_brief``; swing pauses are pitched 20-55
    deg) and no faster than ``segments.moving_stance`` (or ``moving_fraction`` of the bracket's peak speed). On
    the PyShoe running trials the rolling stances so bracketed are within 3 deg. Rolling stances with
    no such bracket (running on) are left to the cycle rule. Returns region indices.
    """
    r = np.flatnonzero(rolling)
    if r.size == 0:
        return r
    idx = np.arange(starts.shape[0])
    prev_still = np.maximum.accumulate(np.where(~rolling, idx, -1))
    nxt = np.where(~rolling, idx, starts.shape[0])
    next_still = np.minimum.accumulate(nxt[::-1])[::-1]
    p, q = prev_still[r], next_still[r]
    ok = (p >= 0) & (q < starts.shape[0])
    p_, q_ = np.clip(p, 0, starts.shape[0] - 1), np.clip(q, 0, starts.shape[0] - 1)
    ok &= (block_id[p_] == block_id[q_]) & ((starts[q_] - stops[p_]) <= s.segments.bracket * rate)
    if not ok.any():
        return np.zeros(0, dtype=np.int64)
    r, p, q = r[ok], p[ok], q[ok]
    entry, exit_ = anchors(starts, stops, energy, rate, s.segments)
    pairs, inv = np.unique(np.column_stack([p, q]), axis=0, return_inverse=True)
    a, b = pairs[:, 0], pairs[:, 1]
    tr = integrate(t, sig, exit_[a], entry[b], stops[a], starts[b], starts[a], stops[b], rate, s=s.kinematics)
    pos = tr.first[inv] + (entry[r] - exit_[a][inv])  # the rolling stance's anchor in the flat arrays
    dt = t[tr.idx[pos + 1]] - t[tr.idx[pos - 1]]
    v = row_norm(tr.pos[pos + 1] - tr.pos[pos - 1]) / dt
    step = np.diff(tr.pos, axis=0, prepend=tr.pos[:1])
    speed = row_norm(step) / np.maximum(np.diff(t[tr.idx], prepend=t[tr.idx[0]]), 1e-9)
    speed[tr.first] = 0.0
    v_max = np.maximum.reduceat(speed, tr.first)[inv]
    # the attitude at the stance against the still stance before it (integrated, levelled there)
    tilt = np.hypot(tr.pitch[pos] - tr.pitch[tr.first[inv]], tr.roll[pos] - tr.roll[tr.first[inv]])
    moving = v > np.maximum(s.segments.moving_stance, s.segments.moving_fraction * v_max)
    return r[moving | (tilt > s.stance.max_tilt_brief)]
