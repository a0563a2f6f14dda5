"""Stage: from per-segment kinematics and events to the stride table (strides, bouts, direction, gait).

A segment is a stride when its swing is real (fast enough, long enough, and it moves or lifts the
foot). Headings are chained over every segment (strides or not) to place the strides in one world
frame; bouts are runs of consecutive strides without long standing; each stride's direction and gait
are decided per bout (:mod:`retrogait.analysis.direction`, :mod:`retrogait.analysis.gaitmode`), and
the events of the gait it was (walking or running rules) give its timing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from retrogait.analysis.direction import classify, direction_probabilities
from retrogait.analysis.events import SegmentEvents
from retrogait.analysis.gaitmode import duty_factor, flight_time, gait_modes, peak_impact, strike_pattern
from retrogait.analysis.incline import stride_grade
from retrogait.analysis.kinematics import SegmentKinematics
from retrogait.analysis.regularity import regularity_with_next
from retrogait.analysis.result import StrideTable
from retrogait.analysis.segmentation import Segments
from retrogait.analysis.settings import DEFAULT, AnalysisSettings


@dataclass(frozen=True)
class Placed:
    """The strides of one stream and the path of every segment (for the session plot)."""

    table: StrideTable
    path: np.ndarray
    """(M + 1, 4): time (s) and world position (m) of every segment's start anchor, then the last end."""


def is_stride(segs: Segments, kin: SegmentKinematics, rate: float, s: AnalysisSettings = DEFAULT) -> np.ndarray:
    """Which segments are strides: a real swing that moves the foot or lifts it (stepping in place)."""
    st = s.strides
    moved = np.hypot(kin.disp[:, 0], kin.disp[:, 1]) >= st.min_displacement
    return ((kin.swing_peak >= st.swing_peak)
            & ((segs.still_from - segs.still_until) >= st.min_swing_time * rate)
            & (moved | (kin.clear >= st.min_lift)))


def chained_heading(yaw_end: np.ndarray, stand_yaw: np.ndarray) -> np.ndarray:
    """Heading of each segment's start: the sum of all earlier yaw changes (carried across breaks too:
    the heading across a gap is unknown, and keeping it is the best guess)."""
    return np.cumsum(np.r_[0.0, yaw_end[:-1]] + stand_yaw)


RunningEvents = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]
"""Running events (terminal, initial contact, pitch at initial contact) of the segments numbered by
its argument (:func:`retrogait.analysis.kinematics.running_events_of`)."""


def build_stride_table(
    foot: str, t: np.ndarray, acc: np.ndarray, segs: Segments, kin: SegmentKinematics, ev: SegmentEvents,
    stand_yaw: np.ndarray, rate: float, incline_known: bool = True, s: AnalysisSettings = DEFAULT,
    raw: tuple[np.ndarray, np.ndarray] | None = None, running_events: RunningEvents | None = None,
) -> Placed:
    """The stage: the stride table of one foot and the path of all its segments.

    ``acc``: the stream's (N, 3) specific force (peak impact); ``stand_yaw``: yaw turned while standing
    before each segment; ``incline_known``: False when the mounting looks wrong (no grade then);
    ``raw``: the recorded ``(t, gyr)`` samples (before gap bridging) the stride regularity is read from
    (None: no regularity column).
    """
    heading = chained_heading(kin.yaw_end, stand_yaw)
    c, s_ = np.cos(heading), np.sin(heading)
    d = kin.disp
    world = np.column_stack([c * d[:, 0] - s_ * d[:, 1], s_ * d[:, 0] + c * d[:, 1], d[:, 2]])
    position = np.vstack([np.zeros(3), np.cumsum(world, axis=0)[:-1]])
    path = np.column_stack([t[np.r_[segs.start, segs.end[-1]]], np.vstack([position, position[-1] + world[-1]])])
    k = np.flatnonzero(is_stride(segs, kin, rate, s))
    if k.size == 0:
        return Placed(StrideTable.empty(), path)
    # bouts: consecutive stride segments without long standing or anything else in between
    new_bout = np.ones(k.size, dtype=bool)
    new_bout[1:] = ~(
        (k[1:] == k[:-1] + 1) & segs.chained[k[1:]] & (segs.standing_before[k[1:]] <= s.strides.bout_standing)
    )
    bout = np.cumsum(new_bout) - 1
    # displacement in the stride's mean heading (start heading + half the turn): a turning stride
    # travels along where the foot points midway, not where it pointed at the start
    half = -0.5 * np.angle(np.exp(1j * kin.yaw_end[k]))
    d_mid = np.column_stack([np.cos(half) * d[k, 0] - np.sin(half) * d[k, 1],
                             np.sin(half) * d[k, 0] + np.cos(half) * d[k, 1]])
    prob = direction_probabilities(d_mid, ev.pitch_tc[k], ev.pitch_ic[k], kin.pitch_end[k], s.direction)
    direction, conf = classify(prob, bout, s.direction)

    t_start, t_end = t[segs.start[k]], t[segs.end[k]]
    duty_run = duty_factor(t_end - t_start - (ev.t_land[k] - ev.t_lift[k]), t_end - t_start)
    gait = gait_modes(np.where(np.isin(direction, ("forward", "backward")), duty_run, 1.0), bout, s.gait,
                      s.direction.switch_prob)
    run = gait == "run"
    t_tc, t_ic, pitch_ic = ev.t_tc[k], ev.t_ic[k], ev.pitch_ic[k]
    if run.any():
        got = running_events(k[run]) if running_events is not None else (
            ev.t_tc_run[k[run]], ev.t_ic_run[k[run]], ev.pitch_ic_run[k[run]])
        t_tc, t_ic, pitch_ic = t_tc.copy(), t_ic.copy(), pitch_ic.copy()
        t_tc[run], t_ic[run], pitch_ic[run] = got
    prev_ic = np.where(new_bout, np.nan, np.r_[np.nan, t_ic[:-1]])
    stride_time = np.where(np.isfinite(prev_ic), t_ic - prev_ic, t_end - t_start)
    swing = t_ic - t_tc
    length = np.hypot(d[k, 0], d[k, 1])
    last_of_bout = np.r_[new_bout[1:], True]
    turn = np.angle(np.exp(1j * kin.yaw_end[k]))
    steady = ~new_bout & ~last_of_bout & (np.abs(turn) <= s.strides.turning)
    pitch_ff = kin.pitch_end[k]
    stance_time = stride_time - swing
    strike_angle = pitch_ic - pitch_ff
    table = StrideTable(
        foot=np.full(k.size, foot, dtype="<U14"),
        t_start=t_start,
        t_end=t_end,
        t_ic=t_ic,
        t_tc=t_tc,
        stride_time=stride_time,
        stance_time=stance_time,
        swing_time=swing,
        stride_length=length,
        stride_vector=world[k, :2],
        signed_length=d[k, 0],
        lateral_deviation=d[k, 1],
        max_lateral_excursion=kin.lat[k],
        clearance=kin.clear[k],
        turn_angle=turn,
        pitch_ic=pitch_ic,
        pitch_ff=pitch_ff,
        direction=direction.astype("<U14"),
        direction_confidence=conf,
        speed=length / np.maximum(t_end - t_start, 1e-9),
        bout=bout.astype(np.int64),
        steady=steady,
        grade_pct=stride_grade(pitch_ff, direction) if incline_known else np.full(k.size, np.nan),
        saturated=kin.saturated[k],
        bridged=kin.bridged[k],
        gait=gait,
        duty_factor=duty_factor(stance_time, stride_time),
        flight_time=flight_time(stance_time, stride_time, gait),
        strike=strike_pattern(strike_angle, s.gait),
        strike_angle=strike_angle,
        peak_impact_g=peak_impact(acc, t, t_ic, s.gait),
        rolling_stance=segs.rolling[k],
        regularity=(regularity_with_next(raw[0], raw[1], t_start, t_end, t_tc, t_ic, bout, stride_time)
                    if raw is not None else np.full(k.size, np.nan)),
        position=position[k],
    )
    return Placed(table, path)
