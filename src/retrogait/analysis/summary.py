"""Walking bouts and the session summary (JSON-ready dicts, typed: :class:`SessionSummary`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from retrogait.analysis.gaitmode import GAITS, STRIKES
from retrogait.analysis.incline import session_grade
from retrogait.analysis.result import StrideTable
from retrogait.analysis.session_groups import asymmetry, finite_median, groups, incline, mounting, step_times
from retrogait.analysis.summary_types import Bout, SessionSummary
from retrogait.definitions import DIRECTIONS
from retrogait.io.recording import Recording


def _f(x: Any) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def _stats(x: np.ndarray) -> tuple[float | None, float | None]:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return None, None
    return _f(np.mean(x)), (_f(np.std(x, ddof=1)) if x.size > 1 else None)


def _majority(directions: np.ndarray) -> str:
    names, counts = np.unique(directions, return_counts=True)
    return str(names[np.argmax(counts)]) if names.size else "none"


def bouts_of(table: StrideTable) -> list[Bout]:
    """One dict per bout: foot, start/end (s), strides, distance (m), mean speed (m/s), directions."""
    out: list[Bout] = []
    order = np.argsort(table.bout, kind="stable")  # each bout's strides together, in table order
    cut = np.flatnonzero(np.diff(table.bout[order])) + 1
    for sel in np.split(order, cut) if order.size else []:
        b = table.bout[sel[0]]
        t0, t1 = float(table.t_start[sel].min()), float(table.t_end[sel].max())
        dist = float(table.stride_length[sel].sum())
        dirs = table.direction[sel]
        out.append(
            {
                "bout": int(b),
                "foot": str(table.foot[sel][0]),
                "t_start": t0,
                "t_end": t1,
                "duration_s": t1 - t0,
                "strides": int(sel.size),
                "distance_m": dist,
                "speed_m_s": dist / (t1 - t0) if t1 > t0 else None,
                "direction": _majority(dirs),
                "gait": _majority(table.gait[sel]),
                "strides_by_direction": {d: int((dirs == d).sum()) for d in DIRECTIONS if (dirs == d).any()},
            }
        )
    return out


def _union_length(intervals: list[tuple[float, float]]) -> float:
    total, end = 0.0, -np.inf
    for a, b in sorted(intervals):
        if b > end:
            total += b - max(a, end)
            end = b
    return total


def by_gait(table: StrideTable) -> dict[str, Any]:
    """Per gait mode (walk / run) present: strides, cadence (from the median stride time), contact time,
    duty factor, flight time, stride length, speed, strike patterns and peak impact (medians)."""
    out: dict[str, Any] = {}
    for gait in GAITS:
        sel = table.gait == gait
        if not sel.any():
            continue
        stride_time = finite_median(table.stride_time[sel])
        out[gait] = {
            "strides": int(sel.sum()),
            "cadence_steps_per_min": 120.0 / stride_time if stride_time else None,
            "stride_time_s": stride_time,
            "contact_time_s": finite_median(table.stance_time[sel]),
            "duty_factor": finite_median(table.duty_factor[sel]),
            "flight_time_s": finite_median(table.flight_time[sel]) if gait == "run" else None,
            "stride_length_m": finite_median(table.stride_length[sel]),
            "speed_m_s": finite_median(table.speed[sel]),
            "strike": {k: int((table.strike[sel] == k).sum()) for k in STRIKES if (table.strike[sel] == k).any()},
            "strike_angle_deg": _f(np.degrees(finite_median(table.strike_angle[sel]) or np.nan)),
            "peak_impact_g": finite_median(table.peak_impact_g[sel]),
            "saturated_strides": int(table.saturated[sel].sum()),
        }
    return out


def summarize(
    table: StrideTable, bouts: list[Bout], recording: Recording, two_feet_synced: bool,
    mounts: dict[str, dict[str, Any]] | None = None,
) -> SessionSummary:
    """The session summary: walking time, strides/steps/distance by direction, cadence, speed, grade;
    per direction and gait the core numbers, two-feet asymmetry, the incline with its uncertainty and
    where each foot's mounting came from (``mounts``: per foot ``{"matrix", "source"}``)."""
    feet = sorted(set(table.foot.tolist()))
    n_feet = len([f for f in feet if f in ("left", "right")]) or 1
    # walking time: union of bouts over feet
    walking = _union_length([(b["t_start"], b["t_end"]) for b in bouts])
    steady = table.steady
    st = table.stride_time[steady] if steady.sum() >= 3 else table.stride_time
    stride_time = float(np.median(st)) if st.size else float("nan")
    by_dir: dict[str, Any] = {}
    for d in DIRECTIONS:
        sel = table.direction == d
        if not sel.any():
            continue
        sl_mean, sl_sd = _stats(table.stride_length[sel])
        sp_mean, sp_sd = _stats(table.speed[sel])
        strides = int(sel.sum())
        by_dir[d] = {
            "strides": strides,
            "steps": strides * 2 if n_feet == 1 else strides,
            "distance_m": float(table.stride_length[sel].sum()) / n_feet,
            "time_s": float((table.t_end[sel] - table.t_start[sel]).sum()) / n_feet,
            "stride_length_mean_m": sl_mean,
            "stride_length_sd_m": sl_sd,
            "speed_mean_m_s": sp_mean,
            "speed_sd_m_s": sp_sd,
        }
    one_foot = n_feet == 1 or not two_feet_synced
    steps = int(len(table) * 2 if n_feet == 1 else len(table))
    if one_foot or n_feet == 1:
        cadence = 120.0 / stride_time if stride_time > 0 else None
        cadence_note = "estimated from one foot (2 x strides)" if n_feet == 1 else "from each foot's strides"
        step = None
    else:
        steps_t = step_times(table)
        sel = steady & np.isfinite(steps_t)
        step = float(np.median(steps_t[sel])) if sel.any() else None
        cadence = 120.0 / stride_time if stride_time > 0 else None
        cadence_note = "from both feet"
    grade = session_grade(table.grade_pct, steady)
    dist = float(table.stride_length.sum()) / n_feet
    speed_mean, speed_sd = _stats(table.speed[steady] if steady.any() else table.speed)
    back = by_dir.get("backward", {})
    summary: SessionSummary = {
        "source": recording.source,
        "start_time": recording.start_time,
        "subject": recording.subject,
        "tags": dict(recording.tags),
        "feet": feet,
        "duration_s": float(recording.duration),
        "walking_time_s": walking,
        "strides": int(len(table)),
        "steps": steps,
        "steps_estimated": n_feet == 1,
        "bouts": len(bouts),
        "distance_m": dist,
        "cadence_steps_per_min": cadence,
        "cadence_note": cadence_note,
        "stride_time_s": _f(stride_time),
        "step_time_s": step,
        "speed_mean_m_s": speed_mean,
        "speed_sd_m_s": speed_sd,
        "time_backward_s": float(back.get("time_s", 0.0)),
        "backward_fraction": (back.get("strides", 0) / len(table)) if len(table) else 0.0,
        "grade_pct": grade,
        "by_direction": by_dir,
        "by_gait": by_gait(table),
        "by_direction_gait": groups(table),
        "asymmetry": asymmetry(table, two_feet_synced),
        "incline": incline(table),
        "mounting": mounting(mounts or {}),
        "warnings": [],
    }
    belt = recording.tags.get("belt_speed_m_s")
    if isinstance(belt, (int, float)) and belt > 0 and speed_mean:
        # on a treadmill the belt-frame speed should equal the belt speed: a free accuracy check
        summary["belt_speed_m_s"] = float(belt)
        summary["speed_to_belt_ratio"] = speed_mean / float(belt)
    return summary
