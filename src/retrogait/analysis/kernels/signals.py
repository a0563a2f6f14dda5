"""Passes over a whole stream: norms, rest means, saturation, standing yaw, stance masks and the motion score (:mod:`retrogait.analysis.ranges`, :mod:`~retrogait.analysis.frames`, :mod:`~retrogait.analysis.sensor_errors`, :mod:`~retrogait.analysis.stance`, :mod:`~retrogait.analysis.kinematics`)."""

from __future__ import annotations

import math

import numpy as np

from retrogait.analysis.kernels.jit import jit


@jit
def row_norm(x: np.ndarray, out: np.ndarray) -> None:
    """Euclidean norm of each row of an (N, 3) array."""
    for i in range(x.shape[0]):
        out[i] = math.sqrt(x[i, 0] * x[i, 0] + x[i, 1] * x[i, 1] + x[i, 2] * x[i, 2])


@jit
def unbiased_norm(gyr: np.ndarray, bias: np.ndarray, out: np.ndarray) -> None:
    """Norm of ``gyr[i] - bias`` (:func:`retrogait.analysis.sensor_errors.unbiased_norm`)."""
    for i in range(gyr.shape[0]):
        x, y, z = gyr[i, 0] - bias[0], gyr[i, 1] - bias[1], gyr[i, 2] - bias[2]
        out[i] = math.sqrt(x * x + y * y + z * z)


@jit
def range_means(x: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """Mean of the rows ``x[a[k]:b[k]]`` (non-empty) into ``out[k]``."""
    for k in range(a.shape[0]):
        for c in range(x.shape[1]):
            total = 0.0
            for i in range(a[k], b[k]):
                total += x[i, c]
            out[k, c] = total / (b[k] - a[k])


@jit
def saturation_mask(arr: np.ndarray, full_scale_floor: float, out: np.ndarray) -> None:
    """:func:`retrogait.analysis.frames.saturation_mask` (``out`` starts all False): one pass for the
    channels' largest magnitudes, one to count the samples at them, a third only for a clipped channel."""
    n, m = arr.shape
    top = np.zeros(m)
    for i in range(n):  # row by row: the (N, 3) array is read once per pass, not once per channel
        for c in range(m):
            top[c] = max(top[c], abs(arr[i, c]))
    level = top * (1 - 1e-6)
    n_at = np.zeros(m, dtype=np.int64)
    for i in range(n):
        for c in range(m):
            n_at[c] += abs(arr[i, c]) >= level[c]
    for c in range(m):
        if top[c] == 0 or n_at[c] < 3:
            continue
        anywhere = top[c] >= full_scale_floor and full_scale_floor > 0
        run = 0
        for i in range(n):
            if abs(arr[i, c]) >= level[c]:
                run += 1
                if anywhere:
                    out[i] = True
                elif run >= 3:
                    out[i] = out[i - 1] = out[i - 2] = True
            else:
                run = 0


@jit
def turned_over(t: np.ndarray, gyr: np.ndarray, r: np.ndarray, bias: float, starts: np.ndarray,
                stops: np.ndarray, out: np.ndarray) -> None:
    """Rotation about the foot axis ``r`` (a row of the mounting) over each ``[starts[k], stops[k]]``:
    the sum of ``(r @ gyr[i] - bias) * (t[i + 1] - t[i])`` for ``starts[k] <= i < stops[k]``
    (:func:`retrogait.analysis.kinematics.standing_yaw`)."""
    for k in range(starts.shape[0]):
        total = 0.0
        for i in range(starts[k], stops[k]):
            w = r[0] * gyr[i, 0] + r[1] * gyr[i, 1] + r[2] * gyr[i, 2] - bias
            total += w * (t[i + 1] - t[i])
        out[k] = total


@jit
def calm(acc_norm: np.ndarray, g: float, threshold: float, strict: bool, out: np.ndarray) -> None:
    """Samples whose specific force is within ``threshold`` of ``g`` (``stance._calm``)."""
    for i in range(acc_norm.shape[0]):
        d = abs(acc_norm[i] - g)
        out[i] = d < threshold if strict else d <= threshold


@jit
def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop (exclusive) indices of the runs of True (``stance.runs``)."""
    n = mask.shape[0]
    count = 0
    prev = False
    for i in range(n):
        if mask[i] and not prev:
            count += 1
        prev = mask[i]
    starts = np.empty(count, dtype=np.int64)
    stops = np.empty(count, dtype=np.int64)
    k = 0
    prev = False
    for i in range(n):
        if mask[i] and not prev:
            starts[k] = i
        elif prev and not mask[i]:
            stops[k] = i
            k += 1
        prev = mask[i]
    if prev:
        stops[k] = n
    return starts, stops


@jit
def cover(n: int, starts: np.ndarray, stops: np.ndarray, out: np.ndarray) -> None:
    """``out`` (length ``n``, all False) True inside the ranges ``[starts, stops)`` (``stance.cover``)."""
    for k in range(starts.shape[0]):
        for i in range(max(starts[k], 0), min(stops[k], n)):
            out[i] = True


@jit
def held_counts(mask: np.ndarray, starts: np.ndarray, stops: np.ndarray, out: np.ndarray) -> None:
    """Number of True samples of ``mask`` inside each range (``stance.held_counts``)."""
    for k in range(starts.shape[0]):
        count = 0
        for i in range(starts[k], stops[k]):
            count += mask[i]
        out[k] = count


@jit
def range_sums(x: np.ndarray, starts: np.ndarray, stops: np.ndarray, out: np.ndarray) -> None:
    """Sums of the rows of ``x`` over each range ``[starts[k], stops[k])`` (``ranges.range_sums``)."""
    for k in range(starts.shape[0]):
        for c in range(x.shape[1]):
            out[k, c] = 0.0
        for i in range(starts[k], stops[k]):
            for c in range(x.shape[1]):
                out[k, c] += x[i, c]


@jit
def gap_steps(t: np.ndarray, split_above: float) -> tuple[np.ndarray, bool]:
    """Indices ``i`` where ``t[i + 1] - t[i]`` exceeds ``split_above`` or is not positive, and whether every
    step is finite (``frames.split_at_gaps``)."""
    n = t.shape[0]
    count = 0
    finite = True
    for i in range(n - 1):
        d = t[i + 1] - t[i]
        if not math.isfinite(d):
            finite = False
        if d > split_above or d <= 0:
            count += 1
    out = np.empty(count, dtype=np.int64)
    k = 0
    for i in range(n - 1):
        d = t[i + 1] - t[i]
        if d > split_above or d <= 0:
            out[k] = i
            k += 1
    return out, finite
