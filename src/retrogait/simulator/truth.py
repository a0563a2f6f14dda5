"""Ground truth of a simulated session and its JSON sidecar (``<recording stem>.truth.json``).

Per-stride truth (:class:`StrideTruth`, equal-length numpy arrays, one row per stride of each recorded
foot, ordered by foot then time):

==================  ==========================================================================
``foot``            "left" / "right"
``t_start``         mid-stance before the stride, s (middle of the foot-flat phase; for the first
                    stride of a bout, one nominal stride time before ``t_end``)
``t_end``           mid-stance after the stride, s
``t_ho``            start of the pre-swing roll (heel-off forward; toe-lift about the heel backward)
``t_tc``            terminal contact, s: the last contact point (toe forward, heel backward) rises
                    more than the sole compression (4 mm) above its loaded stance position
``t_ic``            initial contact, s: the first contact point (heel forward, toe backward) comes
                    within the sole compression of its loaded stance position (first touch)
``t_ff``            foot flat after the loading roll, s
``stride_time``     ``t_end - t_start``, s
``swing_time``      ``t_ic - t_tc``, s
``stance_time``     ``stride_time - swing_time``, s (ground-contact time of the gait cycle)
``direction``       forward / backward / sideways_left / sideways_right / in_place (as commanded)
``stride_vector``   (N, 2) horizontal displacement of the sensor point between the two stances,
                    world (belt) frame, m
``stride_length``   its norm, m (horizontal; on an incline the distance along the belt is
                    ``stride_length / cos(atan(grade))``)
``speed``           ``stride_length / stride_time``, m/s (belt-relative on a treadmill)
``rise``            vertical displacement of the sensor point, m
``clearance``       max height of the sensor point during the swing (``t_tc..t_ic``) above the
                    straight line joining its two stance positions, measured vertically, m (on
                    level ground: max height above its stance height)
``max_lateral_excursion``  largest horizontal distance of the sensor point from the straight line
                    joining its two stance positions during the swing, m
``turn_angle``      change of the foot's horizontal heading, rad, positive = to the left
``grade_pct``       ground slope along the direction of travel at the landing footprint, %
``pitch_tc``        foot pitch (sole angle to the horizontal, positive toe up) at TC, rad
``pitch_ic``        ... at IC, rad
``pitch_ff``        ... flat on the landing footprint (= slope of the ground under the foot), rad
``bout``            walking bout index (a Walk or Turn segment)
``segment``         index of the scenario segment
``first``, ``last`` first / last stride of this foot in its bout (bool)
``steady``          not first or last and ``|turn_angle| < 15 deg`` (bool)
``gait``            "walk" or "run" (the bout's gait)
``strike``          foot-strike pattern of the landing: rearfoot / midfoot / forefoot (running: as
                    simulated; walking: rearfoot forward, forefoot backward, midfoot otherwise)
``contact_time``    ground contact of the stance that starts at this stride's landing: from this
                    stride's ``t_ic`` to the ``t_tc`` of the foot's next stride, s (NaN when the foot
                    does not take off again in the bout)
``duty_factor``     ``contact_time`` / the IC-to-IC cycle containing it (this ``t_ic`` to the next
                    stride's ``t_ic``); < 0.5 in running
``flight_time``     time within this stride's swing (``t_tc..t_ic``) during which the other foot is
                    off the ground too, s (both flight phases of the stride; 0 in walking)
``peak_impact_g``   largest specific-force magnitude at the sensor from 5 ms before to 40 ms after
                    ``t_ic``, g (exact motion on a 1 ms grid, peak refined by a parabola; before
                    range and sensor errors)
``mid_stance_rate`` the foot's angular rate at ``t_end`` (mid-stance), rad/s (0: still stance)
``saturated``       a recorded sample of ``t_start..t_end`` was clipped at the sensor's range (bool)
==================  ==========================================================================

Truth files written before these last eight columns existed read with ``gait`` "walk", the strike from
the direction, NaN for the numbers and False for ``saturated``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from retrogait.errors import InputFileError

TRUTH_FORMAT = "retrogait-truth"
TRUTH_VERSION = 1

STRING_COLUMNS = ("foot", "direction", "gait", "strike")
BOOL_COLUMNS = ("first", "last", "steady", "saturated")
INT_COLUMNS = ("bout", "segment")
FLOAT_COLUMNS = (
    "t_start", "t_end", "t_ho", "t_tc", "t_ic", "t_ff", "stride_time", "stance_time", "swing_time",
    "stride_length", "speed", "rise", "clearance", "max_lateral_excursion", "turn_angle", "grade_pct",
    "pitch_tc", "pitch_ic", "pitch_ff", "contact_time", "duty_factor", "flight_time", "peak_impact_g",
    "mid_stance_rate",
)
VECTOR_COLUMNS = ("stride_vector",)
COLUMNS = STRING_COLUMNS + FLOAT_COLUMNS + VECTOR_COLUMNS + INT_COLUMNS + BOOL_COLUMNS
#: columns added with running (absent from older truth files: filled by :func:`_default_column`)
GAIT_COLUMNS = ("gait", "strike", "contact_time", "duty_factor", "flight_time", "peak_impact_g",
                "mid_stance_rate", "saturated")
_DIRECTION_STRIKE = {"forward": "rearfoot", "backward": "forefoot"}


def _default_column(name: str, columns: dict[str, Any], n: int) -> np.ndarray:
    """The value of a gait column for a truth written before it existed."""
    if name == "gait":
        return np.array(["walk"] * n)
    if name == "strike":
        return np.array([_DIRECTION_STRIKE.get(str(d), "midfoot") for d in columns["direction"]])
    if name == "saturated":
        return np.zeros(n, dtype=bool)
    return np.full(n, np.nan)


class StrideTruth:
    """Per-stride truth as equal-length numpy arrays (attribute access: ``truth.strides.t_ic``)."""

    def __init__(self, columns: dict[str, np.ndarray]) -> None:
        missing = [c for c in COLUMNS if c not in columns and c not in GAIT_COLUMNS]
        if missing:
            raise ValueError(f"stride truth is missing columns {missing}")
        n = len(columns["foot"])
        columns = {**{c: _default_column(c, columns, n) for c in GAIT_COLUMNS if c not in columns}, **columns}
        self.columns: dict[str, np.ndarray] = {}
        for name in COLUMNS:
            arr = np.asarray(columns[name])
            if name in STRING_COLUMNS:
                arr = arr.astype(str)
            elif name in BOOL_COLUMNS:
                arr = arr.astype(bool)
            elif name in INT_COLUMNS:
                arr = arr.astype(np.int64)
            else:
                arr = arr.astype(np.float64)
            if name in VECTOR_COLUMNS:
                arr = arr.reshape(n, 2)
            if arr.shape[0] != n:
                raise ValueError(f"column {name} has {arr.shape[0]} rows, expected {n}")
            self.columns[name] = arr

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("columns", {})
        if name in cols:
            return cols[name]
        raise AttributeError(name)

    def __len__(self) -> int:
        return int(self.columns["foot"].shape[0])

    def select(self, mask: np.ndarray) -> StrideTruth:
        """The rows where ``mask`` is true (a boolean array or index array)."""
        return StrideTruth({k: v[mask] for k, v in self.columns.items()})

    def of_foot(self, foot: str) -> StrideTruth:
        """The strides of one foot."""
        return self.select(self.foot == foot)

    def to_records(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per stride."""
        out = []
        for i in range(len(self)):
            rec = {}
            for k, v in self.columns.items():
                x = v[i]
                rec[k] = x.tolist() if isinstance(x, np.ndarray) else x.item()
                if isinstance(rec[k], float) and np.isnan(rec[k]):
                    rec[k] = None  # JSON null (NaN is not JSON)
            out.append(rec)
        return out

    @classmethod
    def from_records(cls, records: list[dict[str, Any]]) -> StrideTruth:
        cols: dict[str, Any] = {}
        for name in COLUMNS:
            if name in GAIT_COLUMNS and records and name not in records[0]:
                continue  # an older truth file: filled with defaults
            vals = [r[name] for r in records]
            if name in FLOAT_COLUMNS:
                vals = [np.nan if v is None else v for v in vals]
            cols[name] = np.asarray(vals, dtype=float).reshape(-1, 2) if name in VECTOR_COLUMNS else vals
        return cls(cols)


@dataclass
class Truth:
    """Everything known about a simulated session.

    Attributes:
        strides: per-stride truth (:class:`StrideTruth`).
        totals: session totals (see :func:`session_totals`).
        mounts: foot -> 3x3 mount actually used (``v_foot = mount @ v_sensor``), also when the
            recording does not store it.
        info: scenario description: name, seed, rate, feet, condition, segments, gaps (dropped samples
            per foot: ``[t_first_missing, t_last_missing]``), saturated sample counts, geometry.
    """

    strides: StrideTruth
    totals: dict[str, Any] = field(default_factory=dict)
    mounts: dict[str, np.ndarray] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": TRUTH_FORMAT,
            "version": TRUTH_VERSION,
            "info": self.info,
            "mounts": {f: np.asarray(m).tolist() for f, m in self.mounts.items()},
            "totals": self.totals,
            "strides": self.strides.to_records(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Truth:
        return cls(
            strides=StrideTruth.from_records(d["strides"]),
            totals=d.get("totals", {}),
            mounts={f: np.asarray(m, dtype=float) for f, m in d.get("mounts", {}).items()},
            info=d.get("info", {}),
        )


def _interval_union(starts: np.ndarray, ends: np.ndarray) -> float:
    if len(starts) == 0:
        return 0.0
    order = np.argsort(starts)
    total, cur_s, cur_e = 0.0, starts[order[0]], ends[order[0]]
    for s, e in zip(starts[order[1:]], ends[order[1:]]):  # loop over strides, not samples
        if s > cur_e:
            total += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    return float(total + cur_e - cur_s)


def session_totals(strides: StrideTruth, feet: list[str]) -> dict[str, Any]:
    """Session totals from the per-stride truth.

    ``strides`` (count, all recorded feet) and per direction; ``distance_m`` (sum of horizontal stride
    lengths, averaged over the recorded feet) per direction; ``walking_time_s`` (time covered by strides,
    union over feet); ``cadence_steps_per_min`` = 120 / mean stride time; ``mean_speed_m_s`` =
    distance / walking time; ``grade_pct`` (stride-time weighted mean over walking strides). Sessions with
    running add ``by_gait`` (walk / run: strides, distance, time, cadence, speed, mean contact time and
    duty factor).
    """
    nf = max(len(feet), 1)
    out: dict[str, Any] = {"feet": list(feet), "by_direction": {}, "strides": 0, "distance_m": 0.0,
                           "walking_time_s": 0.0, "cadence_steps_per_min": 0.0, "mean_speed_m_s": 0.0}
    walking = strides.direction != "in_place"
    for name, mask in [("all", walking)] + [(d, strides.direction == d) for d in np.unique(strides.direction)]:
        sel = strides.select(mask)
        if len(sel) == 0:
            continue
        wt = _interval_union(sel.t_start, sel.t_end)
        dist = float(sel.stride_length.sum() / nf)
        entry = {
            "strides": int(len(sel)),
            "distance_m": dist,
            "walking_time_s": wt,
            "cadence_steps_per_min": float(120.0 / sel.stride_time.mean()),
            "mean_speed_m_s": dist / wt if wt > 0 else 0.0,
            "mean_stride_length_m": float(sel.stride_length.mean()),
            "mean_stride_time_s": float(sel.stride_time.mean()),
            "grade_pct": float(np.average(sel.grade_pct, weights=sel.stride_time)),
        }
        if name == "all":
            out.update(entry)
        else:
            out["by_direction"][str(name)] = entry
    if np.any(strides.gait == "run"):  # sessions with running: the same figures per gait
        out["by_gait"] = {}
        for gait in ("walk", "run"):
            sel = strides.select((strides.gait == gait) & walking)
            if len(sel) == 0:
                continue
            wt = _interval_union(sel.t_start, sel.t_end)
            dist = float(sel.stride_length.sum() / nf)
            out["by_gait"][gait] = {
                "strides": int(len(sel)), "distance_m": dist, "walking_time_s": wt,
                "cadence_steps_per_min": float(120.0 / sel.stride_time.mean()),
                "mean_speed_m_s": dist / wt if wt > 0 else 0.0,
                "mean_contact_time_s": float(np.nanmean(sel.contact_time)) if np.isfinite(sel.contact_time).any()
                else None,
                "mean_duty_factor": float(np.nanmean(sel.duty_factor)) if np.isfinite(sel.duty_factor).any()
                else None,
            }
    return out


def truth_path(path: str | Path) -> Path:
    """The sidecar path for a recording (``x.rgt`` -> ``x.truth.json``); a ``.truth.json`` path is kept."""
    p = Path(path)
    if p.name.endswith(".truth.json"):
        return p
    return p.with_name(p.name[: -len(p.suffix)] + ".truth.json" if p.suffix else p.name + ".truth.json")


def _clean(x: Any, digits: int | None = 7) -> Any:
    """JSON-ready copy; floats rounded to ``digits`` decimals (None: kept exactly)."""
    if isinstance(x, dict):
        return {str(k): _clean(v, digits) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v, digits) for v in x]
    if isinstance(x, np.ndarray):
        return _clean(x.tolist(), digits)
    if isinstance(x, np.generic):
        return _clean(x.item(), digits)
    if isinstance(x, float) and digits is not None:
        return round(x, digits)
    return x


def write_truth(path: str | Path, truth: Truth) -> Path:
    """Write the truth sidecar for recording ``path`` (or to ``path`` if it ends in .truth.json);
    returns the path written."""
    p = truth_path(path)
    d = truth.to_dict()
    # stride and total figures to 0.1 um / 0.1 us; the scenario and mounts exactly (to regenerate)
    d = {k: _clean(v, 7 if k in ("strides", "totals") else None) for k, v in d.items()}
    strides = d.pop("strides")
    head = json.dumps(d, indent=1)[:-2]  # without the closing brace
    rows = ",\n  ".join(json.dumps(r, separators=(",", ":")) for r in strides)
    p.write_text(head + ',\n "strides": [\n  ' + rows + ("\n ]\n}\n" if rows else ']\n}\n'))
    return p


def read_truth(path: str | Path) -> Truth:
    """Read a truth sidecar (give the recording path or the .truth.json path)."""
    p = truth_path(path)
    try:
        d = json.loads(p.read_text())
    except FileNotFoundError:
        raise InputFileError(f"{p}: no such truth file") from None
    except (OSError, ValueError) as exc:
        raise InputFileError(f"{p}: not a readable truth JSON file ({exc})") from None
    if not isinstance(d, dict) or d.get("format") != TRUTH_FORMAT:
        raise InputFileError(f"{p}: not a retrogait truth file (expected \"format\": \"{TRUTH_FORMAT}\")")
    try:
        return Truth.from_dict(d)
    except (KeyError, ValueError, TypeError) as exc:
        raise InputFileError(f"{p}: truth file is incomplete ({exc})") from None
