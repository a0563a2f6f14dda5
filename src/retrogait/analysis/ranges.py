"""Vectorized helpers over many index ranges at once (strides, stances) without Python loops."""

from __future__ import annotations

import numpy as np

from retrogait.analysis.compiled import kernels


def range_index(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated indices of the ranges ``[a[k], b[k])`` (all non-empty) and the range number of each."""
    a = np.asarray(a, dtype=np.int64)
    lens = np.asarray(b, dtype=np.int64) - a
    offsets = np.cumsum(lens) - lens
    total = int(lens.sum())
    idx = np.arange(total, dtype=np.int64) + np.repeat(a - offsets, lens)
    grp = np.repeat(np.arange(a.shape[0]), lens)
    return idx, grp


def range_first(lens: np.ndarray) -> np.ndarray:
    """Start offset of each range in the concatenated layout."""
    lens = np.asarray(lens, dtype=np.int64)
    return np.cumsum(lens) - lens


def range_quiet_middle(x: np.ndarray, a: np.ndarray, b: np.ndarray, tol: float) -> np.ndarray:
    """Index (into ``x``) of the middle one of the samples within ``tol`` of each range's minimum.

    Unlike the argmin, the middle of a flat-bottomed minimum does not jump across it when noise or a
    small offset changes which sample is lowest.
    """
    if len(a) == 0:
        return np.zeros(0, dtype=np.int64)
    kern = kernels(int(x.shape[0]))
    if kern is not None:
        out = np.empty(len(a), dtype=np.int64)
        kern.range_quiet_middle(x, np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64), tol, out)
        return out
    idx, grp = range_index(a, b)
    vals = x[idx]
    first = range_first(np.asarray(b) - np.asarray(a))
    mins = np.minimum.reduceat(vals, first)
    pos = np.flatnonzero(vals <= mins[grp] + tol)  # sorted, every range has at least its minimum
    g = grp[pos]
    counts = np.bincount(g, minlength=first.shape[0])
    start = np.cumsum(counts) - counts
    return idx[pos[start + counts // 2]]


def grouped_argext(vals: np.ndarray, first: np.ndarray, grp: np.ndarray, largest: bool) -> np.ndarray:
    """Position (in ``vals``) of the max (``largest``) or min of each group laid out contiguously."""
    red = np.maximum if largest else np.minimum
    ext = red.reduceat(vals, first)
    pos = np.flatnonzero(vals == ext[grp])
    g = grp[pos]
    keep = np.concatenate([[True], g[1:] != g[:-1]])
    out = np.zeros(first.shape[0], dtype=np.int64)
    out[g[keep]] = pos[keep]
    return out


def range_sums(arr: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Sums of ``arr`` rows over the disjoint, sorted, non-empty ranges ``[starts[k], stops[k])``."""
    if starts.size == 0:
        return np.zeros((0,) + arr.shape[1:])
    kern = kernels(int(arr.shape[0]))
    if kern is not None and arr.ndim == 2:
        out = np.empty((starts.shape[0], arr.shape[1]))
        kern.range_sums(arr, np.asarray(starts, dtype=np.int64), np.asarray(stops, dtype=np.int64), out)
        return out
    bounds = np.column_stack([starts, stops]).ravel()
    tail = bounds[-1] >= arr.shape[0]
    sums = np.add.reduceat(arr, bounds[:-1] if tail else bounds, axis=0)[::2]
    return sums


def row_norm(x: np.ndarray, top: np.ndarray | None = None) -> np.ndarray:
    """Euclidean norm of each row of an (N, 3) array (faster than ``np.linalg.norm(x, axis=1)``).

    ``top`` (2, 3), when given, receives each column's largest magnitude (``top[0]``) and its third
    largest, repeats counted (``top[1]``: 3 samples reach a level iff it does), for
    :func:`~retrogait.analysis.frames.saturation_mask`; the compiled kernels read both in the same pass."""
    kern = kernels(int(x.shape[0]))
    if kern is not None and x.ndim == 2 and x.shape[1] == 3:
        out = np.empty(x.shape[0])
        if top is None:
            kern.row_norm(x, out)
        else:
            kern.row_norm_top(x, out, top)
        return out
    if top is not None:
        mags = np.abs(x)
        top[0] = mags.max(axis=0, initial=0.0)
        top[1] = np.partition(mags, -3, axis=0)[-3] if x.shape[0] >= 3 else 0.0
    return np.sqrt(np.einsum("ij,ij->i", x, x))
