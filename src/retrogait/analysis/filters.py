"""Sliding-window filters over a recording (centred, odd window, edges repeat the end values).

What :func:`scipy.ndimage.maximum_filter1d` and friends do with ``mode="nearest"``, in numpy: the
analysis then needs no scipy import (which costs more than analysing a short recording). The maximum
uses the van Herk / Gil-Werman scheme (a prefix and a suffix maximum per block of the window's
length: three comparisons per sample whatever the window), so a 1.6 s window costs no more than a
50 ms one. Long inputs are processed in pieces (bounded temporary memory).
"""

from __future__ import annotations

import numpy as np

from retrogait.analysis.compiled import kernels

PIECE = 1 << 16  # output samples per piece (temporaries stay a few MB; the moving mean keeps precision)


def _padded(x: np.ndarray, half: int, a: int, b: int) -> np.ndarray:
    """``x[a - half : b + half]`` with the ends repeated beyond the array."""
    n = x.shape[0]
    lo, hi = a - half, b + half
    core = x[max(lo, 0) : min(hi, n)]
    left, right = max(0, -lo), max(0, hi - n)
    if left or right:
        core = np.concatenate([np.repeat(x[:1], left), core, np.repeat(x[-1:], right)])
    return core


def _check(size: int) -> int:
    if size < 1 or size % 2 == 0:
        raise ValueError(f"window of {size} samples: expected an odd number >= 1")
    return size // 2


def running_max(x: np.ndarray, size: int, out: np.ndarray | None = None) -> np.ndarray:
    """Largest value of ``x`` within ``size // 2`` samples on either side of each sample."""
    half = _check(size)
    n = x.shape[0]
    y = np.empty_like(x) if out is None else out
    if n == 0:
        return y
    if half == 0:
        y[...] = x
        return y
    work = x.view(np.uint8) if x.dtype == np.bool_ else x
    res = y.view(np.uint8) if y.dtype == np.bool_ else y
    kern = kernels(n)
    if kern is not None:
        if x.dtype == np.bool_ and y.dtype == np.bool_:
            kern.dilate(x, half, False, y)
        else:
            kern.running_max(work, half, PIECE, res)
        return y
    for a in range(0, n, PIECE):
        b = min(a + PIECE, n)
        p = _padded(work, half, a, b)  # length (b - a) + size - 1
        blocks = -(-p.shape[0] // size)
        q = np.concatenate([p, np.repeat(p[-1:], blocks * size - p.shape[0])]).reshape(blocks, size)
        g = np.maximum.accumulate(q, axis=1).ravel()  # max from the block's start
        h = np.maximum.accumulate(q[:, ::-1], axis=1)[:, ::-1].ravel()  # max to the block's end
        np.maximum(h[: b - a], g[size - 1 : size - 1 + b - a], out=res[a:b])
    return y


def running_min(x: np.ndarray, size: int) -> np.ndarray:
    """Smallest value of ``x`` within ``size // 2`` samples on either side of each sample."""
    if x.dtype == np.bool_:
        kern = kernels(x.shape[0])
        if kern is not None and x.shape[0]:
            out = np.empty_like(x)
            kern.dilate(x, _check(size), True, out)
            return out
        return ~running_max(~x, size)
    return -running_max(-x, size)


def moving_mean(x: np.ndarray, size: int, out: np.ndarray | None = None,
                deviation_from: float | None = None) -> np.ndarray:
    """Mean of ``x`` over ``size // 2`` samples on either side of each sample (float64); of
    ``|x - deviation_from|`` when that is given (without a recording-sized temporary)."""
    half = _check(size)
    n = x.shape[0]
    y = np.empty(n, dtype=np.float64) if out is None else out
    kern = kernels(n)
    if kern is not None and n:
        kern.moving_mean(x, half, PIECE, deviation_from is not None, deviation_from or 0.0, y)
        return y
    for a in range(0, n, PIECE):
        b = min(a + PIECE, n)
        p = _padded(x, half, a, b)
        if deviation_from is not None:
            p = np.abs(p - deviation_from)
        c = np.cumsum(p, dtype=np.float64)
        window = c[size - 1 :].copy()
        window[1:] -= c[: b - a - 1]
        np.divide(window, size, out=y[a:b])
    return y
