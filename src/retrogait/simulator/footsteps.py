"""Footstep planning: from scenario segments to footprints and stride timing for both feet.

The walker is tracked as a body point (between the feet), a facing heading and each foot's current
footprint (heel contact point and flat orientation, world frame). A walking bout is a sequence of steps
alternating between the feet; each step puts the stepping foot on a new footprint at its mid-stance
time ``m_j``. A foot's stride runs from its previous mid-stance to the new one; the gait events inside
it follow the direction's phase fractions (IC at 0, foot-flat ``f_ff``, pre-swing roll ``f_ho``,
terminal contact ``f_tc``, next IC at 1, mid-stance = middle of the flat phase).

Variability: step durations and lengths get AR(1) fluctuations scaled so that the *stride* CVs match the
requested ones. On a treadmill the walker's fore-aft position on the belt wanders as an AR(1) process,
so the stride lengths average ``belt speed x stride time`` and the walker never leaves the belt.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial.transform import Rotation

from retrogait.simulator.footmodel import FootGeometry
from retrogait.simulator.profiles import ar1, power_law_noise
from retrogait.simulator.running import RUN_BASE, run_style
from retrogait.simulator.scenario import STYLES, Scenario, Stand, Turn, Walk

TRAVEL_OFFSET = {"forward": 0.0, "backward": np.pi, "sideways_left": np.pi / 2,
                 "sideways_right": -np.pi / 2, "in_place": 0.0}
SIDE = {"left": 1.0, "right": -1.0}
MIN_PITCH = np.deg2rad(1.0)


def resolve_speed(direction: str, speed: float | None, cadence: float | None,
                  stride_length: float | None, gait: str | None = None) -> tuple[float, float, float]:
    """(speed m/s, cadence steps/min, stride length m) from any two, one or none of them (``gait="run"``:
    running's speed-cadence relation)."""
    st = RUN_BASE[direction] if gait == "run" else STYLES[direction]
    for name, x in (("speed", speed), ("cadence", cadence), ("stride_length", stride_length)):
        if x is not None and x <= 0:
            raise ValueError(f"{name} must be positive, got {x}")
    if speed is not None and cadence is not None and stride_length is not None:
        if abs(speed - stride_length * cadence / 120.0) > 0.01 * speed:
            raise ValueError("speed, cadence and stride_length disagree (speed = length * cadence / 120)")
    elif speed is not None and cadence is not None:
        stride_length = 120.0 * speed / cadence
    elif speed is not None and stride_length is not None:
        cadence = 120.0 * speed / stride_length
    elif cadence is not None and stride_length is not None:
        speed = stride_length * cadence / 120.0
    elif speed is not None:
        cadence = st.cadence_ref * speed**st.cadence_exp
        stride_length = 120.0 * speed / cadence
    elif cadence is not None:
        speed = (cadence / st.cadence_ref) ** (1.0 / st.cadence_exp)
        stride_length = 120.0 * speed / cadence
    elif stride_length is not None:
        speed = (stride_length * st.cadence_ref / 120.0) ** (1.0 / (1.0 - st.cadence_exp))
        cadence = 120.0 * speed / stride_length
    else:
        speed = st.speed
        cadence = st.cadence_ref * speed**st.cadence_exp
        stride_length = 120.0 * speed / cadence
    return float(speed), float(cadence), float(stride_length)


def _rz(yaw: float) -> np.ndarray:
    c, s = np.cos(yaw), np.sin(yaw)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _turn_progress(n_steps: int) -> np.ndarray:
    """Fraction of a bout's heading change reached at each step (0 at the start; the last two steps,
    one per foot, both reach the full turn so the feet end side by side facing the new way)."""
    return np.minimum(np.arange(n_steps + 1) / (n_steps - 1), 1.0)


def tilt_matrix(travel_yaw: float, grade_pct: float) -> np.ndarray:
    """Rotation tilting the level ground so it rises by ``grade_pct`` % along ``travel_yaw``."""
    if grade_pct == 0.0:
        return np.eye(3)
    u = np.array([np.cos(travel_yaw), np.sin(travel_yaw), 0.0])
    axis = np.cross([0.0, 0.0, 1.0], u)
    return Rotation.from_rotvec(-np.arctan(grade_pct / 100.0) * axis).as_matrix()


@dataclass
class FootState:
    heel: np.ndarray
    rflat: np.ndarray
    grade_pct: float = 0.0
    last_m: float | None = None  # mid-stance time of the current footprint within the bout


@dataclass
class StrideRecord:
    """One planned stride of one foot (see :class:`retrogait.simulator.truth.Truth` for meanings)."""

    foot: str
    t_start: float
    t_end: float
    events: tuple[float, float, float, float]  # t_ho, t_tc, t_ic, t_ff
    pitch: tuple[float, float, float, float]  # rad: tc, ext1, ext2, ic (relative to ground)
    heel_a: np.ndarray
    rflat_a: np.ndarray
    heel_b: np.ndarray
    rflat_b: np.ndarray
    clearance: float
    lateral: float
    roll: float
    impact: float
    impact_time: float
    direction: str
    segment: int
    bout: int
    grade_pct: float
    first: bool = False
    last: bool = False
    gait: str = "walk"
    strike: str = ""  # running strides: rearfoot / midfoot / forefoot ("" = from the direction)
    stance_roll: float = 0.0  # rad/s, roll rate through the flat phase of the stance after the landing
    impact_lead: float | None = None  # s before the model's landing at which the bounce starts
    swing_knots: tuple[float, float] = (0.15, 0.88)  # swing fractions of the two pitch extremes
    stance_evert: float = 0.0  # rad, roll (eversion, signed like stance_roll) reached at foot flat


@dataclass
class Plan:
    """All planned strides (both feet, in time order per foot) and the session length."""

    strides: list[StrideRecord] = field(default_factory=list)
    initial: dict[str, FootState] = field(default_factory=dict)
    duration: float = 0.0
    segments: list[dict] = field(default_factory=list)


class Planner:
    """Turns scenario segments into a :class:`Plan` (one pass, seeded)."""

    def __init__(self, scenario: Scenario, rng: np.random.Generator, day_factor: float = 1.0) -> None:
        self.sc = scenario
        self.p = scenario.person
        self.rng = rng
        self.day_factor = day_factor
        self.geom = FootGeometry(ball=self.p.ball, r_sensor=tuple(self.p.r_sensor))
        self.t = 0.0
        self.heading = 0.0
        self.body = np.zeros(3)
        self.bout = -1
        self.feet: dict[str, FootState] = {}
        for foot in ("left", "right"):
            yaw = SIDE[foot] * np.deg2rad(self.p.toe_out_deg)
            rflat = _rz(yaw)
            mid = np.array([0.0, SIDE[foot] * self.p.step_width / 2, 0.0])
            self.feet[foot] = FootState(mid - rflat @ [self.p.ball / 2, 0, 0], rflat)
        self.plan = Plan(initial={f: FootState(s.heel.copy(), s.rflat.copy()) for f, s in self.feet.items()})

    # ------------------------------------------------------------------ segments
    def run(self) -> Plan:
        for i, seg in enumerate(self.sc.segments):
            t0 = self.t
            if isinstance(seg, Stand):
                if seg.seconds < 0:
                    raise ValueError(f"Stand seconds must be >= 0, got {seg.seconds}")
                self.t += seg.seconds
                kind = "stand"
            elif isinstance(seg, Walk):
                self._walk(i, seg)
                kind = seg.direction
            elif isinstance(seg, Turn):
                self._turn(i, seg)
                kind = "turn"
            else:
                raise TypeError(f"unknown segment {seg!r}")
            self.plan.segments.append({"index": i, "kind": kind, "t_start": t0, "t_end": self.t})
        self.plan.duration = self.t
        return self.plan

    def _env(self, seg: Walk) -> tuple[bool, float]:
        env = self.sc.environment
        treadmill = env.treadmill if seg.treadmill is None else seg.treadmill
        grade = env.grade_pct if seg.grade_pct is None else seg.grade_pct
        if not -30.0 <= grade <= 40.0:
            raise ValueError(f"grade must be between -30 and 40 %, got {grade}")
        return treadmill, grade

    def _walk(self, index: int, seg: Walk) -> None:
        st = STYLES[seg.direction]
        speed, cadence, length = resolve_speed(seg.direction, seg.speed, seg.cadence, seg.stride_length,
                                               seg.gait)
        if seg.cadence is None and (seg.speed is None or seg.stride_length is None):
            # the person's preferred cadence of the day (not when the bout fixes it)
            cadence *= self.day_factor
            if seg.stride_length is not None:
                speed = length * cadence / 120.0
            else:
                length = 120.0 * speed / cadence
        if seg.running:
            st = run_style(seg.direction, speed, cadence, seg.strike)
        roll_rate = st.stance_roll if seg.stance_roll is None else float(seg.stance_roll)
        t_stride = 120.0 / cadence
        if seg.n_strides is not None:
            n = int(seg.n_strides)
        elif seg.duration is not None:
            n = int(round(seg.duration / t_stride))
        else:
            n = 20
        if n < 1:
            raise ValueError("a Walk needs at least one stride (n_strides or duration too small)")
        treadmill, grade = self._env(seg)
        sideways = seg.direction.startswith("sideways")
        lead = ("left" if seg.direction == "sideways_left" else "right") if sideways else self.p.lead_foot
        other = "right" if lead == "left" else "left"
        n_steps = 2 * n
        rho = self.p.persistence
        vs = self.p.variability_scale
        cv_t = (st.cv_stride_time if seg.cv_stride_time is None else seg.cv_stride_time) * vs
        cv_l = (st.cv_stride_length if seg.cv_stride_length is None else seg.cv_stride_length) * vs
        # step-level fluctuations whose two-step sums have the requested stride CV
        step_scale = np.sqrt(2.0 / (1.0 + rho))
        z = self._fluctuations(n_steps)
        w = 0.4 * z + np.sqrt(1 - 0.16) * self._fluctuations(n_steps)
        tau = t_stride / 2.0 * np.clip(1.0 + cv_t * step_scale * z, 0.5, 1.5)
        travel0 = self.heading + TRAVEL_OFFSET[seg.direction]
        tilt = tilt_matrix(travel0, grade) if treadmill or grade else np.eye(3)
        # mid-stance times of the steps
        m = np.empty(n_steps + 1)
        m[0] = self.t
        m[1] = self.t + t_stride
        m[2:] = m[1] + np.cumsum(tau[1:])
        # progress along the travel line (plane coordinates) at each step
        if sideways:
            lengths = np.where(np.arange(1, n_steps + 1) % 2 == 1, length, 0.0)
            lengths = lengths * np.clip(1.0 + cv_l * w, 0.5, 1.5)
            x = np.concatenate([[0.0], np.cumsum(lengths)])
        elif treadmill:
            resid = max(cv_l**2 - cv_t**2, 0.0)
            sd_d = length * np.sqrt(resid / (2.0 * (1.0 - rho**2)))
            d = sd_d * ar1(self.rng, n_steps + 1, rho)
            x = speed * (m - m[1]) + length / 2.0 + (d - d[1])
            x[0] = 0.0
        else:
            lengths = length / 2.0 * np.clip(1.0 + cv_l * step_scale * w, 0.5, 1.5)
            x = np.concatenate([[0.0], np.cumsum(lengths)])
        if not sideways:
            x[-1] = x[-2]  # the closing step brings the feet side by side
        headings = self.heading + np.deg2rad(seg.turn_deg) * _turn_progress(n_steps)
        self._steps(index, seg.direction, st, m, x, headings, tilt, lead, other, t_stride, grade,
                    seg.clearance, "run" if seg.running else "walk", roll_rate, seg.impact)

    def _fluctuations(self, n: int) -> np.ndarray:
        """Unit-variance stride-to-stride fluctuations: AR(1) or 1/f-like (DFA exponent ``dfa_alpha``)."""
        if self.p.fluctuation == "ar1":
            return ar1(self.rng, n, self.p.persistence)
        if self.p.fluctuation == "power-law":
            return power_law_noise(self.rng, n, self.p.dfa_alpha)
        raise ValueError(f"fluctuation must be 'ar1' or 'power-law', got {self.p.fluctuation!r}")

    def _turn(self, index: int, seg: Turn) -> None:
        st = STYLES["in_place"]
        n = seg.n_strides or max(1, int(np.ceil(abs(seg.angle_deg) / 90.0)))
        cadence = seg.cadence or st.cadence_ref
        t_stride = 120.0 / cadence
        n_steps = 2 * n
        tau = t_stride / 2.0 * np.clip(1.0 + 0.03 * self.rng.standard_normal(n_steps), 0.7, 1.3)
        m = np.empty(n_steps + 1)
        m[0], m[1] = self.t, self.t + t_stride
        m[2:] = m[1] + np.cumsum(tau[1:])
        x = np.zeros(n_steps + 1)
        headings = self.heading + np.deg2rad(seg.angle_deg) * _turn_progress(n_steps)
        lead = "left" if seg.angle_deg >= 0 else "right"
        other = "right" if lead == "left" else "left"
        self._steps(index, "in_place", st, m, x, headings, np.eye(3), lead, other, t_stride, 0.0, None)

    # ------------------------------------------------------------------ steps -> strides
    def _steps(self, index, direction, st, m, x, headings, tilt, lead, other, t_stride, grade,
               clearance, gait: str = "walk", roll_rate: float = 0.0, impact_scale: float | None = None
               ) -> None:
        p, rng = self.p, self.rng
        self.bout += 1
        body0 = self.body.copy()
        travel = headings + TRAVEL_OFFSET[direction]
        # body positions in the (tilted) ground plane, relative to the bout start
        seg_xy = np.cumsum(
            np.column_stack([np.diff(x) * np.cos(travel[1:]), np.diff(x) * np.sin(travel[1:])]), axis=0
        )
        seg_xy = np.vstack([[0.0, 0.0], seg_xy])
        n_steps = len(m) - 1
        first_seen: set[str] = set()
        clear_mean = st.clearance if clearance is None else clearance
        for j in range(1, n_steps + 1):
            foot = lead if j % 2 == 1 else other
            side = SIDE[foot]
            h = headings[j]
            lat = side * p.step_width / 2 + p.lateral_sd * rng.standard_normal()
            mid_plane = np.array([seg_xy[j, 0] - lat * np.sin(h), seg_xy[j, 1] + lat * np.cos(h), 0.0])
            yaw = h + side * np.deg2rad(p.toe_out_deg) + np.deg2rad(p.heading_sd_deg) * rng.standard_normal()
            rflat = tilt @ _rz(yaw)
            mid_world = body0 + tilt @ mid_plane
            heel = mid_world - rflat @ np.array([p.ball / 2, 0.0, 0.0])
            fs = self.feet[foot]
            first = foot not in first_seen
            first_seen.add(foot)
            big_t = t_stride if first or fs.last_m is None else m[j] - fs.last_m
            t_ic = m[j] - (st.f_ff + st.f_ho) / 2 * big_t
            t_ff = t_ic + st.f_ff * big_t
            t_tc = t_ic - (1.0 - st.f_tc) * big_t
            t_ho = t_tc - (st.f_tc - st.f_ho) * big_t
            jit = np.deg2rad(p.pitch_sd_deg) * rng.standard_normal(2)
            nominal = np.deg2rad([st.pitch_tc, st.pitch_ext1, st.pitch_ext2, st.pitch_ic])
            jittered = nominal + np.array([jit[0], jit[0], jit[1], jit[1]])
            # keep each angle's sign (it decides the contact point: toe when toe-down, else heel)
            pitch = tuple(np.where(nominal < 0, np.minimum(jittered, -MIN_PITCH),
                                   np.maximum(jittered, MIN_PITCH)))
            # the per-step draws, in their original order (walking output stays bit-identical)
            z_clear, z_lat, z_roll, z_imp = (rng.standard_normal() for _ in range(4))
            if st.impact_mm is None:
                impact = p.impact_mm / 1000.0 * st.impact * max(1.0 + 0.2 * z_imp, 0.2)
                impact_time = p.impact_s
            else:  # running: the landing's own shock on the sensor
                impact = st.impact_mm / 1000.0 * max(1.0 + 0.2 * z_imp, 0.2)
                impact_time = float(st.impact_s)
            if impact_scale is not None:
                impact *= impact_scale
            rec = StrideRecord(
                foot=foot, t_start=m[j] - big_t, t_end=m[j], events=(t_ho, t_tc, t_ic, t_ff),
                pitch=pitch, heel_a=fs.heel.copy(), rflat_a=fs.rflat.copy(), heel_b=heel, rflat_b=rflat,
                clearance=max(clear_mean * (1.0 + p.clearance_cv * z_clear), 0.0),
                lateral=p.swing_lateral * side * (1.0 + 0.2 * z_lat),
                roll=np.deg2rad(p.roll_deg) * st.swing_roll * side * (1.0 + 0.2 * z_roll),
                impact=impact, impact_time=impact_time,
                direction=direction, segment=index, bout=self.bout, grade_pct=float(grade), first=first,
                gait=gait, strike=st.strike or "", swing_knots=tuple(st.swing_knots),
            )
            jitter = 1.0
            if roll_rate > 0.0:  # extra draws only for rolling stances
                # eversion is a positive roll about +x for the left foot, negative for the right
                jitter = float(np.clip(1.0 + 0.1 * rng.standard_normal(), 0.75, 1.25))
                rec.stance_roll = side * roll_rate * jitter
            if st.stance_evert:  # running: the foot everts (pronates) while it is lowered to flat
                rec.stance_evert = side * np.deg2rad(st.stance_evert) * jitter
            self.plan.strides.append(rec)
            self.feet[foot] = FootState(heel, rflat, grade, m[j])
        # mark each foot's last stride of the bout
        for foot in (lead, other):
            for rec in reversed(self.plan.strides):
                if rec.foot == foot and rec.bout == self.bout:
                    rec.last = True
                    break
        for fs in self.feet.values():
            fs.last_m = None
        self.body = body0 + tilt @ np.array([seg_xy[-1, 0], seg_xy[-1, 1], 0.0])
        self.heading = float(headings[-1])
        self.t = float(m[-1])


def plan_session(scenario: Scenario, rng: np.random.Generator, day_factor: float = 1.0) -> Plan:
    """Plan every stride of ``scenario`` (both feet; the caller picks the recorded ones);
    ``day_factor`` multiplies the preferred cadence of every bout that does not fix it."""
    return Planner(scenario, rng, day_factor).run()
