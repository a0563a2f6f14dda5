"""The per-stride table as a file for other tools: plain CSV, units in the column names, angles in
degrees, no comment lines (Excel and ``pandas.read_csv`` defaults read it); the metadata (source,
subject, start time, mounting, the session summary and every column's unit and meaning) goes to a
``.json`` sidecar next to it.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from retrogait.io.fileformat import atomic_write

# field -> (unit suffix, scale from the StrideTable's unit, meaning)
_LEN = ("m", 1.0)
_TIME = ("s", 1.0)
_ANGLE = ("deg", 180.0 / math.pi)
FIELDS: dict[str, tuple[str, float, str]] = {
    "t_start": (*_TIME, "stride start (mid-stance), s since the recording start"),
    "t_end": (*_TIME, "stride end (next mid-stance)"),
    "t_ic": (*_TIME, "initial contact that ends the swing"),
    "t_tc": (*_TIME, "terminal contact that starts the swing"),
    "stride_time": (*_TIME, "mid-stance to mid-stance"),
    "stance_time": (*_TIME, "ground contact time (initial contact to the next terminal contact)"),
    "swing_time": (*_TIME, "terminal to initial contact"),
    "flight_time": (*_TIME, "both feet off the ground per step (running only)"),
    "stride_length": (*_LEN, "horizontal displacement (belt frame on a treadmill)"),
    "stride_vector": (*_LEN, "horizontal displacement vector, world frame"),
    "signed_length": (*_LEN, "displacement along the foot's forward axis (negative = backward)"),
    "lateral_deviation": (*_LEN, "displacement along the foot's left axis"),
    "max_lateral_excursion": (*_LEN, "largest sideways distance of the swing path from the straight line"),
    "clearance": (*_LEN, "maximum sensor height during swing"),
    "position": (*_LEN, "start position of the stride, world frame"),
    "turn_angle": (*_ANGLE, "heading change over the stride"),
    "pitch_ic": (*_ANGLE, "foot pitch at initial contact (toe up positive)"),
    "pitch_ff": (*_ANGLE, "foot pitch while flat on the ground (toe up positive)"),
    "strike_angle": (*_ANGLE, "foot pitch at initial contact relative to foot-flat"),
    "speed": ("m_s", 1.0, "stride length / stride time"),
}


def column_name(field: str, axis: str = "") -> tuple[str, float, str, str]:
    """(CSV column name, scale, unit, meaning) of a StrideTable field (``axis`` x/y/z for vectors)."""
    base = field + (f"_{axis}" if axis else "")
    if field in FIELDS:
        suffix, scale, meaning = FIELDS[field]
        unit = {"m_s": "m/s"}.get(suffix, suffix)
        return f"{base}_{suffix}", scale, unit, meaning
    unit = "%" if field.endswith("_pct") else "g" if field.endswith("_g") else ""
    return base, 1.0, unit, ""


def _cell(v: Any, scale: float) -> str:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if not math.isfinite(v):
            return ""
        return f"{v * scale:.6g}" if "e" not in f"{v * scale:.6g}" else f"{v * scale:.9f}".rstrip("0").rstrip(".")
    if isinstance(v, int) and scale != 1.0:
        return f"{v * scale:.6g}"
    return str(v)


def write_strides(table: Any, path: str | Path, metadata: dict[str, Any] | None = None) -> Path:
    """Write ``table`` (a StrideTable) as plain CSV at ``path`` and a JSON sidecar; returns the
    sidecar's path (``path`` with the suffix ``.json``)."""
    from dataclasses import fields

    path = Path(path)
    names, scales, arrays, columns = [], [], [], {}
    for f in fields(table):
        arr = getattr(table, f.name)
        axes = "xyz"[: arr.shape[1]] if arr.ndim == 2 else [""]
        for i, axis in enumerate(axes):
            name, scale, unit, meaning = column_name(f.name, axis)
            names.append(name)
            scales.append(scale)
            arrays.append(arr[:, i] if axis else arr)
            columns[name] = {"unit": unit, "meaning": meaning} if meaning else {"unit": unit}
    with atomic_write(path) as fh:  # complete or not at all
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(names)
        for r in range(len(table)):
            w.writerow([_cell(a[r], s) for a, s in zip(arrays, scales)])
    sidecar = path.with_suffix(".json")
    meta = {"file": path.name, "rows": len(table), "columns": columns, **(metadata or {})}
    with atomic_write(sidecar) as fh:
        fh.write(json.dumps(meta, indent=1, allow_nan=False, default=_json_default))
    return sidecar


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)
