"""Scenario description: what the simulated person does, where, and what sensor records it.

A :class:`Scenario` is a list of segments run one after the other:

* :class:`Walk` -- a walking (or, with ``gait="run"``, running) bout: ``direction`` forward / backward /
  sideways_left / sideways_right (running: forward / backward),
  ``n_strides`` (per foot) or ``duration``, two of ``speed`` / ``cadence`` / ``stride_length`` (the
  third follows; with one or none the direction's speed-cadence relation fills in), a heading change
  ``turn_deg`` spread over the bout (a curving path), and optionally its own treadmill / grade; a running
  bout has a foot-strike pattern ``strike`` (rearfoot / midfoot / forefoot) and a flight phase, and any
  bout can have a rolling stance (``stance_roll``, rad/s: the foot keeps rotating through mid-stance);
* :class:`Stand` -- standing still, both feet flat;
* :class:`Turn` -- turning on the spot (small stepping strides, direction ``in_place``);
* :func:`SideStep` -- shorthand for a sideways :class:`Walk`.

Each bout starts and ends with the feet side by side, so the leading foot's first stride and the
trailing foot's last stride are about half a stride long (as in real gait initiation and termination).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

import numpy as np

from retrogait.definitions import (
    DIRECTIONS as DIRECTIONS,  # re-exported (retrogait.simulator.DIRECTIONS)
)
from retrogait.definitions import RUN_DIRECTIONS, WALK_DIRECTIONS

GAITS = ("walk", "run")
STRIKES = ("rearfoot", "midfoot", "forefoot")


@dataclass(frozen=True)
class DirectionStyle:
    """How a person walks in one direction (defaults; every field can be overridden per bout)."""

    speed: float  # m/s, default speed
    cadence_ref: float  # steps/min at 1 m/s (speed-cadence power law)
    cadence_exp: float  # cadence = cadence_ref * speed ** cadence_exp
    pitch_tc: float  # deg, sole angle at terminal contact (positive = toe up)
    pitch_ext1: float  # deg, first swing extreme (just after take-off)
    pitch_ext2: float  # deg, second swing extreme (just before landing)
    pitch_ic: float  # deg, sole angle at initial contact
    f_ff: float  # fraction of the stride (from the model's contact) at foot flat
    f_ho: float  # ... at the start of the pre-swing roll (heel-off forward, toe-lift backward)
    f_tc: float  # ... where the contact point starts to rise (the sole leaves the ground a few tens of
    # ms later, at the truth's t_tc; likewise the truth's t_ic is the first touch, a few tens of ms
    # before the foot is loaded: the resulting stance fractions are ~0.63 forward, ~0.65 backward)
    cv_stride_time: float
    cv_stride_length: float
    clearance: float  # m, sensor-point clearance (see Truth.clearance)
    impact: float = 1.0  # relative strength of the contact impact (heel strike 1, softer landings less)
    # running styles only (see retrogait.simulator.running): the landing's shock on the sensor, which
    # does not depend on Person.impact_mm, and the default residual rotation through mid-stance
    impact_mm: float | None = None  # amplitude of the sensor's bounce at the landing, mm
    impact_s: float | None = None  # its duration, s
    stance_roll: float = 0.0  # rad/s, default residual roll rate through mid-stance
    strike: str | None = None  # rearfoot / midfoot / forefoot (running styles)
    swing_knots: tuple[float, float] = (0.15, 0.88)  # where in the swing the two pitch extremes sit
    stance_evert: float = 0.0  # deg, eversion (roll) reached at foot flat (running: pronation)
    swing_roll: float = 1.0  # multiplier of Person.roll_deg (the swing's roll hump)


#: Realistic defaults. Forward: heel strike toe-up, toe-off toe-down (the real gaitmap example, healthy,
#: 1.3 m/s, shows about +19 deg at IC, -62 deg at TC, swing 33-37% of the stride). Backward (close to
#: time-reversed forward walking, Lee 2013): toe lands first toe-down, slow lowering of the heel, the
#: heel leaves last with the toe up; shorter strides, higher cadence at a given speed, more variable.
STYLES: dict[str, DirectionStyle] = {
    "forward": DirectionStyle(1.2, 102.0, 0.30, -48, -55, 22, 19, 0.10, 0.33, 0.56, 0.020, 0.025, 0.12),
    "backward": DirectionStyle(0.6, 126.0, 0.45, 18, 25, -32, -25, 0.22, 0.46, 0.57, 0.035, 0.045, 0.09, 0.6),
    "sideways_left": DirectionStyle(0.35, 106.0, 0.30, -10, -13, -5, -3, 0.12, 0.40, 0.56, 0.04, 0.06, 0.07,
                                    0.4),
    "sideways_right": DirectionStyle(0.35, 106.0, 0.30, -10, -13, -5, -3, 0.12, 0.40, 0.56, 0.04, 0.06, 0.07,
                                     0.4),
    "in_place": DirectionStyle(0.0, 90.0, 0.0, -8, -11, -4, -2, 0.12, 0.40, 0.56, 0.04, 0.0, 0.06, 0.3),
}


@dataclass
class Walk:
    """A walking bout. Give ``n_strides`` (per foot) or ``duration`` (s); default 20 strides.

    ``gait="run"`` makes it a running bout (forward or backward, 2-5 m/s typical; flight phase, short
    contact, see :mod:`retrogait.simulator.running`) with the foot-strike pattern ``strike``
    (``rearfoot`` / ``midfoot`` / ``forefoot``; default rearfoot forward, forefoot backward).
    ``stance_roll`` (rad/s, e.g. 0.1-0.4 for fast walking): the foot never comes to rest in stance but
    keeps rolling (eversion then inversion about its heel-ball line) at about this rate through the
    flat phase; running bouts default to 0.2 rad/s (a nearly still, nearly flat mid-stance, as in real
    running recordings), walking bouts to 0 (still stance).
    """

    direction: str = "forward"
    n_strides: int | None = None
    duration: float | None = None
    speed: float | None = None
    cadence: float | None = None
    stride_length: float | None = None
    turn_deg: float = 0.0
    treadmill: bool | None = None
    grade_pct: float | None = None
    cv_stride_time: float | None = None
    cv_stride_length: float | None = None
    clearance: float | None = None
    gait: str | None = None
    """``walk`` (default) or ``run``."""
    strike: str | None = None
    """Running foot strike: ``rearfoot``, ``midfoot`` or ``forefoot`` (running bouts only)."""
    stance_roll: float | None = None
    """Residual foot rotation through mid-stance, rad/s (0 = the foot rests flat)."""
    impact: float | None = None
    """Multiplier of the landing shock on the sensor (running: of the strike's default bounce, 1 gives
    peaks of ~5-12 g, 3 gives ~15-25 g and clips a +-16 g sensor at most landings; walking: of
    ``Person.impact_mm``)."""

    def __post_init__(self) -> None:
        if self.direction not in WALK_DIRECTIONS:
            raise ValueError(f"Walk direction must be one of {WALK_DIRECTIONS}, got {self.direction!r}")
        _numbers(self, "speed", "cadence", "stride_length", "duration", "turn_deg", "grade_pct",
                 "cv_stride_time", "cv_stride_length", "clearance", "n_strides", "stance_roll", "impact")
        if self.gait is not None and self.gait not in GAITS:
            raise ValueError(f"Walk gait must be one of {GAITS}, got {self.gait!r}")
        if self.gait == "run" and self.direction not in RUN_DIRECTIONS:
            raise ValueError(f"running bouts go forward or backward, not {self.direction!r}")
        if self.strike is not None:
            if self.strike not in STRIKES:
                raise ValueError(f"Walk strike must be one of {STRIKES}, got {self.strike!r}")
            if self.gait != "run":
                raise ValueError("Walk strike applies to running bouts (gait='run')")
            if self.direction == "backward" and self.strike != "forefoot":
                raise ValueError("backward running lands on the forefoot (strike='forefoot')")
        if self.impact is not None and not 0.0 <= self.impact <= 10.0:
            raise ValueError(f"Walk impact must be a multiplier between 0 and 10, got {self.impact}")
        if self.stance_roll is not None and not 0.0 <= self.stance_roll <= 3.0:
            raise ValueError(f"Walk stance_roll must be between 0 and 3 rad/s, got {self.stance_roll}")

    @property
    def running(self) -> bool:
        """True for a running bout."""
        return self.gait == "run"
        if self.treadmill is not None and not isinstance(self.treadmill, bool):
            raise ValueError(f"Walk treadmill must be true or false, got {self.treadmill!r}")


def _numbers(obj: object, *names: str) -> None:
    """ValueError unless each named attribute is None or a real number (not a bool or string)."""
    for name in names:
        v = getattr(obj, name)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating))):
            raise ValueError(f"{type(obj).__name__} {name} must be a number, got {v!r}")


@dataclass
class Stand:
    """Standing still for ``seconds``."""

    seconds: float = 5.0

    def __post_init__(self) -> None:
        _numbers(self, "seconds")


@dataclass
class Turn:
    """Turning on the spot by ``angle_deg`` (positive = to the left), ``n_strides`` per foot (default:
    one per 90 degrees, at least one)."""

    angle_deg: float = 180.0
    n_strides: int | None = None
    cadence: float | None = None

    def __post_init__(self) -> None:
        _numbers(self, "angle_deg", "n_strides", "cadence")


def SideStep(side: str = "left", n_strides: int | None = 8, **kw) -> Walk:  # noqa: N802 (builder)
    """A sideways bout toward ``side`` ("left" or "right"): the leading foot opens, the other closes."""
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    return Walk(direction=f"sideways_{side}", n_strides=n_strides, **kw)


Segment = Union[Walk, Stand, Turn]


@dataclass
class Environment:
    """Where the session happens. On a treadmill everything is simulated in the (inertial) belt frame;
    ``grade_pct`` tilts the ground plane so that it rises along the direction of travel (a backward
    walker on an inclined treadmill faces downhill and moves up the belt)."""

    treadmill: bool = False
    grade_pct: float = 0.0

    def __post_init__(self) -> None:
        _numbers(self, "grade_pct")
        if not isinstance(self.treadmill, bool):
            raise ValueError(f"Environment treadmill must be true or false, got {self.treadmill!r}")


@dataclass
class SensorSpec:
    """The IMU(s): rate, mounting and error model. Noise figures are for ``noise = 1`` (a typical
    consumer MEMS IMU); ``noise`` scales all random errors (0 = ideal sensor).

    ``device_id`` makes the sensor a physical device whose constant errors repeat from session to
    session (see :mod:`retrogait.simulator.imu`): scale, misalignment and the constant accelerometer
    bias (``acc_bias_sd``) belong to the unit; each session adds a turn-on accelerometer bias
    (``acc_turnon_bias_sd``) and its own gyro bias. Without it every error is drawn per session."""

    rate: float = 100.0
    mount: np.ndarray | None = None
    """3x3 sensor-to-foot rotation, ``v_foot = mount @ v_sensor`` (default identity)."""
    store_mount: bool = True
    """Write the mount into the recording (like a calibrated recording); False = unknown mount."""
    stored_mount: np.ndarray | None = None
    """The mount written into the recording when ``store_mount`` (default: the true ``mount``), e.g. the
    one ``retrogait calibrate`` learned for this device; the truth keeps the true one."""
    device_id: str | None = None
    """Identity of the sensor kit (one unit per foot, ``"<device_id>:<foot>"``); None = anonymous."""
    noise: float = 1.0
    acc_noise_density: float = 300e-6 * 9.80665  # m/s^2/sqrt(Hz)
    gyr_noise_density: float = np.deg2rad(0.015)  # rad/s/sqrt(Hz)
    acc_bias_sd: float = 0.05  # m/s^2: per session (anonymous sensor), or the unit's constant part
    acc_turnon_bias_sd: float = 0.02  # m/s^2 (~2 mg): session-to-session change of a device's bias
    gyr_bias_sd: float = np.deg2rad(0.5)  # rad/s
    gyr_bias_walk: float = np.deg2rad(0.002)  # rad/s/sqrt(s), slow bias drift
    scale_sd: float = 0.005  # per-axis scale error SD
    misalignment_sd: float = 0.003  # rad, cross-axis
    acc_range: float = 16 * 9.80665  # saturation, m/s^2
    gyr_range: float = np.deg2rad(2000.0)  # rad/s
    quantize: bool = True  # 16-bit output over the range
    dropouts: int = 0  # number of gaps (dropped sample runs)
    dropout_max: float = 0.2  # longest gap, s
    packet_loss: float | None = None
    """Wireless-style packet loss: the fraction of samples lost (e.g. 0.05-0.10) in bursts of
    ``packet_burst`` consecutive samples; None or 0 = none."""
    packet_burst: tuple[int, int] | None = None
    """Shortest and longest burst of lost samples (default (2, 11))."""
    packet_counter: int | None = None
    """Width of the per-sample packet counter in bits, 8 or 16 (wrapping); None = no counter. With
    ``packet_loss`` the counter defaults to 16 bits. The counter of sample ``i`` (of the uninterrupted
    sequence at ``rate``) is ``i mod 2**bits``; see :attr:`SimResult.packets`."""

    def __post_init__(self) -> None:
        _numbers(self, "rate", "noise", "acc_range", "gyr_range", "dropouts", "dropout_max", "acc_bias_sd",
                 "acc_turnon_bias_sd", "packet_loss", "packet_counter")
        if not 10.0 <= self.rate <= 4000.0:
            raise ValueError(f"rate must be between 10 and 4000 Hz, got {self.rate}")
        if self.packet_loss is not None and not 0.0 <= self.packet_loss <= 0.5:
            raise ValueError(f"packet_loss must be a fraction between 0 and 0.5, got {self.packet_loss}")
        if self.packet_counter is not None and self.packet_counter not in (8, 16):
            raise ValueError(f"packet_counter must be 8 or 16 (bits), got {self.packet_counter}")
        if self.packet_burst is not None:
            b = tuple(self.packet_burst)
            if (len(b) != 2 or any(isinstance(x, bool) or not isinstance(x, (int, np.integer)) for x in b)
                    or not 1 <= b[0] <= b[1]):
                raise ValueError(f"packet_burst must be two whole numbers 1 <= shortest <= longest, got {b!r}")
            self.packet_burst = (int(b[0]), int(b[1]))
        if self.device_id is not None and (not isinstance(self.device_id, str) or not self.device_id.strip()):
            raise ValueError(f"device_id must be a non-empty string, got {self.device_id!r}")
        for name in ("mount", "stored_mount"):
            if getattr(self, name) is not None:
                m = np.asarray(getattr(self, name), dtype=float)
                if m.shape != (3, 3) or not np.allclose(m @ m.T, np.eye(3), atol=1e-6) or np.linalg.det(m) < 0:
                    raise ValueError(f"{name} must be a 3x3 proper rotation matrix")
                setattr(self, name, m)

    @property
    def ideal(self) -> bool:
        """True when no error of any kind is added."""
        return self.noise == 0.0 and not self.quantize and self.dropouts == 0 and not self.packet_loss

    @property
    def counter_bits(self) -> int | None:
        """Bits of the packet counter the sensor sends (None: no counter)."""
        if self.packet_counter is not None:
            return int(self.packet_counter)
        return 16 if self.packet_loss else None


def ideal_sensor(rate: float = 100.0, mount: np.ndarray | None = None) -> SensorSpec:
    """A perfect sensor: no noise, bias, scale error, quantization or dropouts (saturation kept)."""
    return SensorSpec(rate=rate, mount=mount, noise=0.0, quantize=False, dropouts=0)


@dataclass
class Person:
    """The walker: geometry and stride-to-stride behaviour shared by all bouts."""

    step_width: float = 0.10  # m, between the feet's centre lines
    toe_out_deg: float = 5.0  # foot progression angle (toes out)
    lateral_sd: float = 0.015  # m, foot placement SD across the walking line
    heading_sd_deg: float = 1.5  # foot yaw scatter per footprint
    fluctuation: str = "ar1"  # stride-to-stride fluctuation model: "ar1" or "power-law" (1/f-like)
    persistence: float = 0.5  # AR(1) lag-1 correlation of stride-to-stride fluctuations
    dfa_alpha: float = 0.8  # scaling exponent of the "power-law" model (0.5 white ... 1.0 pink)
    clearance_cv: float = 0.06
    pitch_sd_deg: float = 1.5
    swing_lateral: float = 0.02  # m, lateral bulge of the swing path
    roll_deg: float = 4.0  # roll hump during swing
    sole_compression: float = 0.004  # m: heel pad + shoe sole; contact events are when the contact
    # point is this close to its loaded stance position (first touch / last touch of the ground)
    impact_mm: float = 0.0  # sensor bounce on the shoe at a heel strike, mm (0 = none; 0.5 gives ~2.5 g
    # peaks; off by default because below ~200 Hz such a short transient is under-sampled)
    impact_s: float = 0.05  # its duration, s
    ball: float = 0.19  # heel-to-ball length, m
    r_sensor: tuple[float, float, float] = (0.12, 0.0, 0.07)  # heel -> sensor lever arm, m
    lead_foot: str = "left"
    variability_scale: float = 1.0  # multiplies every bout's stride time / length CV
    day_to_day_cv: float = 0.015  # session-to-session SD of the preferred cadence (one factor per
    # simulated session, for bouts that do not fix the cadence; on a treadmill the stride length follows)


@dataclass
class Scenario:
    """A whole session: segments, environment, sensor(s), person and recording metadata."""

    segments: list[Segment] = field(default_factory=lambda: [Stand(2.0), Walk(n_strides=20), Stand(2.0)])
    environment: Environment = field(default_factory=Environment)
    sensor: SensorSpec = field(default_factory=SensorSpec)
    person: Person = field(default_factory=Person)
    feet: tuple[str, ...] = ("left",)
    subject: str = "sim-001"
    start_time: str = "2026-01-05T09:00:00Z"
    name: str = "custom"
    notes: str = ""

    def __post_init__(self) -> None:
        feet = tuple(self.feet)
        if not feet or any(f not in ("left", "right") for f in feet) or len(set(feet)) != len(feet):
            raise ValueError(f"feet must be ('left',), ('right',) or ('left', 'right'), got {self.feet!r}")
        self.feet = feet
