"""What `analyze` (and reports) show about one session, beyond the analysis summary.

Per walking direction and gait mode the core numbers (cadence, stride time, stance %, stride length,
speed); with two synchronised feet the left/right asymmetry of step time and step length; the
incline with its uncertainty; where the sensor mounting came from. Display units everywhere: cm, ms,
deg, steps/min; long durations in hours and minutes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

DEFAULT_MOUNT_PREFIX = "default"
MIN_STEADY = 3  # use steady strides when a group has at least this many, else all its strides


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


def _median(x: np.ndarray) -> float | None:
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else None


def _mean_sd(x: np.ndarray) -> tuple[float | None, float | None]:
    x = x[np.isfinite(x)]
    if not x.size:
        return None, None
    return float(x.mean()), (float(x.std(ddof=1)) if x.size > 1 else None)


def _pick(table: Any, sel: np.ndarray) -> np.ndarray:
    steady = sel & table.steady
    return steady if steady.sum() >= MIN_STEADY else sel


def groups(table: Any) -> list[dict[str, Any]]:
    """One dict per (direction, gait) present: strides, cadence (steps/min, from the median stride
    time), stride time (ms, median), stance (% of the stride, median), stride length (cm, mean and SD),
    speed (m/s, mean), distance (m) and time (s). Medians and means over the group's steady strides
    when it has at least 3, else over all its strides."""
    from retrogait.analysis.result import DIRECTIONS

    n_feet = len({f for f in table.foot.tolist() if f in ("left", "right")}) or 1
    out = []
    gaits = [g for g in ("walk", "run") if (table.gait == g).any()]
    for d in DIRECTIONS:
        for g in gaits:
            sel = (table.direction == d) & (table.gait == g)
            if not sel.any():
                continue
            use = _pick(table, sel)
            st = _median(table.stride_time[use])
            stance = _median(100.0 * table.stance_time[use] / table.stride_time[use])
            length, length_sd = _mean_sd(table.stride_length[use])
            speed, _ = _mean_sd(table.speed[use])
            out.append({
                "direction": d, "gait": g, "strides": int(sel.sum()), "steady_strides": int((sel & table.steady).sum()),
                "cadence_steps_per_min": 120.0 / st if st else None,
                "stride_time_ms": None if st is None else 1000.0 * st,
                "stance_pct": stance,
                "stride_length_cm": None if length is None else 100.0 * length,
                "stride_length_sd_cm": None if length_sd is None else 100.0 * length_sd,
                "speed_m_s": speed,
                "distance_m": float(table.stride_length[sel].sum()) / n_feet,
                "time_s": float((table.t_end[sel] - table.t_start[sel]).sum()) / n_feet,
            })
    return out


def asymmetry(table: Any, synced: bool) -> dict[str, Any]:
    """With two synchronised feet, per direction (forward/backward) and gait: left and right step time
    (ms) and step length (cm) and their asymmetry, 100 * (larger / smaller - 1) %.

    A step ends at this foot's initial contact and starts at the other foot's last one. Step length is
    estimated as stride length * step time / stride time of the stride that step ends (the foot's own
    speed over that step): exact on a treadmill at constant belt speed, an approximation overground.
    """
    from retrogait.analysis.summary import step_times

    feet = set(table.foot.tolist())
    if not synced or not {"left", "right"} <= feet:
        return {}
    steps = step_times(table)
    step_len = table.stride_length * steps / table.stride_time
    out: dict[str, Any] = {}
    for d in ("forward", "backward"):
        for g in ("walk", "run"):
            sel = (table.direction == d) & (table.gait == g) & np.isfinite(steps)
            if not sel.any():
                continue
            row: dict[str, Any] = {}
            for name, values, scale, unit in (("step_time", steps, 1000.0, "ms"), ("step_length", step_len, 100.0, "cm")):
                lr = {}
                for foot in ("left", "right"):
                    use = _pick(table, sel & (table.foot == foot))
                    m = _median(values[use])
                    lr[foot] = None if m is None else scale * m
                row[f"{name}_left_{unit}"] = lr["left"]
                row[f"{name}_right_{unit}"] = lr["right"]
                a, b = lr["left"], lr["right"]
                row[f"{name}_asymmetry_pct"] = (100.0 * (max(a, b) / min(a, b) - 1.0)
                                                if a and b and min(a, b) > 0 else None)
            row["steps"] = int(sel.sum())
            out[d if g == "walk" else f"{d}-running"] = row
    return out


def _median_rank_bounds(n: int, q: float = 0.025) -> tuple[int, int]:
    """The binomial(n, 1/2) quantiles that bound the rank of the median of ``n`` values at ``q`` and
    ``1 - q`` (as ``scipy.stats.binom.ppf(q)`` and ``.isf(q)``; numpy only, the analysis imports no scipy)."""
    lg = np.array([math.lgamma(i + 1.0) for i in range(n + 1)])
    cdf = np.cumsum(np.exp(lg[n] - lg - lg[::-1] - n * math.log(2.0)))
    return int(np.searchsorted(cdf, q)), int(np.argmax(1.0 - cdf <= q))


def incline(table: Any) -> dict[str, Any]:
    """The session's incline (median grade of steady forward/backward strides, %) with a
    distribution-free 95% confidence interval of that median (order statistics). The interval is
    statistical only: a mounting whose level reference is off by a degrees shifts every stride by
    about 1.75 * a %-points, which no interval from the strides can show."""

    g = table.grade_pct[table.steady & np.isfinite(table.grade_pct)]
    if g.size == 0:
        g = table.grade_pct[np.isfinite(table.grade_pct)]
    if g.size == 0:
        return {"grade_pct": None, "ci95_low_pct": None, "ci95_high_pct": None, "strides": 0}
    g = np.sort(g)
    n = g.size
    lo_k, hi_k = _median_rank_bounds(n)
    lo, hi = g[max(lo_k - 1, 0)], g[min(hi_k, n - 1)]
    return {"grade_pct": float(np.median(g)), "ci95_low_pct": float(lo), "ci95_high_pct": float(hi), "strides": n}


def mounting(mounts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Where each foot's mounting came from, and whether the built-in default was assumed."""
    sources = {foot: str(m.get("source", "")) for foot, m in mounts.items()}
    return {"sources": sources,
            "default_used": any(s.startswith(DEFAULT_MOUNT_PREFIX) for s in sources.values())}


def default_mount_warning(info: dict[str, Any]) -> str | None:
    """The warning to print before any table when the default mounting was assumed."""
    feet = [f for f, s in info["sources"].items() if s.startswith(DEFAULT_MOUNT_PREFIX)]
    if not feet:
        return None
    who = "this sensor" if feet == ["unknown"] else f"the {' and '.join(feet)} foot"
    return (f"the recording stores no sensor mounting for {who} and no device profile "
            "matches: assumed the default (sensor x toes, y left, z up). If the sensor sits otherwise, the "
            "directions and the incline below are wrong: run 'retrogait calibrate FILE' (stand, then walk "
            "forward) or pass --mount")


def extras(result: Any, synced: bool) -> dict[str, Any]:
    """The additions this module makes to the session summary (JSON-ready)."""
    t = result.strides
    return {
        "by_direction_gait": groups(t),
        "asymmetry": asymmetry(t, synced),
        "incline": incline(t),
        "mounting": mounting(result.mounts),
    }
