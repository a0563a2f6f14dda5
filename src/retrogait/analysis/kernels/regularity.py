"""Stride regularity: the correlation of successive strides' waveforms (:mod:`retrogait.analysis.regularity`)."""

from __future__ import annotations

import math

import numpy as np

from retrogait.analysis.kernels.jit import jit


@jit
def _waveform(t: np.ndarray, gyr: np.ndarray, times: np.ndarray, out: np.ndarray) -> None:
    """:func:`retrogait.analysis.regularity.stride_waveforms` of one stride (``times``: (P,), sorted),
    each axis centred over the stride. Interpolates as ``np.interp`` does (the end values outside
    ``t``), walking the samples once for the three axes."""
    p = times.shape[0]
    n = t.shape[0]
    j = max(np.searchsorted(t, times[0], side="right") - 1, 0)
    for i in range(p):
        x = times[i]
        if x < t[0]:
            for c in range(3):
                out[i, c] = gyr[0, c]
            continue
        if x >= t[n - 1]:
            for c in range(3):
                out[i, c] = gyr[n - 1, c]
            continue
        while t[j + 1] <= x:
            j += 1
        if t[j] == x:
            for c in range(3):
                out[i, c] = gyr[j, c]
            continue
        dt = t[j + 1] - t[j]
        for c in range(3):
            slope = (gyr[j + 1, c] - gyr[j, c]) / dt
            out[i, c] = slope * (x - t[j]) + gyr[j, c]
    for c in range(3):
        total = 0.0
        for i in range(p):
            total += out[i, c]
        mean = total / p
        for i in range(p):
            out[i, c] -= mean


@jit
def _stride_times(u: np.ndarray, ts: float, te: float, a: float, b: float, events: bool, f_tc: float,
                  f_ic: float, out: np.ndarray) -> None:
    """:func:`retrogait.analysis.regularity.normalised_times` of one stride (``u``: the normalised base)."""
    for i in range(u.shape[0]):
        x = u[i]
        if not events:
            out[i] = ts + (te - ts) * x
        elif x <= f_tc:
            out[i] = ts + (a - ts) * x / f_tc
        elif x <= f_ic:
            out[i] = a + (b - a) * (x - f_tc) / (f_ic - f_tc)
        else:
            out[i] = b + (te - b) * (x - f_ic) / (1.0 - f_ic)


@jit
def regularity(t: np.ndarray, gyr: np.ndarray, u: np.ndarray, t_start: np.ndarray, t_end: np.ndarray,
               t_tc: np.ndarray, t_ic: np.ndarray, valid: np.ndarray, f_tc: float, f_ic: float,
               strides: np.ndarray, out: np.ndarray) -> None:
    """:func:`retrogait.analysis.regularity.regularity_with_next` for the ``strides`` j (each with its
    next, j + 1): the correlation of their waveforms into ``out[j]``. ``valid``: strides whose contact
    events place them piecewise (with the median fractions ``f_tc``, ``f_ic``)."""
    p = u.shape[0]
    wa = np.empty((p, 3))
    wb = np.empty((p, 3))
    ta = np.empty(p)
    tb = np.empty(p)
    have = -1  # the stride whose waveform wb holds (the next one of the previous pair)
    for j in strides:
        if have == j:  # this stride was the previous pair's next: its waveform is made already
            wa, wb = wb, wa
        else:
            _stride_times(u, t_start[j], t_end[j], t_tc[j], t_ic[j], valid[j], f_tc, f_ic, ta)
            _waveform(t, gyr, ta, wa)
        _stride_times(u, t_start[j + 1], t_end[j + 1], t_tc[j + 1], t_ic[j + 1], valid[j + 1], f_tc, f_ic, tb)
        _waveform(t, gyr, tb, wb)
        have = j + 1
        num = 0.0
        saa = 0.0
        sbb = 0.0
        for i in range(p):
            for c in range(3):
                num += wa[i, c] * wb[i, c]
                saa += wa[i, c] * wa[i, c]
                sbb += wb[i, c] * wb[i, c]
        den = math.sqrt(saa * sbb)
        out[j] = num / den if den > 0 else (np.nan if num == 0 else math.copysign(np.inf, num))
