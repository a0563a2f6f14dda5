"""Finding and scoring walk-test trials in an analyzed recording (one or two feet).

Input: the per-stride table of :func:`retrogait.analyze` (or anything with the same columns: the
simulator's stride truth has them too). Everything is in SI units (s, m, rad); display units are the
command's business.

**Trials.** The strides of all feet, in time order, form *movement groups*: a standstill of at least
``rest_s`` seconds (no foot in swing) separates two groups. Inside a group, consecutive strides of one
walking direction form a *run* (a single stride of another direction between two runs of the same
direction belongs to that walk). A trial of a test is a run in the test's direction; it *started from
standing* when it is the first run of its group. A run that follows other walking (for example, the
person walked forward, then backward without stopping) is reported but not scored: its onset is not a
start from standing.

**Timing** (see :mod:`retrogait.clinical.track` for the body's progress):

* *movement onset*: the first foot leaves the ground (its terminal contact). With one recorded foot:
  a foot's first stride of a walk is half a stride long when that foot led (it steps from beside the
  other foot to half a stride ahead) and a whole stride when it followed (from beside the other
  foot to one step beyond it). When the recorded foot followed, the unrecorded foot left the
  ground one step earlier: the onset is the recorded foot's take-off minus one step time (half its
  median stride time).
* *time to a distance*: from the onset to the instant the body's progress reaches the distance.

**Steps**: footfalls of both feet from the onset to standing again. Two feet: the strides counted.
One foot with ``n`` strides: the feet alternate, so the other foot stepped ``n - 1``, ``n`` or
``n + 1`` times, told by whether the recorded foot led (a half first stride) and whether it made the
closing step (a half last stride): ``2n - 1 + [other foot led] + [other foot closed]``. A stride is
*half* when it is shorter than 0.75 x the median stride of that foot in the run.

**Other figures**: mean step length (mean stride length / 2 over the strides that are neither a foot's
first nor its last of the run: gait initiation and termination excluded); speed (distance / time);
step-time CV (two feet: intervals between consecutive footfalls of either foot; one foot: stride-time
CV, IC to IC of the same foot), initiation and termination intervals excluded, reported with >= 3
intervals; veer (the largest sideways distance of a foot's mid-stance positions from its start-to-end
line, positive to the left of the direction of travel, mean of the feet) and heading change (sum of
the strides' turning angles); pauses (a standstill between two swings longer than twice the run's
median and at least 0.5 s longer than it).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from retrogait.clinical.track import Track, body_track, foot_positions

COLUMNS = ("foot", "t_start", "t_end", "t_ic", "t_tc", "stride_time", "stride_length", "stride_vector",
           "direction", "turn_angle")
HALF_STRIDE = 0.75  # a first / last stride shorter than this fraction of the median is a half stride
PAUSE_FACTOR = 2.0  # a standstill longer than twice the run's median ...
PAUSE_EXTRA_S = 0.5  # ... and at least this much longer than it is a pause
FEET_AGREE_M = 0.25  # two feet's distances may differ by max(this, FEET_AGREE_FRAC x distance)
FEET_AGREE_FRAC = 0.10
MIN_CV_INTERVALS = 3
DEFAULT_REST_S = 3.0
ACTIVITY = {"forward": "walked forward", "backward": "walked backward", "in_place": "turned on the spot",
            "sideways_left": "stepped sideways to the left", "sideways_right": "stepped sideways to the right"}


def columns(strides: Any) -> dict[str, np.ndarray]:
    """The columns used here, as numpy arrays, from a stride table or a stride truth."""
    out = {}
    for name in COLUMNS:
        v = getattr(strides, name)
        out[name] = np.asarray(v, dtype=float).reshape(-1, 2) if name == "stride_vector" else np.asarray(v)
    return out


@dataclass
class Trial:
    """One trial of a walk test: where it is, what it covered and, when scored, its figures."""

    index: int
    direction: str
    feet: list[str]
    t_onset: float  # s since the recording start
    t_stop: float  # last initial contact of the trial, s
    distance_m: float  # body progress over the whole run
    scored: bool
    note: str = ""
    time_s: float = math.nan  # the test's time (from onset to the distance)
    target_m: float = math.nan
    steps: int = 0
    steps_inferred: bool = False  # one foot: the other foot's steps inferred from the alternation
    lead_foot: str = ""  # "left" / "right" / "" (unknown)
    step_length_m: float = math.nan
    speed_m_s: float = math.nan
    timing_cv_pct: float = math.nan
    timing_cv_kind: str = ""  # "step" (two feet) | "stride" (one foot)
    timing_cv_n: int = 0
    veer_m: float = math.nan
    heading_change_deg: float = math.nan
    pauses: int = 0
    pause_time_s: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN becomes None)."""
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in asdict(self).items()}


# ----------------------------------------------------------------------------------- grouping

def movement_groups(cols: dict[str, np.ndarray], rest_s: float = DEFAULT_REST_S) -> list[np.ndarray]:
    """Stride indices (time order of take-off) of each movement group: a standstill of at least
    ``rest_s`` with no foot in swing separates groups."""
    n = cols["t_tc"].size
    if n == 0:
        return []
    order = np.argsort(cols["t_tc"], kind="stable")
    tc, ic = cols["t_tc"][order], cols["t_ic"][order]
    still = tc[1:] - np.maximum.accumulate(ic)[:-1]
    cuts = np.flatnonzero(still >= rest_s) + 1
    return np.split(order, cuts)


def direction_runs(cols: dict[str, np.ndarray], group: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Consecutive strides of one direction within a group: ``(direction, indices)`` in time order.

    A single stride of another direction between two runs of the same direction belongs to that
    walk (one stride cannot be a walk of its own; a turn or a change of direction takes more)."""
    d = cols["direction"][group]
    cuts = np.flatnonzero(d[1:] != d[:-1]) + 1
    runs = [(str(cols["direction"][part[0]]), part) for part in np.split(group, cuts)]
    i = 1
    while i + 1 < len(runs):
        if runs[i][1].size == 1 and runs[i - 1][0] == runs[i + 1][0] != runs[i][0]:
            merged = np.concatenate([runs[i - 1][1], runs[i][1], runs[i + 1][1]])
            runs[i - 1:i + 2] = [(runs[i - 1][0], merged)]
        else:
            i += 1
    return runs


# ----------------------------------------------------------------------------------- one run

@dataclass
class _Foot:
    foot: str
    k: np.ndarray  # stride indices, time order
    progress: np.ndarray  # along the foot's start-to-end line after each stride, m
    lateral: np.ndarray  # left of that line, m
    half: np.ndarray  # bool: a half stride


def _feet(cols: dict[str, np.ndarray], idx: np.ndarray, path: bool) -> list[_Foot]:
    out = []
    for foot in sorted(set(cols["foot"][idx].tolist())):
        k = idx[cols["foot"][idx] == foot]
        k = k[np.argsort(cols["t_end"][k], kind="stable")]
        pos, u = foot_positions(cols["stride_vector"][k])
        length = cols["stride_length"][k]
        progress = np.cumsum(length) if path else pos @ u
        lateral = pos @ np.array([-u[1], u[0]])
        med = float(np.median(length)) if k.size >= 3 else float(np.max(length))
        half = length < HALF_STRIDE * med
        out.append(_Foot(str(foot), k, progress, lateral, half))
    return out


def _onset_and_steps(cols: dict[str, np.ndarray], feet: list[_Foot]) -> tuple[float, int, bool, str, str]:
    """(onset, steps, steps inferred, lead foot, note) of a run."""
    if len(feet) >= 2:
        firsts = [(float(cols["t_tc"][f.k[0]]), f.foot) for f in feet]
        onset, lead = min(firsts)
        return onset, int(sum(f.k.size for f in feet)), False, lead, ""
    f = feet[0]
    n = f.k.size
    other = "right" if f.foot == "left" else "left"
    if n < 3:
        return float(cols["t_tc"][f.k[0]]), 2 * n, True, "", "too few strides to tell which foot led"
    led, closed = bool(f.half[0]), bool(f.half[-1])
    stride_t = float(np.median(cols["stride_time"][f.k[1:]]))
    onset = float(cols["t_tc"][f.k[0]]) - (0.0 if led else stride_t / 2.0)
    steps = 2 * n - 1 + (not led) + (not closed)
    return onset, steps, True, f.foot if led else other, ""


def _timing_cv(cols: dict[str, np.ndarray], feet: list[_Foot]) -> tuple[float, str, int]:
    if len(feet) >= 2:
        ic = np.sort(np.concatenate([cols["t_ic"][f.k] for f in feet]))
        kind = "step"
    else:
        ic = np.sort(cols["t_ic"][feet[0].k])
        kind = "stride"
    iv = np.diff(ic)[1:-1]  # initiation and termination intervals excluded
    if iv.size < MIN_CV_INTERVALS:
        return math.nan, kind, int(iv.size)
    return float(100.0 * np.std(iv, ddof=1) / np.mean(iv)), kind, int(iv.size)


def _pauses(cols: dict[str, np.ndarray], idx: np.ndarray) -> tuple[int, float]:
    order = idx[np.argsort(cols["t_tc"][idx], kind="stable")]
    tc, ic = cols["t_tc"][order], cols["t_ic"][order]
    still = tc[1:] - np.maximum.accumulate(ic)[:-1]
    if still.size < 2:
        return 0, 0.0
    med = float(np.median(still))
    long = (still > PAUSE_FACTOR * med) & (still - med >= PAUSE_EXTRA_S)
    return int(long.sum()), float(np.sum(still[long] - med))


def score_run(cols: dict[str, np.ndarray], idx: np.ndarray, index: int, direction: str,
              target_m: float | None, *, path: bool = False) -> tuple[Trial, Track]:
    """Figures of one run (see the module docstring). ``target_m``: the test distance (None: none);
    ``path``: progress along the walked path (timed tests with turns) instead of the straight line."""
    feet = _feet(cols, idx, path)
    onset, steps, inferred, lead, note = _onset_and_steps(cols, feet)
    track = body_track([cols["t_end"][f.k] for f in feet], [f.progress for f in feet], t0=onset)
    totals = [float(f.progress[-1]) for f in feet]
    full = np.concatenate([f.k[1:-1] if f.k.size >= 3 else f.k for f in feet])
    cv, kind, n_cv = _timing_cv(cols, feet)
    pauses, pause_time = _pauses(cols, idx)
    veer = [float(f.lateral[np.argmax(np.abs(f.lateral))]) for f in feet]
    trial = Trial(
        index=index, direction=direction, feet=[f.foot for f in feet], t_onset=onset,
        t_stop=float(np.max(cols["t_ic"][idx])), distance_m=float(np.mean(totals)), scored=True,
        note=note, steps=steps, steps_inferred=inferred, lead_foot=lead,
        step_length_m=float(np.mean(cols["stride_length"][full]) / 2.0),
        timing_cv_pct=cv, timing_cv_kind=kind, timing_cv_n=n_cv, veer_m=float(np.mean(veer)),
        heading_change_deg=float(np.degrees(np.mean([np.sum(cols["turn_angle"][f.k]) for f in feet]))),
        pauses=pauses, pause_time_s=pause_time,
    )
    if len(feet) >= 2 and abs(totals[0] - totals[1]) > max(FEET_AGREE_M, FEET_AGREE_FRAC * max(totals)):
        trial.scored = False
        trial.note = (f"the feet disagree ({feet[0].foot} {totals[0]:.2f} m, {feet[1].foot} "
                      f"{totals[1]:.2f} m): not scored")
    if target_m is not None:
        trial.target_m = float(target_m)
        t_cross = track.time_at(target_m)
        if math.isfinite(t_cross):
            trial.time_s = t_cross - onset
            trial.speed_m_s = target_m / trial.time_s
        elif trial.scored:
            trial.scored = False
            trial.note = f"covered {trial.distance_m:.2f} m, less than {target_m:g} m: not scored"
    return trial, track


# ----------------------------------------------------------------------------------- tests

@dataclass
class TestResult:
    """The trials of one test in a recording and the person's mean over the scored ones."""

    test: str
    trials: list[Trial]
    score_name: str  # what the score is ("time_s", "speed_m_s", "distance_m")
    notes: list[str] = field(default_factory=list)

    @property
    def scored(self) -> list[Trial]:
        return [t for t in self.trials if t.scored]

    def values(self) -> np.ndarray:
        """The score of every scored trial."""
        return np.asarray([getattr(t, self.score_name) if self.score_name != "middle_speed_m_s"
                           else t.extra.get("middle_speed_m_s", math.nan) for t in self.scored], float)

    @property
    def mean(self) -> float:
        v = self.values()
        v = v[np.isfinite(v)]
        return float(np.mean(v)) if v.size else math.nan

    @property
    def sd(self) -> float:
        v = self.values()
        v = v[np.isfinite(v)]
        return float(np.std(v, ddof=1)) if v.size >= 2 else math.nan


def _runs(cols: dict[str, np.ndarray], rest_s: float):
    """Every run with its group context: (group number, position in group, runs of the group)."""
    for g, group in enumerate(movement_groups(cols, rest_s)):
        runs = direction_runs(cols, group)
        for i, (direction, idx) in enumerate(runs):
            yield g, i, runs, direction, idx


def _context(trial: Trial, i: int, runs: list, direction: str, cols: dict[str, np.ndarray]) -> None:
    """Mark a run that did not start from standing and say what followed it."""
    if i > 0:
        before = runs[i - 1][0]
        trial.scored = False
        trial.note = (f"did not start from standing (it follows {before} walking without a stop): "
                      "not scored")
    if i + 1 < len(runs):
        what = ", then ".join(f"{ACTIVITY.get(d, d)} ({idx.size} strides)" for d, idx in runs[i + 1:])
        extra = f"then {what} without stopping"
        trial.note = f"{trial.note}; {extra}" if trial.note else extra


def three_m_backward_walk(strides: Any, *, distance: float = 3.0, rest_s: float = DEFAULT_REST_S
                          ) -> TestResult:
    """Every backward trial with its time to ``distance`` (the 3-m backward walk test)."""
    cols = columns(strides)
    out = TestResult("3mbwt", [], "time_s")
    skipped = 0
    for _, i, runs, direction, idx in _runs(cols, rest_s):
        if direction != "backward":
            continue
        if idx.size < 2:
            skipped += 1
            continue
        trial, _ = score_run(cols, idx, len(out.trials) + 1, direction, distance)
        _context(trial, i, runs, direction, cols)
        out.trials.append(trial)
    if skipped:
        out.notes.append(f"{skipped} single backward stride(s) outside trials ignored")
    if not out.trials:
        found = sorted(set(cols["direction"].tolist()))
        out.notes.append("no backward trial found" + (f" (strides found: {', '.join(found)})" if found
                                                      else " (no strides: standing only?)"))
    return out


def timed_walk(strides: Any, *, distance: float = 10.0, direction: str = "forward", exclude: float = 2.0,
               duration: float | None = None, rest_s: float = DEFAULT_REST_S) -> TestResult:
    """Timed walks in ``direction``. Distance mode: gait speed over the middle part (``exclude`` m at
    each end left out: acceleration and deceleration) and the time over the whole ``distance``.
    Duration mode (``duration`` s): the distance walked along the path from the onset in that time
    (turns included), for walks whose strides are mostly in ``direction``."""
    cols = columns(strides)
    if duration is not None:
        return _timed_duration(cols, duration, direction, rest_s)
    out = TestResult("timed-walk", [], "middle_speed_m_s")
    lo, hi = exclude, distance - exclude
    for _, i, runs, d, idx in _runs(cols, rest_s):
        if d != direction or idx.size < 2:
            continue
        trial, track = score_run(cols, idx, len(out.trials) + 1, d, distance)
        _context(trial, i, runs, d, cols)
        t_lo, t_hi = track.time_at(lo), track.time_at(hi)
        if math.isfinite(t_lo) and math.isfinite(t_hi) and t_hi > t_lo:
            trial.extra["middle_speed_m_s"] = (hi - lo) / (t_hi - t_lo)
            trial.extra["middle_time_s"] = t_hi - t_lo
            if not trial.scored and trial.note.startswith("covered"):
                trial.scored = True  # the middle part was walked; the full-distance time is missing
                trial.note = f"stopped at {trial.distance_m:.2f} m, before the {distance:g}-m line"
        elif trial.scored:
            trial.scored = False
            trial.note = f"covered {trial.distance_m:.2f} m, less than {hi:g} m: not scored"
        out.trials.append(trial)
    if not out.trials:
        out.notes.append(f"no {direction} walk found")
    return out


def _timed_duration(cols: dict[str, np.ndarray], duration: float, direction: str, rest_s: float
                    ) -> TestResult:
    out = TestResult("timed-walk", [], "distance_m")
    for group in movement_groups(cols, rest_s):
        d = cols["direction"][group]
        if group.size < 2 or np.mean(d == direction) < 0.5:
            continue
        trial, track = score_run(cols, group, len(out.trials) + 1, direction, None, path=True)
        walked = track.distance_at(trial.t_onset + duration)
        lasted = trial.t_stop - trial.t_onset
        trial.extra = {"duration_s": duration, "walked_for_s": lasted}
        if lasted < duration:
            trial.scored = False
            trial.note = f"walking stopped after {lasted:.1f} s, before {duration:g} s: not scored"
        else:
            trial.distance_m = walked
            trial.speed_m_s = walked / duration
        out.trials.append(trial)
    if not out.trials:
        out.notes.append(f"no {direction} walk found")
    return out
