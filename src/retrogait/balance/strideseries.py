"""Per-stride derived columns: successive differences, waveform regularity, step times, flags."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import median_filter

from retrogait.io.recording import Recording, Stream

WAVEFORM_POINTS = 101
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


def foot_stream(recording: Recording | None, foot: str) -> Stream | None:
    """The stream of ``foot``; for ``unknown`` feet, the only stream of a one-stream recording."""
    if recording is None or not recording.streams:
        return None
    for stream in recording.streams:
        if stream.foot == foot:
            return stream
    return recording.streams[0] if len(recording.streams) == 1 else None


def normalised_times(t_start: np.ndarray, t_end: np.ndarray, t_tc: np.ndarray | None = None,
                     t_ic: np.ndarray | None = None) -> np.ndarray:
    """Sample times (n, P) of each stride on a normalised time base.

    With contact events, piecewise linear: start -> terminal contact -> initial contact -> end map to
    0, the median push-off fraction, the median landing fraction, 1 (so the swings line up even when
    stance and swing change by different amounts, or mid-stance is placed differently in each
    stride); strides without valid events are stretched linearly.
    """
    u = np.linspace(0.0, 1.0, WAVEFORM_POINTS)[None, :]
    ts, te = t_start[:, None], t_end[:, None]
    linear = ts + (te - ts) * u
    if t_tc is None or t_ic is None:
        return linear
    valid = (t_start < t_tc) & (t_tc < t_ic) & (t_ic < t_end)
    if not valid.any():
        return linear
    dur = (t_end - t_start)[valid]
    f_tc = float(np.median((t_tc - t_start)[valid] / dur))
    f_ic = float(np.median((t_ic - t_start)[valid] / dur))
    a, b = t_tc[:, None], t_ic[:, None]
    piecewise = np.where(
        u <= f_tc, ts + (a - ts) * u / f_tc,
        np.where(u <= f_ic, a + (b - a) * (u - f_tc) / (f_ic - f_tc), b + (te - b) * (u - f_ic) / (1.0 - f_ic)),
    )
    return np.where(valid[:, None], piecewise, linear)


def stride_waveforms(stream: Stream, times: np.ndarray) -> np.ndarray:
    """Gyroscope samples of each stride at normalised ``times`` (n, P): (n, P, 3)."""
    out = np.empty(times.shape + (3,))
    for k in range(3):
        out[:, :, k] = np.interp(times.ravel(), stream.t, stream.gyr[:, k]).reshape(times.shape)
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


def regularity_pairs(
    stream: Stream | None, seq: dict[str, np.ndarray], pair_ok: np.ndarray
) -> np.ndarray:
    """Per stride j of a time-ordered foot sequence: correlation of its time-normalised gyro waveform
    with stride j+1's where ``pair_ok[j]``, else NaN."""
    t_start, t_end = seq["t_start"], seq["t_end"]
    out = np.full(t_start.size, np.nan)
    j = np.flatnonzero(pair_ok[:-1]) if t_start.size > 1 else np.zeros(0, int)
    if stream is None or j.size == 0 or stream.n < 2:
        return out
    inside = (t_start[j] >= stream.t[0]) & (t_end[j + 1] <= stream.t[-1])
    j = j[inside]
    if j.size:
        w = stride_waveforms(stream, normalised_times(t_start, t_end, seq.get("t_tc"), seq.get("t_ic")))
        out[j] = waveform_correlation(w[j], w[j + 1])
    return out


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


def _deviates(x: np.ndarray) -> np.ndarray:
    """True where x departs from its running median (11 strides) by > 4 robust SDs and > 5%."""
    good = np.isfinite(x)
    if good.sum() < IRREGULAR_WINDOW:
        return np.zeros(x.size, bool)
    filled = np.where(good, x, np.median(x[good]))
    local = median_filter(filled, size=IRREGULAR_WINDOW, mode="nearest")
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
