"""Result objects of the analysis: the per-stride table and the session result (JSON-ready)."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, cast

import numpy as np

from retrogait.analysis.settings import AnalysisSettings
from retrogait.analysis.summary_types import Bout, SessionSummary


@dataclass
class StrideTable:
    """One row per stride (all feet, sorted by ``t_start``); every field is a numpy array of length N.

    Times in s since the recording start, lengths in m, angles in rad (pitch positive = toe up).
    A stride runs from mid-stance to mid-stance of one foot; ``t_tc`` (terminal contact) starts its
    swing and ``t_ic`` (initial contact) ends it. ``stride_vector`` is the horizontal displacement in
    the world frame (the belt frame on a treadmill), heading chained across consecutive strides.
    ``signed_length`` is the displacement along the foot's forward axis at the start stance (negative
    = backward); ``lateral_deviation`` the component along the foot's left axis. ``stance_time`` is
    the ground contact time (IC to the next TC of the same foot, measured as stride minus swing).
    """

    foot: np.ndarray
    t_start: np.ndarray
    t_end: np.ndarray
    t_ic: np.ndarray
    t_tc: np.ndarray
    stride_time: np.ndarray
    stance_time: np.ndarray
    swing_time: np.ndarray
    stride_length: np.ndarray
    stride_vector: np.ndarray
    signed_length: np.ndarray
    lateral_deviation: np.ndarray
    max_lateral_excursion: np.ndarray
    clearance: np.ndarray
    turn_angle: np.ndarray
    pitch_ic: np.ndarray
    pitch_ff: np.ndarray
    direction: np.ndarray
    direction_confidence: np.ndarray
    speed: np.ndarray
    bout: np.ndarray
    steady: np.ndarray
    grade_pct: np.ndarray
    saturated: np.ndarray
    bridged: np.ndarray
    """The stride crosses a short data gap filled by interpolation (see :mod:`retrogait.analysis.bridging`)."""
    gait: np.ndarray
    """``walk`` or ``run`` (duty factor below 0.5: a flight phase; see :mod:`retrogait.analysis.gaitmode`)."""
    duty_factor: np.ndarray
    """Fraction of the stride this foot is on the ground (``stance_time / stride_time``)."""
    flight_time: np.ndarray
    """s with both feet off the ground per step (running: ``stride / 2 - contact``; NaN when walking)."""
    strike: np.ndarray
    """Foot strike pattern: ``rearfoot`` / ``midfoot`` / ``forefoot``."""
    strike_angle: np.ndarray
    """Foot pitch at initial contact relative to foot-flat, rad (toe up positive)."""
    peak_impact_g: np.ndarray
    """Largest specific force around initial contact, in g (bounded by the sensor's range)."""
    rolling_stance: np.ndarray
    """The stride starts or ends in a stance where the foot never came to rest (running, fast walking)."""
    regularity: np.ndarray
    """Correlation of the stride's gyroscope waveform with the same foot's next stride when that one
    directly follows (NaN otherwise; see :mod:`retrogait.analysis.regularity`)."""
    position: np.ndarray
    """(N, 3) start position of the stride in the world frame (chained path; lab path overground)."""

    def __len__(self) -> int:
        return int(self.t_start.shape[0])

    @classmethod
    def empty(cls) -> StrideTable:
        """A table with no rows."""
        kw: dict[str, np.ndarray] = {}
        for f in fields(cls):
            if f.name in ("foot", "direction", "gait", "strike"):
                kw[f.name] = np.zeros(0, dtype="<U14")
            elif f.name == "stride_vector":
                kw[f.name] = np.zeros((0, 2))
            elif f.name == "position":
                kw[f.name] = np.zeros((0, 3))
            elif f.name == "bout":
                kw[f.name] = np.zeros(0, dtype=np.int64)
            elif f.name in ("steady", "saturated", "bridged", "rolling_stance"):
                kw[f.name] = np.zeros(0, dtype=bool)
            else:
                kw[f.name] = np.zeros(0)
        return cls(**kw)

    def select(self, mask_or_index: Any) -> StrideTable:
        """The rows picked by a boolean mask or an index array."""
        return StrideTable(**{f.name: getattr(self, f.name)[mask_or_index] for f in fields(self)})

    @staticmethod
    def concat(tables: list[StrideTable]) -> StrideTable:
        """Rows of several tables, sorted by start time."""
        tables = [t for t in tables if len(t)] or [StrideTable.empty()]
        merged = StrideTable(
            **{f.name: np.concatenate([getattr(t, f.name) for t in tables]) for f in fields(StrideTable)}
        )
        return merged.select(np.argsort(merged.t_start, kind="stable"))

    def columns(self) -> dict[str, np.ndarray]:
        """Flat columns (vectors split into ``_x``/``_y``/``_z``) for CSV and data frames."""
        cols: dict[str, np.ndarray] = {}
        for f in fields(self):
            arr = getattr(self, f.name)
            if arr.ndim == 2:
                for i in range(arr.shape[1]):
                    cols[f"{f.name}_{'xyz'[i]}"] = arr[:, i]
            else:
                cols[f.name] = arr
        return cols

    def to_records(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per stride (plain Python values; NaN and infinity as None; floats rounded
        to 1e-6 of their SI unit: a microsecond, a micrometre, a microradian, far below any sensor's
        resolution, and a quarter of the text and time of 17 significant digits)."""
        cols = self.columns()
        lists = []
        for v in cols.values():
            values = (np.round(v, 6) if v.dtype.kind == "f" else v).tolist()  # whole columns: numpy converts in C
            if v.dtype.kind == "f" and not np.isfinite(v).all():
                values = [x if math.isfinite(x) else None for x in values]
            lists.append(values)
        keys = list(cols)
        return [dict(zip(keys, row)) for row in zip(*lists)]

    def to_csv(self, path: str | Path) -> None:
        """Write the table as CSV (one header row, SI units, angles in rad)."""
        cols = self.columns()
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(cols)
            for i in range(len(self)):
                w.writerow([_fmt(v[i]) for v in cols.values()])

    def to_dataframe(self):  # noqa: ANN201 - pandas is optional
        """The table as a pandas DataFrame (needs pandas, which retrogait does not require)."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("to_dataframe() needs pandas: pip install pandas") from exc
        return pd.DataFrame(self.columns())


@dataclass
class AnalysisResult:
    """What :func:`retrogait.analysis.analyze` returns.

    Attributes:
        strides: the per-stride :class:`StrideTable`.
        bouts: one dict per walking bout (foot, start, end, strides, distance, speed, direction...).
        summary: the session summary, a JSON-ready dict (see :func:`retrogait.analysis.summary`).
        warnings: problems found (units, saturation, gaps, calibration), one line each.
        mounts: the sensor-to-foot rotation used per foot and where it came from.
        paths: per foot, the chained sensor path at every mid-stance anchor, columns t, x, y, z (world
            frame; the belt frame on a treadmill), including movements that were not strides.
        settings: the :class:`~retrogait.analysis.settings.AnalysisSettings` the analysis used.
    """

    strides: StrideTable
    bouts: list[Bout] = field(default_factory=list)
    summary: SessionSummary = field(default_factory=lambda: cast(SessionSummary, {}))
    warnings: list[str] = field(default_factory=list)
    mounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    paths: dict[str, np.ndarray] = field(default_factory=dict)
    settings: AnalysisSettings = field(default_factory=AnalysisSettings)

    def to_dict(self, strides: bool = True) -> dict[str, Any]:
        """JSON-ready dict: summary, bouts, warnings, mounts, settings and (optionally) the stride rows."""
        out: dict[str, Any] = {
            "summary": self.summary,
            "bouts": self.bouts,
            "warnings": list(self.warnings),
            "mounts": self.mounts,
            "settings": self.settings.to_dict(),
        }
        if strides:
            out["strides"] = self.strides.to_records()
        return out

    def to_dataframe(self):  # noqa: ANN201 - pandas is optional
        """The per-stride table as a pandas DataFrame (needs pandas)."""
        return self.strides.to_dataframe()


def _py(v: Any) -> Any:
    """A numpy scalar as a plain JSON value (NaN -> None)."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v


def _fmt(v: Any) -> str:
    v = _py(v)
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)
