"""Balance and gait-variability metrics per session and walking direction (see docs/metrics.md).

>>> from retrogait.balance import session_metrics     # doctest: +SKIP
>>> m = session_metrics(analyze(rec).strides, rec)     # doctest: +SKIP

The metric code (numpy/scipy) is imported on first use, so that the catalogue stays cheap to import.
"""

from __future__ import annotations

from typing import Any

from retrogait.balance.catalog import DIRECTIONS, METRICS, MetricInfo, metric_info

_LAZY = ("DirectionMetrics", "MetricValue", "SessionMetrics", "session_metrics")

__all__ = ["DIRECTIONS", "METRICS", "MetricInfo", "metric_info", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from retrogait.balance import metrics

        return getattr(metrics, name)
    raise AttributeError(f"module 'retrogait.balance' has no attribute {name!r}")
