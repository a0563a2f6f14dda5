"""Per-stride derived columns: successive differences, cycle and step times, flags (the waveform
regularity comes with the stride table: :mod:`retrogait.analysis.regularity`)."""

from __future__ import annotations

import numpy as np

IRREGULAR_ROBUST_SD = 4.0
IRREGULAR_MIN_FRACTION = 0.05
IRREGULAR_WINDOW = 11
CORRECTIVE_SHORT_FRACTION = 0.5


def successor_values(x: np.ndarray, pair_ok: np.ndarray) -> np.ndarray:
    """``x[j+1]`` where ``pair_ok[j]`` (stride j+1 directly follows j and both are used), else NaN."""
    out = np.full(x.size, np.nan)
    j = np.flatnonzero(pair_ok[:-1]) if x.size > 1 else np.zeros(0, int)
    out[j] = x[j + 1]
    return out


def cycle_times(seq: dict[str, np.ndarray], next_ok: np.ndarray) -> np.ndarray:
    """Gait-cycle time of each stride of a time-ordered foot sequence: from the previous stride's
    initial contact to this stride's (the standard "stride time"), NaN for the first stride of a run
    of consecutive strides. Tables without contact times fall back to ``stride_time``.

    Initial contacts are sharp events; mid-stance (where the table's strides start and end) is not,
    so mid-stance-to-mid-stance times carry timing jitter that inflates variability.
    """
    t_ic = seq["t_ic"]
    if t_ic.size == 0 or np.isfinite(t_ic).mean() < 0.5:
        return seq["stride_time"].astype(float)
    cycle = np.full(t_ic.size, np.nan)
    cycle[1:] = np.where(next_ok[:-1], t_ic[1:] - t_ic[:-1], np.nan)
    return np.where(cycle > 0, cycle, np.nan)


def step_times(foot: np.ndarray, t_ic: np.ndarray, stride_time: np.ndarray) -> np.ndarray:
    """Step time of each stride: its initial contact minus the other foot's latest earlier one.

    NaN unless the table has left and right strides with contact times and the step is shorter than
    the stride (the feet are synchronised and no contact was missed).
    """
    out = np.full(foot.size, np.nan)
    for this, other in (("left", "right"), ("right", "left")):
        rows = np.flatnonzero((foot == this) & np.isfinite(t_ic))
        others = np.sort(t_ic[(foot == other) & np.isfinite(t_ic)])
        if rows.size == 0 or others.size == 0:
            continue
        k = np.searchsorted(others, t_ic[rows]) - 1
        has = k >= 0
        step = np.where(has, t_ic[rows] - others[np.maximum(k, 0)], np.nan)
        out[rows] = np.where((step > 0) & (step < stride_time[rows]), step, np.nan)
    return out


def running_median(x: np.ndarray, size: int) -> np.ndarray:
    """Median of ``x`` over ``size // 2`` values on either side (odd ``size``; the ends repeat the first
    and last value), as ``scipy.ndimage.median_filter(x, size, mode="nearest")`` (a stride series is
    short: a window view is enough, and the balance metrics need no scipy import)."""
    half = size // 2
    padded = np.concatenate([np.repeat(x[:1], half), x, np.repeat(x[-1:], half)])
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, size), axis=1)


def _deviates(x: np.ndarray) -> np.ndarray:
    """True where x departs from its running median (11 strides) by > 4 robust SDs and > 5%."""
    good = np.isfinite(x)
    if good.sum() < IRREGULAR_WINDOW:
        return np.zeros(x.size, bool)
    filled = np.where(good, x, np.median(x[good]))
    local = running_median(filled, IRREGULAR_WINDOW)
    resid = np.abs(filled - local)
    robust_sd = 1.4826 * np.median(resid[good])
    return good & (resid > np.maximum(IRREGULAR_ROBUST_SD * robust_sd, IRREGULAR_MIN_FRACTION * local))


def irregular_flags(stride_time: np.ndarray, stride_length: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """1.0 for irregular strides: interrupted (``~ok``) or stride time or length departing from the
    running median of the series (:func:`_deviates`); else 0.0."""
    return (~ok | _deviates(stride_time) | _deviates(stride_length)).astype(float)


def corrective_flags(direction: np.ndarray, length: np.ndarray, wanted: str) -> np.ndarray:
    """1.0 for corrective strides within a walking run of ``wanted`` direction: a stride in another
    direction (sideways, in place, opposite) or a ``wanted`` stride shorter than half the median."""
    main = direction == wanted
    med = np.nanmedian(length[main]) if main.any() else np.nan
    short = main & (length < CORRECTIVE_SHORT_FRACTION * med)
    return (~main | short).astype(float)
