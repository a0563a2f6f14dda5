"""Sliding-window filters and peaks (:mod:`retrogait.analysis.filters`, :mod:`retrogait.analysis.peaks`)."""

from __future__ import annotations

import numpy as np

from retrogait.analysis import peaks
from retrogait.analysis.kernels.jit import jit


@jit
def _block_maxima(h: np.ndarray, g: np.ndarray, length: int, size: int) -> None:
    """The van Herk / Gil-Werman step on ``h[:length]`` (a multiple of ``size``): ``g`` becomes the
    maximum from the start of each block of ``size`` samples, ``h`` (in place) the maximum to its end;
    the maximum over ``[i, i + size)`` is then ``max(h[i], g[i + size - 1])``."""
    for s0 in range(0, length, size):
        g[s0] = h[s0]
        for i in range(s0 + 1, s0 + size):
            g[i] = max(g[i - 1], h[i])
        for i in range(s0 + size - 2, s0 - 1, -1):
            h[i] = max(h[i + 1], h[i])


@jit
def running_max(x: np.ndarray, half: int, piece: int, out: np.ndarray) -> None:
    """:func:`retrogait.analysis.filters.running_max` (window ``2 * half + 1``, ends repeated), by the same
    van Herk / Gil-Werman scheme, ``piece`` outputs at a time (bounded scratch memory)."""
    n = x.shape[0]
    size = 2 * half + 1
    m = piece + size - 1
    m += (-m) % size
    g = np.empty(m, dtype=x.dtype)  # max from the start of each block of `size`
    h = np.empty(m, dtype=x.dtype)  # max to the end of each block
    for a in range(0, n, piece):
        b = min(a + piece, n)
        length = b - a + size - 1
        length += (-length) % size
        i_lo = min(max(half - a, 0), length)  # padded positions before the array's start
        i_hi = min(max(n - (a - half), i_lo), length)  # ... and from its end on
        for i in range(i_lo):
            h[i] = x[0]
        for i in range(i_lo, i_hi):
            h[i] = x[a - half + i]
        for i in range(i_hi, length):
            h[i] = x[n - 1]
        _block_maxima(h, g, length, size)
        for i in range(b - a):
            out[a + i] = max(h[i], g[i + size - 1])


@jit
def moving_mean(x: np.ndarray, half: int, piece: int, deviate: bool, centre: float, out: np.ndarray) -> None:
    """:func:`retrogait.analysis.filters.moving_mean`: the window sum restarted every ``piece`` outputs
    (so rounding does not accumulate over a day); of ``|x - centre|`` when ``deviate``."""
    n = x.shape[0]
    size = 2 * half + 1
    for a in range(0, n, piece):
        b = min(a + piece, n)
        total = 0.0
        for j in range(a - half, a + half + 1):
            v = x[min(max(j, 0), n - 1)]
            total += abs(v - centre) if deviate else v
        out[a] = total / size
        for i in range(a + 1, b):
            v_in = x[min(i + half, n - 1)]
            v_out = x[max(i - half - 1, 0)]
            if deviate:
                total += abs(v_in - centre) - abs(v_out - centre)
            else:
                total += v_in - v_out
            out[i] = total / size


@jit
def motion_score(gyr_norm: np.ndarray, acc_norm: np.ndarray, starts: np.ndarray, stops: np.ndarray, half: int,
                 big_half: int, g: float, piece: int, out: np.ndarray) -> None:
    """``stance._motion_score_at``: the motion score over the runs ``[starts[k], stops[k])`` laid out one
    after another in ``out``. For each run, the two moving means (``filters.moving_mean``: of the gyro
    norm, of ``| |f| - g |``; windows ``2 * half + 1``, sums restarted every ``piece``) are made from
    ``big_half`` before the run to ``big_half`` after it (ends repeated at the recording's), each is
    divided by its running maximum (window ``2 * big_half + 1``, as :func:`running_max`) and the larger
    ratio kept. Scratch memory grows with the longest run, not with the recording."""
    n = gyr_norm.shape[0]
    size = 2 * big_half + 1
    longest = 0
    for k in range(starts.shape[0]):
        longest = max(longest, stops[k] - starts[k])
    m = longest + size - 1
    m += (-m) % size
    mg = np.empty(m)
    ma = np.empty(m)
    gg = np.empty(m)
    ga = np.empty(m)
    o = 0
    for k in range(starts.shape[0]):
        a, b = starts[k], stops[k]
        lo, hi = max(a - big_half, 0), min(b + big_half, n)  # the moving means needed
        _window_means(gyr_norm, acc_norm, lo, hi, half, g, piece, mg, ma, a - big_half)
        length = b - a + size - 1
        length += (-length) % size
        for i in range(hi - (a - big_half), length):  # past the recording's end: its last value
            mg[i] = mg[hi - 1 - (a - big_half)]
            ma[i] = ma[hi - 1 - (a - big_half)]
        for i in range(0, lo - (a - big_half)):  # before its start: the first
            mg[i] = mg[lo - (a - big_half)]
            ma[i] = ma[lo - (a - big_half)]
        vg = mg[big_half : big_half + b - a].copy()
        va = ma[big_half : big_half + b - a].copy()
        _block_maxima(mg, gg, length, size)
        _block_maxima(ma, ga, length, size)
        for i in range(b - a):
            rg = vg[i] / max(max(mg[i], gg[i + size - 1]), 1e-9)
            ra = va[i] / max(max(ma[i], ga[i + size - 1]), 1e-9)
            out[o + i] = max(rg, ra)
        o += b - a


@jit
def _window_means(gyr_norm: np.ndarray, acc_norm: np.ndarray, lo: int, hi: int, half: int, g: float, piece: int,
                  mg: np.ndarray, ma: np.ndarray, base: int) -> None:
    """The moving means of ``gyr_norm`` and of ``|acc_norm - g|`` at ``lo <= j < hi`` into ``mg[j - base]``,
    ``ma[j - base]`` (running sums restarted every ``piece`` outputs, from ``lo``)."""
    n = gyr_norm.shape[0]
    size = 2 * half + 1
    for p in range(lo, hi, piece):
        q = min(p + piece, hi)
        tg = 0.0
        ta = 0.0
        for j in range(p - half, p + half + 1):
            c = min(max(j, 0), n - 1)
            tg += gyr_norm[c]
            ta += abs(acc_norm[c] - g)
        mg[p - base] = tg / size
        ma[p - base] = ta / size
        for i in range(p + 1, q):
            c_in = min(i + half, n - 1)
            c_out = max(i - half - 1, 0)
            tg += gyr_norm[c_in] - gyr_norm[c_out]
            ta += abs(acc_norm[c_in] - g) - abs(acc_norm[c_out] - g)
            mg[i - base] = tg / size
            ma[i - base] = ta / size


@jit
def dilate(x: np.ndarray, half: int, invert: bool, out: np.ndarray) -> None:
    """Running max of a boolean mask (``invert``: running min) over ``2 * half + 1`` samples: True
    where a True lies within ``half`` samples (for the min: where no False does). Two passes, no
    window scan: the distance to the nearest True behind and ahead."""
    n = x.shape[0]
    last = -half - 1  # the last True seen (at or before i)
    for i in range(n):
        if x[i] != invert:
            last = i
        out[i] = i - last <= half
    nxt = n + half + 1  # the next True (at or after i)
    for i in range(n - 1, -1, -1):
        if x[i] != invert:
            nxt = i
        hit = out[i] or nxt - i <= half
        out[i] = hit != invert


@jit
def local_maxima(x: np.ndarray, out: np.ndarray) -> int:
    """:func:`retrogait.analysis.peaks.local_maxima` into ``out`` (length >= n // 2 + 1); returns the count."""
    m = 0
    i = 1
    i_max = x.shape[0] - 1
    while i < i_max:
        if x[i - 1] < x[i]:
            ahead = i + 1
            while ahead < i_max and x[ahead] == x[i]:
                ahead += 1
            if x[ahead] < x[i]:
                out[m] = (i + ahead - 1) // 2
                m += 1
                i = ahead
        i += 1
    return m


keep_apart = jit(peaks.keep_apart)
"""The distance rule of :func:`retrogait.analysis.peaks.find_peaks`, compiled."""
