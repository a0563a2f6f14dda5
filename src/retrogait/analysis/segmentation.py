"""Direction-agnostic segmentation: mid-stance to mid-stance segments between zero-velocity regions.

No forward template: any movement of the foot between two stances is a candidate stride, whether it
goes forward, backward, sideways or turns. Long standing periods get two anchors (entry and exit), so a
stride never spans a long rest, and the rest itself is a "standing" segment (heading carried over).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from retrogait.analysis.ranges import range_quiet_middle
from retrogait.analysis.settings import DEFAULT, SegmentSettings


@dataclass
class Segments:
    """Motion segments between consecutive stance regions (arrays of equal length M).

    ``start``/``end`` are the anchor samples (inclusive) at the mid-stances; ``still_until`` is the first
    sample after the start stance and ``still_from`` the first sample of the end stance (velocity is
    zero outside ``[still_until, still_from)``); ``chained`` says the segment directly follows the
    previous one (same block, heading carried through).
    """

    start: np.ndarray
    end: np.ndarray
    still_until: np.ndarray
    still_from: np.ndarray
    chained: np.ndarray
    standing_before: np.ndarray  # s of standing in the start stance region before this segment
    stand_start: np.ndarray  # anchors of the standing part before the segment (entry .. exit)
    stand_end: np.ndarray
    stance0_start: np.ndarray  # first sample of the start stance region
    stance1_stop: np.ndarray  # end (exclusive) of the end stance region
    region: np.ndarray  # index of the start stance region
    rolling: np.ndarray  # a stance at either end is rolling (the foot never came to rest there)

    def __len__(self) -> int:
        return int(self.start.shape[0])

    def subset(self, which: np.ndarray) -> Segments:
        """The segments numbered ``which`` (in that order)."""
        return Segments(**{f.name: getattr(self, f.name)[which] for f in fields(self)})


def anchors(
    starts: np.ndarray, stops: np.ndarray, energy: np.ndarray, rate: float, s: SegmentSettings = DEFAULT.segments
) -> tuple[np.ndarray, np.ndarray]:
    """Entry and exit anchor of each stance region (the same mid-stance sample for short stances).

    An anchor is the middle of the quietest samples (gyro energy within ``anchor_tol`` of its minimum), not
    the single lowest one: at rest the energy is a flat floor of noise, whose lowest sample jumps from
    one end of the foot-flat phase to the other with any change of noise or gyro bias; the middle
    stays put, as far as possible from the rolling phases on either side.
    """
    win = max(1, int(round(s.anchor_window * rate)))
    long_ = (stops - starts) > s.long_stance * rate
    entry_stop = np.where(long_, np.minimum(starts + win, stops), stops)
    exit_start = np.where(long_, np.maximum(stops - win, starts), starts)
    entry = range_quiet_middle(energy, starts, entry_stop, s.anchor_tol)
    exit_ = range_quiet_middle(energy, exit_start, stops, s.anchor_tol)
    return entry, exit_


def segments(
    starts: np.ndarray,
    stops: np.ndarray,
    block_id: np.ndarray,
    energy: np.ndarray,
    rate: float,
    rolling: np.ndarray | None = None,
    s: SegmentSettings = DEFAULT.segments,
) -> Segments:
    """Motion segments from each stance region's exit anchor to the next region's entry anchor.

    ``rolling`` (optional, per stance region) marks the stances where the foot never came to rest.
    """
    if starts.shape[0] < 2:
        z = np.zeros(0, dtype=np.int64)
        return Segments(z, z, z, z, z.astype(bool), z.astype(float), z, z, z, z, z, z.astype(bool))
    if rolling is None:
        rolling = np.zeros(starts.shape[0], dtype=bool)
    entry, exit_ = anchors(starts, stops, energy, rate, s)
    same_block = block_id[1:] == block_id[:-1]
    motion = (starts[1:] - stops[:-1]) / rate
    ok = same_block & (motion <= s.max_motion)
    k = np.flatnonzero(ok)
    chained = np.zeros(k.shape[0], dtype=bool)
    if k.size:
        chained[1:] = k[1:] == k[:-1] + 1
    return Segments(
        start=exit_[k],
        end=entry[k + 1],
        still_until=stops[k],
        still_from=starts[k + 1],
        chained=chained,
        standing_before=(stops[k] - starts[k]) / rate,
        stand_start=entry[k],
        stand_end=exit_[k],
        stance0_start=starts[k],
        stance1_stop=stops[k + 1],
        region=k,
        rolling=rolling[k] | rolling[k + 1],
    )
