"""Turning one analyzed recording into table rows: session rows (per direction) and stride columns.

Both are built generically: every field of the :class:`~retrogait.analysis.result.StrideTable`
becomes a stride column (vectors split into ``_x``/``_y``/``_z``), every scalar of the summary's
``by_direction`` entry a session column, every other scalar of the summary a ``session_*`` column,
and every balance metric ``metric_<name>`` (with ``_se`` and ``_n``). New analysis outputs therefore
flow into the tables without changes here.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

#: Session columns that come first, in this order (the rest follow in order of first appearance).
LEAD_COLUMNS = ("recording_id", "file", "subject", "start_time", "condition", "foot", "direction")
#: Session columns that come last, in this order.
TAIL_COLUMNS = ("mount_source", "n_warnings", "warnings", "tags", "file_sha256", "file_bytes",
                "samples", "retrogait_version", "settings_id", "analysis_settings")
#: Summary entries given their own column (not repeated as ``session_*``).
META_KEYS = {"source", "start_time", "subject", "tags", "feet", "warnings", "by_direction", "by_gait",
             "by_direction_gait", "asymmetry", "incline", "mounting"}


def plain(v: Any) -> Any:
    """A JSON/Arrow-friendly scalar: numpy scalars unwrapped, NaN/inf -> None, containers -> JSON text."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (dict, list, tuple)):
        return json.dumps(_json_ready(v), sort_keys=True, separators=(",", ":"))
    return v


def _json_ready(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _json_ready(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_ready(x) for x in v]
    if isinstance(v, np.ndarray):
        return _json_ready(v.tolist())
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def session_rows(result: Any, metrics: Any, meta: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per walking direction of an analyzed recording.

    ``result``: the :class:`~retrogait.analysis.result.AnalysisResult`; ``metrics``: its
    :class:`~retrogait.balance.metrics.SessionMetrics` (or None); ``meta``: recording_id, file,
    file_sha256, file_bytes, samples, settings_id, retrogait_version, analysis_settings (JSON of the
    analysis settings that differ from the defaults; ``{}`` for the defaults).
    """
    s = result.summary
    tags = dict(s.get("tags") or {})
    warnings = list(result.warnings)
    mounts = "; ".join(f"{foot}: {m.get('source')}" for foot, m in sorted(result.mounts.items()))
    head = {
        "recording_id": meta["recording_id"], "file": meta["file"], "subject": s.get("subject") or None,
        "start_time": s.get("start_time") or None, "condition": plain(tags.get("condition")),
        "foot": "+".join(s.get("feet") or []),
    }
    session = {f"session_{k}": plain(v) for k, v in s.items() if k not in META_KEYS}
    inc = s.get("incline") or {}
    session["session_grade_ci95_low_pct"] = plain(inc.get("ci95_low_pct"))
    session["session_grade_ci95_high_pct"] = plain(inc.get("ci95_high_pct"))
    tail = {
        "mount_source": mounts, "n_warnings": len(warnings), "warnings": " | ".join(warnings),
        "tags": plain(tags), "file_sha256": meta["file_sha256"], "file_bytes": meta["file_bytes"],
        "samples": meta["samples"], "retrogait_version": meta["retrogait_version"],
        "settings_id": meta["settings_id"], "analysis_settings": meta.get("analysis_settings", "{}"),
    }
    rows = []
    for direction, values in (s.get("by_direction") or {}).items():
        row: dict[str, Any] = {**head, "direction": direction}
        row.update({k: plain(v) for k, v in values.items()})
        row.update(session)
        row.update(_metric_columns(metrics, direction))
        row.update(tail)
        rows.append(row)
    return rows


def _metric_columns(metrics: Any, direction: str) -> dict[str, Any]:
    d = None if metrics is None else metrics.directions.get(direction)
    if d is None:
        return {}
    out: dict[str, Any] = {"steady_strides": d.n_steady, "steady_speed_m_s": plain(d.speed),
                           "steady_grade_pct": plain(d.grade_pct)}
    for name, m in d.metrics.items():
        out[f"metric_{name}"] = plain(m.value)
        out[f"metric_{name}_se"] = plain(m.se)
        out[f"metric_{name}_n"] = int(m.n)
    return out


def stride_columns(table: Any, recording_id: str) -> dict[str, np.ndarray]:
    """The stride table as flat numpy columns, led by ``recording_id`` (every StrideTable field)."""
    cols = table.columns()
    n = len(table)
    return {"recording_id": np.full(n, recording_id), **cols}


def column_order(rows: list[dict[str, Any]]) -> list[str]:
    """Columns of the session table: LEAD, then others in order of first appearance, then TAIL."""
    seen: dict[str, Any] = {}
    for r in rows:
        seen.update(r)  # keys in order of first appearance (the values are not used)
    middle = [k for k in seen if k not in LEAD_COLUMNS and k not in TAIL_COLUMNS]
    return [k for k in LEAD_COLUMNS if k in seen] + middle + [k for k in TAIL_COLUMNS if k in seen]
