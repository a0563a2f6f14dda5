"""Peaks of a signal (what :func:`scipy.signal.find_peaks` does with ``height`` and ``distance``),
without importing :mod:`scipy.signal`: that import (with :mod:`scipy.stats`) costs more than the
whole analysis of a short recording. Same rules, same result."""

from __future__ import annotations

import math

import numpy as np

from retrogait.analysis.compiled import kernels


def local_maxima(x: np.ndarray) -> np.ndarray:
    """Indices of the local maxima of ``x``: a sample (or the middle of a flat run, rounded down)
    higher than its neighbours on both sides; never the first or last sample.

    Works on boolean masks (one byte per sample), so a day-long signal costs little memory.
    """
    n = x.shape[0]
    if n < 3:
        return np.zeros(0, dtype=np.intp)
    kern = kernels(n)
    if kern is not None:
        found = np.empty(n // 2 + 1, dtype=np.intp)
        return found[: kern.local_maxima(x.view(np.uint8) if x.dtype == np.bool_ else x, found)].copy()
    rise = x[1:-1] > x[:-2]  # x[i] > x[i - 1], for i = 1 .. n - 2
    flat_next = x[:-1] == x[1:]  # x[k] == x[k + 1], for k = 0 .. n - 2
    strict = np.flatnonzero(rise & (x[1:-1] > x[2:])) + 1
    start = np.flatnonzero(rise & flat_next[1:]) + 1  # a rise onto a flat run
    del rise
    if start.size == 0:
        return strict
    m = np.concatenate([[False], flat_next, [False]]).view(np.int8)
    run_start = np.flatnonzero(np.diff(m) == 1)
    run_end = np.flatnonzero(np.diff(m) == -1)  # the flat run's last sample (x[k] == x[k + 1] up to it)
    del m
    end = run_end[np.searchsorted(run_start, start)]
    ok = (end + 1 < n) & (x[np.minimum(end + 1, n - 1)] < x[end])
    plateau = (start[ok] + end[ok]) // 2
    return np.sort(np.concatenate([strict, plateau])).astype(np.intp)


def find_peaks(x: np.ndarray, height: float | None = None, distance: float | None = None,
               maxima: np.ndarray | None = None) -> np.ndarray:
    """Indices of the peaks of ``x`` at least ``height`` high and at least ``distance`` samples apart.

    Of peaks closer than ``distance``, the higher is kept (the higher ones are placed first, each
    removing its lower neighbours within ``distance``). The loop runs over the peaks, not the samples.
    ``maxima``: the :func:`local_maxima` of ``x`` when the caller has them already.
    """
    peaks = local_maxima(x) if maxima is None else maxima
    if height is not None:
        peaks = peaks[x[peaks] >= height]
    if distance is None or peaks.shape[0] < 2:
        return peaks
    keep = np.ones(peaks.shape[0], dtype=bool)
    highest_first = np.argsort(x[peaks])[::-1].copy()  # ties: as scipy orders them
    kern = kernels(x.shape[0])
    (kern.keep_apart if kern is not None else keep_apart)(peaks, highest_first, math.ceil(distance), keep)
    return peaks[keep]


def window_max_at(x: np.ndarray, at: np.ndarray, half: int, maxima: np.ndarray) -> np.ndarray:
    """``running_max(x, 2 * half + 1)[at]`` (:mod:`retrogait.analysis.filters`) without a pass over ``x``.

    The largest value on an interval ``[a, b]`` lies at ``a``, at ``b`` or on a local maximum strictly
    inside (the first sample reaching it rises from a lower one, and its flat run either falls again
    inside or reaches ``b``), so the window's maximum is that of its two ends (clipped to the signal,
    as the filter repeats the end values) and of the ``maxima`` (:func:`local_maxima` of ``x``) between.
    Exact: the same values are compared; the cost grows with the number of maxima, not of samples.
    """
    n = x.shape[0]
    a = np.clip(at - half, 0, n - 1)
    b = np.clip(at + half, 0, n - 1)
    out = np.maximum(x[a], x[b])
    lo = np.searchsorted(maxima, a, side="right")  # the first maximum after a
    hi = np.searchsorted(maxima, b, side="left")  # ... and the first at or after b
    inside = hi > lo
    if inside.any():
        vals = x[maxima]
        bounds = np.column_stack([lo[inside], hi[inside]]).ravel()
        top = np.maximum.reduceat(np.append(vals, vals[-1]), bounds)[::2]  # max of vals[lo:hi]
        out[inside] = np.maximum(out[inside], top)
    return out


def keep_apart(pos: np.ndarray, highest_first: np.ndarray, d: int, keep: np.ndarray) -> None:
    """The distance rule: each kept peak (positions ``pos``, visited highest first) removes its
    neighbours closer than ``d`` samples (``keep`` starts all True). A loop over the peaks, not the
    samples; :mod:`retrogait.analysis.kernels` compiles this same function for long recordings."""
    n = pos.shape[0]
    for j in highest_first:
        if not keep[j]:
            continue
        k = j - 1
        while k >= 0 and pos[j] - pos[k] < d:
            keep[k] = False
            k -= 1
        k = j + 1
        while k < n and pos[k] - pos[j] < d:
            keep[k] = False
            k += 1
