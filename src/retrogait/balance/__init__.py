"""Balance and gait-variability metrics per session and walking direction (see docs/metrics.md).

>>> from retrogait.balance import session_metrics     # doctest: +SKIP
>>> m = session_metrics(analyze(rec).strides, rec)     # doctest: +SKIP
"""

from __future__ import annotations

from retrogait.balance.catalog import METRICS, MetricInfo, metric_info
from retrogait.balance.metrics import (
    DIRECTIONS, DirectionMetrics, MetricValue, SessionMetrics, session_metrics,
)

__all__ = [
    "DIRECTIONS", "METRICS", "DirectionMetrics", "MetricInfo", "MetricValue", "SessionMetrics",
    "metric_info", "session_metrics",
]
