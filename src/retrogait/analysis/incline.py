"""Treadmill grade from the pitch of the foot while it is flat on the belt."""

from __future__ import annotations

import numpy as np


def stride_grade(pitch_ff: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Grade (%) along the direction of travel from the foot-flat pitch (rad, toe up positive).

    The mounting's level reference is the calibration stance, so a flat foot on a level belt has zero
    pitch. A forward walker uphill stands toe-up; a backward walker faces downhill, so an uphill
    (positive) grade shows as toe-down. Sideways and in-place strides give NaN.
    """
    sign = np.where(direction == "forward", 1.0, np.where(direction == "backward", -1.0, np.nan))
    return 100.0 * np.tan(pitch_ff * sign)


def session_grade(grade: np.ndarray, steady: np.ndarray) -> float | None:
    """Median grade over steady forward/backward strides (None when there are none)."""
    g = grade[steady & np.isfinite(grade)]
    if g.size == 0:
        g = grade[np.isfinite(grade)]
    return float(np.median(g)) if g.size else None
