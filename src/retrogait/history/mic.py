"""Minimal important change (MIC) per metric: the smallest change that matters to a person.

A change is reported as improved / worse (or higher / lower) only when it is beyond the person's
own noise (the detectable change, :mod:`retrogait.history.reliable_change`) **and** at least the MIC.
The values are the literature's *small meaningful change* where one exists; sources and their
[V]erified / [R]ecalled tags are in docs/metrics.md ("Minimal important change"). Metrics without a
known MIC get the verdict "beyond noise" for a detectable change: real, but of unknown importance.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

#: metric -> (what it is, source); the values are computed by :func:`minimal_important_change`.
SOURCES: dict[str, str] = {
    "speed_mean": "small meaningful change 0.05 m/s, Perera 2006 [V]",
    "timed_walk_speed": "small meaningful change of gait speed 0.05 m/s, Perera 2006 [V]",
    "stance_time_cv": "small meaningful change of stance-time SD 0.005 s, Brach 2010 [V], "
                      "as %-points of the baseline mean stance time",
    "swing_time_cv": "small meaningful change of swing-time SD 0.003 s, Brach 2010 [V], "
                     "as %-points of the baseline mean swing time",
    "stride_length_cv": "small meaningful change of step-length SD 0.24 cm, Brach 2010 [V], "
                        "as %-points of the baseline mean step length (half the stride length; an approximation)",
}

SPEED_MIC = 0.05  # m/s
STANCE_SD_MIC = 0.005  # s
SWING_SD_MIC = 0.003  # s
STEP_LENGTH_SD_MIC = 0.0024  # m


def _mean(values: Sequence[float | None]) -> float:
    v = [x for x in values if x is not None and math.isfinite(x)]
    return float(np.mean(v)) if v else math.nan


def minimal_important_change(metric: str, baseline_value: Callable[[str], float]) -> tuple[float, str]:
    """The MIC of ``metric`` in its stored unit and its source; ``(nan, "")`` when none is known.

    ``baseline_value(name)`` gives the baseline mean of another metric of the same direction (the
    CV thresholds are SDs in seconds or metres, turned into %-points of the baseline mean).
    """
    if metric in ("speed_mean", "timed_walk_speed"):
        return SPEED_MIC, SOURCES[metric]
    if metric in ("stance_time_cv", "swing_time_cv"):
        cadence, stance_pct = baseline_value("cadence"), baseline_value("stance_fraction")
        if not (cadence > 0 and 0 < stance_pct < 100):
            return math.nan, ""
        stride_time = 120.0 / cadence
        part = stride_time * (stance_pct if metric == "stance_time_cv" else 100.0 - stance_pct) / 100.0
        sd = STANCE_SD_MIC if metric == "stance_time_cv" else SWING_SD_MIC
        return 100.0 * sd / part, SOURCES[metric]
    if metric == "stride_length_cv":
        length = baseline_value("stride_length_mean")
        if not length > 0:
            return math.nan, ""
        return 100.0 * STEP_LENGTH_SD_MIC / (length / 2.0), SOURCES[metric]
    return math.nan, ""
