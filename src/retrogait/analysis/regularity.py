"""Stride regularity: how alike the gyroscope waveforms of two successive strides of one foot are.

The waveform of a stride is its 3-axis angular rate on a normalised time base (mid-stance to
mid-stance, with the contacts lined up, :func:`normalised_times`); two strides' regularity is the
correlation of their waveforms (:func:`waveform_correlation`), which a fixed sensor mounting does not
change. Computed here from the samples, once, as a stride-table column (``regularity``), so that the
balance metrics never read raw samples again.
"""

from __future__ import annotations

import numpy as np

from retrogait.analysis.compiled import kernels

WAVEFORM_POINTS = 101
BLOCK = 2048  # strides whose waveforms are held at once


def event_fractions(t_start: np.ndarray, t_end: np.ndarray, t_tc: np.ndarray | None,
                    t_ic: np.ndarray | None) -> tuple[float, float] | None:
    """The median push-off and landing fractions of the strides with valid events (None: none)."""
    if t_tc is None or t_ic is None:
        return None
    valid = (t_start < t_tc) & (t_tc < t_ic) & (t_ic < t_end)
    if not valid.any():
        return None
    dur = (t_end - t_start)[valid]
    return float(np.median((t_tc - t_start)[valid] / dur)), float(np.median((t_ic - t_start)[valid] / dur))


def normalised_times(t_start: np.ndarray, t_end: np.ndarray, t_tc: np.ndarray | None = None,
                     t_ic: np.ndarray | None = None,
                     fractions: tuple[float, float] | None = None) -> np.ndarray:
    """Sample times (n, P) of each stride on a normalised time base.

    With contact events, piecewise linear: start -> terminal contact -> initial contact -> end map to
    0, the median push-off fraction, the median landing fraction, 1 (so the swings line up even when
    stance and swing change by different amounts, or mid-stance is placed differently in each
    stride); strides without valid events are stretched linearly. ``fractions``: the median fractions
    when the caller has them (:func:`event_fractions` over a larger set of strides).
    """
    u = np.linspace(0.0, 1.0, WAVEFORM_POINTS)[None, :]
    ts, te = t_start[:, None], t_end[:, None]
    linear = ts + (te - ts) * u
    if t_tc is None or t_ic is None:
        return linear
    valid = (t_start < t_tc) & (t_tc < t_ic) & (t_ic < t_end)
    fractions = fractions or event_fractions(t_start, t_end, t_tc, t_ic)
    if fractions is None or not valid.any():
        return linear
    f_tc, f_ic = fractions
    a, b = t_tc[:, None], t_ic[:, None]
    piecewise = np.where(
        u <= f_tc, ts + (a - ts) * u / f_tc,
        np.where(u <= f_ic, a + (b - a) * (u - f_tc) / (f_ic - f_tc), b + (te - b) * (u - f_ic) / (1.0 - f_ic)),
    )
    return np.where(valid[:, None], piecewise, linear)


def stride_waveforms(t: np.ndarray, gyr: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Angular rate ``gyr`` (N, 3) sampled at ``t`` (N,), read at normalised ``times`` (n, P): (n, P, 3)."""
    out = np.empty(times.shape + (3,))
    for k in range(3):
        out[:, :, k] = np.interp(times.ravel(), t, gyr[:, k]).reshape(times.shape)
    return out


def waveform_correlation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Correlation of paired 3-axis stride waveforms (n, P, 3): each axis is centred over the stride,
    then the cosine of the concatenated vectors. It does not change with the sensor's mounting
    (a fixed rotation of all samples leaves it unchanged)."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    num = np.sum(a * b, axis=(1, 2))
    den = np.sqrt(np.sum(a * a, axis=(1, 2)) * np.sum(b * b, axis=(1, 2)))
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / den


def follows(t_start: np.ndarray, t_end: np.ndarray, bout: np.ndarray, stride_time: np.ndarray) -> np.ndarray:
    """True where stride j+1 of one foot's time-ordered strides directly follows stride j (same bout,
    starting where j ends to within a quarter stride); False for the last."""
    ok = np.zeros(t_start.size, dtype=bool)
    if t_start.size > 1:
        ok[:-1] = (bout[1:] == bout[:-1]) & (np.abs(t_start[1:] - t_end[:-1]) <= 0.25 * stride_time[:-1])
    return ok


def regularity_with_next(t: np.ndarray, gyr: np.ndarray, t_start: np.ndarray, t_end: np.ndarray,
                         t_tc: np.ndarray, t_ic: np.ndarray, bout: np.ndarray,
                         stride_time: np.ndarray) -> np.ndarray:
    """Per stride of one foot (time order): the correlation of its waveform with the next stride's
    when that one directly follows (:func:`follows`), else NaN. ``t``, ``gyr``: the foot's samples.
    Strides are taken a block at a time (a day's 60,000 waveforms would take ~150 MB at once)."""
    out = np.full(t_start.size, np.nan)
    j = np.flatnonzero(follows(t_start, t_end, bout, stride_time))
    fractions = event_fractions(t_start, t_end, t_tc, t_ic)
    kern = kernels(int(t.shape[0]))
    if kern is not None:
        valid = (t_start < t_tc) & (t_tc < t_ic) & (t_ic < t_end) & (fractions is not None)
        f_tc, f_ic = fractions or (0.0, 1.0)
        kern.regularity(t, gyr, np.linspace(0.0, 1.0, WAVEFORM_POINTS), t_start, t_end, t_tc, t_ic, valid,
                        f_tc, f_ic, j, out)
        return out
    for a in range(0, j.size, BLOCK):
        k = j[a:a + BLOCK]
        w = [stride_waveforms(t, gyr, normalised_times(t_start[r], t_end[r], t_tc[r], t_ic[r], fractions))
             for r in (k, k + 1)]
        out[k] = waveform_correlation(w[0], w[1])
    return out
