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
  midfoot, < -1.6 deg forefoot): rearfoot lands toe-up (+14 deg) and rolls about the heel to flat in
  ~20 % of the contact, midfoot nearly flat (+2 deg, 10 %), forefoot toe-down (-10 deg) with the heel
  lowered in ~25 % of the contact. Backward running lands on the forefoot and leaves from the heel,
  toe up (close to time-reversed forward running);
* push-off: sole angle -38 deg at take-off forward (+16 deg, toe up, backward); early swing the heel
  kicks up toward the buttocks (sole -(50 + 10 v) deg, at most -95 deg), late swing the foot comes
  forward; the swing's angular rate peaks at 11-27 rad/s forward (2-5 m/s), 7-10 rad/s backward;
* impact: the sensor bounces on the shoe from the first touch (a damped down-up oscillation, 22 ms):
  peaks of about 6-12 g rearfoot, 5-12 g midfoot, 4-7 g forefoot and backward at the sensor (2-5 m/s),
  so landings may clip a narrower range (the truth says which strides had clipped samples);
* the stance never rests: the foot keeps rolling (eversion then inversion about its heel-ball line) at
  ``stance_roll`` = 0.8 rad/s through the flat phase.

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
FLAT_SHARE = 0.25  # share of the model's stance after foot flat spent flat (rolling) before the push-off
DEFAULT_STRIKE = {"forward": "rearfoot", "backward": "forefoot"}
RUN_STANCE_ROLL = 0.8  # rad/s

#: per strike: sole angle at contact and just before (late-swing extreme), deg; fraction of the contact
#: time from the landing to foot flat; impact bounce amplitude (mm) and duration (s)
STRIKE_SHAPE = {
    "rearfoot": dict(ic=12.0, ext2=15.0, ff=0.22, impact_mm=0.26, impact_s=0.022),
    "midfoot": dict(ic=1.0, ext2=2.0, ff=0.10, impact_mm=0.20, impact_s=0.022),
    "forefoot": dict(ic=-12.0, ext2=-9.0, ff=0.25, impact_mm=0.13, impact_s=0.022),
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
        pitch_tc, ext1 = -28.0, -min(50.0 + 10.0 * speed, 95.0)
        ic, ext2 = shape["ic"], shape["ext2"]
        clearance = 0.12 + 0.05 * speed
    else:  # backward running: forefoot landing, heel leaves last with the toe up
        strike = "forefoot"
        shape = STRIKE_SHAPE["forefoot"]
        pitch_tc, ext1, ic, ext2 = 12.0, 35.0, -12.0, -15.0
        clearance = 0.10 + 0.03 * speed
    # foot flat a fixed share of the real contact after the landing (the loading roll must not be
    # squeezed into the model's shorter anchored stance); the flat phase takes FLAT_SHARE of the rest
    f_ff = min(shape["ff"] * contact, 0.5 * duty)
    return DirectionStyle(
        speed=base.speed, cadence_ref=base.cadence_ref, cadence_exp=base.cadence_exp,
        pitch_tc=pitch_tc, pitch_ext1=ext1, pitch_ext2=ext2, pitch_ic=ic,
        f_ff=f_ff, f_ho=f_ff + FLAT_SHARE * (duty - f_ff), f_tc=duty,
        cv_stride_time=base.cv_stride_time, cv_stride_length=base.cv_stride_length, clearance=clearance,
        impact_mm=shape["impact_mm"], impact_s=shape["impact_s"], stance_roll=RUN_STANCE_ROLL,
        strike=strike,
    )
