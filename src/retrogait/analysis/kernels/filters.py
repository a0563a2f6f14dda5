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
def ratio_to_running_max(x: np.ndarray, half: int, piece: int) -> None:
    """In place: ``x[i] / max(running_max(x)[i], 1e-9)`` over windows of ``2 * half + 1`` (ends repeated),
    as :func:`running_max` computes it, ``piece`` (>= ``half``) samples at a time; the originals the
    next piece's window still needs are kept aside before they are overwritten."""
    n = x.shape[0]
    size = 2 * half + 1
    m = piece + size - 1
    m += (-m) % size
    g = np.empty(m)
    h = np.empty(m)
    orig = np.empty(m)
    tail = np.empty(max(half, 1))  # x[a - half : a] as it was before the previous piece was written
    for a in range(0, n, piece):
        b = min(a + piece, n)
        length = b - a + size - 1
        length += (-length) % size
        for i in range(length):
            j = a - half + i
            if j < 0:
                v = x[0]
            elif j < a:
                v = tail[j - (a - half)]
            else:
                v = x[min(j, n - 1)]
            orig[i] = v
            h[i] = v
        _block_maxima(h, g, length, size)
        for j in range(half):
            tail[j] = x[max(b - half + j, 0)]
        for i in range(b - a):
            x[a + i] = orig[i + half] / max(max(h[i], g[i + size - 1]), 1e-9)


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
