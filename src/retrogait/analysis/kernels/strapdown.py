"""Strapdown integration of the segments and the shape of their paths (:mod:`retrogait.analysis.strapdown`, :mod:`retrogait.analysis.parameters`)."""

from __future__ import annotations

import math

import numpy as np

from retrogait.analysis.kernels.jit import jit


@jit
def _foot(r: np.ndarray, v: np.ndarray, i: int, k: int) -> float:
    """Component ``k`` of ``r @ v[i]`` (sensor -> foot frame), in the order of ``FootSignals.to_foot``."""
    return r[k, 0] * v[i, 0] + r[k, 1] * v[i, 1] + r[k, 2] * v[i, 2]


@jit
def _premul_rotvec(rx: float, ry: float, rz: float, q: np.ndarray) -> None:
    """In place: ``q = exp(r) * q`` (a world-frame rotation ``r`` applied after ``q``); not renormalised,
    like :func:`retrogait.analysis.strapdown._premul_rotvec`."""
    ang = math.sqrt(rx * rx + ry * ry + rz * rz)
    half = 0.5 * ang
    k = math.sin(half) / ang if ang > 1e-12 else 0.5
    ax, ay, az, aw = rx * k, ry * k, rz * k, math.cos(half)
    x, y, z, w = q[0], q[1], q[2], q[3]
    q[0] = aw * x + ax * w + ay * z - az * y
    q[1] = aw * y - ax * z + ay * w + az * x
    q[2] = aw * z + ax * y - ay * x + az * w
    q[3] = aw * w - ax * x - ay * y - az * z


@jit
def _align_to_z_of(q: np.ndarray, u: np.ndarray) -> tuple[float, float, float]:
    """The smallest world-frame rotation (rotation vector) turning ``rotate(q, u)`` onto +z."""
    x, y, z, w = q[0], q[1], q[2], q[3]
    vx, vy, vz = u[0], u[1], u[2]
    cx = y * vz - z * vy + w * vx
    cy = z * vx - x * vz + w * vy
    cz = x * vy - y * vx + w * vz
    ox = vx + 2.0 * (y * cz - z * cy)
    oy = vy + 2.0 * (z * cx - x * cz)
    oz = vz + 2.0 * (x * cy - y * cx)
    nn = math.sqrt(ox * ox + oy * oy + oz * oz)
    nx, ny, nz = ox / nn, oy / nn, oz / nn
    ax, ay = ny, -nx  # n x (0, 0, 1)
    s = math.sqrt(ax * ax + ay * ay)
    ang = math.atan2(s, nz)
    f = ang / s if s > 1e-12 else 0.0
    return ax * f, ay * f, 0.0


@jit
def _half_angle(ang2: float) -> tuple[float, float]:
    """``sin(a / 2) / a`` and ``cos(a / 2)`` for a rotation of ``a = sqrt(ang2)`` rad (the quaternion
    ``exp`` of one step). A step turns the foot by at most a few hundredths of a radian, where the
    Taylor series to the 8th power is exact to the last bit or so (the next term is below 3e-16 for
    a < 0.25 rad) and much cheaper than a sine and a cosine; larger steps use them."""
    if ang2 < 0.0625:
        h2 = 0.25 * ang2
        # multiplied by the reciprocals (a division costs several multiplications)
        sinc = 1.0 - h2 * (1.0 / 6.0) * (1.0 - h2 * (1.0 / 20.0) * (1.0 - h2 * (1.0 / 42.0) * (1.0 - h2 * (1.0 / 72.0))))
        cos = 1.0 - h2 * 0.5 * (1.0 - h2 * (1.0 / 12.0) * (1.0 - h2 * (1.0 / 30.0) * (1.0 - h2 * (1.0 / 56.0))))
        return 0.5 * sinc, cos
    ang = math.sqrt(ang2)
    return math.sin(0.5 * ang) / ang, math.cos(0.5 * ang)

@jit
def integrate(
    t: np.ndarray, acc: np.ndarray, gyr: np.ndarray, rot: np.ndarray, gyr_bias: np.ndarray,
    acc_bias: np.ndarray, start: np.ndarray, lens: np.ndarray, first: np.ndarray, q0: np.ndarray,
    up1: np.ndarray, g: np.ndarray, rolling: np.ndarray, rotation: np.ndarray, dynamics: np.ndarray,
    drift_dynamics: float, impact_jerk: float, bridged_dynamics: float,
    pos: np.ndarray, pitch: np.ndarray, roll: np.ndarray, q_end: np.ndarray,
) -> None:
    """The per-sample part of :func:`retrogait.analysis.strapdown.integrate`, segment by segment.

    Inputs are the stream's raw sensor-frame ``acc``/``gyr`` with the mounting ``rot`` and the biases
    (``gyr_bias`` already in the foot frame); ``rotation``/``dynamics`` are the bridged-gap weights per
    stream sample (empty arrays when nothing was filled). Writes ``pos``, ``pitch``, ``roll`` (flat, segment
    k at ``first[k]``) and each segment's end orientation ``q_end``.
    """
    lmax = 0
    for k in range(start.shape[0]):
        lmax = max(lmax, lens[k])
    q = np.empty((lmax, 4))
    aw = np.empty((lmax, 3))  # velocity before the de-drift
    wt = np.empty(lmax)  # running integral of the de-drift weights
    tt = np.empty(lmax)
    bridged = rotation.shape[0] > 0
    for k in range(start.shape[0]):
        a, n, o = start[k], lens[k], first[k]
        for i in range(n):
            tt[i] = t[a + i]
        # orientation: q0, then q * exp(mid-point increment). Not renormalised at each step as the
        # numpy code does: every increment is a unit quaternion to the last bit, so over a stride the
        # norm stays within ~1e-13 of 1 (results agree to ~1e-14), and the step's square root and
        # division are saved; the end orientation is renormalised.
        x, y, z, w = q0[k, 0], q0[k, 1], q0[k, 2], q0[k, 3]
        q[0, 0], q[0, 1], q[0, 2], q[0, 3] = x, y, z, w
        g0x = _foot(rot, gyr, a, 0) - gyr_bias[0]
        g0y = _foot(rot, gyr, a, 1) - gyr_bias[1]
        g0z = _foot(rot, gyr, a, 2) - gyr_bias[2]
        for i in range(1, n):
            g1x = _foot(rot, gyr, a + i, 0) - gyr_bias[0]
            g1y = _foot(rot, gyr, a + i, 1) - gyr_bias[1]
            g1z = _foot(rot, gyr, a + i, 2) - gyr_bias[2]
            dt = tt[i] - tt[i - 1]
            rx, ry, rz = 0.5 * (g0x + g1x) * dt, 0.5 * (g0y + g1y) * dt, 0.5 * (g0z + g1z) * dt
            g0x, g0y, g0z = g1x, g1y, g1z
            f, ew = _half_angle(rx * rx + ry * ry + rz * rz)
            ex, ey, ez = rx * f, ry * f, rz * f
            ox = w * ex + x * ew + y * ez - z * ey
            oy = w * ey - x * ez + y * ew + z * ex
            oz = w * ez + x * ey - y * ex + z * ew
            ow = w * ew - x * ex - y * ey - z * ez
            x, y, z, w = ox, oy, oz, ow
            q[i, 0], q[i, 1], q[i, 2], q[i, 3] = x, y, z, w
        qe = q[n - 1] / math.sqrt(x * x + y * y + z * z + w * w)
        if bridged:
            total = 0.0
            for i in range(n):
                total += rotation[a + i]
            if total > 0:
                ex, ey, ez = _align_to_z_of(qe, up1[k])
                inside = 0.0
                for i in range(n):
                    inside += rotation[a + i]
                    fr = inside / total
                    _premul_rotvec(ex * fr, ey * fr, ez * fr, q[i])
                _premul_rotvec(ex, ey, ez, qe)
        q_end[k, 0], q_end[k, 1], q_end[k, 2], q_end[k, 3] = qe[0], qe[1], qe[2], qe[3]
        # one pass: specific force in the world frame minus gravity, integrated to velocity (trapezoid);
        # foot pitch and roll; the de-drift weight of the previous sample (its jerk needs this step)
        # and its running integral
        gk = g[k]
        pfx = pfy = pfz = 0.0  # the previous sample's specific force (foot frame)
        pax = pay = paz = 0.0  # ... and world acceleration
        vx = vy = vz = 0.0
        dyn_prev = step_prev = w_prev = cw = 0.0
        for i in range(n):
            fx = _foot(rot, acc, a + i, 0) - acc_bias[0]
            fy = _foot(rot, acc, a + i, 1) - acc_bias[1]
            fz = _foot(rot, acc, a + i, 2) - acc_bias[2]
            x, y, z, w = q[i, 0], q[i, 1], q[i, 2], q[i, 3]
            cx = y * fz - z * fy + w * fx
            cy = z * fx - x * fz + w * fy
            cz = x * fy - y * fx + w * fz
            ax = fx + 2.0 * (y * cz - z * cy)
            ay = fy + 2.0 * (z * cx - x * cz)
            az = fz + 2.0 * (x * cy - y * cx) - gk
            pitch[o + i] = math.asin(min(1.0, max(-1.0, 2.0 * (x * z - w * y))))
            roll[o + i] = math.asin(min(1.0, max(-1.0, 2.0 * (y * z + w * x))))
            dyn = abs(math.sqrt(fx * fx + fy * fy + fz * fz) - gk) / gk
            step = 0.0
            if i > 0:
                h = 0.5 * (tt[i] - tt[i - 1])
                vx, vy, vz = vx + (ax + pax) * h, vy + (ay + pay) * h, vz + (az + paz) * h
                dx, dy, dz = fx - pfx, fy - pfy, fz - pfz
                step = math.sqrt(dx * dx + dy * dy + dz * dz) / max(tt[i] - tt[i - 1], 1e-9)
                # the jerk of sample i - 1 is the larger of its two steps
                wi = _weight(dyn_prev, max(step_prev, step), drift_dynamics, impact_jerk, rolling[k],
                             dynamics[a + i - 1] if bridged else 0.0, bridged_dynamics)
                if i > 1:
                    cw += (wi + w_prev) * (0.5 * (tt[i - 1] - tt[i - 2]))
                wt[i - 1] = cw
                w_prev = wi
            aw[i, 0], aw[i, 1], aw[i, 2] = vx, vy, vz
            pfx, pfy, pfz, pax, pay, paz = fx, fy, fz, ax, ay, az
            dyn_prev, step_prev = dyn, step
        wi = _weight(dyn_prev, step_prev, drift_dynamics, impact_jerk, rolling[k],
                     dynamics[a + n - 1] if bridged else 0.0, bridged_dynamics)
        if n > 1:
            cw += (wi + w_prev) * (0.5 * (tt[n - 1] - tt[n - 2]))
        wt[n - 1] = cw
        # zero velocity at both anchors, the drift removed where the errors enter; position
        cw_last = max(wt[n - 1], 1e-12)
        ex, ey, ez = aw[n - 1, 0], aw[n - 1, 1], aw[n - 1, 2]
        qx = qy = qz = 0.0  # previous corrected velocity
        px = py = pz = 0.0
        for i in range(n):
            fr = wt[i] / cw_last
            ux, uy, uz = aw[i, 0] - ex * fr, aw[i, 1] - ey * fr, aw[i, 2] - ez * fr
            if i > 0:
                h = 0.5 * (tt[i] - tt[i - 1])
                px, py, pz = px + (ux + qx) * h, py + (uy + qy) * h, pz + (uz + qz) * h
            pos[o + i, 0], pos[o + i, 1], pos[o + i, 2] = px, py, pz
            qx, qy, qz = ux, uy, uz


@jit
def _weight(dyn: float, jerk: float, drift_dynamics: float, impact_jerk: float, rolling: bool,
            gap_dynamics: float, bridged_dynamics: float) -> float:
    """The de-drift weight of one sample (:func:`retrogait.analysis.strapdown.drift_weight`; 1 in a
    rolling segment; plus the bridged-gap term)."""
    w = 1.0 if rolling else 1.0 + drift_dynamics * dyn + (jerk / impact_jerk) ** 2
    return w + (gap_dynamics / bridged_dynamics) ** 2 if gap_dynamics != 0.0 else w


@jit
def path_shape(pos: np.ndarray, first: np.ndarray, lens: np.ndarray, lat: np.ndarray, clear: np.ndarray) -> None:
    """:func:`retrogait.analysis.parameters.path_shape`, one pass per segment."""
    for k in range(first.shape[0]):
        o, n = first[k], lens[k]
        dx, dy, dz = pos[o + n - 1, 0], pos[o + n - 1, 1], pos[o + n - 1, 2]
        dh = math.hypot(dx, dy)
        ok = dh > 0.01
        ux, uy = (dx / dh, dy / dh) if ok else (1.0, 0.0)
        best_lat = -np.inf
        best_h = -np.inf
        for i in range(n):
            px, py, pz = pos[o + i, 0], pos[o + i, 1], pos[o + i, 2]
            if ok:
                across = abs(py * ux - px * uy)
                frac = min(1.0, max(0.0, (px * ux + py * uy) / dh))
            else:
                across = 0.0
                frac = i / max(n - 1, 1)
            best_lat = max(best_lat, across)
            best_h = max(best_h, pz - dz * frac)
        lat[k] = best_lat if dx * dx + dy * dy > 0.01**2 else np.nan
        clear[k] = best_h
