"""Which strides the balance metrics use: steady, straight strides of one direction, per foot.

Rules (documented in docs/metrics.md):

* the analysis' ``steady`` flag (not first/last of a bout, not turning) must be set, and on top of it
* the first and last :data:`EDGE_STRIDES` strides of every run (consecutive strides of one foot in one
  bout with one direction) are left out: starting, stopping and switching direction are not steady;
* strides turning more than :data:`MAX_TURN_DEG` degrees are left out;
* "interrupted" strides (stride time under half or over twice the median of the candidates, e.g. a
  pause inside a bout) stay in the series but are blanked for the variability metrics, and count as
  irregular.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from retrogait.definitions import RUNNING_SUFFIX

EDGE_STRIDES = 2
MAX_TURN_DEG = 20.0
PAUSE_FACTOR = 2.0

_FLOAT_COLUMNS = (
    "t_start", "t_end", "t_ic", "t_tc", "stride_time", "stance_time", "swing_time",
    "stride_length", "signed_length", "lateral_deviation", "max_lateral_excursion", "clearance",
    "turn_angle", "speed", "grade_pct", "regularity",
)


def stride_columns(strides: Any) -> dict[str, np.ndarray]:
    """The stride table as a dict of equal-length numpy arrays (missing optional columns as NaN).

    ``strides`` is a :class:`retrogait.analysis.StrideTable` or anything with the same field names as
    attributes or mapping keys. ``foot``, ``t_start``, ``stride_time`` and ``direction`` are required.
    With a ``gait`` column, forward and backward running strides get the directions
    ``forward-running`` / ``backward-running``, so every metric keeps walking and running apart.
    """

    def get(name: str) -> Any:
        if isinstance(strides, Mapping):
            return strides.get(name)
        return getattr(strides, name, None)

    missing = [k for k in ("foot", "t_start", "stride_time", "direction") if get(k) is None]
    if missing:
        raise ValueError(f"stride table lacks required column(s) {missing}")
    n = len(np.asarray(get("t_start")))
    direction = np.asarray(get("direction"), dtype=str).reshape(n)
    gait = get("gait")
    if gait is not None:  # running strides are their own group: never compared with walking
        run = (np.asarray(gait, dtype=str).reshape(n) == "run") & np.isin(direction, ("forward", "backward"))
        direction = np.where(run, np.char.add(direction, RUNNING_SUFFIX), direction)
    cols: dict[str, np.ndarray] = {
        "foot": np.asarray(get("foot"), dtype=str).reshape(n),
        "direction": direction,
    }
    for name in _FLOAT_COLUMNS:
        value = get(name)
        cols[name] = np.full(n, np.nan) if value is None else np.asarray(value, dtype=float).reshape(n)
    if np.all(np.isnan(cols["t_end"])):
        cols["t_end"] = cols["t_start"] + cols["stride_time"]
    if np.all(np.isnan(cols["stride_length"])):
        cols["stride_length"] = np.abs(cols["signed_length"])
    if np.all(np.isnan(cols["speed"])):
        cols["speed"] = cols["stride_length"] / cols["stride_time"]
    steady = get("steady")
    cols["steady"] = np.ones(n, bool) if steady is None else np.asarray(steady, dtype=bool).reshape(n)
    bout = get("bout")
    cols["bout"] = _bouts_from_gaps(cols) if bout is None else np.asarray(bout).astype(np.int64)
    return cols


def _bouts_from_gaps(cols: dict[str, np.ndarray]) -> np.ndarray:
    """Bout numbers when the table has none: a new bout after a gap longer than half a stride."""
    bout = np.zeros(cols["t_start"].size, dtype=np.int64)
    for foot in np.unique(cols["foot"]):
        rows = np.flatnonzero(cols["foot"] == foot)
        rows = rows[np.argsort(cols["t_start"][rows], kind="stable")]
        gap = cols["t_start"][rows[1:]] - cols["t_end"][rows[:-1]]
        bout[rows] = np.r_[0, np.cumsum(gap > 0.5 * cols["stride_time"][rows[:-1]])]
    return bout


def foot_order(cols: dict[str, np.ndarray], foot: str) -> np.ndarray:
    """Row indices of ``foot``'s strides in time order."""
    rows = np.flatnonzero(cols["foot"] == foot)
    return rows[np.argsort(cols["t_start"][rows], kind="stable")]


def run_positions(bout: np.ndarray, direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a time-ordered foot sequence: each stride's position from the start and from the end of its
    run (consecutive strides with the same bout and direction)."""
    n = bout.size
    if n == 0:
        return np.zeros(0, int), np.zeros(0, int)
    change = np.r_[True, (bout[1:] != bout[:-1]) | (direction[1:] != direction[:-1])]
    run = np.cumsum(change) - 1
    starts = np.flatnonzero(change)
    ends = np.r_[starts[1:], n] - 1
    pos = np.arange(n)
    return pos - starts[run], ends[run] - pos


def next_is_consecutive(seq: dict[str, np.ndarray]) -> np.ndarray:
    """True where stride j+1 of a time-ordered foot sequence directly follows stride j (same bout,
    starting where j ends to within a quarter stride)."""
    n = seq["t_start"].size
    ok = np.zeros(n, bool)
    if n > 1:
        gap = np.abs(seq["t_start"][1:] - seq["t_end"][:-1])
        ok[:-1] = (seq["bout"][1:] == seq["bout"][:-1]) & (gap <= 0.25 * seq["stride_time"][:-1])
    return ok


def steady_candidates(seq: dict[str, np.ndarray], direction: str) -> np.ndarray:
    """Mask of a foot sequence's steady straight strides of ``direction`` (see module docstring)."""
    from_start, from_end = run_positions(seq["bout"], seq["direction"])
    turn = np.abs(seq["turn_angle"])
    st = seq["stride_time"]
    return (
        (seq["direction"] == direction)
        & seq["steady"]
        & (from_start >= EDGE_STRIDES)
        & (from_end >= EDGE_STRIDES)
        & ~(turn > np.deg2rad(MAX_TURN_DEG))
        & np.isfinite(st)
        & (st > 0)
    )


def uninterrupted(stride_time: np.ndarray) -> np.ndarray:
    """False for strides under 1/PAUSE_FACTOR or over PAUSE_FACTOR times the median stride time."""
    if stride_time.size == 0:
        return np.zeros(0, bool)
    med = np.median(stride_time)
    return (stride_time >= med / PAUSE_FACTOR) & (stride_time <= med * PAUSE_FACTOR)
