"""The one definition of the words every part of retrogait shares: the walking directions and a gap.

Kept here, free of any heavy import, so that the simulator, the analysis, the balance metrics, the file
tools and the recorder all say the same thing (issue 13: there were three lists of directions and two
rules for a gap).
"""

from __future__ import annotations

import numpy as np

# --- walking directions --------------------------------------------------------------------------------

WALK_DIRECTIONS = ("forward", "backward", "sideways_left", "sideways_right")
"""Directions a stride can travel in (a walking bout of the simulator goes in one of them)."""

DIRECTIONS = WALK_DIRECTIONS + ("in_place",)
"""Every stride direction the analysis reports, in its order (``in_place``: turning or stepping on the
spot)."""

RUN_DIRECTIONS = ("forward", "backward")
"""Directions people run in."""

RUNNING_SUFFIX = "-running"
"""Running strides form groups of their own: ``"forward" + RUNNING_SUFFIX`` (never set against walking)."""

MEASURED_DIRECTIONS = ("backward", "forward") + tuple(d + RUNNING_SUFFIX for d in ("backward", "forward"))
"""The groups the balance metrics are measured in, each separately (other directions only count as
corrective steps)."""

# --- gaps ----------------------------------------------------------------------------------------------

GAP_STEPS = 1.5
"""A step between consecutive samples at least this many nominal sample periods long has samples
missing: a gap. (How long a gap may be and still be bridged or integrated across is the analysis'
business; this only says where samples are missing.)"""


def gap_indices(t: np.ndarray, period: float) -> np.ndarray:
    """Indices ``i`` where samples are missing between ``t[i]`` and ``t[i + 1]`` (see :data:`GAP_STEPS`)."""
    if t.shape[0] < 2 or not period > 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.diff(t) >= GAP_STEPS * period)


def missing_samples(dt: np.ndarray | float, period: float) -> np.ndarray:
    """Samples missing in steps ``dt`` long (at least 1 for a gap, 0 for a normal step)."""
    return np.maximum(np.rint(np.asarray(dt, dtype=float) / period).astype(np.int64) - 1, 0)
