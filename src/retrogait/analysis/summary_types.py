"""The types of the session summary and the bouts: what every output reads (JSON-ready dicts)."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class Bout(TypedDict):
    """A walking bout of one foot: consecutive strides without standing longer than
    ``strides.bout_standing`` (times in s from the recording start, m, m/s)."""

    bout: int
    foot: str
    t_start: float
    t_end: float
    duration_s: float
    strides: int
    distance_m: float
    speed_m_s: float | None
    direction: str
    """The bout's most common direction."""
    gait: str
    strides_by_direction: dict[str, int]


class DirectionSummary(TypedDict):
    """One walking direction of the session (m, s, m/s)."""

    strides: int
    steps: int
    distance_m: float
    time_s: float
    stride_length_mean_m: float | None
    stride_length_sd_m: float | None
    speed_mean_m_s: float | None
    speed_sd_m_s: float | None


class SessionSummary(TypedDict):
    """The session summary every output reads (``analyze`` tables, ``--json``, the report, batch rows,
    the history). SI units; ``None`` where a value cannot be had (e.g. step time with one foot)."""

    source: str
    start_time: str
    subject: str
    tags: dict[str, Any]
    feet: list[str]
    duration_s: float
    walking_time_s: float
    strides: int
    steps: int
    steps_estimated: bool
    """One foot: steps are 2 x strides."""
    bouts: int
    distance_m: float
    cadence_steps_per_min: float | None
    cadence_note: str
    stride_time_s: float | None
    step_time_s: float | None
    speed_mean_m_s: float | None
    speed_sd_m_s: float | None
    time_backward_s: float
    backward_fraction: float
    grade_pct: float | None
    by_direction: dict[str, DirectionSummary]
    by_gait: dict[str, dict[str, Any]]
    """Per gait (walk / run): medians of the running parameters (:func:`by_gait`)."""
    by_direction_gait: list[dict[str, Any]]
    """Per (direction, gait): :func:`retrogait.analysis.session_groups.groups`."""
    asymmetry: dict[str, Any]
    """Two synchronised feet: :func:`retrogait.analysis.session_groups.asymmetry`."""
    incline: dict[str, Any]
    """Median grade with its 95 % CI: :func:`retrogait.analysis.session_groups.incline`."""
    mounting: dict[str, Any]
    """Each foot's mounting source: :func:`retrogait.analysis.session_groups.mounting`."""
    warnings: list[str]
    belt_speed_m_s: NotRequired[float]
    """Treadmill sessions whose tags give the belt speed."""
    speed_to_belt_ratio: NotRequired[float]
    energy: NotRequired[dict[str, Any]]
    """With a body mass: :func:`retrogait.analysis.energy.energy_summary`."""
