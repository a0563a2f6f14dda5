"""The body's progress along a walk, estimated from the feet (one or two), and the instant it passes a
distance.

Definition (stated, not fitted): in walking the body passes over the stance foot at that foot's
mid-stance, and between two mid-stances (of either foot) it moves at a constant speed. So the body's
progress is the piecewise-linear curve through the points (mid-stance time, foot position), where a
foot's position is its displacement since the walk started (sum of its stride vectors so far),
projected on the walk's direction of travel (that foot's start-to-end line). Both feet start side by
side and end side by side, so both feet's positions measure the same body progress.

With one foot, every other point is missing; the curve goes straight from one of its mid-stances to
the next (one stride), which is exact when the two steps of that stride are equally long and equally
fast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Track:
    """Body progress at anchor instants: ``t`` (s, increasing) and ``d`` (m, non-decreasing)."""

    t: np.ndarray
    d: np.ndarray

    def time_at(self, distance: float) -> float:
        """First instant the progress reaches ``distance`` (linear between anchors); NaN if never or
        if it is already there at the first anchor (the crossing is not bracketed)."""
        hit = np.flatnonzero(self.d >= distance)
        if hit.size == 0 or hit[0] == 0:
            return float("nan")
        i = int(hit[0])
        d0, d1, t0, t1 = self.d[i - 1], self.d[i], self.t[i - 1], self.t[i]
        return float(t0 + (distance - d0) / (d1 - d0) * (t1 - t0))

    def distance_at(self, t: float) -> float:
        """Progress at instant ``t`` (held constant outside the anchors)."""
        return float(np.interp(t, self.t, self.d))

    @property
    def total(self) -> float:
        """Progress at the last anchor, m."""
        return float(self.d[-1]) if self.d.size else 0.0


def foot_positions(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (N, 2) of one foot after each of its consecutive strides (start at the origin) and the
    unit direction of travel (start-to-end line; the mean stride direction when the walk returns to
    its start)."""
    vec = np.asarray(vectors, dtype=float).reshape(-1, 2)
    pos = np.cumsum(vec, axis=0)
    total = pos[-1] if len(pos) else np.zeros(2)
    norm = float(np.linalg.norm(total))
    if norm < 1e-9:
        total = vec.sum(axis=0) if len(vec) else np.array([1.0, 0.0])
        norm = float(np.linalg.norm(total)) or 1.0
    return pos, total / norm


def body_track(times: list[np.ndarray], progress: list[np.ndarray], t0: float | None = None) -> Track:
    """The merged body track from each foot's mid-stance times and progress values (same length per
    foot); ``t0``: the onset, where the progress is 0 (added as the first anchor)."""
    t = np.concatenate(times) if times else np.zeros(0)
    d = np.concatenate(progress) if progress else np.zeros(0)
    order = np.argsort(t, kind="stable")
    t, d = t[order], d[order]
    if t0 is not None and (t.size == 0 or t0 < t[0]):
        t = np.concatenate([[t0], t])
        d = np.concatenate([[0.0], d])
    # a small backward slip of one foot must not make the crossing ambiguous: the progress so far
    return Track(t, np.maximum.accumulate(d) if d.size else d)
