"""Balance and gait-variability metrics of one session, per walking direction, with bootstrap SEs.

:func:`session_metrics` takes the per-stride table of :func:`retrogait.analysis.analyze` (or any
object / mapping with the same field names) and, optionally, the recording for its tags (condition,
belt speed, incline). Stride regularity (successive strides' gyroscope waveforms correlated) comes
with the table: the analysis computes it from the samples, so balance reads none. Forward and backward strides
are measured separately. Every metric gets a standard error from a moving-block bootstrap over each
foot's stride series and the number of strides it used. Definitions: docs/metrics.md.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from retrogait.analysis.result import StrideTable
from retrogait.balance import strideseries as ss
from retrogait.balance.bootstrap import block_bootstrap_indices, standard_error
from retrogait.balance.catalog import DIRECTIONS, METRICS, json_ready
from retrogait.balance.dfa import DFA_MIN_STRIDES, dfa_alpha
from retrogait.balance.selection import (
    EDGE_STRIDES,
    MAX_TURN_DEG,
    foot_order,
    next_is_consecutive,
    run_positions,
    steady_candidates,
    stride_columns,
    uninterrupted,
)
from retrogait.io.recording import TAG_BELT_SPEED, TAG_CONDITION, TAG_INCLINE, Recording

MIN_STRIDES = 10
N_BOOT = 200


@dataclass
class MetricValue:
    """A metric's value, bootstrap standard error and the number of strides it used."""

    value: float
    se: float
    n: int


@dataclass
class DirectionMetrics:
    """The metrics of one walking direction in one session, with the conditions they were measured in."""

    direction: str
    n_strides: int  # all strides of this direction (every foot)
    n_steady: int  # steady strides used by the variability metrics
    speed: float  # mean speed of the steady strides, m/s
    grade_pct: float  # mean estimated grade of the steady strides, %
    walking_time: float  # s, summed stride time of this direction divided by the number of feet
    metrics: dict[str, MetricValue] = field(default_factory=dict)


@dataclass
class SessionMetrics:
    """All directions of one session plus the session conditions from the recording's tags."""

    directions: dict[str, DirectionMetrics]
    feet: list[str]
    condition: str | None = None
    belt_speed: float | None = None
    incline_pct: float | None = None
    regularity_from: str = "none"  # "gyro waveforms" when the stride table carries the regularity
    n_boot: int = N_BOOT
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN becomes None)."""
        return json_ready(asdict(self))


# --- row statistics: (R, n) -> (R,) ignoring NaN --------------------------------------------------

def _mean(x: np.ndarray) -> np.ndarray:
    return np.nanmean(x, axis=1)


def _sd(x: np.ndarray) -> np.ndarray:
    return np.nanstd(x, axis=1, ddof=1)


STATS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mean": _mean,
    "absmean": lambda x: _mean(np.abs(x)),
    "sd": _sd,
    "cv": lambda x: 100.0 * _sd(x) / _mean(x),
    "rms": lambda x: np.sqrt(_mean(x * x)),
    "pct": lambda x: 100.0 * _mean(x),
    "cadence": lambda x: 120.0 / _mean(x),
}

#: metric -> (series, column, statistic). "steady": steady strides; "bout": all strides of bouts.
SPECS: dict[str, tuple[str, str, str]] = {
    "cadence": ("steady", "stride_time", "cadence"),
    "speed_mean": ("steady", "speed", "absmean"),
    "stride_length_mean": ("steady", "stride_length", "mean"),
    "stride_time_cv": ("steady", "stride_time", "cv"),
    "stride_time_rmssd": ("steady", "succ_diff", "rms"),
    "stride_length_cv": ("steady", "stride_length", "cv"),
    "stance_time_cv": ("steady", "stance_time", "cv"),
    "swing_time_cv": ("steady", "swing_time", "cv"),
    "stance_fraction": ("steady", "stance_fraction", "mean"),
    "stride_regularity": ("steady", "regularity", "mean"),
    "lateral_deviation_sd": ("steady", "lateral_deviation", "sd"),
    "lateral_excursion_mean": ("steady", "max_lateral_excursion", "absmean"),
    "clearance_mean": ("steady", "clearance", "mean"),
    "clearance_cv": ("steady", "clearance", "cv"),
    "irregular_stride_pct": ("steady", "irregular", "pct"),
    "corrective_per_100": ("bout", "corrective", "pct"),
}
#: symmetry ratio metric -> steady column whose per-foot means are compared (larger / smaller).
SYMMETRY: dict[str, str] = {
    "swing_time_sr": "swing_time",
    "stance_time_sr": "stance_time",
    "step_time_sr": "step_time",
}


def _foot_series(
    seq: dict[str, np.ndarray], direction: str
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The steady and bout series of one foot's time-ordered strides for ``direction``."""
    cand = steady_candidates(seq, direction)
    rows = np.flatnonzero(cand)
    cycle = ss.cycle_times(seq, next_is_consecutive(seq))
    finite = np.isfinite(cycle)
    ok = np.zeros(cycle.size, bool)
    keep = rows[finite[rows]]
    ok[keep] = uninterrupted(cycle[keep])
    interrupted = cand & finite & ~ok
    used = cand & ok
    pair_ok = next_is_consecutive(seq) & used & np.r_[used[1:], False]

    steady: dict[str, np.ndarray] = {}
    for name in ("stride_length", "stance_time", "swing_time", "lateral_deviation",
                 "max_lateral_excursion", "clearance", "step_time"):
        steady[name] = np.where(ok, seq[name], np.nan)[rows]
    steady["stride_time"] = np.where(ok, cycle, np.nan)[rows]
    steady["speed"] = np.where(ok, np.abs(seq["speed"]), np.nan)[rows]
    steady["stance_fraction"] = 100.0 * steady["stance_time"] / (steady["stance_time"] + steady["swing_time"])
    steady["succ_diff"] = (ss.successor_values(cycle, pair_ok) - cycle)[rows]
    steady["regularity"] = np.where(pair_ok, seq["regularity"], np.nan)[rows]  # computed by the analysis
    steady["irregular"] = ss.irregular_flags(cycle[rows], seq["stride_length"][rows], ~interrupted[rows])
    steady["grade_pct"] = seq["grade_pct"][rows]

    # bouts walked mainly in this direction, without their first/last strides and turning strides
    in_bout = np.zeros(cycle.size, bool)
    for b in np.unique(seq["bout"]):
        member = seq["bout"] == b
        dirs, counts = np.unique(seq["direction"][member], return_counts=True)
        if dirs[np.argmax(counts)] == direction:
            in_bout |= member
    from_start, from_end = run_positions(seq["bout"], np.zeros(cycle.size, int))
    in_bout &= (from_start >= EDGE_STRIDES) & (from_end >= EDGE_STRIDES)
    in_bout &= ~(np.abs(seq["turn_angle"]) > np.deg2rad(MAX_TURN_DEG))
    b_rows = np.flatnonzero(in_bout)
    bout = {"corrective": ss.corrective_flags(seq["direction"][b_rows], seq["stride_length"][b_rows],
                                               direction)}
    return steady, bout


def _combine(values: list[np.ndarray], weights: list[int]) -> np.ndarray:
    """Stride-count-weighted mean over feet of per-foot replicate rows."""
    w = np.asarray(weights, float)[:, None]
    return np.sum(np.vstack(values) * w, axis=0) / w.sum()


def direction_metrics(
    cols: dict[str, np.ndarray],
    direction: str,
    *,
    n_boot: int = N_BOOT,
    rng: np.random.Generator | None = None,
) -> DirectionMetrics:
    """The metrics of one direction from a stride-column dict (see :func:`stride_columns`)."""
    rng = np.random.default_rng(0) if rng is None else rng
    feet = sorted(np.unique(cols["foot"]).tolist())
    per_foot: dict[str, dict[str, tuple[np.ndarray, int]]] = {}
    steady_counts, speeds, grades = [], [], []
    for foot in feet:
        order = foot_order(cols, foot)
        seq = {k: v[order] for k, v in cols.items()}
        steady, bout = _foot_series(seq, direction)
        results: dict[str, tuple[np.ndarray, int]] = {}
        for series_name, series in (("steady", steady), ("bout", bout)):
            n = next(iter(series.values())).size
            idx = block_bootstrap_indices(n, n_boot, rng)
            for name, (s_name, column, stat) in SPECS.items():
                if s_name != series_name:
                    continue
                x = series[column]
                count = int(np.isfinite(x).sum())
                if count >= MIN_STRIDES:
                    results[name] = (STATS[stat](x[idx]), count)
            for name, column in SYMMETRY.items():
                y = series.get(column)
                if y is not None and np.isfinite(y).sum() >= MIN_STRIDES:
                    results[name] = (_mean(y[idx]), int(np.isfinite(y).sum()))
            if series_name == "steady":
                x = series["stride_time"]
                finite = np.isfinite(x)
                if finite.sum() >= DFA_MIN_STRIDES:
                    xs = x[idx]
                    xs = np.where(np.isfinite(xs), xs, np.nanmean(xs, axis=1, keepdims=True))
                    results["dfa_alpha"] = (dfa_alpha(xs), int(finite.sum()))
        per_foot[foot] = results
        steady_counts.append(int(np.isfinite(steady["stride_time"]).sum()))
        speeds.append(steady["speed"])
        grades.append(steady["grade_pct"])

    metrics: dict[str, MetricValue] = {}
    for name in METRICS:
        if name in SYMMETRY:
            have = [per_foot[f][name] for f in ("left", "right") if f in per_foot and name in per_foot[f]]
            if len(have) == 2:
                a, b = have[0][0], have[1][0]
                rows = np.maximum(a, b) / np.minimum(a, b)
                metrics[name] = MetricValue(float(rows[0]), standard_error(rows[1:]),
                                            have[0][1] + have[1][1])
            continue
        have = [per_foot[f][name] for f in feet if name in per_foot[f]]
        if not have:
            continue
        rows = _combine([h[0] for h in have], [h[1] for h in have])
        metrics[name] = MetricValue(float(rows[0]), standard_error(rows[1:]), sum(h[1] for h in have))

    mask = cols["direction"] == direction
    speed_all = np.concatenate(speeds) if speeds else np.zeros(0)
    grade_all = np.concatenate(grades) if grades else np.zeros(0)
    return DirectionMetrics(
        direction=direction,
        n_strides=int(mask.sum()),
        n_steady=int(sum(steady_counts)),
        speed=_nanmean(speed_all),
        grade_pct=_nanmean(grade_all),
        walking_time=float(np.nansum(cols["stride_time"][mask]) / max(1, len(feet))),
        metrics=metrics,
    )


def _nanmean(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else float("nan")


def _tag_float(tags: dict[str, Any], key: str) -> float | None:
    try:
        value = tags.get(key)
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def session_metrics(
    strides: StrideTable | Mapping[str, Any],
    recording: Recording | None = None,
    *,
    directions: tuple[str, ...] = DIRECTIONS,
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> SessionMetrics:
    """Balance metrics of a session, per direction that has strides.

    Parameters
    ----------
    strides : StrideTable or mapping
        The per-stride table (``analyze(rec).strides``, or a dict / object with its fields); its
        ``regularity`` column gives the stride regularity.
    recording : Recording, optional
        The recording the table came from, for its condition / belt speed / incline tags only (the
        metrics never read its samples).
    directions : tuple of str, optional
        Which stride directions to measure (each separately).
    n_boot : int, optional
        Bootstrap replicates for the standard errors.
    seed : int, optional
        Bootstrap seed (results are reproducible).

    Returns
    -------
    SessionMetrics
        Per direction: every metric with its value, standard error and the strides it used.

    Examples
    --------
    >>> m = session_metrics(analyze(rec).strides, rec)            # doctest: +SKIP
    >>> m.directions["backward"].metrics["stride_time_cv"].value  # doctest: +SKIP
    """
    cols = stride_columns(strides)
    cols["step_time"] = ss.step_times(cols["foot"], cols["t_ic"], cols["stride_time"])
    tags = recording.tags if recording is not None else {}
    out = SessionMetrics(
        directions={},
        feet=sorted(np.unique(cols["foot"]).tolist()),
        condition=(str(tags[TAG_CONDITION]) if tags.get(TAG_CONDITION) else None),
        belt_speed=_tag_float(tags, TAG_BELT_SPEED),
        incline_pct=_tag_float(tags, TAG_INCLINE),
        regularity_from="gyro waveforms" if np.isfinite(cols["regularity"]).any() else "none",
        n_boot=n_boot,
        seed=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for k, direction in enumerate(directions):
            if not np.any(cols["direction"] == direction):
                continue
            rng = np.random.default_rng([seed, k])
            out.directions[direction] = direction_metrics(
                cols, direction, n_boot=n_boot, rng=rng
            )
    return out
