"""Baseline vs current sessions of one person: per direction and metric, is the change real?

Like is compared with like: each walking direction only with itself, and sessions of one condition
(treadmill / overground) only with the same condition unless the caller allows mixing. Differences in
speed, incline or belt speed that could explain a change are reported as warnings.
See :mod:`retrogait.history.reliable_change` for the decision rule.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from retrogait.balance.catalog import DIRECTIONS, METRICS, json_ready
from retrogait.errors import NoGaitError, UsageProblem
from retrogait.history.mic import minimal_important_change
from retrogait.history.queries import StoredSession
from retrogait.history.reliable_change import (
    ALPHA,
    PERSONAL_MIN_BASELINE,
    Threshold,
    change_threshold,
    is_real,
    permutation_p,
    permutation_usable,
    rate_change_p,
    verdict,
)

#: verdicts beside improved / worse / higher / lower / no real change / unknown
SMALL_CHANGE = "small change"  # beyond the person's noise but below the minimal important change
BEYOND_NOISE = "beyond noise"  # beyond the person's noise; no minimal important change is known
NOT_JUDGED = "not judged"  # the belt speed on a treadmill: set by the belt, not by the walker
VERDICT_NOTES = {
    SMALL_CHANGE: "beyond this person's day-to-day noise, but smaller than the minimal important change",
    BEYOND_NOISE: "beyond this person's day-to-day noise; no minimal important change is known for this metric",
    NOT_JUDGED: "on a treadmill the walking speed is the belt speed: not judged",
    "unknown": "fewer than 3 baseline sessions and no literature MDC: no threshold",
}

SPEED_TOLERANCE = 0.05  # m/s, or 5% of the baseline speed, whichever is larger
GRADE_TOLERANCE = 1.0  # percentage points of incline


@dataclass
class MetricComparison:
    """One metric of one direction: baseline vs current."""

    direction: str
    metric: str
    unit: str
    better: str
    baseline: float  # mean of the baseline sessions (geometric mean when log_scale)
    current: float  # mean of the current sessions (geometric mean when log_scale)
    change: float
    pct_change: float
    detectable: float  # the change (in the observed direction) needed to be real for these session counts
    mdc95: float  # single-session MDC95 (in the observed direction)
    mdc_source: str  # "personal" | "population" | "none"
    n_baseline: int
    n_current: int
    verdict: str
    exploratory: bool
    log_scale: bool = False  # judged on the log scale (ratio threshold)
    p_permutation: float = math.nan  # permutation-test p (NaN when the design is too small for it)
    band_low: float = math.nan  # current means from band_low to band_high are no detectable change
    band_high: float = math.nan
    mic: float = math.nan  # minimal important change (stored unit; NaN when none is known)
    mic_source: str = ""


@dataclass
class Comparison:
    """The result of :func:`compare`."""

    subject: str
    condition: str | None
    baseline_sessions: list[int]
    current_sessions: list[int]
    rows: list[MetricComparison] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN becomes None)."""
        return json_ready(asdict(self))


def _conditions(sessions: list[StoredSession]) -> set[str]:
    return {s.condition or "unknown" for s in sessions}


def like_with_like(
    baseline: list[StoredSession], current: list[StoredSession], condition: str | None,
    allow_mixed: bool, warnings: list[str],
) -> tuple[list[StoredSession], list[StoredSession], str | None]:
    """Keep sessions of one condition (``condition`` or the common one); refuse mixtures unless allowed."""
    if condition is not None:
        baseline = [s for s in baseline if (s.condition or "unknown") == condition]
        current = [s for s in current if (s.condition or "unknown") == condition]
        if not baseline or not current:
            side = "baseline" if not baseline else "current"
            raise NoGaitError(f"no {condition} sessions in the {side} period")
        return baseline, current, condition
    cb, cc = _conditions(baseline), _conditions(current)
    if len(cb) == 1 and cb == cc:
        return baseline, current, next(iter(cb))
    known = (cb | cc) - {"unknown"}
    if len(known) <= 1:
        warnings.append("some sessions have no condition tag (treadmill/overground): assumed alike")
        return baseline, current, (next(iter(known)) if known else None)
    msg = (f"baseline sessions are {'/'.join(sorted(cb))} and current sessions are "
           f"{'/'.join(sorted(cc))}")
    if not allow_mixed:
        raise UsageProblem(f"{msg}: compare like with like with --condition treadmill or "
                           "--condition overground (or --allow-mixed to compare anyway)")
    warnings.append(f"{msg}: treadmill and overground walking differ, the changes may come from that")
    return baseline, current, None


def _mean(values: list[float | None]) -> float:
    v = [x for x in values if x is not None and math.isfinite(x)]
    return float(np.mean(v)) if v else math.nan


def _covariate_warnings(direction: str, b: list[StoredSession], c: list[StoredSession]) -> list[str]:
    out = []
    sb = _mean([s.directions[direction].speed for s in b])
    sc = _mean([s.directions[direction].speed for s in c])
    if math.isfinite(sb) and math.isfinite(sc) and abs(sc - sb) > max(SPEED_TOLERANCE, 0.05 * sb):
        out.append(f"{direction}: speed differs ({sb:.2f} m/s baseline vs {sc:.2f} m/s current); "
                   "variability and stride length depend on speed, so this alone may explain changes")
    for label, get in (("incline setting", lambda s: s.incline_pct),
                       ("estimated grade", lambda s: s.directions[direction].grade_pct)):
        gb, gc = _mean([get(s) for s in b]), _mean([get(s) for s in c])
        if math.isfinite(gb) and math.isfinite(gc) and abs(gc - gb) > GRADE_TOLERANCE:
            out.append(f"{direction}: {label} differs ({gb:.1f}% baseline vs {gc:.1f}% current); "
                       "this alone may explain changes")
    bb, bc = _mean([s.belt_speed for s in b]), _mean([s.belt_speed for s in c])
    if math.isfinite(bb) and math.isfinite(bc) and abs(bc - bb) > max(SPEED_TOLERANCE, 0.05 * bb):
        out.append(f"belt speed setting differs ({bb:.2f} vs {bc:.2f} m/s)")
    return out


def _centre(values: np.ndarray, log: bool) -> float:
    if not values.size:
        return math.nan
    return float(np.exp(np.mean(np.log(values)))) if log else float(values.mean())


def compare_metric(
    direction: str, metric: str, base: list[tuple[float | None, int]], cur: list[tuple[float | None, int]],
    alpha: float = ALPHA, mic: float | None = None, mic_source: str = "", judged: bool = True,
) -> MetricComparison:
    """Compare one metric's baseline and current sessions, each given as ``(value, strides used)``.

    Beyond noise when the change passes the threshold, the permutation test (when the design allows
    it) and, for event rates, the exact count test (see :mod:`retrogait.history.reliable_change`).
    Reported as improved / worse (higher / lower) only when it is also at least ``mic`` (the minimal
    important change): "small change" below it, "beyond noise" when it is NaN (none known); ``mic``
    None judges the noise alone (the statistical layer, as in the validation tests). ``judged``
    False gives the verdict "not judged" (the belt speed on a treadmill).
    """
    info = METRICS[metric]
    kept = [[(v, n) for v, n in side if v is not None and math.isfinite(v)] for side in (base, cur)]
    b = np.asarray([v for v, _ in kept[0]], float)
    c = np.asarray([v for v, _ in kept[1]], float)
    log = info.log_scale and bool(np.all(b > 0) and np.all(c > 0))
    thr = change_threshold(b, c.size, info.population_mdc95(_centre(b, False)), alpha, log)
    mb, mc = _centre(b, thr.log), _centre(c, thr.log)
    change = mc - mb
    detectable = thr.detectable(mb, change)
    mdc95 = Threshold(thr.mdc95, thr.mdc95, thr.sem, thr.source, log=thr.log).detectable(mb, change)
    band_low, band_high = thr.band(mb)
    pct = 100.0 * change / abs(mb) if mb else math.nan
    ver = verdict(change, detectable, info.better) if c.size else "unknown"
    p_perm = math.nan
    if thr.source == "personal" and permutation_usable(b.size, c.size, alpha):
        p_perm = permutation_p(np.log(b), np.log(c)) if thr.log else permutation_p(b, c)
        if is_real(ver) and p_perm > alpha * (1.0 + 1e-9):
            ver = "no real change"
    if info.rate and is_real(ver):
        events = [sum(v * n / 100.0 for v, n in side) for side in kept]
        strides = [sum(n for _, n in side) for side in kept]
        if rate_change_p(events[0], strides[0], events[1], strides[1]) >= alpha:
            ver = "no real change"
    if mic is not None and is_real(ver):
        if not math.isfinite(mic):
            ver = BEYOND_NOISE
        elif abs(change) < mic:
            ver = SMALL_CHANGE
    if not judged:
        ver = NOT_JUDGED
    return MetricComparison(
        direction, metric, info.unit, info.better, mb, mc, change, pct, detectable, mdc95,
        thr.source, int(b.size), int(c.size), ver, info.exploratory, thr.log, p_perm, band_low, band_high,
        math.nan if mic is None else mic, mic_source,
    )


def choose_periods(
    sessions: list[StoredSession], baseline: str | None, current: str | None, subject: str = "",
) -> tuple[list[StoredSession], list[StoredSession]]:
    """The baseline and current sessions of periods given as text (see :mod:`retrogait.history.periods`).

    Defaults (the same for ``compare``, ``trend`` and every report): baseline = the first two ISO
    weeks (at least 3 sessions); current = the latest ISO week.
    """
    from retrogait.history import periods

    if not sessions:
        raise NoGaitError(f"no sessions of subject {subject!r}")
    out = []
    for period, what in ((baseline, "baseline"), (current, "current")):
        if period is None:
            if what == "baseline":
                out.append(periods.default_baseline(sessions))
            else:
                last_week = sessions[-1].iso_week
                out.append([s for s in sessions if s.iso_week == last_week])
            continue
        chosen = periods.select(sessions, period)
        if not chosen:
            weeks = sorted({s.iso_week for s in sessions})
            raise NoGaitError(f"no sessions of {subject} in the {what} period {period!r} "
                              f"(sessions exist in {', '.join(weeks)})")
        out.append(chosen)
    return out[0], out[1]


def compare(
    subject: str,
    baseline: list[StoredSession],
    current: list[StoredSession],
    *,
    metrics: list[str] | None = None,
    directions: list[str] | None = None,
    condition: str | None = None,
    allow_mixed: bool = False,
    confidence: float = 1.0 - ALPHA,
) -> Comparison:
    """Compare a person's ``current`` sessions with their ``baseline`` sessions (see module doc).

    ``confidence`` 0.95 keeps false alarms of an unchanged person at 5% per metric; higher is stricter.
    """
    if not 0.5 <= confidence < 1.0:
        raise UsageProblem(f"confidence {confidence}: expected a value from 0.5 to 0.999, e.g. 0.95")
    if not baseline:
        raise NoGaitError(f"no sessions of subject {subject!r} in the baseline period")
    if not current:
        raise NoGaitError(f"no sessions of subject {subject!r} in the current period")
    if {s.id for s in baseline} == {s.id for s in current}:
        raise UsageProblem("baseline and current are the same session(s); choose different periods")
    warnings: list[str] = []
    overlap = {s.id for s in baseline} & {s.id for s in current}
    if overlap:
        warnings.append(f"sessions {sorted(overlap)} are in both periods")
    baseline, current, cond = like_with_like(baseline, current, condition, allow_mixed, warnings)
    out = Comparison(subject, cond, [s.id for s in baseline], [s.id for s in current], warnings=warnings)
    names = metrics or list(METRICS)
    found_direction = False
    for direction in directions or DIRECTIONS:
        b = [s for s in baseline if direction in s.directions]
        c = [s for s in current if direction in s.directions]
        if not b or not c:
            continue
        found_direction = True
        out.warnings.extend(_covariate_warnings(direction, b, c))
        if len(b) < PERSONAL_MIN_BASELINE:
            out.warnings.append(
                f"{direction}: {len(b)} baseline session(s): using literature (population) MDCs where known; "
                f"record >= {PERSONAL_MIN_BASELINE} baseline sessions for personal thresholds"
            )
        def baseline_mean(name: str, b: list[StoredSession] = b, direction: str = direction) -> float:
            return _mean([s.value(direction, name) for s in b])

        for metric in names:
            base = [value_n(s, direction, metric) for s in b]
            cur = [value_n(s, direction, metric) for s in c]
            if all(v is None for v, _ in base) or all(v is None for v, _ in cur):
                continue
            mic, mic_source = minimal_important_change(metric, baseline_mean)
            judged = not (metric == "speed_mean" and cond == "treadmill")
            out.rows.append(compare_metric(direction, metric, base, cur, 1.0 - confidence, mic, mic_source,
                                           judged))
    if not found_direction:
        raise NoGaitError("no walking direction has sessions in both periods "
                          f"(baseline: {_dirs(baseline)}; current: {_dirs(current)})")
    return out


def value_n(s: StoredSession, direction: str, metric: str) -> tuple[float | None, int]:
    """A session's ``(value, strides used)`` of a metric (``(None, 0)`` when missing)."""
    m = s.directions[direction].metrics.get(metric)
    return (None, 0) if m is None else (s.value(direction, metric), m.n)


def _dirs(sessions: list[StoredSession]) -> str:
    found = sorted({d for s in sessions for d in s.directions})
    return ", ".join(found) or "no strides"
