"""How comparisons are written for people: one formatter for `compare`, `trend` (PNG, HTML) and reports.

Values are shown in each metric's display unit (cm, ms, steps/min, %) with fixed decimals per unit
(never scientific notation), so the same number reads the same everywhere.
"""

from __future__ import annotations

import math

from retrogait.balance.catalog import METRICS

DECIMALS = {"steps/min": 1, "m/s": 3, "cm": 1, "ms": 1, "%": 2, "r": 3, "ratio": 3,
            "per 100 strides": 1, "alpha": 2}
SHORT_UNIT = {"per 100 strides": "/100"}


def fmt(metric: str, value: float | None, signed: bool = False) -> str:
    """``value`` (stored unit) in the metric's display unit, fixed decimals; "" for missing/NaN."""
    if value is None or not math.isfinite(value):
        return ""
    info = METRICS[metric]
    d = DECIMALS.get(info.shown_unit, 3)
    text = f"{info.show(value):{'+' if signed else ''}.{d}f}"
    return "0" if text.lstrip("+-").strip("0.") == "" and signed else text


def unit(metric: str) -> str:
    """The display unit, abbreviated for narrow tables."""
    u = METRICS[metric].shown_unit
    return SHORT_UNIT.get(u, u)


def threshold_text(mdc_source: str, n_baseline: int) -> str:
    """Where the detectable change came from, in words."""
    return {"personal": f"personal ({n_baseline} baseline sessions)",
            "population": "literature MDC (fewer than 3 baseline sessions)",
            "none": "none"}.get(mdc_source, mdc_source)


def row_cells(r) -> list[str]:
    """One comparison row as table cells: metric (unit), base, now, change, detect, MIC, verdict."""
    name = r.metric + (" *" if r.exploratory else "")
    u = unit(r.metric)
    return [f"{name} {u}".rstrip(), fmt(r.metric, r.baseline), fmt(r.metric, r.current),
            fmt(r.metric, r.change, signed=True), fmt(r.metric, r.detectable), fmt(r.metric, r.mic), r.verdict]


HEADERS = ["metric unit", "base", "now", "change", "detect", "MIC", "verdict"]


SHORT_NAME = {"speed_mean": "speed", "cadence": "cadence", "stride_length_mean": "length",
              "stride_time_cv": "time CV", "stride_length_cv": "len CV", "lateral_deviation_sd": "lat SD",
              "clearance_mean": "clear.", "stride_regularity": "regul.", "stride_time_rmssd": "RMSSD",
              "stance_time_cv": "stanceCV", "swing_time_cv": "swing CV", "stance_fraction": "stance"}


def short_name(metric: str) -> str:
    """A short column header for narrow tables (the full names are listed above the table)."""
    return SHORT_NAME.get(metric, metric)
