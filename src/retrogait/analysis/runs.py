"""Sets of samples kept as *runs*: sorted, disjoint, non-empty ranges ``[starts[k], stops[k])``.

A stance mask of a day-long recording has 17 M samples but only some 10^5 runs, so the stance stage
does its morphology (widening, closing, union, dropping short runs) on the runs and writes a mask at
most once. Every function here gives exactly what the mask operation it names gives (the tests check
them against the sliding-window filters of :mod:`retrogait.analysis.filters`).
"""

from __future__ import annotations

import numpy as np

from retrogait.analysis.compiled import kernels

Runs = tuple[np.ndarray, np.ndarray]
"""``(starts, stops)``: int64 arrays, sorted, disjoint, non-empty ranges ``[start, stop)``."""


def runs(mask: np.ndarray) -> Runs:
    """Start and stop (exclusive) indices of the runs of True in ``mask``."""
    kern = kernels(int(mask.shape[0]))
    if kern is not None:
        starts, stops = kern.runs(mask)
        return starts, stops
    m = np.concatenate([[False], mask, [False]]).view(np.int8)
    d = np.diff(m)
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def cover(n: int, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Boolean mask of length ``n`` that is True inside the ranges ``[starts, stops)``."""
    kern = kernels(n)
    if kern is not None:
        out = np.zeros(n, dtype=bool)
        kern.cover(n, np.asarray(starts, dtype=np.int64), np.asarray(stops, dtype=np.int64), out)
        return out
    d = np.zeros(n + 1, dtype=np.int32)
    np.add.at(d, np.clip(starts, 0, n), 1)
    np.add.at(d, np.clip(stops, 0, n), -1)
    return np.cumsum(d[:-1]) > 0


def merge(starts: np.ndarray, stops: np.ndarray, gap: int = 0) -> Runs:
    """Runs of the union of ranges (given sorted by start; they may overlap), joining two when at most
    ``gap`` samples lie between them (0: only touching or overlapping ranges become one run)."""
    starts = np.asarray(starts, dtype=np.int64)
    stops = np.asarray(stops, dtype=np.int64)
    if starts.size == 0:
        return starts, stops
    reach = np.maximum.accumulate(stops)  # the furthest stop so far
    new = np.empty(starts.shape[0], dtype=bool)
    new[0] = True
    new[1:] = starts[1:] > reach[:-1] + gap
    first = np.flatnonzero(new)
    last = np.append(first[1:], starts.shape[0]) - 1
    return starts[first], reach[last]


def widen(r: Runs, half: int, n: int) -> Runs:
    """``running_max(cover(n, *r), 2 * half + 1)`` as runs: each run grown by ``half`` on both sides
    (clipped to ``[0, n)``), overlapping or touching ones joined."""
    starts, stops = r
    return merge(np.maximum(starts - half, 0), np.minimum(stops + half, n))


def complement(r: Runs, n: int) -> Runs:
    """The runs of the samples of ``[0, n)`` outside ``r``."""
    starts, stops = r
    a = np.concatenate([[0], stops]).astype(np.int64)
    b = np.concatenate([starts, [n]]).astype(np.int64)
    keep = b > a
    return a[keep], b[keep]


def close(r: Runs, half: int, n: int) -> Runs:
    """Binary closing ``running_min(running_max(mask, w), w)`` with ``w = 2 * half + 1`` (ends repeated)
    as runs: gaps of at most ``2 * half`` samples are filled, and so is a gap of at most ``half``
    samples before the first run or after the last (the repeated end value sees the run)."""
    starts, stops = merge(r[0], r[1], 2 * half)
    if starts.size:
        starts = starts.copy()
        stops = stops.copy()
        if starts[0] <= half:
            starts[0] = 0
        if n - stops[-1] <= half:
            stops[-1] = n
    return starts, stops


def at_least(r: Runs, length: float) -> Runs:
    """The runs of ``r`` that are at least ``length`` samples long."""
    starts, stops = r
    keep = (stops - starts) >= length
    return starts[keep], stops[keep]


def meets(r: Runs, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For each non-empty range ``[a[k], b[k])``, whether a run of ``r`` shares a sample with it (the
    mask of ``r`` holds a True there)."""
    starts, stops = r
    a = np.asarray(a)
    out = np.zeros(a.shape, dtype=bool)
    if starts.size == 0:
        return out
    j = np.searchsorted(stops, a, side="right")  # the first run that ends after a
    ok = j < starts.shape[0]
    out[ok] = starts[j[ok]] < np.asarray(b)[ok]
    return out


def union(r1: Runs, r2: Runs) -> Runs:
    """The runs of the samples in ``r1`` or ``r2``."""
    starts = np.concatenate([r1[0], r2[0]]).astype(np.int64)
    stops = np.concatenate([r1[1], r2[1]]).astype(np.int64)
    order = np.argsort(starts, kind="stable")
    return merge(starts[order], stops[order])


def without(r: Runs, drop: np.ndarray) -> Runs:
    """``r`` less the runs where ``drop`` (a boolean per run) is True."""
    keep = ~drop
    return r[0][keep], r[1][keep]
