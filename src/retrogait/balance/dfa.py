"""Detrended fluctuation analysis (DFA-1) of stride-interval series, vectorized over rows."""

from __future__ import annotations

import numpy as np

#: Fewest strides for which DFA alpha is reported (it is noisy and exploratory below ~500).
DFA_MIN_STRIDES = 128


def box_sizes(n: int, smallest: int = 4, count: int = 12) -> np.ndarray:
    """Log-spaced integer box sizes from ``smallest`` to ``n // 4``."""
    largest = max(smallest + 1, n // 4)
    return np.unique(np.round(np.geomspace(smallest, largest, count)).astype(int))


def dfa_alpha(x: np.ndarray) -> np.ndarray:
    """DFA-1 scaling exponent of each row of ``x`` (R, n) -> (R,); a 1-D ``x`` gives a 0-D array.

    The profile (cumulative sum of the mean-removed series) is cut into non-overlapping boxes of size
    s; a straight line is removed per box; F(s) is the RMS residual; alpha is the slope of log F vs
    log s. White noise gives 0.5, 1/f noise 1.0, a random walk 1.5.
    """
    x = np.asarray(x, dtype=float)
    one = x.ndim == 1
    x = np.atleast_2d(x)
    r, n = x.shape
    if n < 16:
        out = np.full(r, np.nan)
        return out[0] if one else out
    y = np.cumsum(x - x.mean(axis=1, keepdims=True), axis=1)
    sizes = box_sizes(n)
    log_f = np.empty((r, sizes.size))
    for k, s in enumerate(sizes):
        m = n // s
        seg = y[:, : m * s].reshape(r, m, s)
        tc = np.arange(s) - (s - 1) / 2.0
        seg = seg - seg.mean(axis=2, keepdims=True)
        slope = seg @ tc / np.dot(tc, tc)
        resid = seg - slope[:, :, None] * tc
        log_f[:, k] = 0.5 * np.log(np.mean(resid**2, axis=(1, 2)) + 1e-300)
    ls = np.log(sizes) - np.log(sizes).mean()
    alpha = (log_f - log_f.mean(axis=1, keepdims=True)) @ ls / np.dot(ls, ls)
    return alpha[0] if one else alpha
