"""Per (direction, gait) numbers, two-feet asymmetry, incline with its uncertainty, mounting source:
the parts of the session summary that every output shows (``analyze``, ``--json``, the report, batch).

SI units (s, m, m/s; percentages where a ratio is read as one); display units belong to the outputs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from retrogait.analysis.frames import DEFAULT_MOUNTING
from retrogait.analysis.result import StrideTable
from retrogait.definitions import DIRECTIONS, RUNNING_SUFFIX

MIN_STEADY = 3  # use steady strides when a group has at least this many, else all its strides


def finite_median(x: np.ndarray) -> float | None:
    """Median of the finite values of ``x`` (None when there are none)."""
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else None


def _mean_sd(x: np.ndarray) -> tuple[float | None, float | None]:
    x = x[np.isfinite(x)]
    if not x.size:
        return None, None
    return float(x.mean()), (float(x.std(ddof=1)) if x.size > 1 else None)


def _pick(table: StrideTable, sel: np.ndarray) -> np.ndarray:
    steady = sel & table.steady
    return steady if steady.sum() >= MIN_STEADY else sel


def groups(table: StrideTable) -> list[dict[str, Any]]:
    """One dict per (direction, gait) present: strides, cadence (steps/min, from the median stride
    time), stride time (s, median), stance (% of the stride, median), stride length (m, mean and SD),
    speed (m/s, mean), distance (m) and time (s). Medians and means over the group's steady strides
    when it has at least 3, else over all its strides."""
    n_feet = len({f for f in table.foot.tolist() if f in ("left", "right")}) or 1
    out = []
    gaits = [g for g in ("walk", "run") if (table.gait == g).any()]
    for d in DIRECTIONS:
        for g in gaits:
            sel = (table.direction == d) & (table.gait == g)
            if not sel.any():
                continue
            use = _pick(table, sel)
            st = finite_median(table.stride_time[use])
            length, length_sd = _mean_sd(table.stride_length[use])
            out.append({
                "direction": d, "gait": g, "strides": int(sel.sum()), "steady_strides": int((sel & table.steady).sum()),
                "cadence_steps_per_min": 120.0 / st if st else None,
                "stride_time_s": st,
                "stance_pct": finite_median(100.0 * table.stance_time[use] / table.stride_time[use]),
                "stride_length_m": length,
                "stride_length_sd_m": length_sd,
                "speed_m_s": _mean_sd(table.speed[use])[0],
                "distance_m": float(table.stride_length[sel].sum()) / n_feet,
                "time_s": float((table.t_end[sel] - table.t_start[sel]).sum()) / n_feet,
            })
    return out


def step_times(table: StrideTable) -> np.ndarray:
    """Per stride: time from the other foot's last initial contact to this one's (NaN if none)."""
    out = np.full(len(table), np.nan)
    for foot, other in (("left", "right"), ("right", "left")):
        mine, theirs = table.foot == foot, np.sort(table.t_ic[table.foot == other])
        if not mine.any() or theirs.size == 0:
            continue
        ic = table.t_ic[mine]
        j = np.searchsorted(theirs, ic) - 1
        dt = np.where(j >= 0, ic - theirs[np.clip(j, 0, None)], np.nan)
        dt[dt > 0.75 * np.nanmedian(table.stride_time)] = np.nan
        out[mine] = dt
    return out


def asymmetry(table: StrideTable, synced: bool) -> dict[str, Any]:
    """With two synchronised feet, per direction (forward/backward) and gait: left and right step time
    (s) and step length (m) and their asymmetry, 100 * (larger / smaller - 1) %.

    A step ends at this foot's initial contact and starts at the other foot's last one. Step length is
    estimated as stride length * step time / stride time of the stride that step ends (the foot's own
    speed over that step): exact on a treadmill at constant belt speed, an approximation overground.
    """
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
            for name, values, unit in (("step_time", steps, "s"), ("step_length", step_len, "m")):
                lr = {foot: finite_median(values[_pick(table, sel & (table.foot == foot))]) for foot in ("left", "right")}
                row[f"{name}_left_{unit}"] = lr["left"]
                row[f"{name}_right_{unit}"] = lr["right"]
                a, b = lr["left"], lr["right"]
                row[f"{name}_asymmetry_pct"] = (100.0 * (max(a, b) / min(a, b) - 1.0)
                                                if a and b and min(a, b) > 0 else None)
            row["steps"] = int(sel.sum())
            out[d if g == "walk" else d + RUNNING_SUFFIX] = row
    return out


def median_rank_bounds(n: int, q: float = 0.025) -> tuple[int, int]:
    """The binomial(n, 1/2) quantiles that bound the rank of the median of ``n`` values at ``q`` and
    ``1 - q`` (as ``scipy.stats.binom.ppf(q)`` and ``.isf(q)``, in numpy: the analysis imports no scipy).
    The probabilities follow from ``pmf(k + 1) / pmf(k) = (n - k) / (k + 1)``, summed in logs."""
    k = np.arange(n, dtype=np.float64)
    log_pmf = np.concatenate([[0.0], np.cumsum(np.log((n - k) / (k + 1.0)))]) - n * math.log(2.0)
    cdf = np.cumsum(np.exp(log_pmf))
    return int(np.searchsorted(cdf, q)), int(np.argmax(1.0 - cdf <= q))


def incline(table: StrideTable) -> dict[str, Any]:
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
    lo_k, hi_k = median_rank_bounds(n)
    lo, hi = g[max(lo_k - 1, 0)], g[min(hi_k, n - 1)]
    return {"grade_pct": float(np.median(g)), "ci95_low_pct": float(lo), "ci95_high_pct": float(hi), "strides": n}


def mounting(mounts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Where each foot's mounting came from, and whether the built-in default was assumed."""
    sources = {foot: str(m.get("source", "")) for foot, m in mounts.items()}
    return {"sources": sources, "default_used": any(s == DEFAULT_MOUNTING for s in sources.values())}
