"""Is a change between baseline and current sessions real? (pure statistics; docs/metrics.md)

Personal rule (>= 3 baseline sessions). With n_b baseline session values (SD s between sessions) and
n_c current session values, the change of the means is real when

    |mean_c - mean_b| > t_{0.975, n_b - 1} * s * sqrt(1/n_b + 1/n_c).

If sessions of an unchanged person scatter independently and normally around the same mean,
(mean_c - mean_b) / (s * sqrt(1/n_b + 1/n_c)) follows Student's t with n_b - 1 degrees of freedom, so
false alarms happen at the nominal 5% whatever n_b (s comes from the baseline only, so current
sessions that are truly different cannot inflate it). With one session on each side and a known SEM
this is the classic MDC95 = 1.96 * sqrt(2) * SEM; here s plays the SEM and t replaces 1.96 to pay for
estimating it from few sessions.

Event rates (irregular strides, corrective steps) are mostly zero, where a between-session SD of 0
would call any single event a change. For them the change must also pass an exact test on the event
counts: given k_b events in N_b baseline strides and k_c in N_c current strides, k_c is
Binomial(k_b + k_c, N_c / (N_b + N_c)) when the rate did not change; two-sided p < 0.05 is required.

Population rule (< 3 baseline sessions): SEM = MDC95_lit / (1.96 * sqrt(2)) from the literature MDC
of the metric, threshold 1.96 * SEM * sqrt(1/n_b + 1/n_c). Flagged "population MDC". Metrics without
a literature MDC get the verdict "unknown" until three baseline sessions exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

ALPHA = 0.05
PERSONAL_MIN_BASELINE = 3
Z95 = 1.959963984540054


@dataclass
class Threshold:
    """The smallest change of the means that counts as real, and where it came from."""

    value: float  # detectable change for this comparison (metric units)
    mdc95: float  # single-session MDC95 = 1.96 * sqrt(2) * SEM (metric units)
    sem: float  # SEM used: between-session SD (personal) or from the literature MDC (population)
    source: str  # "personal" | "population" | "none"
    df: int | None = None


def change_threshold(
    baseline: np.ndarray | list[float], n_current: int, population_mdc95: float | None = None,
    alpha: float = ALPHA,
) -> Threshold:
    """The detectable change for ``baseline`` session values vs ``n_current`` current sessions."""
    b = np.asarray(baseline, dtype=float)
    b = b[np.isfinite(b)]
    nb, nc = b.size, max(1, int(n_current))
    if nb == 0:
        return Threshold(math.nan, math.nan, math.nan, "none")
    scale = math.sqrt(1.0 / nb + 1.0 / nc)
    if nb >= PERSONAL_MIN_BASELINE:
        s = float(np.std(b, ddof=1))
        q = float(stats.t.ppf(1.0 - alpha / 2.0, nb - 1))
        return Threshold(q * s * scale, Z95 * math.sqrt(2.0) * s, s, "personal", nb - 1)
    if population_mdc95 is not None and math.isfinite(population_mdc95):
        sem = population_mdc95 / (Z95 * math.sqrt(2.0))
        q = float(stats.norm.ppf(1.0 - alpha / 2.0))
        return Threshold(q * sem * scale, population_mdc95, sem, "population")
    return Threshold(math.nan, math.nan, math.nan, "none")


def rate_change_p(k_baseline: float, n_baseline: float, k_current: float, n_current: float) -> float:
    """Two-sided p-value that the event rate differs (exact conditional binomial test on counts)."""
    kb, kc = int(round(k_baseline)), int(round(k_current))
    if kb + kc == 0 or n_baseline <= 0 or n_current <= 0:
        return 1.0
    return float(stats.binomtest(kc, kb + kc, n_current / (n_baseline + n_current)).pvalue)


def verdict(change: float, threshold: float, better: str) -> str:
    """``improved`` / ``worse`` (or ``higher`` / ``lower`` for metrics with no better direction) when
    ``|change| > threshold``, ``no real change`` otherwise, ``unknown`` without a threshold."""
    if not (math.isfinite(threshold) and math.isfinite(change)):
        return "unknown"
    if abs(change) <= threshold * (1.0 + 1e-9) + 1e-12:  # rounding noise is no change
        return "no real change"
    up = change > 0
    if better == "none":
        return "higher" if up else "lower"
    return "improved" if up == (better == "higher") else "worse"


def is_real(verdict_text: str) -> bool:
    """True for verdicts that report a real change."""
    return verdict_text in ("improved", "worse", "higher", "lower")
