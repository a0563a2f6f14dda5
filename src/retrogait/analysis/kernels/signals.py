"""Passes over a whole stream: norms, rest means, saturation, standing yaw, the still test's runs, time steps and the gyro energy (:mod:`retrogait.analysis.ranges`, :mod:`~retrogait.analysis.frames`, :mod:`~retrogait.analysis.runs`,
:mod:`~retrogait.analysis.stance`, :mod:`~retrogait.analysis.bridging`, :mod:`~retrogait.analysis.kinematics`)."""

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
def _top3(v: float, t1: float, t2: float, t3: float) -> tuple[float, float, float]:
    """The three largest values so far (with repeats: 5, 5, 5 are the three largest of 5, 5, 5, 1) after
    one more value ``v``."""
    if v > t3:
        if v > t1:
            return v, t1, t2
        if v > t2:
            return t1, v, t2
        return t1, t2, v
    return t1, t2, t3


@jit
def row_norm_top(x: np.ndarray, out: np.ndarray, top: np.ndarray) -> None:
    """:func:`row_norm` of an (N, 3) array and, in the same pass, each column's largest magnitude
    (``top[0]``) and its third largest (``top[1]``: at least 3 samples reach a level iff it does)."""
    a1 = a2 = a3 = b1 = b2 = b3 = c1 = c2 = c3 = 0.0
    for i in range(x.shape[0]):
        a, b, c = x[i, 0], x[i, 1], x[i, 2]
        out[i] = math.sqrt(a * a + b * b + c * c)
        a1, a2, a3 = _top3(abs(a), a1, a2, a3)
        b1, b2, b3 = _top3(abs(b), b1, b2, b3)
        c1, c2, c3 = _top3(abs(c), c1, c2, c3)
    top[0, 0], top[0, 1], top[0, 2] = a1, b1, c1
    top[1, 0], top[1, 1], top[1, 2] = a3, b3, c3


@jit
def unbiased_norm(gyr: np.ndarray, bias: np.ndarray, out: np.ndarray) -> None:
    """Norm of ``gyr[i] - bias`` (:func:`retrogait.analysis.sensor_errors.unbiased_norm`)."""
    for i in range(gyr.shape[0]):
        out[i] = _unbiased(gyr, bias, i)


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
def saturation_mask(arr: np.ndarray, full_scale_floor: float, known_top: np.ndarray, out: np.ndarray) -> None:
    """:func:`retrogait.analysis.frames.saturation_mask` (``out`` starts all False): one pass for the
    channels' largest and third largest magnitudes (unless ``known_top`` (2, channels) holds them
    already: :func:`row_norm_top`), whether 3 samples reach the top being whether the third largest
    does; a second pass only over a clipped channel. An (N, 3) array is read row by row with the three
    channels in registers."""
    n, m = arr.shape
    top = np.zeros(m)
    third = np.zeros(m)
    if known_top.shape[0] == 2 and known_top.shape[1] == m:
        top[:] = known_top[0]
        third[:] = known_top[1]
    elif m == 3:
        a1 = a2 = a3 = b1 = b2 = b3 = c1 = c2 = c3 = 0.0
        for i in range(n):
            a1, a2, a3 = _top3(abs(arr[i, 0]), a1, a2, a3)
            b1, b2, b3 = _top3(abs(arr[i, 1]), b1, b2, b3)
            c1, c2, c3 = _top3(abs(arr[i, 2]), c1, c2, c3)
        top[0], top[1], top[2] = a1, b1, c1
        third[0], third[1], third[2] = a3, b3, c3
    else:
        second = np.zeros(m)
        for i in range(n):
            for c in range(m):
                top[c], second[c], third[c] = _top3(abs(arr[i, c]), top[c], second[c], third[c])
    level = top * (1 - 1e-6)
    clipped = (top != 0) & (third >= level)  # at least 3 samples at the top
    if not clipped.any():
        return
    anywhere = (top >= full_scale_floor) & (full_scale_floor > 0)
    for c in range(m):  # a tight pass per clipped channel
        if not clipped[c]:
            continue
        lv = level[c]
        if anywhere[c]:
            for i in range(n):
                if abs(arr[i, c]) >= lv:
                    out[i] = True
            continue
        run = 0
        for i in range(n):
            if abs(arr[i, c]) >= lv:
                run += 1
                if run >= 3:
                    out[i] = out[i - 1] = out[i - 2] = True
            else:
                run = 0


@jit
def median_step(t: np.ndarray, every: int, spread: int, cap: int) -> float:
    """``np.median(np.diff(t))`` exactly, without a recording-sized copy, or NaN when this shortcut
    cannot tell (the caller then takes the plain median).

    Sample-select: the median ``v`` of every ``every``-th step, and two quantiles of that sample
    ``spread`` ranks on either side, bracket the true median. One pass counts the steps below ``v``,
    equal to it, below the bracket and inside it. When the median's ranks fall on ``v`` (a clock's
    steps repeat a few values), that is it; when they fall inside the bracket and it holds at most
    ``cap`` steps, a second pass keeps those and sorting them gives it. Otherwise NaN.
    """
    n = t.shape[0] - 1
    if n < 1:
        return np.nan
    m = (n + every - 1) // every
    sample = np.empty(m)
    for k in range(m):
        i = k * every
        sample[k] = t[i + 1] - t[i]
    sample.sort()
    v = sample[m // 2]
    lo_v = sample[max(m // 2 - spread, 0)]
    hi_v = sample[min(m // 2 + spread, m - 1)]
    below_v = equal_v = below = kept = 0
    for i in range(n):
        d = t[i + 1] - t[i]
        below_v += d < v
        equal_v += d == v
        if d < lo_v:
            below += 1
        elif d <= hi_v:
            kept += 1
    r_lo, r_hi = (n - 1) // 2, n // 2  # the ranks np.median averages (equal for an odd count)
    if below_v <= r_lo and r_hi < below_v + equal_v:
        return v
    if not (below <= r_lo and r_hi < below + kept) or kept > cap:
        return np.nan
    inside = np.empty(kept)
    k = 0
    for i in range(n):
        d = t[i + 1] - t[i]
        if lo_v <= d <= hi_v:
            inside[k] = d
            k += 1
    inside.sort()
    a, b = inside[r_lo - below], inside[r_hi - below]
    return a if r_lo == r_hi else (a + b) / 2.0


@jit
def unbiased_energy(gyr: np.ndarray, bias: np.ndarray, half: int, piece: int, out: np.ndarray) -> None:
    """The gyro energy of ``gyr - bias`` without its norm as a recording-sized temporary:
    ``moving_mean(unbiased_norm(gyr, bias), 2 * half + 1)`` with the arithmetic of :func:`unbiased_norm`
    and of ``filters.moving_mean`` (the norms are recomputed where the window enters and leaves)."""
    n = gyr.shape[0]
    size = 2 * half + 1
    for a in range(0, n, piece):
        b = min(a + piece, n)
        total = 0.0
        for j in range(a - half, a + half + 1):
            total += _unbiased(gyr, bias, min(max(j, 0), n - 1))
        out[a] = total / size
        for i in range(a + 1, b):
            total += _unbiased(gyr, bias, min(i + half, n - 1)) - _unbiased(gyr, bias, max(i - half - 1, 0))
            out[i] = total / size


@jit
def _unbiased(gyr: np.ndarray, bias: np.ndarray, i: int) -> float:
    """Norm of ``gyr[i] - bias`` (one formula for :func:`unbiased_norm` and :func:`unbiased_energy`)."""
    x, y, z = gyr[i, 0] - bias[0], gyr[i, 1] - bias[1], gyr[i, 2] - bias[2]
    return math.sqrt(x * x + y * y + z * z)


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
def _run_step(m: bool, prev: bool, i: int, k: int, starts: np.ndarray, stops: np.ndarray) -> int:
    """One sample of a run scan: a run starts at ``i`` (``m`` after not ``prev``) or ends there; the runs
    closed so far (returned)."""
    if m and not prev:
        starts[k] = i
    elif prev and not m:
        stops[k] = i
        k += 1
    return k


@jit
def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop (exclusive) indices of the runs of True (``runs.runs``): one pass, into arrays
    sized for the most runs possible (only the pages written are ever touched), then trimmed."""
    n = mask.shape[0]
    starts = np.empty(n // 2 + 1, dtype=np.int64)
    stops = np.empty(n // 2 + 1, dtype=np.int64)
    k = 0
    prev = False
    for i in range(n):
        m = mask[i]
        k = _run_step(m, prev, i, k, starts, stops)
        prev = m
    k = _run_step(False, prev, n, k, starts, stops)
    return starts[:k].copy(), stops[:k].copy()


@jit
def moving_runs(gyr_norm: np.ndarray, acc_norm: np.ndarray, gyr_threshold: float, g: float,
                acc_threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Runs of the samples failing the still test on their own (``stance._moving``): gyro norm at or
    above ``gyr_threshold``, or specific force not closer than ``acc_threshold`` to ``g``; as
    :func:`runs` of that mask, without the mask."""
    n = gyr_norm.shape[0]
    starts = np.empty(n // 2 + 1, dtype=np.int64)
    stops = np.empty(n // 2 + 1, dtype=np.int64)
    k = 0
    prev = False
    for i in range(n):
        m = gyr_norm[i] >= gyr_threshold or not abs(acc_norm[i] - g) < acc_threshold
        k = _run_step(m, prev, i, k, starts, stops)
        prev = m
    k = _run_step(False, prev, n, k, starts, stops)
    return starts[:k].copy(), stops[:k].copy()


@jit
def cover(n: int, starts: np.ndarray, stops: np.ndarray, out: np.ndarray) -> None:
    """``out`` (length ``n``, all False) True inside the ranges ``[starts, stops)`` (``stance.cover``)."""
    for k in range(starts.shape[0]):
        for i in range(max(starts[k], 0), min(stops[k], n)):
            out[i] = True


@jit
def range_quiet_middle(x: np.ndarray, a: np.ndarray, b: np.ndarray, tol: float, out: np.ndarray) -> None:
    """:func:`retrogait.analysis.ranges.range_quiet_middle`: per non-empty range, the middle one of the
    samples within ``tol`` of its minimum (two passes over the range)."""
    for k in range(a.shape[0]):
        low = np.inf
        for i in range(a[k], b[k]):
            low = min(low, x[i])
        level = low + tol
        count = 0
        for i in range(a[k], b[k]):
            count += x[i] <= level
        want = count // 2
        for i in range(a[k], b[k]):
            if x[i] <= level:
                if want == 0:
                    out[k] = i
                    break
                want -= 1


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
def steps(t: np.ndarray, lo: float, hi: float, within: bool) -> tuple[np.ndarray, bool, bool]:
    """Indices ``i`` of the time steps ``d = t[i + 1] - t[i]`` with ``lo <= d <= hi`` (``within``: the gaps
    to bridge, ``bridging.bridge_gaps``) or else outside ``(lo, hi]`` (the gaps to split at,
    ``frames.split_at_gaps``), and whether every step is finite and whether every one is positive.
    Two passes (count, then fill): a simple loop is several times faster than one growing its output."""
    n = t.shape[0]
    finite = True
    positive = True
    count = 0
    for i in range(n - 1):
        d = t[i + 1] - t[i]
        if not math.isfinite(d):
            finite = False
        if not d > 0:
            positive = False
        if (lo <= d <= hi) if within else not (lo < d <= hi):
            count += 1
    out = np.empty(count, dtype=np.int64)
    k = 0
    for i in range(n - 1):
        d = t[i + 1] - t[i]
        if (lo <= d <= hi) if within else not (lo < d <= hi):
            out[k] = i
            k += 1
    return out, finite, positive
