"""Run-space morphology (:mod:`retrogait.analysis.runs`) against the mask operations it replaces:
the sliding-window filters of :mod:`retrogait.analysis.filters` on random masks, edges included."""

from __future__ import annotations

import numpy as np
import pytest

from retrogait.analysis import filters, runs
from retrogait.analysis.settings import StanceSettings
from retrogait.analysis.stance import still_runs, zero_velocity


def _masks(seed: int, count: int = 400):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n = int(rng.integers(1, 120))
        yield rng.random(n) < rng.uniform(0.05, 0.95), int(rng.integers(0, 9))


def test_widen_is_a_running_max() -> None:
    for mask, half in _masks(1):
        got = runs.cover(mask.size, *runs.widen(runs.runs(mask), half, mask.size))
        assert np.array_equal(got, filters.running_max(mask, 2 * half + 1))


def test_close_is_the_binary_closing() -> None:
    for mask, half in _masks(2):
        w = 2 * half + 1
        want = ~filters.running_max(~filters.running_max(mask, w), w)  # min of the max, ends repeated
        got = runs.cover(mask.size, *runs.close(runs.runs(mask), half, mask.size))
        assert np.array_equal(got, want), (mask.astype(int), half)


def test_complement_union_meets() -> None:
    rng = np.random.default_rng(3)
    for mask, _ in _masks(3):
        n = mask.size
        other = rng.random(n) < 0.3
        r, o = runs.runs(mask), runs.runs(other)
        assert np.array_equal(runs.cover(n, *runs.complement(r, n)), ~mask)
        assert np.array_equal(runs.cover(n, *runs.union(r, o)), mask | other)
        a = np.sort(rng.integers(0, n, 10))
        b = np.minimum(a + rng.integers(1, 20, 10), n)
        ok = b > a
        held = np.array([mask[x:y].any() for x, y in zip(a[ok], b[ok])], dtype=bool)
        assert np.array_equal(runs.meets(r, a[ok], b[ok]), held)


def test_merge_joins_small_gaps_only() -> None:
    starts, stops = runs.merge(np.array([0, 5, 9, 20]), np.array([3, 7, 12, 22]), gap=2)
    assert starts.tolist() == [0, 20] and stops.tolist() == [12, 22]
    starts, stops = runs.merge(np.array([0, 5]), np.array([3, 7]), gap=1)
    assert starts.tolist() == [0, 5] and stops.tolist() == [3, 7]


@pytest.mark.parametrize("rate", [100.0, 200.0, 1000.0])
def test_still_runs_equal_the_windowed_detector(rate: float) -> None:
    """The still test as runs equals its definition on masks: nothing moving within the window,
    closed over short blips, runs shorter than the minimum stance dropped."""
    s = StanceSettings()
    rng = np.random.default_rng(int(rate))
    n = 20_000
    # bursts of motion and rest of random lengths, noise near both thresholds
    level = np.repeat(rng.random(200) < 0.5, n // 200)
    gyr_norm = np.where(level, 2.0, 0.0) + np.abs(rng.normal(0.0, 0.25, n))
    acc_norm = 9.81 + np.where(level, 3.0, 0.0) * rng.normal(size=n) + rng.normal(0.0, 0.3, n)
    odd = lambda x: max(1, int(round(x))) | 1  # noqa: E731
    w, c = odd(s.window * rate), odd(s.close_gap * rate)
    moving = (gyr_norm >= s.gyr_threshold) | ~(np.abs(acc_norm - 9.80665) < s.acc_threshold)
    still = ~filters.running_max(moving, w)
    still = ~filters.running_max(~filters.running_max(still, c), c)
    a, b = runs.runs(still)
    short = (b - a) < max(1, s.min_stance * rate)
    want = still & ~runs.cover(n, a[short], b[short])
    assert np.array_equal(zero_velocity(acc_norm, gyr_norm, rate, s), want)
    a, b = still_runs(acc_norm, gyr_norm, rate, s)
    assert a.size > 20 and np.all(b - a >= s.min_stance * rate)
