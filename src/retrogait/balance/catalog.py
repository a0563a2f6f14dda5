"""The catalogue of balance and gait metrics: units, which direction is better, literature MDCs.

One :class:`MetricInfo` per metric, keyed by name in :data:`METRICS`. Values are stored in ``unit``
(SI for physical quantities; CVs and fractions in percent); ``display_scale``/``display_unit`` convert
for tables and plots. ``better`` is ``"lower"``, ``"higher"`` or ``"none"`` (a change is reported as
higher / lower, never as improved / worse). Literature minimal detectable changes (MDC95) seed the
comparison when a person has fewer than three baseline sessions; the tag says how the value was
checked in the research notes: ``V`` verified, ``R`` recalled (not re-checked). ``log_scale`` metrics
(variability: CVs, SDs, RMSSD) are compared on the log scale (their noise is proportional to their
level). See docs/metrics.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from retrogait.definitions import MEASURED_DIRECTIONS

#: The walking directions measured separately (other directions feed only the corrective-step count).
#: Running strides form groups of their own (``"<direction>-running"``, see
#: :func:`retrogait.balance.selection.stride_columns`): running is never set against walking.
#: Defined once in :mod:`retrogait.definitions`.
DIRECTIONS = MEASURED_DIRECTIONS


@dataclass(frozen=True)
class MetricInfo:
    """How a metric is reported and judged."""

    name: str
    label: str
    unit: str
    better: str  # "lower" | "higher" | "none"
    display_unit: str = ""
    display_scale: float = 1.0
    exploratory: bool = False
    mdc95: float | None = None  # absolute, in ``unit``
    mdc95_pct: float | None = None  # relative to the baseline mean, percent
    mdc_source: str = ""
    rate: bool = False  # a percentage of strides with an event: also tested as counts (reliable_change)
    log_scale: bool = False  # compared on the log scale (geometric means, ratio thresholds)

    @property
    def shown_unit(self) -> str:
        """The unit used in tables and plots."""
        return self.display_unit or self.unit

    def show(self, value: float) -> float:
        """``value`` (stored unit) in the display unit."""
        return value * self.display_scale

    def population_mdc95(self, baseline_mean: float) -> float | None:
        """The literature MDC95 in stored units at ``baseline_mean``, or None when none is known."""
        if self.mdc95 is not None:
            return self.mdc95
        if self.mdc95_pct is not None and baseline_mean == baseline_mean:
            return abs(baseline_mean) * self.mdc95_pct / 100.0
        return None


_CLINICAL = "slow clinical IMU cohort at 0.60 m/s, Sensors 2020;20:4866 (PMC7506931) [V]"

METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in (
        MetricInfo("cadence", "Cadence", "steps/min", "none", mdc95=12.2, mdc_source=_CLINICAL),
        MetricInfo(
            "speed_mean", "Walking speed", "m/s", "higher", mdc95=0.13,
            mdc_source="IMU 10-m walk, older neurological patients, Caronni 2024 [V]",
        ),
        MetricInfo(
            "stride_length_mean", "Stride length", "m", "higher", "cm", 100.0, mdc95_pct=27.0,
            mdc_source="step length 27% in the " + _CLINICAL,
        ),
        MetricInfo(
            "stride_time_cv", "Stride time CV", "%", "lower", mdc95_pct=117.0,
            mdc_source="step-time variability 117% in the " + _CLINICAL, log_scale=True,
        ),
        MetricInfo("stride_time_rmssd", "Stride time RMSSD", "s", "lower", "ms", 1000.0, log_scale=True),
        MetricInfo("stride_length_cv", "Stride length CV", "%", "lower", log_scale=True),
        MetricInfo("stance_time_cv", "Stance time CV", "%", "lower", log_scale=True),
        MetricInfo("swing_time_cv", "Swing time CV", "%", "lower", log_scale=True),
        MetricInfo("stance_fraction", "Stance fraction", "%", "none"),
        MetricInfo("stride_regularity", "Stride regularity", "", "higher", "r"),
        MetricInfo("lateral_deviation_sd", "Lateral deviation SD", "m", "lower", "cm", 100.0, log_scale=True),
        MetricInfo("lateral_excursion_mean", "Swing lateral excursion", "m", "lower", "cm", 100.0),
        MetricInfo("clearance_mean", "Foot clearance", "m", "higher", "cm", 100.0),
        MetricInfo("clearance_cv", "Foot clearance CV", "%", "lower", log_scale=True),
        MetricInfo("swing_time_sr", "Swing time symmetry ratio", "", "lower", "ratio"),
        MetricInfo("stance_time_sr", "Stance time symmetry ratio", "", "lower", "ratio"),
        MetricInfo(
            "step_time_sr", "Step time symmetry ratio", "", "lower", "ratio", mdc95=0.142,
            mdc_source="step-time asymmetry 14.2 %-points in the " + _CLINICAL
            + ", read as 100*(ratio-1)",
        ),
        MetricInfo("irregular_stride_pct", "Irregular strides", "%", "lower", rate=True),
        MetricInfo("corrective_per_100", "Corrective steps", "per 100 strides", "lower", rate=True),
        MetricInfo("dfa_alpha", "DFA alpha (exploratory)", "", "none", "alpha", exploratory=True),
        # walk-test scores (stored by `retrogait add` for test recordings, see retrogait.clinical.history)
        MetricInfo(
            "bwt3m_time", "3-m backward walk time", "s", "lower", mdc95=1.69,
            mdc_source="3-m backward walk test, people with multiple sclerosis, Soke 2022 [V]",
        ),
        MetricInfo(
            "timed_walk_speed", "Timed-walk speed", "m/s", "higher", mdc95=0.13,
            mdc_source="IMU 10-m walk, older neurological patients, Caronni 2024 [V]",
        ),
    )
}

#: Metrics shown by default in tables (the full set is in the database and the export).
DEFAULT_TABLE_METRICS = (
    "speed_mean", "cadence", "stride_length_mean", "stride_time_cv", "stride_length_cv",
    "lateral_deviation_sd", "clearance_mean", "stride_regularity",
)


def metric_info(name: str) -> MetricInfo:
    """The :class:`MetricInfo` of ``name``; raises UsageProblem listing the known names."""
    from retrogait.errors import UsageProblem

    try:
        return METRICS[name]
    except KeyError:
        raise UsageProblem(
            f"unknown metric {name!r}; known metrics: {', '.join(METRICS)}"
        ) from None


def json_ready(obj: Any) -> Any:
    """``obj`` with NaN / infinite floats replaced by None, recursively (for ``json.dumps``)."""
    if isinstance(obj, dict):
        return {k: json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
