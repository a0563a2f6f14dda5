"""Estimated energy expenditure of a session: ACSM equations with a backward-walking factor.

Pure functions of per-stride speeds, grades, durations, directions and gaits and a body mass; no I/O.
Sources, tags ([V] checked, [R] recalled) and the uncertainty model: ``docs/metrics.md``, section
"Energy expenditure (estimate)".

- Walking (ACSM): VO2 = 3.5 + 0.1 S + 1.8 S G   (mL/kg/min; S speed in m/min, G grade as a fraction)
- Running (ACSM): VO2 = 3.5 + 0.2 S + 0.9 S G
- Backward walking: the forward walking VO2 times :data:`BACKWARD_WALK_FACTOR` (1.40), the ratio of
  the 2011 Compendium of Physical Activities' "walking, backwards, 3.5 mph, level" (6.0 MET) to
  "walking, 3.5 mph, level, brisk" (4.3 MET).
- Energy: 1 L of O2 = :data:`KCAL_PER_L_O2` (5.0) kcal, the ACSM convention.

Downhill grades are taken as level (the ACSM walking equation's grade term is for uphill walking;
retrogait has no source for a downhill term). Backward running uses the forward running equation with
no factor (backward running costs more, Flynn 1994, but no factor was found): it is flagged as an
underestimate. Sideways and in-place strides use the forward walking equation at their own speed.

All results are estimates for an average adult: the equations predict a population mean, not this
person. :func:`session_energy` states the uncertainty as a relative standard deviation and a 95 %
interval; errors are treated as fully correlated over a session (the same person, the same equation),
so they do not average out over strides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from retrogait.definitions import RUNNING_SUFFIX

#: Resting oxygen uptake, 1 MET (mL O2 per kg per min).
MET_ML_KG_MIN = 3.5
#: kcal per litre of O2 (ACSM convention).
KCAL_PER_L_O2 = 5.0
#: J per kcal (thermochemical calorie).
J_PER_KCAL = 4184.0
#: Backward / forward gross cost at the same speed: Compendium 2011 codes 17320 / 17200, 6.0 / 4.3 MET.
BACKWARD_WALK_FACTOR = 6.0 / 4.3

#: Relative SD of the ACSM equations for one person (between-person spread and the equation's bias on
#: level walking; see docs/metrics.md).
REL_SD_EQUATION = 0.10
#: Relative SD of the backward factor (1.40 level, 1.51 uphill in the Compendium; Hooper 2004: 17-20 %
#: higher %VO2max at 5-10 % grade).
REL_SD_BACKWARD = 0.15
#: Extra relative SD for backward running (forward equation used: an underestimate of unknown size).
REL_SD_BACKWARD_RUN = 0.25
#: Stride speed error (relative SD) and grade error (SD, fraction) of the measurement (README figures).
REL_SD_SPEED = 0.02
SD_GRADE = 0.006


def _m_min(speed_m_s: np.ndarray) -> np.ndarray:
    return np.asarray(speed_m_s, dtype=float) * 60.0


def walking_vo2(speed_m_s: Any, grade: Any = 0.0) -> np.ndarray:
    """ACSM walking equation: gross VO2 (mL/kg/min) at ``speed_m_s`` (m/s) and ``grade`` (fraction).

    Negative grades count as level (no downhill term).
    """
    s = _m_min(speed_m_s)
    g = np.clip(np.asarray(grade, dtype=float), 0.0, None)
    return MET_ML_KG_MIN + 0.1 * s + 1.8 * s * g


def running_vo2(speed_m_s: Any, grade: Any = 0.0) -> np.ndarray:
    """ACSM running equation: gross VO2 (mL/kg/min) at ``speed_m_s`` (m/s) and ``grade`` (fraction).

    Negative grades count as level.
    """
    s = _m_min(speed_m_s)
    g = np.clip(np.asarray(grade, dtype=float), 0.0, None)
    return MET_ML_KG_MIN + 0.2 * s + 0.9 * s * g


def vo2_to_w_per_kg(vo2_ml_kg_min: Any, kcal_per_l: float = KCAL_PER_L_O2) -> np.ndarray:
    """Metabolic power (W/kg) of an oxygen uptake in mL/kg/min."""
    return np.asarray(vo2_ml_kg_min, dtype=float) / 1000.0 * kcal_per_l * J_PER_KCAL / 60.0


def vo2_to_kcal(vo2_ml_kg_min: Any, mass_kg: float, minutes: Any, kcal_per_l: float = KCAL_PER_L_O2) -> np.ndarray:
    """kcal spent at ``vo2_ml_kg_min`` by a body of ``mass_kg`` over ``minutes``."""
    return np.asarray(vo2_ml_kg_min, dtype=float) * mass_kg * np.asarray(minutes, dtype=float) / 1000.0 * kcal_per_l


def stride_vo2(speeds_m_s: Any, grades: Any, directions: Any, gaits: Any | None = None,
               backward_factor: float = BACKWARD_WALK_FACTOR) -> np.ndarray:
    """Gross VO2 (mL/kg/min) of each stride.

    Args:
        speeds_m_s: stride speed (m/s; the belt-frame speed on a treadmill).
        grades: grade along the direction of travel (fraction, 0.05 = 5 %; NaN counts as level).
        directions: ``forward`` / ``backward`` / ``sideways_left`` / ``sideways_right`` / ``in_place``.
        gaits: ``walk`` / ``run`` per stride (None: all walking).
        backward_factor: backward / forward walking cost at the same speed.
    """
    speed = np.nan_to_num(np.abs(np.asarray(speeds_m_s, dtype=float)), nan=0.0)
    n = speed.size
    grade = np.nan_to_num(np.broadcast_to(np.asarray(grades, dtype=float), (n,)), nan=0.0)
    direction = np.asarray(directions).astype(str)
    run = np.zeros(n, bool) if gaits is None else (np.asarray(gaits).astype(str) == "run")
    vo2 = np.where(run, running_vo2(speed, grade), walking_vo2(speed, grade))
    return np.where((direction == "backward") & ~run, vo2 * backward_factor, vo2)


def stride_grades(grade_pct: Any, bout: Any, fallback_pct: float | None = None) -> np.ndarray:
    """Per-stride grade (fraction) for the energy: the median of each bout's finite stride grades.

    A stride's own grade is noisy (and NaN for sideways strides); since a negative grade counts as level,
    single noisy strides would bias the energy upward. Bouts with no finite grade take ``fallback_pct``
    (e.g. the session grade), or 0.
    """
    g = np.asarray(grade_pct, dtype=float)
    b = np.asarray(bout)
    out = np.full(g.size, (fallback_pct or 0.0) / 100.0)
    for k in np.unique(b):
        sel = b == k
        ok = sel & np.isfinite(g)
        if ok.any():
            out[sel] = float(np.median(g[ok])) / 100.0
    return out


@dataclass
class EnergyEstimate:
    """Energy of a set of strides (see :func:`session_energy`). Units in the field names."""

    mass_kg: float
    duration_s: float
    kcal: float
    """Gross energy (includes the resting 1 MET) over the strides' duration."""
    kcal_net: float
    """Energy above rest (kcal - resting 1 MET over the same time)."""
    kcal_low: float
    kcal_high: float
    """95 % interval of ``kcal`` (±1.96 relative SDs)."""
    rel_sd: float
    """Relative standard deviation of the estimate (0.16 = ±16 %)."""
    w_per_kg: float
    """Mean gross metabolic power per kg of body mass."""
    mets: float
    """Mean intensity in METs (gross VO2 / 3.5 mL/kg/min)."""
    vo2_ml_kg_min: float
    by_group: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per ``direction`` or ``direction-running``: strides, duration_s, kcal, mets."""
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "mass_kg": self.mass_kg, "duration_s": self.duration_s, "kcal": self.kcal,
            "kcal_net": self.kcal_net, "kcal_low": self.kcal_low, "kcal_high": self.kcal_high,
            "rel_sd": self.rel_sd, "w_per_kg": self.w_per_kg, "mets": self.mets,
            "vo2_ml_kg_min": self.vo2_ml_kg_min, "by_group": self.by_group, "notes": list(self.notes),
            "method": "ACSM walking/running equations; backward walking x1.40 (Compendium 2011); "
                      "5 kcal per L O2; see docs/metrics.md",
        }


def _rel_sd_stride(speed: np.ndarray, grade: np.ndarray, direction: np.ndarray, run: np.ndarray) -> np.ndarray:
    """Relative SD of each stride's VO2 from the equation, the backward factor, speed and grade errors."""
    s = speed * 60.0
    g = np.clip(grade, 0.0, None)
    a, b = np.where(run, 0.2, 0.1), np.where(run, 0.9, 1.8)
    vo2 = MET_ML_KG_MIN + a * s + b * s * g
    with np.errstate(invalid="ignore", divide="ignore"):
        d_speed = (a * s + b * s * g) * REL_SD_SPEED / vo2
        d_grade = b * s * SD_GRADE / vo2
    back = direction == "backward"
    factor = np.where(back & ~run, REL_SD_BACKWARD, np.where(back & run, REL_SD_BACKWARD_RUN, 0.0))
    return np.sqrt(REL_SD_EQUATION**2 + factor**2 + np.nan_to_num(d_speed) ** 2 + np.nan_to_num(d_grade) ** 2)


def session_energy(speeds_m_s: Any, grades: Any, durations_s: Any, directions: Any, mass_kg: float,
                   gaits: Any | None = None, *, backward_factor: float = BACKWARD_WALK_FACTOR,
                   kcal_per_l: float = KCAL_PER_L_O2) -> EnergyEstimate:
    """Estimated energy of the strides of a session (or bout).

    Args:
        speeds_m_s: per-stride speed (m/s).
        grades: per-stride grade along the direction of travel (fraction), or one value for all.
        durations_s: per-stride duration (s). With two feet pass one foot's strides, or halve the
            durations, so that the time is not counted twice.
        directions: per-stride direction names.
        mass_kg: body mass (kg), > 0.
        gaits: per-stride ``walk``/``run`` (None: all walking).
        backward_factor: backward / forward walking cost at the same speed.
        kcal_per_l: kcal per litre of O2.

    Returns:
        An :class:`EnergyEstimate` (kcal over the summed durations, gross and net, W/kg, METs, a 95 %
        interval and per-direction parts).

    Raises:
        ValueError: a body mass that is not a positive number, or arrays of different lengths.
    """
    if not (isinstance(mass_kg, (int, float)) and np.isfinite(mass_kg) and 0 < mass_kg < 500):
        raise ValueError(f"body mass must be a number of kg between 0 and 500, not {mass_kg!r}")
    speed = np.nan_to_num(np.abs(np.asarray(speeds_m_s, dtype=float)), nan=0.0)
    n = speed.size
    dur = np.asarray(durations_s, dtype=float)
    direction = np.asarray(directions).astype(str)
    if dur.size != n or direction.size != n or (gaits is not None and np.asarray(gaits).size != n):
        raise ValueError("speeds, durations, directions and gaits need one value per stride")
    dur = np.where(np.isfinite(dur) & (dur > 0), dur, 0.0)
    grade = np.nan_to_num(np.broadcast_to(np.asarray(grades, dtype=float), (n,)), nan=0.0)
    gait = np.full(n, "walk") if gaits is None else np.asarray(gaits).astype(str)
    run = gait == "run"
    vo2 = stride_vo2(speed, grade, direction, gait, backward_factor)
    minutes = dur / 60.0
    kcal_each = vo2_to_kcal(vo2, mass_kg, minutes, kcal_per_l)
    kcal = float(kcal_each.sum())
    total_s = float(dur.sum())
    rest = float(vo2_to_kcal(MET_ML_KG_MIN, mass_kg, total_s / 60.0, kcal_per_l))
    rel = _rel_sd_stride(speed, grade, direction, run)
    rel_sd = float((rel * kcal_each).sum() / kcal) if kcal > 0 else float(REL_SD_EQUATION)
    mean_vo2 = float((vo2 * dur).sum() / total_s) if total_s > 0 else float("nan")
    groups: dict[str, dict[str, float]] = {}
    for d in sorted(set(direction.tolist())):
        for is_run in (False, True):
            sel = (direction == d) & (run == is_run)
            if not sel.any():
                continue
            t = float(dur[sel].sum())
            groups[str(d) + RUNNING_SUFFIX if is_run else str(d)] = {
                "strides": int(sel.sum()), "duration_s": t, "kcal": float(kcal_each[sel].sum()),
                "mets": float((vo2[sel] * dur[sel]).sum() / t / MET_ML_KG_MIN) if t > 0 else float("nan"),
            }
    notes = []
    if ((direction == "backward") & run).any():
        notes.append("backward running: forward running equation used (an underestimate; no factor known)")
    if (np.asarray(grade) < 0).any():
        notes.append("downhill strides counted as level")
    if ((direction != "forward") & (direction != "backward")).any():
        notes.append("sideways / in-place strides: forward walking equation at their own speed")
    return EnergyEstimate(
        mass_kg=float(mass_kg), duration_s=total_s, kcal=kcal, kcal_net=max(kcal - rest, 0.0),
        kcal_low=kcal * max(1.0 - 1.96 * rel_sd, 0.0), kcal_high=kcal * (1.0 + 1.96 * rel_sd), rel_sd=rel_sd,
        w_per_kg=float(vo2_to_w_per_kg(mean_vo2, kcal_per_l)), mets=mean_vo2 / MET_ML_KG_MIN,
        vo2_ml_kg_min=mean_vo2, by_group=groups, notes=notes,
    )


def energy_of_strides(table: Any, mass_kg: float, fallback_grade_pct: float | None = None) -> EnergyEstimate:
    """:func:`session_energy` of an analysis :class:`~retrogait.analysis.result.StrideTable`.

    Grades are each bout's median stride grade (:func:`stride_grades`). With two feet, each foot's strides
    cover the same time, so durations are divided by the number of feet.
    """
    feet = [f for f in set(np.asarray(table.foot).astype(str).tolist()) if f in ("left", "right")]
    n_feet = max(len(feet), 1)
    grades = stride_grades(table.grade_pct, table.bout, fallback_grade_pct)
    return session_energy(table.speed, grades, np.asarray(table.stride_time, float) / n_feet, table.direction,
                          mass_kg, table.gait)


def energy_by_bout(table: Any, mass_kg: float, fallback_grade_pct: float | None = None) -> list[dict[str, Any]]:
    """One dict per bout (in the order of ``np.unique(table.bout)``): ``bout``, kcal, kcal_low/high, METs,
    W/kg, duration_s."""
    out = []
    for b in np.unique(np.asarray(table.bout)):
        e = energy_of_strides(table.select(np.asarray(table.bout) == b), mass_kg, fallback_grade_pct)
        out.append({"bout": int(b), "duration_s": e.duration_s, "kcal": e.kcal, "kcal_low": e.kcal_low,
                    "kcal_high": e.kcal_high, "mets": e.mets, "w_per_kg": e.w_per_kg})
    return out


def energy_summary(table: Any, mass_kg: float, grade_pct: float | None = None) -> dict[str, Any]:
    """The ``energy`` entry of a session summary (JSON-ready): :meth:`EnergyEstimate.to_dict` of the whole
    session plus ``by_bout`` (:func:`energy_by_bout`). ``grade_pct``: the session grade (%), used for bouts
    without a stride grade."""
    out = energy_of_strides(table, mass_kg, grade_pct).to_dict()
    out["by_bout"] = energy_by_bout(table, mass_kg, grade_pct)
    return out


def describe_short(energy: dict[str, Any] | EnergyEstimate) -> str:
    """A table cell: ``14 kcal (9-19), 4.1 MET, 5.0 W/kg`` (the 95 % range in brackets)."""
    e = energy.to_dict() if isinstance(energy, EnergyEstimate) else energy
    return f"{e['kcal']:.0f} kcal ({e['kcal_low']:.0f}-{e['kcal_high']:.0f}), {e['mets']:.1f} MET, {e['w_per_kg']:.1f} W/kg"


def describe(energy: dict[str, Any] | EnergyEstimate) -> str:
    """One line for people (at most 80 characters below 1,000 kcal), in the units every
    command shows: ``14 kcal (95 % range 9-19, 11 above rest), 4.1 MET, 5.0 W/kg at 70 kg``. Label it as
    an estimate where it is shown (e.g. a row "energy (estimate)")."""
    e = energy.to_dict() if isinstance(energy, EnergyEstimate) else energy
    return (f"{e['kcal']:.0f} kcal (95 % range {e['kcal_low']:.0f}-{e['kcal_high']:.0f}, {e['kcal_net']:.0f} "
            f"above rest), {e['mets']:.1f} MET, {e['w_per_kg']:.1f} W/kg at {e['mass_kg']:g} kg")
