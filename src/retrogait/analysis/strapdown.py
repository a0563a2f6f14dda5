"""Zero-velocity-aided strapdown integration of many segments at once (vectorized across strides).

Each segment runs from a mid-stance anchor to the next. Its initial orientation is levelled from
gravity at the start stance with zero yaw (so the segment's local frame has x = the foot's horizontal
forward axis at the start). The gyro is integrated with all segments stepped together (loop over the
~200-600 samples of a stride, never over the recording), the specific force is rotated to the world
frame, gravity is subtracted, and velocity is integrated and de-drifted between the two zero-velocity
anchors (Rampp-style), the drift attributed where velocity errors enter (:func:`drift_weight`):

* evenly in time: a levelling (tilt) or bias error is a constant acceleration error;
* in proportion to the dynamics: scale and cross-axis errors grow with the acceleration;
* above all at impacts (heel strike): a transient of a few milliseconds is under-sampled, filtered or
  clipped by the sensor, so its integral is off by a random velocity step of tens of cm/s. Weighted by
  the squared jerk (the variance of such a step grows with the square of the unresolved change), the
  step is removed where it happened instead of being spread over the swing as a false speed offset.
  On the gaitmap mocap reference this was the main per-stride stride-length error (SD 3.9 -> 1.5 cm).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrogait.analysis.bridging import FilledSamples
from retrogait.analysis.compiled import kernels
from retrogait.analysis.frames import FootSignals
from retrogait.analysis.ranges import range_first, range_index, row_norm
from retrogait.analysis.settings import DEFAULT, KinematicsSettings


@dataclass
class Trajectory:
    """Flat per-sample arrays of a chunk of segments (segment k holds ``first[k]:first[k]+lens[k]``)
    and per-segment results."""

    idx: np.ndarray  # (S,) sample index into the stream
    grp: np.ndarray  # (S,) segment number (0..M-1)
    first: np.ndarray  # (M,) offset of each segment in the flat arrays
    lens: np.ndarray  # (M,)
    pos: np.ndarray  # (S, 3) position relative to the segment start, local level frame (x = foot fwd)
    pitch: np.ndarray  # (S,) foot pitch (rad, toe up positive) from the integrated orientation
    roll: np.ndarray  # (S,) tilt of the foot's left axis (rad, left side up positive)
    disp: np.ndarray  # (M, 3) displacement start -> end anchor, local frame
    yaw_end: np.ndarray  # (M,) heading change over the segment (rad, left positive)
    pitch_start: np.ndarray  # (M,) foot pitch from gravity at the start stance
    pitch_end: np.ndarray  # (M,) foot pitch from gravity at the end stance


def range_mean(sig: FootSignals, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean foot-frame, bias-corrected specific force over each range ``[a[k], b[k])`` (non-empty)."""
    kern = kernels(int((b - a).sum()))
    if kern is not None:
        means = np.empty((a.shape[0], 3))
        kern.range_means(sig.acc, a, b, means)
        return sig.to_foot(means) - sig.acc_bias
    idx, _ = range_index(a, b)
    sums = np.add.reduceat(sig.acc[idx], range_first(b - a), axis=0)
    return sig.to_foot(sums / (b - a)[:, None]) - sig.acc_bias


def level_rotation(up: np.ndarray) -> np.ndarray:
    """Rotations foot -> world with zero yaw that map each measured ``up`` (specific force) onto +z,
    as unit quaternions (x, y, z, w): pitch about y after roll about x (intrinsic Z-Y-X, yaw 0)."""
    roll = np.arctan2(up[:, 1], up[:, 2])
    pitch = np.arctan2(-up[:, 0], np.hypot(up[:, 1], up[:, 2]))
    cp, sp, cr, sr = np.cos(0.5 * pitch), np.sin(0.5 * pitch), np.cos(0.5 * roll), np.sin(0.5 * roll)
    return np.column_stack([cp * sr, sp * cr, -sp * sr, cp * cr])


def foot_pitch(up: np.ndarray) -> np.ndarray:
    """Pitch of the foot's forward axis (toe up positive) from the specific force measured at rest."""
    return np.arcsin(np.clip(up[:, 0] / np.linalg.norm(up, axis=1), -1.0, 1.0))


def _align_to_z(v: np.ndarray) -> np.ndarray:
    """Smallest rotations (as rotation vectors, world frame) that turn each vector ``v`` onto +z."""
    n = v / np.linalg.norm(v, axis=1, keepdims=True)
    axis = np.cross(n, np.array([0.0, 0.0, 1.0]))
    s = np.linalg.norm(axis, axis=1)
    ang = np.arctan2(s, n[:, 2])
    return axis * np.where(s > 1e-12, ang / np.maximum(s, 1e-12), 0.0)[:, None]


def integrate(
    t: np.ndarray,
    sig: FootSignals,
    start: np.ndarray,
    end: np.ndarray,
    still_until: np.ndarray,
    still_from: np.ndarray,
    stance0_start: np.ndarray,
    stance1_stop: np.ndarray,
    rate: float,
    rolling: np.ndarray | None = None,
    bridged: FilledSamples | None = None,
    s: KinematicsSettings = DEFAULT.kinematics,
) -> Trajectory:
    """Integrate the segments ``[start[k], end[k]]`` (inclusive anchors); see the module docstring.

    ``rolling`` (per segment, optional) marks segments with a stance where the foot never came to rest:
    their velocity drift is removed evenly in time (see :func:`drift_weight`). ``bridged`` (per stream
    samples, optional) says which samples were filled in over a data gap and how uncertain they are: the
    velocity drift and the end-stance tilt error go there first.
    """
    lens = end - start + 1
    idx, grp = range_index(start, end + 1)
    first = range_first(lens)
    h = max(1, int(round(s.stance_mean_halfwidth * rate)))
    up0 = range_mean(sig, np.maximum(start - h, stance0_start), np.minimum(start + h + 1, still_until))
    up1 = range_mean(sig, np.maximum(end - h, still_from), np.minimum(end + h + 1, stance1_stop))
    hf = max(1, int(round(s.flat_halfwidth * rate)))
    flat0 = range_mean(sig, np.maximum(start - hf, stance0_start), np.minimum(start + hf + 1, still_until))
    flat1 = range_mean(sig, np.maximum(end - hf, still_from), np.minimum(end + hf + 1, stance1_stop))

    g = 0.5 * (np.linalg.norm(up0, axis=1) + np.linalg.norm(up1, axis=1))
    q0 = level_rotation(up0)
    kern = kernels(int(idx.shape[0]))
    if kern is None:
        pos, pitch, roll, q_end = _integrate_samples(t, sig, idx, grp, first, lens, q0, up1, g, rolling, bridged, s)
    else:
        pos, pitch, roll = np.empty((idx.shape[0], 3)), np.empty(idx.shape[0]), np.empty(idx.shape[0])
        q_end = np.empty((lens.shape[0], 4))
        none = np.zeros(0)
        kern.integrate(
            t, sig.acc, sig.gyr, sig.rot, sig.rot @ sig.gyr_bias, sig.acc_bias, start, lens, first, q0, up1, g,
            rolling if rolling is not None else np.zeros(lens.shape[0], dtype=bool),
            bridged.rotation if bridged is not None else none, bridged.dynamics if bridged is not None else none,
            s.drift_dynamics, s.impact_jerk, s.bridged_dynamics, pos, pitch, roll, q_end,
        )
    # heading carried to the next segment: the end orientation with only its tilt corrected by the
    # gravity seen at the end stance (smallest rotation), so tilt errors do not leak into the heading
    q_head = _premul_rotvec(q_end, _align_to_z(_rotate(q_end, up1)))
    x_end = _rotate(q_head, np.tile([1.0, 0.0, 0.0], (q_head.shape[0], 1)))
    return Trajectory(
        idx=idx,
        grp=grp,
        first=first,
        lens=lens,
        pos=pos,
        pitch=pitch,
        roll=roll,
        disp=pos[first + lens - 1],
        yaw_end=np.arctan2(x_end[:, 1], x_end[:, 0]),
        pitch_start=foot_pitch(flat0),
        pitch_end=foot_pitch(flat1),
    )


def _integrate_samples(
    t: np.ndarray, sig: FootSignals, idx: np.ndarray, grp: np.ndarray, first: np.ndarray, lens: np.ndarray,
    q0: np.ndarray, up1: np.ndarray, g: np.ndarray, rolling: np.ndarray | None, bridged: FilledSamples | None,
    s: KinematicsSettings,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The per-sample part of :func:`integrate` in numpy, all segments at once: position, foot pitch and
    roll of every sample, and each segment's end orientation (``kernels.integrate`` is its compiled twin)."""
    # orientation of every sample; the increment of a sample takes it to the next (mid-point rate)
    g_foot = sig.gyr_at(idx)
    inc = np.empty_like(g_foot)
    inc[:-1] = 0.5 * (g_foot[:-1] + g_foot[1:]) * np.diff(t[idx])[:, None]
    inc[-1] = 0.0  # a segment's last sample has no increment (the next sample is another segment's)
    del g_foot
    qs = _orientations(q0, inc, grp, first, lens)
    del inc
    q_end = qs[first + lens - 1]
    if bridged is not None:
        qs, q_end = _close_tilt_over_gaps(qs, q_end, up1, bridged.rotation[idx], grp, first, lens)
    acc_i = sig.acc_at(idx)
    aw = _rotate(qs, acc_i)
    xyz = _z_row(qs)  # z components of the foot's x and y axes (sin pitch, sin roll)
    del qs
    aw[:, 2] -= g[grp]

    tt = t[idx]
    vel = _cumtrapz(aw, tt, first)
    # zero velocity at both anchors; the drift in between is removed where the errors enter
    last = first + lens - 1
    weight = drift_weight(acc_i, tt, g[grp], first, s)
    if rolling is not None and rolling.any():
        weight[rolling[grp]] = 1.0
    if bridged is not None:
        weight += (bridged.dynamics[idx] / s.bridged_dynamics) ** 2
    del acc_i
    cw = _cumtrapz(weight[:, None], tt, first)[:, 0]
    frac = cw / np.maximum(cw[last], 1e-12)[grp]
    vel -= vel[last][grp] * frac[:, None]
    pos = _cumtrapz(vel, tt, first)
    return pos, np.arcsin(np.clip(xyz[:, 0], -1.0, 1.0)), np.arcsin(np.clip(xyz[:, 1], -1.0, 1.0)), q_end


def _orientations(q0: np.ndarray, inc: np.ndarray, grp: np.ndarray, first: np.ndarray,
                  lens: np.ndarray) -> np.ndarray:
    """Orientation (x, y, z, w) of every sample of the segments laid out flat (segment k holds
    ``first[k]:first[k]+lens[k]``): ``q0[k]`` at its first sample, then ``q * exp(inc)`` sample by
    sample (``inc``: body-frame rotation vector to the next sample, rad), renormalised.

    All segments are stepped together in a step-major layout: sorted longest first, the segments still
    running at step j are a prefix, and the samples of step j are stored right after those of step
    j - 1 with no padding. Each step reads and writes contiguous slices, and the loop runs over the
    samples of the longest segment, never over the recording.
    """
    m = first.shape[0]
    order = np.argsort(-lens, kind="stable")
    rank = np.empty(m, dtype=np.int64)
    rank[order] = np.arange(m)
    lmax = int(lens[order[0]])
    active = np.searchsorted(-lens[order], -np.arange(lmax), side="left")  # segments longer than j
    offset = np.concatenate([[0], np.cumsum(active)[:-1]])
    step_major = offset[np.arange(grp.shape[0]) - first[grp]] + rank[grp]
    e = np.empty((4, grp.shape[0]))
    e[:, step_major] = _half_rotvec(inc)
    q = np.empty_like(e)
    q[:, :m] = q0[order].T
    for j in range(1, lmax):
        n, a, b = int(active[j]), int(offset[j - 1]), int(offset[j])
        x, y, z, w = q[0, a : a + n], q[1, a : a + n], q[2, a : a + n], q[3, a : a + n]
        ex, ey, ez, ew = e[0, a : a + n], e[1, a : a + n], e[2, a : a + n], e[3, a : a + n]
        out = q[:, b : b + n]
        out[0] = w * ex + x * ew + y * ez - z * ey
        out[1] = w * ey - x * ez + y * ew + z * ex
        out[2] = w * ez + x * ey - y * ex + z * ew
        out[3] = w * ew - x * ex - y * ey - z * ez
        out /= np.sqrt(np.einsum("ij,ij->j", out, out))
    return q[:, step_major].T


def _close_tilt_over_gaps(qs: np.ndarray, q_end: np.ndarray, up1: np.ndarray, rotation: np.ndarray,
                          grp: np.ndarray, first: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Put the rotation a bridged gap lost back where it was lost.

    Over a gap the gyro is interpolated, so the rotation of those samples is uncertain, while the end
    stance's gravity says how far the integrated tilt is off at the end. In a segment with filled
    samples that tilt error is taken out across them, in proportion to the rotation rate around each gap
    (``rotation``, rad/s per filled sample, 0 elsewhere; the interpolated rotation is off by a fraction
    of the rotation it replaces), so the attitude after the gaps is right and gravity does not leak into
    the rest of the swing. Segments without filled samples are unchanged. (Spreading the tilt error over a whole stride
    in general did not help: on real running it made stride lengths worse; its source is not known
    there, whereas here it is.)
    """
    count = np.cumsum(rotation)
    base = np.repeat(count[first] - rotation[first], lens)
    inside = count - base  # filled samples of the segment up to and including each sample
    total = inside[first + lens - 1]
    has = total > 0
    if not has.any():
        return qs, q_end
    err = _align_to_z(_rotate(q_end, up1)) * has[:, None]
    frac = inside / np.where(has, total, 1.0)[grp]
    qs = _premul_rotvec(qs, err[grp] * frac[:, None])
    return qs, _premul_rotvec(q_end, err)


def drift_weight(acc: np.ndarray, tt: np.ndarray, g: np.ndarray, first: np.ndarray,
                 s: KinematicsSettings = DEFAULT.kinematics) -> np.ndarray:
    """Per-sample rate at which velocity error enters (relative units), for the de-drift.

    ``1`` (even in time) + ``drift_dynamics * | |f| - g | / g`` + ``(jerk / impact_jerk)^2`` with the
    jerk ``|f[i+1] - f[i]| / dt`` (the larger of the two steps around a sample, none across segment
    starts). Smooth voluntary foot motion stays well below ``impact_jerk`` (~30 m/s^2 over 0.1 s); a heel
    strike exceeds it tenfold, so the impact takes the drift its mis-integration caused.
    """
    dyn = np.abs(row_norm(acc) - g) / g
    step = np.zeros(tt.shape[0])
    step[1:] = row_norm(np.diff(acc, axis=0)) / np.maximum(np.diff(tt), 1e-9)
    step[first] = 0.0
    after = np.empty_like(step)
    after[:-1] = step[1:]
    after[-1] = 0.0
    jerk = np.maximum(step, after)
    return 1.0 + s.drift_dynamics * dyn + (jerk / s.impact_jerk) ** 2


# The three helpers below are the hot inner step (one call per sample of the longest stride, over all
# strides at once); plain numpy on (n, 4) arrays is ~10x faster here than building scipy Rotation
# objects every step. Quaternions are scalar-last (x, y, z, w) like scipy's.


def _half_rotvec(rv: np.ndarray) -> tuple[np.ndarray, ...]:
    """Components (x, y, z, w) of the unit quaternions ``exp(rv)`` of rotation vectors ``rv``."""
    ang = row_norm(rv)
    half = 0.5 * ang
    k = np.where(ang > 1e-12, np.sin(half) / np.maximum(ang, 1e-12), 0.5)
    return rv[:, 0] * k, rv[:, 1] * k, rv[:, 2] * k, np.cos(half)


def _quat_product(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> np.ndarray:
    """Hamilton products ``a * b`` of quaternions given by their (x, y, z, w) components, (n, 4)."""
    ax, ay, az, aw_ = a
    bx, by, bz, bw = b
    return np.column_stack([
        aw_ * bx + ax * bw + ay * bz - az * by,
        aw_ * by - ax * bz + ay * bw + az * bx,
        aw_ * bz + ax * by - ay * bx + az * bw,
        aw_ * bw - ax * bx - ay * by - az * bz,
    ])


def _mul_rotvec(q: np.ndarray, rv: np.ndarray) -> np.ndarray:
    """``q * exp(rv)`` (body-frame increment), renormalised."""
    out = _quat_product((q[:, 0], q[:, 1], q[:, 2], q[:, 3]), _half_rotvec(rv))
    return out / np.sqrt(np.einsum("ij,ij->i", out, out))[:, None]


def _premul_rotvec(q: np.ndarray, rv: np.ndarray) -> np.ndarray:
    """``exp(rv) * q``: a world-frame rotation ``rv`` applied after each ``q``."""
    return _quat_product(_half_rotvec(rv), (q[:, 0], q[:, 1], q[:, 2], q[:, 3]))


def _rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate body vectors ``v`` into the world frame: ``v + 2 u x (u x v + w v)``."""
    x, y, z, w = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    vx, vy, vz = v[:, 0], v[:, 1], v[:, 2]
    cx = y * vz - z * vy + w * vx
    cy = z * vx - x * vz + w * vy
    cz = x * vy - y * vx + w * vz
    out = np.empty_like(v)
    out[:, 0] = vx + 2.0 * (y * cz - z * cy)
    out[:, 1] = vy + 2.0 * (z * cx - x * cz)
    out[:, 2] = vz + 2.0 * (x * cy - y * cx)
    return out


def _z_row(q: np.ndarray) -> np.ndarray:
    """World-z components of the body x and y axes (third row of the rotation matrix, first two)."""
    x, y, z, w = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    return np.column_stack([2.0 * (x * z - w * y), 2.0 * (y * z + w * x)])


def _cumtrapz(y: np.ndarray, t: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Cumulative trapezoid integral of ``y`` over ``t`` restarting at 0 at each segment start."""
    inc = np.empty_like(y)
    inc[0] = 0.0
    inc[1:] = 0.5 * (y[1:] + y[:-1]) * np.diff(t)[:, None]
    inc[first] = 0.0
    out = np.cumsum(inc, axis=0)
    lens = np.diff(np.append(first, y.shape[0]))
    out -= np.repeat(out[first], lens, axis=0)
    return out
