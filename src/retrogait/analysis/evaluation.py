"""Compare an analysis with ground truth (simulator truth or reference data): matching and errors."""

from __future__ import annotations

from typing import Any

import numpy as np

from retrogait.analysis.result import StrideTable


def match_strides(table: StrideTable, truth: Any, tol: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (detected index, truth index): same foot, stride middles (between the two mid-stances)
    within ``tol`` s.

    ``truth`` needs ``foot``, ``t_start``, ``t_end`` arrays (e.g. ``SimResult.truth.strides``). Greedy
    one-to-one matching in time order.
    """
    di, ti = [], []
    for foot in np.unique(truth.foot):
        d = np.flatnonzero(table.foot == foot)
        t = np.flatnonzero(truth.foot == foot)
        if d.size == 0 or t.size == 0:
            continue
        dm = 0.5 * (table.t_start[d] + table.t_end[d])
        tm = 0.5 * (truth.t_start[t] + truth.t_end[t])
        j = np.searchsorted(tm, dm)
        cand = np.stack([np.clip(j - 1, 0, t.size - 1), np.clip(j, 0, t.size - 1)])
        best = cand[np.argmin(np.abs(tm[cand] - dm), axis=0), np.arange(d.size)]
        ok = np.abs(tm[best] - dm) <= tol
        used = set()
        for k in np.flatnonzero(ok):
            if best[k] in used:
                continue
            used.add(best[k])
            di.append(d[k])
            ti.append(t[best[k]])
    return np.array(di, dtype=np.int64), np.array(ti, dtype=np.int64)


def compare(table: StrideTable, truth: Any, tol: float = 0.3) -> dict[str, Any]:
    """Detection counts and per-stride errors of a table against truth strides."""
    di, ti = match_strides(table, truth, tol)
    n_det, n_true = len(table), len(truth.foot)
    out: dict[str, Any] = {
        "detected": n_det,
        "true": n_true,
        "matched": int(di.size),
        "recall": di.size / n_true if n_true else float("nan"),
        "precision": di.size / n_det if n_det else float("nan"),
        "direction_correct": table.direction[di] == truth.direction[ti],
        "length_error": table.stride_length[di] - truth.stride_length[ti],
        "length_true": truth.stride_length[ti],
        "ic_error": table.t_ic[di] - truth.t_ic[ti],
        "tc_error": table.t_tc[di] - truth.t_tc[ti],
        "det_index": di,
        "truth_index": ti,
    }
    return out


def match_by_overlap(t_start: np.ndarray, t_end: np.ndarray, ref_start: np.ndarray,
                     ref_end: np.ndarray) -> np.ndarray:
    """For each reference stride, the computed stride that overlaps it most, or -1.

    Each computed stride ``[t_start, t_end]`` is first given to the reference stride it overlaps most;
    a reference stride is *found* when at least one computed stride was given to it, and then gets the
    one of those that overlaps it most. A merged computed stride spanning two reference strides is
    given to one of them only, so the other is not found (the PyShoe data's matching rule).
    """
    out = np.full(ref_start.shape[0], -1, dtype=np.int64)
    if t_start.size == 0 or ref_start.size == 0:
        return out
    overlap = np.minimum(t_end[:, None], ref_end[None]) - np.maximum(t_start[:, None], ref_start[None])
    best = np.argmax(overlap, axis=1)
    given = overlap[np.arange(t_start.shape[0]), best] > 0
    mine = np.where(given[:, None] & (best[:, None] == np.arange(ref_start.shape[0])[None]), overlap, -np.inf)
    pick = np.argmax(mine, axis=0)
    found = np.isfinite(mine[pick, np.arange(ref_start.shape[0])])
    out[found] = pick[found]
    return out
