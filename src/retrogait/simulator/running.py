"""Running: the gait parameters of a running bout (``Walk(..., gait="run")``) as a function of speed,
direction and foot-strike pattern.

The running foot uses the same rigid-foot model as walking (:mod:`retrogait.simulator.footmodel`:
loading roll about the first contact point, flat phase, pre-swing roll about the last contact point,
swing), with running's timing and angles:

* cadence (steps/min) ``= 138.6 v^0.163`` forward: 155 at 2 m/s, 166 at 3 m/s, 180 at 5 m/s (stride
  time 0.77 / 0.72 / 0.67 s): runners speed up mainly by lengthening the stride, the frequency rises
  little between 3 and 5 m/s (Cavanagh & Kram 1989; Dorn, Schache & Pandy 2012). Backward running uses
  a 12 % higher cadence at a given speed (shorter, quicker strides; Threlkeld et al. 1989);
* ground contact time ``t_c = 0.28 (v / 2)^-0.55`` s forward (0.28 s at 2 m/s, 0.22 s at 3 m/s, 0.17 s
  at 5 m/s; contact time falls with speed, Weyand et al. 2000, Nummela et al. 2007), ``0.25 (v /
  2)^-0.55`` backward; so the duty factor per foot is 0.26-0.36 (< 0.5): a flight phase where neither
  foot touches follows every take-off;
* foot-strike pattern (Altman & Davis 2012: sole angle at contact > 8 deg rearfoot, -1.6..8 deg
  midfoot, < -1.6 deg forefoot). Checked against real running (the PyShoe jogs, 1.6-2.2 m/s, rearfoot;
  ``benchmarks/validate_simulator.py running-vs-real``): the sole's late-swing extreme (rearfoot +23 deg)
  comes ~35 ms before the first touch (~+20 deg), the foot is lowered at once (slap to flat ~70-80 ms
  after the touch at a jog, everting ~4 deg meanwhile), stays flat and nearly still (``flat_share``:
  ~85 ms at 2 m/s, ~20 ms at 5 m/s; residual roll ``stance_roll`` = 0.2 rad/s), then rolls over the toe
  (heel-off, push-off, last touch at about -35 deg). Midfoot lands nearly flat (~+4 deg), forefoot
  toe-down (~-10 deg) with the heel lowered; backward running lands on the forefoot (about -15 deg),
  lowers the heel, stays flat and leaves from the heel, toe up (about +20 deg at the last touch);
* swing: the heel kicks up (sole -(45 + 10 v) deg, at most -90) then the foot comes forward; the swing's
  0.1-s mean rotation rate peaks at ~7 rad/s at 2 m/s (the real jogs: 8-9.5), 12 rad/s at 5 m/s, and
  does not drop below ~0.2-0.3 of its peak at the pitch turns (a 14-deg roll hump and sharpened turns);
* impact: the sensor bounces on the shoe from the first touch (a damped down-up oscillation, 22 ms):
  peaks of about 7-10 g rearfoot at 2-3 m/s (the real jogs: 5-9 g), up to ~16 g at 5 m/s, 5-6 g
  midfoot and forefoot, ~5 g backward, so landings may clip a narrower range (the truth says which
  strides had clipped samples).

Limits: a rigid foot (no toe joint, no midsole deformation beyond the 4 mm used for the contact
events), no body/trunk model, the impact is a prescribed bounce of the sensor (not a contact model).
"""

from __future__ import annotations

import numpy as np

from retrogait.simulator.scenario import DirectionStyle

#: speed-cadence relation and default speed per direction (fields other than speed / cadence unused)
RUN_BASE: dict[str, DirectionStyle] = {
    "forward": DirectionStyle(3.0, 138.6, 0.163, -38, -80, 20, 14, 0.07, 0.15, 0.30, 0.02, 0.025, 0.27),
    "backward": DirectionStyle(2.2, 155.2, 0.163, 16, 30, -25, -12, 0.10, 0.18, 0.32, 0.03, 0.035, 0.17),
}
CONTACT_2MS = {"forward": 0.28, "backward": 0.25}  # contact time at 2 m/s, s
CONTACT_EXP = -0.55
DEFAULT_STRIKE = {"forward": "rearfoot", "backward": "forefoot"}
RUN_STANCE_ROLL = 0.2  # rad/s, residual roll through the flat phase (see flat_share)
RUN_EVERSION = 4.0  # deg, eversion (pronation) reached while the foot is lowered to flat
#: the pitch extremes of a running swing: the heel kick at this fraction of the swing; the landing turn
#: (the sole's late-swing extreme) this long before the model's anchored landing (the first touch comes
#: ~40 ms before that landing: the last mm of the approach compress heel pad and sole), i.e. ~35 ms
#: before the first touch at a jog (the PyShoe jogs: largest toe-up ~30-50 ms before the impact), closer
#: to the touch at speed (``turn_lead``)
KICK_KNOT = 0.20


def turn_lead(speed: float) -> float:
    """Time (s) from the late-swing pitch extreme to the model's anchored landing: 0.075 s up to 2.5 m/s,
    falling linearly to 0.045 s at 4 m/s and above (an assumption, no running data above 2.2 m/s here: a
    faster leg swings the foot down later and quicker)."""
    return float(0.075 - 0.02 * np.clip(speed - 2.5, 0.0, 1.5))
LOAD_MIN = 0.032  # s, shortest loading roll from the model's landing to foot flat
RUN_SWING_ROLL = 3.5  # the swing's roll hump, x Person.roll_deg (4 deg walking): the running foot turns
# about its other axes too, so the 0.1-s mean rotation rate does not drop at the swing's pitch turns


def flat_share(speed: float) -> float:
    """Share of the nominal contact time the foot spends flat and nearly still (mid-stance), between the
    loading roll and heel-off: 0.30 at 2 m/s (~85 ms: the real PyShoe jogs, 1.6-2.2 m/s, show a still
    foot for ~80-100 ms per stance), falling linearly to 0.12 at 5 m/s (~20 ms) and at least 0.10 (an
    assumption: the contact shrinks with speed and the push-off and loading rolls cannot shrink as much)."""
    return float(np.clip(0.30 - 0.06 * (speed - 2.0), 0.10, 0.30))

#: per strike: sole angle at the first touch (the late-swing extreme: the foot turns there and is lowered
#: at once) and at the model's anchored landing ~40 ms later, deg; fraction of the contact time from
#: that landing to foot flat (the rest of the loading roll: rearfoot ~75-80 ms from the first touch to
#: flat at a jog, as in the PyShoe jogs); impact bounce amplitude (mm) and duration (s)
STRIKE_SHAPE = {
    "rearfoot": dict(ext2=23.0, ic=8.0, ff=0.13, impact_mm=0.26, impact_s=0.022),
    "midfoot": dict(ext2=6.0, ic=1.0, ff=0.07, impact_mm=0.20, impact_s=0.022),
    "forefoot": dict(ext2=-13.0, ic=-6.0, ff=0.18, impact_mm=0.13, impact_s=0.022),
}
#: the physical contact (first touch / last touch within the 4 mm sole compression) is longer than the
#: model's anchored stance (mostly at take-off: the toe stays within 4 mm of the ground while the foot
#: rolls over it into the swing); the planned stance fraction is shortened by this fraction of the
#: stride so that the truth's contact time matches ``contact_time(v)`` (measured on the model; checked
#: in tests/test_simulator_running.py)
CONTACT_MARGIN = {"forward": 0.10, "backward": 0.125}


def contact_time(direction: str, speed: float) -> float:
    """Nominal ground-contact time (s) of a running foot at ``speed`` (m/s)."""
    return float(CONTACT_2MS[direction] * (max(speed, 0.5) / 2.0) ** CONTACT_EXP)


def run_style(direction: str, speed: float, cadence: float, strike: str | None) -> DirectionStyle:
    """The running style of one bout: phase fractions from the contact time at this speed and cadence,
    angles from the strike pattern (default: rearfoot forward, forefoot backward)."""
    strike = strike or DEFAULT_STRIKE[direction]
    base = RUN_BASE[direction]
    t_stride = 120.0 / cadence
    contact = contact_time(direction, speed) / t_stride  # the truth's contact, fraction of the stride
    duty = float(np.clip(contact - CONTACT_MARGIN[direction], 0.10, 0.45))  # the model's anchored stance
    shape = STRIKE_SHAPE[strike]
    if direction == "forward":
        pitch_tc, ext1 = -21.0, -min(45.0 + 10.0 * speed, 90.0)
        # faster running: more of the loading roll before the anchored landing, less pitch before the
        # model's take-off, so the short flat phase stays nearly still
        ic = shape["ic"] * float(np.clip(1.0 - 0.25 * (speed - 2.0), 0.25, 1.0))
        ext2 = shape["ext2"]
        pitch_tc = pitch_tc * float(np.clip(1.0 - 0.15 * (speed - 2.0), 0.5, 1.0))
        clearance = 0.12 + 0.05 * speed
    else:  # backward running: forefoot landing, heel leaves last with the toe up
        strike = "forefoot"
        shape = STRIKE_SHAPE["forefoot"]
        pitch_tc, ext1, ext2, ic = 7.0, 45.0, -16.0, -8.0
        ic *= float(np.clip(1.0 - 0.25 * (speed - 2.0), 0.25, 1.0))  # as forward: quieter flat phase
        pitch_tc *= float(np.clip(1.0 - 0.15 * (speed - 2.0), 0.5, 1.0))
        clearance = 0.10 + 0.03 * speed
    # foot flat a fixed share of the real contact after the landing (the loading roll must not be
    # squeezed into the model's shorter anchored stance), then a nearly still flat phase (flat_share of
    # the contact, shorter at speed), the rest is the push-off roll (at least 35 % of the model's stance)
    # (at least LOAD_MIN s: a faster slap would stop with an unrealistic jolt at the sensor)
    f_ff = min(max((shape["ff"] if direction == "forward" else 0.16) * contact, LOAD_MIN / t_stride), 0.35 * duty)
    flat = min(flat_share(speed) * contact, 0.65 * duty - f_ff)
    swing = (1.0 - duty) * t_stride  # the model's swing, s
    knots = (KICK_KNOT, max(1.0 - turn_lead(speed) / swing, 0.8))
    return DirectionStyle(
        speed=base.speed, cadence_ref=base.cadence_ref, cadence_exp=base.cadence_exp,
        pitch_tc=pitch_tc, pitch_ext1=ext1, pitch_ext2=ext2, pitch_ic=ic,
        f_ff=f_ff, f_ho=f_ff + flat, f_tc=duty,
        cv_stride_time=base.cv_stride_time, cv_stride_length=base.cv_stride_length, clearance=clearance,
        impact_mm=shape["impact_mm"], impact_s=shape["impact_s"], stance_roll=RUN_STANCE_ROLL,
        strike=strike, swing_knots=knots, stance_evert=RUN_EVERSION, swing_roll=RUN_SWING_ROLL,
    )
