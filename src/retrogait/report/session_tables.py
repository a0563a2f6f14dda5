"""Display helpers for what `analyze` and the session report show (durations, clock times, the
default-mounting warning); the numbers themselves are in the summary
(:mod:`retrogait.analysis.session_groups`). Display units everywhere: cm, ms, deg, steps/min; long
durations in hours and minutes.
"""

from __future__ import annotations

import math
from typing import Any

from retrogait.analysis.frames import DEFAULT_MOUNTING


def fmt_duration(seconds: float | None) -> str:
    """``37.8 s``, ``4 min 12 s``, ``6 h 23 min``."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    if seconds < 60:
        return f"{seconds:.1f} s"
    s = int(round(seconds))
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"


def fmt_clock(seconds: float) -> str:
    """Time since the recording start as ``m:ss`` or ``h:mm:ss``."""
    s = int(seconds)
    return f"{s // 3600}:{(s % 3600) // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def default_mount_warning(info: dict[str, Any]) -> str | None:
    """The warning to print before any table when the default mounting was assumed."""
    feet = [f for f, s in info["sources"].items() if s == DEFAULT_MOUNTING]
    if not feet:
        return None
    who = "this sensor" if feet == ["unknown"] else f"the {' and '.join(feet)} foot"
    return (f"the recording stores no sensor mounting for {who} and no device profile "
            "matches: assumed the default (sensor x toes, y left, z up). If the sensor sits otherwise, the "
            "directions and the incline below are wrong: run 'retrogait calibrate FILE' (stand, then walk "
            "forward) or pass --mount")
