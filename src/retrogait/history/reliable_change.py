"""Is a change between baseline and current sessions real? (pure statistics; docs/metrics.md)

Personal rule (>= 3 baseline sessions). With n_b baseline session values (SD s between sessions) and
n_c current session values, the change of the means is real when

    |mean_c - mean_b| > t_{1 - alpha/2, n_b - 1} * s * sqrt(1/n_b + 1/n_c)                    (1)

and, when the design allows it, an exact permutation test agrees (2). If sessions of an unchanged
person scatter independently and normally around the same mean, (mean_c - mean_b) /
(s * sqrt(1/n_b + 1/n_c)) is Student's t with n_b - 1 degrees of freedom, so (1) alone alarms at the
nominal alpha whatever n_b; s comes from the baseline only, so current sessions that are truly
different cannot inflate it. With one session on each side and a known SEM this is the classic
MDC95 = 1.96 * sqrt(2) * SEM; s plays the SEM and t replaces 1.96 to pay for estimating it.

Variability metrics (CVs, SDs, RMSSD) are judged on the log scale: their day-to-day wobble and their
sampling error are proportional to their level, so log values scatter symmetrically with a constant
SD and (1) applies to them; the means are then geometric means and the threshold is a ratio.

(2) Permutation guard. Without a change, the n_b + n_c session values are exchangeable, so the
observed |mean_c - mean_b| is compared with its value over all C(n_b + n_c, n_c) ways to choose the
current sessions; p = the share at least as large. Its false-alarm rate is <= alpha for any
distribution of session values (skewed, heavy-tailed, an outlier session), which (1) cannot promise
when n_b and n_c differ. It is used when its smallest attainable p is <= alpha / 2 (e.g. 8 vs 2
sessions: 45 arrangements), so that its discreteness never makes it much stricter than alpha.

Event rates (irregular strides, corrective steps) are mostly zero, where a between-session SD of 0
would call any single event a change. For them the change must also pass an exact test on the event
counts: given k_b events in N_b baseline strides and k_c in N_c current strides, k_c is
Binomial(k_b + k_c, N_c / (N_b + N_c)) when the rate did not change; two-sided p < alpha is required.

Population rule (< 3 baseline sessions): SEM = MDC95_lit / (1.96 * sqrt(2)) from the literature MDC
of the metric, threshold z_{1 - alpha/2} * SEM * sqrt(1/n_b + 1/n_c), on the metric's own scale.
Flagged "population MDC". Metrics without a literature MDC get the verdict "unknown" until three
baseline sessions exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

ALPHA = 0.05
PERSONAL_MIN_BASELINE = 3
Z95 = 1.959963984540054
# enumerate every arrangement up to this many, else sample: scipy enumerates ~40 us per arrangement
# (2,000: 50 ms) and samples 9,999 in ~100 ms, whose p is within ~0.002 of the exact one at p = 0.05
PERM_EXACT_MAX = 2_000
PERM_SAMPLES = 9_999


@dataclass
class Threshold:
    """The smallest change of the means that counts as real, and where it came from.

    ``value``, ``mdc95`` and ``sem`` are on the test scale: metric units, or natural-log units when
    ``log`` (a log threshold T means a ratio exp(T) up or exp(-T) down). Use :meth:`band` and
    :meth:`detectable` for metric units.
    """

    value: float  # detectable change of the means for this comparison
    mdc95: float  # single-session MDC95 = 1.96 * sqrt(2) * SEM
    sem: float  # SEM used: between-session SD (personal) or from the literature MDC (population)
    source: str  # "personal" | "population" | "none"
    df: int | None = None
    log: bool = False

    def band(self, centre: float) -> tuple[float, float]:
        """The values (metric units) around baseline mean ``centre`` that are no real change."""
        if not (math.isfinite(self.value) and math.isfinite(centre)):
            return math.nan, math.nan
        if self.log:
            return centre * math.exp(-self.value), centre * math.exp(self.value)
        return centre - self.value, centre + self.value

    def detectable(self, centre: float, change: float = 1.0) -> float:
        """The change (metric units) from ``centre`` needed to be real, in the direction of ``change``."""
        lo, hi = self.band(centre)
        return hi - centre if not change < 0 else centre - lo


def _finite(values: np.ndarray | list[float]) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    return v[np.isfinite(v)]


def use_log(values: np.ndarray, log: bool) -> bool:
    """Whether to judge ``values`` on the log scale: asked for and all strictly positive."""
    return bool(log) and values.size > 0 and bool(np.all(values > 0))


def change_threshold(
    baseline: np.ndarray | list[float], n_current: int, population_mdc95: float | None = None,
    alpha: float = ALPHA, log: bool = False,
) -> Threshold:
    """The detectable change for ``baseline`` session values vs ``n_current`` current sessions.

    ``log`` judges a personal threshold on the log scale (when every baseline value is positive).
    """
    b = _finite(baseline)
    nb, nc = b.size, max(1, int(n_current))
    if nb == 0:
        return Threshold(math.nan, math.nan, math.nan, "none")
    scale = math.sqrt(1.0 / nb + 1.0 / nc)
    if nb >= PERSONAL_MIN_BASELINE:
        on_log = use_log(b, log)
        s = float(np.std(np.log(b) if on_log else b, ddof=1))
        q = float(stats.t.ppf(1.0 - alpha / 2.0, nb - 1))
        return Threshold(q * s * scale, Z95 * math.sqrt(2.0) * s, s, "personal", nb - 1, on_log)
    if population_mdc95 is not None and math.isfinite(population_mdc95):
        sem = population_mdc95 / (Z95 * math.sqrt(2.0))
        q = float(stats.norm.ppf(1.0 - alpha / 2.0))
        return Threshold(q * sem * scale, population_mdc95, sem, "population")
    return Threshold(math.nan, math.nan, math.nan, "none")


def permutation_usable(n_baseline: int, n_current: int, alpha: float = ALPHA) -> bool:
    """True when the permutation test's smallest attainable p-value is <= ``alpha`` / 2.

    There are C(n_b + n_c, n_c) arrangements; the observed one can be the single most extreme, or
    one of a mirrored pair when n_b == n_c (then |difference| ties with its complement).
    """
    if n_baseline < 1 or n_current < 1:
        return False
    k = math.comb(n_baseline + n_current, n_current)
    return (2 if n_baseline == n_current else 1) / k <= alpha / 2.0


def permutation_p(baseline: np.ndarray | list[float], current: np.ndarray | list[float], seed: int = 0) -> float:
    """Two-sided permutation p-value of |mean(current) - mean(baseline)| (exchangeable sessions).

    :func:`scipy.stats.permutation_test` (independent samples) on the statistic |difference of the
    means| with ``alternative="greater"``: the share of arrangements at least as extreme, the observed
    one included; ties (the mirrored split when n_b == n_c; scipy counts values within 100 ulp of the
    observed as ties) count as at least as extreme. Every arrangement is enumerated up to
    :data:`PERM_EXACT_MAX` (exact p), else :data:`PERM_SAMPLES` random ones are drawn (seeded;
    p = (1 + hits) / (1 + samples)).
    """
    b, c = _finite(baseline), _finite(current)
    nb, nc = b.size, c.size
    if nb == 0 or nc == 0:
        return math.nan
    exact = math.comb(nb + nc, nc) <= PERM_EXACT_MAX

    def statistic(x: np.ndarray, y: np.ndarray, axis: int) -> np.ndarray:
        return np.abs(np.mean(y, axis=axis) - np.mean(x, axis=axis))

    res = stats.permutation_test((b, c), statistic, permutation_type="independent", vectorized=True,
                                 n_resamples=np.inf if exact else PERM_SAMPLES, alternative="greater",
                                 rng=np.random.default_rng(seed))
    return float(res.pvalue)


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
