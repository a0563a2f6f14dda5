"""The foot as a rigid body rolling on the ground: pose, velocity and acceleration of the sensor point.

Geometry (foot frame: x toes, y left, z up; origin = the heel's contact point on the sole):

* heel contact point ``(0, 0, 0)``, toe (ball) contact point ``(ball, 0, 0)``;
* the sensor point (the IMU on the instep) at the lever arm ``r_sensor``, some cm above and ahead of
  the heel.

One stride of one foot (from the flat stance on footprint *a* to the flat stance on footprint *b*):

1. flat stance on *a* (foot at rest, pitch 0 relative to the ground);
2. pre-swing roll, ``t_ho .. t_tc``: the foot pitches about its last contact point while that point
   stays on the ground (toe when the pitch is negative, i.e. toe down: forward walking; heel when the
   pitch is positive, toe up: backward walking);
3. swing, ``t_tc .. t_ic``: a virtual *anchor* point glides from the take-off contact point to the landing
   contact point of *b* (quintic smoothstep), lifted by a one-hump height profile and a small lateral
   excursion; the foot's flat orientation turns from *a* to *b* (yaw and ground tilt) about one fixed
   axis; pitch follows a C2 quintic-Hermite profile through the take-off angle, two swing extremes and
   the landing angle; a small roll hump;
4. loading roll, ``t_ic .. t_ff``: the foot pitches back to flat about its first contact point (heel
   when landing toe up: forward; toe when landing toe down: backward); optionally, right after contact,
   the sensor bounces on the shoe (a C2 down-up wobble of a fraction of a mm along the foot's z axis,
   tens of ms: the short impact peak of real recordings; ``Person.impact_mm``);
5. flat stance on *b*.

Rolling stance (running, fast walking; ``StridePlan.roll_t`` set): the flat phase is not at rest. Each
stance has a roll profile ``phi(t)`` about the foot's heel-ball line (its x axis through both contact
points, so heel and ball stay on the ground: eversion, then inversion before the push-off), a C2
quintic Hermite with knots at the model's landing ``t_ic`` (0), foot flat ``t_ff`` (rate ``w``; running
adds the eversion reached while the foot is lowered, ``StrideRecord.stance_evert``, ~4 deg), the next
``t_ho`` (rate ``w``, linear in between) and the next ``t_tc`` (0). The foot's angular rate through the
flat phase is then ``w`` (the requested ``stance_roll``), never zero.

Sensor position ``p = A(t) + R(t) (r_sensor - r_contact(t))`` where ``A`` is the anchor and
``r_contact`` blends from the take-off to the landing contact point. Every piece is C2 and has analytic
derivatives, so ``p``, ``p_dot``, ``p_ddot``, ``R``, ``omega`` and ``alpha`` are exact at any time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrogait.simulator.profiles import bump, quintic_hermite, smoothstep, wobble
from retrogait.simulator.rotations import AxisFactor, ConstFactor, axis_matrix, chain, cross, rotate

Y_AXIS = np.array([0.0, 1.0, 0.0])
X_AXIS = np.array([1.0, 0.0, 0.0])
Z_AXIS = np.array([0.0, 0.0, 1.0])
IMPACT_LEAD = 0.035  # s, the impact bounce starts this long before the anchor lands


@dataclass
class FootGeometry:
    """Foot and sensor geometry in the foot frame (origin at the heel contact point), m."""

    ball: float = 0.19
    """Heel-to-ball distance (the toe rolling point)."""
    r_sensor: tuple[float, ...] = (0.12, 0.0, 0.07)  # x, y, z (m)
    """Lever arm heel -> sensor point (instep, above and ahead of the heel)."""

    def contact_point(self, pitch: np.ndarray) -> np.ndarray:
        """Contact point in the foot frame for a rolling pitch (toe when toe-down, else heel), (K, 3)."""
        pitch = np.asarray(pitch, dtype=float)
        out = np.zeros(pitch.shape + (3,))
        out[..., 0] = np.where(pitch < 0.0, self.ball, 0.0)
        return out


@dataclass
class StridePlan:
    """Per-stride parameters of one foot's strides (all arrays have first dimension K = strides).

    Times in s; angles in rad (pitch positive = toe up, relative to the ground plane); positions in the
    world (belt) frame, m.
    """

    pitch_t: np.ndarray  # (K, 6) knot times: t_ho, t_tc, t_ext1, t_ext2, t_ic, t_ff
    pitch_y: np.ndarray  # (K, 6) knot values: 0, pitch_tc, ext1, ext2, pitch_ic, 0
    pitch_dy: np.ndarray  # (K, 6) knot slopes, rad/s
    pitch_ddy: np.ndarray  # (K, 6) knot curvatures, rad/s^2
    rflat_a: np.ndarray  # (K, 3, 3) flat orientation on footprint a (world <- foot)
    turn_axis: np.ndarray  # (K, 3) world axis of rflat_b @ rflat_a.T
    turn_angle: np.ndarray  # (K,) its angle
    c_tc: np.ndarray  # (K, 3) take-off contact point, world
    c_ic: np.ndarray  # (K, 3) landing contact point, world
    r_tc: np.ndarray  # (K, 3) take-off contact point, foot frame
    r_ic: np.ndarray  # (K, 3) landing contact point, foot frame
    lift: np.ndarray  # (K,) anchor lift height, m
    lateral: np.ndarray  # (K,) lateral swing excursion, m (along the foot's y axis at take-off)
    roll: np.ndarray  # (K,) roll hump amplitude, rad
    impact: np.ndarray  # (K,) sensor bounce at initial contact (along foot z), m
    impact_time: np.ndarray  # (K,) its duration, s (shorter than the loading roll)
    heel_b: np.ndarray  # (K, 3) heel point of the landing footprint, world
    rflat_b: np.ndarray  # (K, 3, 3) flat orientation on the landing footprint
    impact_lead: np.ndarray | None = None  # (K,) the bounce starts this long before t_ic (None: IMPACT_LEAD)
    # rolling stance: (K + 1, 4) knot times / values / slopes / curvatures of the stance roll profile
    # (row 0: none, the foot at rest before the first stride; row k + 1: the stance after stride k's
    # landing); None = every stance is still (walking)
    roll_t: np.ndarray | None = None
    roll_y: np.ndarray | None = None
    roll_dy: np.ndarray | None = None
    roll_ddy: np.ndarray | None = None

    def stance_roll(self, t: np.ndarray, row: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stance roll angle (rad, about the foot x axis), rate and acceleration of profile ``row[i]`` at
        ``t[i]`` (zero where the plan has no rolling stance)."""
        knots, y, dy, ddy = self.roll_t, self.roll_y, self.roll_dy, self.roll_ddy
        if knots is None or y is None or dy is None or ddy is None:
            z = np.zeros(t.shape[0])
            return z, z.copy(), z.copy()
        return quintic_hermite(t, knots[row], y[row], dy[row], ddy[row])

    @property
    def t_ho(self) -> np.ndarray:
        return self.pitch_t[:, 0]

    @property
    def t_tc(self) -> np.ndarray:
        return self.pitch_t[:, 1]

    @property
    def t_ic(self) -> np.ndarray:
        return self.pitch_t[:, 4]

    @property
    def t_ff(self) -> np.ndarray:
        return self.pitch_t[:, 5]


@dataclass
class Kinematics:
    """Exact motion of the sensor point and the foot at sample times (world frame, foot body rates)."""

    pos: np.ndarray  # (N, 3) sensor point position
    vel: np.ndarray  # (N, 3)
    acc: np.ndarray  # (N, 3) kinematic acceleration (no gravity)
    rot: np.ndarray  # (N, 3, 3) world <- foot
    omega: np.ndarray  # (N, 3) foot body rate (foot frame)
    alpha: np.ndarray  # (N, 3) foot body angular acceleration (foot frame)


def stride_motion(
    t: np.ndarray, k: np.ndarray, plan: StridePlan, geom: FootGeometry
) -> Kinematics:
    """Evaluate stride ``k[i]`` of ``plan`` at time ``t[i]`` for every sample (vectorized)."""
    n = t.shape[0]
    t_tc, t_ic = plan.t_tc[k], plan.t_ic[k]
    dur = t_ic - t_tc
    s = (t - t_tc) / dur
    inside = (s > 0.0) & (s < 1.0)
    sig, sig1, sig2 = smoothstep(s)
    sig1 = np.where(inside, sig1, 0.0) / dur
    sig2 = np.where(inside, sig2, 0.0) / dur**2
    hump, hump1, hump2 = bump(s, 1.5)
    hump1, hump2 = hump1 / dur, hump2 / dur**2
    side, side1, side2 = bump(s)
    side1, side2 = side1 / dur, side2 / dur**2

    pitch, pitch1, pitch2 = quintic_hermite(
        t, plan.pitch_t[k], plan.pitch_y[k], plan.pitch_dy[k], plan.pitch_ddy[k]
    )
    roll = plan.roll[k]
    roll0, roll1, roll2 = roll * side, roll * side1, roll * side2
    if plan.roll_t is not None:  # rolling stance: the end of stance a and the start of stance b
        for row in (k, k + 1):
            v0, v1, v2 = plan.stance_roll(t, row)
            roll0, roll1, roll2 = roll0 + v0, roll1 + v1, roll2 + v2
    rot, omega, alpha = chain(
        [
            AxisFactor(plan.turn_axis[k], plan.turn_angle[k] * sig, plan.turn_angle[k] * sig1,
                       plan.turn_angle[k] * sig2),
            ConstFactor(plan.rflat_a[k]),
            AxisFactor(Y_AXIS, -pitch, -pitch1, -pitch2),
            AxisFactor(X_AXIS, roll0, roll1, roll2),
        ],
        n,
    )

    # anchor A(t): glide + lift (world z) + lateral excursion (foot y at take-off)
    d = plan.c_ic[k] - plan.c_tc[k]
    lat_dir = plan.rflat_a[k][:, :, 1]
    lift, lat = plan.lift[k][:, None], plan.lateral[k][:, None]
    a0 = plan.c_tc[k] + d * sig[:, None] + lift * hump[:, None] * Z_AXIS + lat * side[:, None] * lat_dir
    a1 = d * sig1[:, None] + lift * hump1[:, None] * Z_AXIS + lat * side1[:, None] * lat_dir
    a2 = d * sig2[:, None] + lift * hump2[:, None] * Z_AXIS + lat * side2[:, None] * lat_dir

    # lever arm from the (blended) contact point to the sensor, foot frame
    dr = plan.r_ic[k] - plan.r_tc[k]
    rs = np.asarray(geom.r_sensor, dtype=float)
    q0 = rs - plan.r_tc[k] - dr * sig[:, None]
    q1 = -dr * sig1[:, None]
    q2 = -dr * sig2[:, None]
    # the sensor bounces on the shoe for a few tens of ms from the first touch of the ground (the sole
    # is compressed during the last ~35 ms before the anchor arrives)
    dur_i = plan.impact_time[k]
    lead = IMPACT_LEAD if plan.impact_lead is None else plan.impact_lead[k]
    w0, w1, w2 = wobble((t - t_ic + lead) / dur_i)
    amp = plan.impact[k]
    q0[:, 2] += amp * w0
    q1[:, 2] += amp * w1 / dur_i
    q2[:, 2] += amp * w2 / dur_i**2

    wq = cross(omega, q0)
    vel_body = wq + q1
    acc_body = cross(alpha, q0) + cross(omega, wq) + 2.0 * cross(omega, q1) + q2
    pos = a0 + rotate(rot, q0)
    vel = a1 + rotate(rot, vel_body)
    acc = a2 + rotate(rot, acc_body)
    return Kinematics(pos, vel, acc, rot, omega, alpha)


def rolling_flat(t: np.ndarray, row: np.ndarray, plan: StridePlan, heel: np.ndarray, rflat: np.ndarray,
                 geom: FootGeometry) -> Kinematics:
    """The foot in the flat phase of a rolling stance: heel and ball fixed on the footprint (``heel``,
    ``rflat``, per sample), rolling about the heel-ball line by the profile ``row[i]``."""
    n = t.shape[0]
    phi, phi1, phi2 = plan.stance_roll(t, row)
    rot = np.matmul(rflat, axis_matrix(X_AXIS, phi))
    omega = np.zeros((n, 3))
    alpha = np.zeros((n, 3))
    omega[:, 0], alpha[:, 0] = phi1, phi2
    rs = np.broadcast_to(np.asarray(geom.r_sensor, dtype=float), (n, 3))
    wr = cross(omega, rs)
    return Kinematics(heel + rotate(rot, rs), rotate(rot, wr), rotate(rot, cross(alpha, rs) + cross(omega, wr)),
                      rot, omega, alpha)


def footprint_pose(rflat: np.ndarray, heel: np.ndarray, geom: FootGeometry) -> np.ndarray:
    """Sensor point position (K, 3) for a foot flat on footprints given by orientation and heel point."""
    return heel + np.einsum("kij,j->ki", rflat, np.asarray(geom.r_sensor, dtype=float))


def relative_turn(rflat_a: np.ndarray, rflat_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Axis (K, 3) and angle (K,) of the world-frame rotation taking ``rflat_a`` to ``rflat_b``."""
    from scipy.spatial.transform import Rotation

    rv = Rotation.from_matrix(np.matmul(rflat_b, np.transpose(rflat_a, (0, 2, 1)))).as_rotvec()
    ang = np.linalg.norm(rv, axis=1)
    axis = np.where(ang[:, None] > 1e-12, rv / np.maximum(ang, 1e-12)[:, None], Z_AXIS)
    return axis, ang


__all__ = ["FootGeometry", "StridePlan", "Kinematics", "stride_motion", "rolling_flat", "footprint_pose",
           "relative_turn", "axis_matrix"]
