"""Compiled (numba) versions of the analysis's per-sample passes, for long recordings.

Each kernel computes exactly what the numpy function it names computes (same formulas, same order of
operations where it matters; results agree to ~1e-12, tests check it), but walks each segment once
with everything in registers instead of making a dozen full-size temporary arrays. This module imports
numba, which costs ~0.4 s on start-up and compiles the kernels once (cached on disk afterwards), so it
is only imported through :func:`retrogait.analysis.compiled.kernels`, for inputs long enough to pay
for it.

Frames: as in :mod:`retrogait.analysis.strapdown`. Quaternions are scalar-last (x, y, z, w).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from retrogait.analysis import peaks

_jit = numba.njit(cache=True, nogil=True, fastmath=False, error_model="numpy")


@_jit
def _foot(r: np.ndarray, v: np.ndarray, i: int, k: int) -> float:
    """Component ``k`` of ``r @ v[i]`` (sensor -> foot frame), in the order of ``FootSignals.to_foot``."""
    return r[k, 0] * v[i, 0] + r[k, 1] * v[i, 1] + r[k, 2] * v[i, 2]


@_jit
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


@_jit
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


@_jit
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
        # orientation: q0, then q * exp(mid-point increment), renormalised
        q[0, 0], q[0, 1], q[0, 2], q[0, 3] = q0[k, 0], q0[k, 1], q0[k, 2], q0[k, 3]
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
            ang = math.sqrt(rx * rx + ry * ry + rz * rz)
            half = 0.5 * ang
            f = math.sin(half) / ang if ang > 1e-12 else 0.5
            ex, ey, ez, ew = rx * f, ry * f, rz * f, math.cos(half)
            x, y, z, w = q[i - 1, 0], q[i - 1, 1], q[i - 1, 2], q[i - 1, 3]
            ox = w * ex + x * ew + y * ez - z * ey
            oy = w * ey - x * ez + y * ew + z * ex
            oz = w * ez + x * ey - y * ex + z * ew
            ow = w * ew - x * ex - y * ey - z * ez
            nrm = math.sqrt(ox * ox + oy * oy + oz * oz + ow * ow)
            q[i, 0], q[i, 1], q[i, 2], q[i, 3] = ox / nrm, oy / nrm, oz / nrm, ow / nrm
        qe = q[n - 1].copy()
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


@_jit
def _weight(dyn: float, jerk: float, drift_dynamics: float, impact_jerk: float, rolling: bool,
            gap_dynamics: float, bridged_dynamics: float) -> float:
    """The de-drift weight of one sample (:func:`retrogait.analysis.strapdown.drift_weight`; 1 in a
    rolling segment; plus the bridged-gap term)."""
    w = 1.0 if rolling else 1.0 + drift_dynamics * dyn + (jerk / impact_jerk) ** 2
    return w + (gap_dynamics / bridged_dynamics) ** 2 if gap_dynamics != 0.0 else w


@_jit
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


@_jit
def _waveform(t: np.ndarray, gyr: np.ndarray, times: np.ndarray, out: np.ndarray) -> None:
    """:func:`retrogait.analysis.regularity.stride_waveforms` of one stride (``times``: (P,), sorted),
    each axis centred over the stride. Interpolates as ``np.interp`` does (the end values outside
    ``t``), walking the samples once for the three axes."""
    p = times.shape[0]
    n = t.shape[0]
    j = max(np.searchsorted(t, times[0], side="right") - 1, 0)
    for i in range(p):
        x = times[i]
        if x < t[0]:
            for c in range(3):
                out[i, c] = gyr[0, c]
            continue
        if x >= t[n - 1]:
            for c in range(3):
                out[i, c] = gyr[n - 1, c]
            continue
        while t[j + 1] <= x:
            j += 1
        if t[j] == x:
            for c in range(3):
                out[i, c] = gyr[j, c]
            continue
        dt = t[j + 1] - t[j]
        for c in range(3):
            slope = (gyr[j + 1, c] - gyr[j, c]) / dt
            out[i, c] = slope * (x - t[j]) + gyr[j, c]
    for c in range(3):
        total = 0.0
        for i in range(p):
            total += out[i, c]
        mean = total / p
        for i in range(p):
            out[i, c] -= mean


@_jit
def _stride_times(u: np.ndarray, ts: float, te: float, a: float, b: float, events: bool, f_tc: float,
                  f_ic: float, out: np.ndarray) -> None:
    """:func:`retrogait.analysis.regularity.normalised_times` of one stride (``u``: the normalised base)."""
    for i in range(u.shape[0]):
        x = u[i]
        if not events:
            out[i] = ts + (te - ts) * x
        elif x <= f_tc:
            out[i] = ts + (a - ts) * x / f_tc
        elif x <= f_ic:
            out[i] = a + (b - a) * (x - f_tc) / (f_ic - f_tc)
        else:
            out[i] = b + (te - b) * (x - f_ic) / (1.0 - f_ic)


@_jit
def regularity(t: np.ndarray, gyr: np.ndarray, u: np.ndarray, t_start: np.ndarray, t_end: np.ndarray,
               t_tc: np.ndarray, t_ic: np.ndarray, valid: np.ndarray, f_tc: float, f_ic: float,
               strides: np.ndarray, out: np.ndarray) -> None:
    """:func:`retrogait.analysis.regularity.regularity_with_next` for the ``strides`` j (each with its
    next, j + 1): the correlation of their waveforms into ``out[j]``. ``valid``: strides whose contact
    events place them piecewise (with the median fractions ``f_tc``, ``f_ic``)."""
    p = u.shape[0]
    wa = np.empty((p, 3))
    wb = np.empty((p, 3))
    ta = np.empty(p)
    tb = np.empty(p)
    for j in strides:
        _stride_times(u, t_start[j], t_end[j], t_tc[j], t_ic[j], valid[j], f_tc, f_ic, ta)
        _stride_times(u, t_start[j + 1], t_end[j + 1], t_tc[j + 1], t_ic[j + 1], valid[j + 1], f_tc, f_ic, tb)
        _waveform(t, gyr, ta, wa)
        _waveform(t, gyr, tb, wb)
        num = 0.0
        saa = 0.0
        sbb = 0.0
        for i in range(p):
            for c in range(3):
                num += wa[i, c] * wb[i, c]
                saa += wa[i, c] * wa[i, c]
                sbb += wb[i, c] * wb[i, c]
        den = math.sqrt(saa * sbb)
        out[j] = num / den if den > 0 else (np.nan if num == 0 else math.copysign(np.inf, num))


@_jit
def running_max(x: np.ndarray, half: int, piece: int, out: np.ndarray) -> None:
    """:func:`retrogait.analysis.filters.running_max` (window ``2 * half + 1``, ends repeated), by the same
    van Herk / Gil-Werman scheme, ``piece`` outputs at a time (bounded scratch memory)."""
    n = x.shape[0]
    size = 2 * half + 1
    m = piece + size - 1
    m += (-m) % size
    g = np.empty(m, dtype=x.dtype)  # max from the start of each block of `size`
    h = np.empty(m, dtype=x.dtype)  # max to the end of each block
    for a in range(0, n, piece):
        b = min(a + piece, n)
        length = b - a + size - 1
        length += (-length) % size
        i_lo = min(max(half - a, 0), length)  # padded positions before the array's start
        i_hi = min(max(n - (a - half), i_lo), length)  # ... and from its end on
        for i in range(i_lo):
            h[i] = x[0]
        for i in range(i_lo, i_hi):
            h[i] = x[a - half + i]
        for i in range(i_hi, length):
            h[i] = x[n - 1]
        for s0 in range(0, length, size):
            g[s0] = h[s0]
            for i in range(s0 + 1, s0 + size):
                g[i] = max(g[i - 1], h[i])
            for i in range(s0 + size - 2, s0 - 1, -1):
                h[i] = max(h[i + 1], h[i])
        for i in range(b - a):
            out[a + i] = max(h[i], g[i + size - 1])


@_jit
def moving_mean(x: np.ndarray, half: int, piece: int, deviate: bool, centre: float, out: np.ndarray) -> None:
    """:func:`retrogait.analysis.filters.moving_mean`: the window sum restarted every ``piece`` outputs
    (so rounding does not accumulate over a day); of ``|x - centre|`` when ``deviate``."""
    n = x.shape[0]
    size = 2 * half + 1
    for a in range(0, n, piece):
        b = min(a + piece, n)
        total = 0.0
        for j in range(a - half, a + half + 1):
            v = x[min(max(j, 0), n - 1)]
            total += abs(v - centre) if deviate else v
        out[a] = total / size
        for i in range(a + 1, b):
            v_in = x[min(i + half, n - 1)]
            v_out = x[max(i - half - 1, 0)]
            if deviate:
                total += abs(v_in - centre) - abs(v_out - centre)
            else:
                total += v_in - v_out
            out[i] = total / size


@_jit
def turned_over(t: np.ndarray, gyr: np.ndarray, r: np.ndarray, bias: float, starts: np.ndarray,
                stops: np.ndarray, out: np.ndarray) -> None:
    """Rotation about the foot axis ``r`` (a row of the mounting) over each ``[starts[k], stops[k]]``:
    the sum of ``(r @ gyr[i] - bias) * (t[i + 1] - t[i])`` for ``starts[k] <= i < stops[k]``
    (:func:`retrogait.analysis.kinematics.standing_yaw`)."""
    for k in range(starts.shape[0]):
        total = 0.0
        for i in range(starts[k], stops[k]):
            w = r[0] * gyr[i, 0] + r[1] * gyr[i, 1] + r[2] * gyr[i, 2] - bias
            total += w * (t[i + 1] - t[i])
        out[k] = total


@_jit
def unbiased_norm(gyr: np.ndarray, bias: np.ndarray, out: np.ndarray) -> None:
    """Norm of ``gyr[i] - bias`` (:func:`retrogait.analysis.sensor_errors.unbiased_norm`)."""
    for i in range(gyr.shape[0]):
        x, y, z = gyr[i, 0] - bias[0], gyr[i, 1] - bias[1], gyr[i, 2] - bias[2]
        out[i] = math.sqrt(x * x + y * y + z * z)


@_jit
def saturation_mask(arr: np.ndarray, full_scale_floor: float, out: np.ndarray) -> None:
    """:func:`retrogait.analysis.frames.saturation_mask` (``out`` starts all False): one pass for the
    channels' largest magnitudes, one to count the samples at them, a third only for a clipped channel."""
    n, m = arr.shape
    top = np.zeros(m)
    for c in range(m):
        best = 0.0
        for i in range(n):
            best = max(best, abs(arr[i, c]))
        top[c] = best
    level = top * (1 - 1e-6)
    n_at = np.zeros(m, dtype=np.int64)
    for c in range(m):
        count = 0
        lv = level[c]
        for i in range(n):
            count += abs(arr[i, c]) >= lv
        n_at[c] = count
    for c in range(m):
        if top[c] == 0 or n_at[c] < 3:
            continue
        anywhere = top[c] >= full_scale_floor and full_scale_floor > 0
        run = 0
        for i in range(n):
            if abs(arr[i, c]) >= level[c]:
                run += 1
                if anywhere:
                    out[i] = True
                elif run >= 3:
                    out[i] = out[i - 1] = out[i - 2] = True
            else:
                run = 0


@_jit
def range_means(x: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """Mean of the rows ``x[a[k]:b[k]]`` (non-empty) into ``out[k]``."""
    for k in range(a.shape[0]):
        for c in range(x.shape[1]):
            total = 0.0
            for i in range(a[k], b[k]):
                total += x[i, c]
            out[k, c] = total / (b[k] - a[k])


@_jit
def local_maxima(x: np.ndarray, out: np.ndarray) -> int:
    """:func:`retrogait.analysis.peaks.local_maxima` into ``out`` (length >= n // 2 + 1); returns the count."""
    m = 0
    i = 1
    i_max = x.shape[0] - 1
    while i < i_max:
        if x[i - 1] < x[i]:
            ahead = i + 1
            while ahead < i_max and x[ahead] == x[i]:
                ahead += 1
            if x[ahead] < x[i]:
                out[m] = (i + ahead - 1) // 2
                m += 1
                i = ahead
        i += 1
    return m


keep_apart = _jit(peaks.keep_apart)
"""The distance rule of :func:`retrogait.analysis.peaks.find_peaks`, compiled."""


@_jit
def row_norm(x: np.ndarray, out: np.ndarray) -> None:
    """Euclidean norm of each row of an (N, 3) array."""
    for i in range(x.shape[0]):
        out[i] = math.sqrt(x[i, 0] * x[i, 0] + x[i, 1] * x[i, 1] + x[i, 2] * x[i, 2])


@_jit
def swing_signals(t: np.ndarray, acc: np.ndarray, start: np.ndarray, first: np.ndarray, lens: np.ndarray,
                  pitch: np.ndarray, roll: np.ndarray, tilt: np.ndarray, tt: np.ndarray, rate: np.ndarray,
                  jerk: np.ndarray, first_ext: np.ndarray, land_ext: np.ndarray) -> None:
    """:func:`retrogait.analysis.events.swing_signals`: the swing's main tilt, its extremes, the sample
    times, the tilt rate and the jerk (``acc``: the stream's specific force, any frame)."""
    for k in range(first.shape[0]):
        o, n, a = first[k], lens[k], start[k]
        p_lo, p_hi, r_lo, r_hi = np.inf, -np.inf, np.inf, -np.inf
        for i in range(o, o + n):
            p_lo, p_hi = min(p_lo, pitch[i]), max(p_hi, pitch[i])
            r_lo, r_hi = min(r_lo, roll[i]), max(r_hi, roll[i])
        src = roll if r_hi - r_lo > 1.5 * (p_hi - p_lo) else pitch
        i_lo, i_hi = o, o
        for i in range(o, o + n):
            v = src[i]
            tilt[i] = v
            tt[i] = t[a + i - o]
            if v < tilt[i_lo]:
                i_lo = i
            if v > tilt[i_hi]:
                i_hi = i
        first_ext[k], land_ext[k] = min(i_lo, i_hi), max(i_lo, i_hi)
        rate[o] = 0.0
        jerk[o] = 0.0
        for i in range(o + 1, o + n):
            dt = max(tt[i] - tt[i - 1], 1e-9)
            rate[i] = (tilt[i] - tilt[i - 1]) / dt
            j = a + i - o
            dx, dy, dz = acc[j, 0] - acc[j - 1, 0], acc[j, 1] - acc[j - 1, 1], acc[j, 2] - acc[j - 1, 2]
            jerk[i] = math.sqrt(dx * dx + dy * dy + dz * dz) / dt


@_jit
def _step_time(tt: np.ndarray, o: int, i: int) -> float:
    """Time of a rate or jerk sample: the middle of the step before it (``events._times``)."""
    return 0.5 * (tt[i] + tt[max(i - 1, o)])


@_jit
def contact_and_bounds(t: np.ndarray, start: np.ndarray, first: np.ndarray, lens: np.ndarray, pitch: np.ndarray,
                       tilt: np.ndarray, tt: np.ndarray, rate: np.ndarray, jerk: np.ndarray,
                       first_ext: np.ndarray, land_ext: np.ndarray, plateau: float, t_tc: np.ndarray,
                       t_ic: np.ndarray, pitch_tc: np.ndarray, pitch_ic: np.ndarray, t_lift: np.ndarray,
                       t_land: np.ndarray) -> None:
    """The walking events (``events.contact_events``: landing extreme refined by a parabola, plateau
    onset before the first extreme) and the swing bounds (``events.swing_bounds``) of every segment."""
    n_t = t.shape[0]
    for k in range(first.shape[0]):
        o, n, a0 = first[k], lens[k], start[k]
        fe, le = first_ext[k], land_ext[k]
        # IC: the landing extreme, refined between samples
        off = 0.0
        if o < le < o + n - 1:
            pa, pb, pc = tilt[le - 1], tilt[le], tilt[le + 1]
            den = pa - 2 * pb + pc
            if abs(den) > 1e-12:
                off = min(0.5, max(-0.5, 0.5 * (pa - pc) / den))
        i = a0 + le - o
        if off >= 0:
            t_ic[k] = t[i] + off * (t[min(i + 1, n_t - 1)] - t[i])
        else:
            t_ic[k] = t[i] + off * (t[i] - t[max(i - 1, 0)])
        # TC: where the tilt, before the first extreme, enters the plateau of it
        last_far = -1
        for j in range(o, fe):
            if abs(tilt[j] - tilt[fe]) >= plateau:
                last_far = j
        if last_far >= 0:
            ja, jb = last_far, min(last_far + 1, fe)
            da, db = abs(tilt[ja] - tilt[fe]), abs(tilt[jb] - tilt[fe])
            f = (da - plateau) / (da - db) if da > db else 0.0
        else:
            ja, jb, f = fe, fe, 0.0
        ta, tb = t[a0 + ja - o], t[a0 + jb - o]
        t_tc[k] = ta + min(1.0, max(0.0, f)) * (tb - ta)
        pitch_tc[k], pitch_ic[k] = pitch[fe], pitch[le]
        # swing bounds: the fastest rotation toward the first extreme; the sharpest jerk after the
        # landing extreme up to the fastest rotation the ground then imposes
        diff = tilt[le] - tilt[fe]
        sign = 1.0 if diff > 0 else (-1.0 if diff < 0 else 0.0)
        tc, best = o, -np.inf
        for j in range(o, fe + 1):
            v = -sign * rate[j]
            if v > best:
                tc, best = j, v
        slap, best = o, -np.inf
        for j in range(le + 1, o + n):
            v = -sign * rate[j]
            if v > best:
                slap, best = j, v
        ic, best = o, -np.inf
        for j in range(le + 1, slap + 1):
            if jerk[j] > best:
                ic, best = j, jerk[j]
        if not le < ic <= slap:
            ic = le
        t_lift[k], t_land[k] = _step_time(tt, o, tc), _step_time(tt, o, ic)


@_jit
def running_candidates(first: np.ndarray, lens: np.ndarray, a: np.ndarray, b: np.ndarray, reach: float,
                       rate: np.ndarray, jerk: np.ndarray, tc: np.ndarray, ic: np.ndarray) -> None:
    """``events.running_events``' search: the fastest push-off rotation within ``reach`` samples after
    flat position ``a[k]`` (``tc``) and the first impact within ``reach`` before ``b[k]`` (``ic``: the
    earliest sample whose jerk reaches half the sharpest there)."""
    for k in range(first.shape[0]):
        o, n = first[k], lens[k]
        best, tc[k] = -np.inf, o
        for j in range(o, o + n):
            if a[k] <= j <= a[k] + reach and abs(rate[j]) > best:
                best, tc[k] = abs(rate[j]), j
        peak = 0.0
        for j in range(o, o + n):
            if b[k] - reach <= j <= b[k]:
                peak = max(peak, jerk[j])
        ic[k] = o
        for j in range(o, o + n):
            if b[k] - reach <= j <= b[k] and jerk[j] >= 0.5 * peak:
                ic[k] = j
                break


@_jit
def pivot_departure(first: np.ndarray, lens: np.ndarray, a: np.ndarray, n_reach: int, peak: np.ndarray,
                    pos: np.ndarray, pitch: np.ndarray, tt: np.ndarray, rate: np.ndarray, min_turn: float,
                    lift: float, fit_share: float, rounds: int, dep: np.ndarray, found: np.ndarray) -> None:
    """:func:`retrogait.analysis.events.pivot_departure` per segment: the sagittal lever ``c + Rot(pitch) l``
    fitted by least squares on the window before the provisional terminal contact, refitted ``rounds``
    times; ``dep[k]`` the time the path leaves it by ``lift`` (``found[k]`` False: no fit). The normal
    equations' sums run on over all windows in order, as the numpy version's cumulative sums do."""
    run = np.zeros(7)  # running sums over the windows so far (the numpy version's cumsum)
    nm = np.empty((4, 4))
    rhs = np.empty(4)
    w_max = 2 * n_reach + 2
    cum = np.empty((w_max, 7))
    err = np.empty(w_max)
    cos_w = np.empty(w_max)
    sin_w = np.empty(w_max)
    for k in range(first.shape[0]):
        o, n = first[k], lens[k]
        last = o + n - 1
        lo = max(o, a[k] - n_reach)
        sgn = 1.0 if rate[peak[k]] > 0 else (-1.0 if rate[peak[k]] < 0 else 0.0)
        stop = last
        for j in range(peak[k] + 1, last + 1):
            if rate[j] * sgn <= 0.0:
                stop = j
                break
        hi = max(min(min(last, a[k] + n_reach), stop), lo)
        w = hi - lo + 1
        before = run.copy()
        for i in range(w):
            x, z, p = pos[lo + i, 0], pos[lo + i, 2], pitch[lo + i]
            c, sn = math.cos(p), math.sin(p)
            cos_w[i], sin_w[i] = c, sn
            run[0] += 1.0
            run[1] += c
            run[2] += sn
            run[3] += x
            run[4] += z
            run[5] += c * x + sn * z
            run[6] += c * z - sn * x
            for q in range(7):
                cum[i, q] = run[q]
        end = min(max(peak[k], lo), hi) - lo
        p_lo, p_hi = np.inf, -np.inf
        for i in range(end + 1):
            p_lo, p_hi = min(p_lo, pitch[lo + i]), max(p_hi, pitch[lo + i])
        turn = p_hi - p_lo
        found[k] = False
        dep[k] = 0.0
        for _ in range(rounds):
            s_n = cum[end, 0] - before[0]
            ok = turn >= min_turn and s_n >= 4
            if not ok:
                continue  # the numpy version solves an identity for these: nothing is found
            sc, ss = cum[end, 1] - before[1], cum[end, 2] - before[2]
            nm[:, :] = 0.0
            nm[0, 0] = nm[1, 1] = nm[2, 2] = nm[3, 3] = s_n
            nm[0, 2] = nm[2, 0] = sc
            nm[0, 3] = nm[3, 0] = -ss
            nm[1, 2] = nm[2, 1] = ss
            nm[1, 3] = nm[3, 1] = sc
            for q in range(4):
                rhs[q] = cum[end, 3 + q] - before[3 + q]
            sol = np.linalg.solve(nm, rhs)
            cx, cz, lx, lz = sol[0], sol[1], sol[2], sol[3]
            last_in = -1
            core = -1
            for i in range(w):
                x, z, c, sn = pos[lo + i, 0], pos[lo + i, 2], cos_w[i], sin_w[i]
                e = math.hypot(x - (cx + lx * c - lz * sn), z - (cz + lx * sn + lz * c))
                err[i] = e
                if e <= lift:
                    last_in = i
                if e <= fit_share * lift:
                    core = i
            if 0 <= last_in < hi - lo:
                e0, e1 = err[last_in], err[last_in + 1]
                f = (lift - e0) / (e1 - e0) if e1 > e0 else 0.0
                f = min(1.0, max(0.0, f))
                t0, t1 = tt[lo + last_in], tt[lo + last_in + 1]
                dep[k] = t0 + f * (t1 - t0)
                found[k] = True
                if core >= 0:
                    end = core


@_jit
def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop (exclusive) indices of the runs of True (``stance.runs``)."""
    n = mask.shape[0]
    count = 0
    prev = False
    for i in range(n):
        if mask[i] and not prev:
            count += 1
        prev = mask[i]
    starts = np.empty(count, dtype=np.int64)
    stops = np.empty(count, dtype=np.int64)
    k = 0
    prev = False
    for i in range(n):
        if mask[i] and not prev:
            starts[k] = i
        elif prev and not mask[i]:
            stops[k] = i
            k += 1
        prev = mask[i]
    if prev:
        stops[k] = n
    return starts, stops


@_jit
def cover(n: int, starts: np.ndarray, stops: np.ndarray, out: np.ndarray) -> None:
    """``out`` (length ``n``, all False) True inside the ranges ``[starts, stops)`` (``stance.cover``)."""
    for k in range(starts.shape[0]):
        for i in range(max(starts[k], 0), min(stops[k], n)):
            out[i] = True


@_jit
def held_counts(mask: np.ndarray, starts: np.ndarray, stops: np.ndarray, out: np.ndarray) -> None:
    """Number of True samples of ``mask`` inside each range (``stance.held_counts``)."""
    for k in range(starts.shape[0]):
        count = 0
        for i in range(starts[k], stops[k]):
            count += mask[i]
        out[k] = count


@_jit
def dilate(x: np.ndarray, half: int, invert: bool, out: np.ndarray) -> None:
    """Running max of a boolean mask (``invert``: running min) over ``2 * half + 1`` samples: True
    where a True lies within ``half`` samples (for the min: where no False does). Two passes, no
    window scan: the distance to the nearest True behind and ahead."""
    n = x.shape[0]
    last = -half - 1  # the last True seen (at or before i)
    for i in range(n):
        if x[i] != invert:
            last = i
        out[i] = i - last <= half
    nxt = n + half + 1  # the next True (at or after i)
    for i in range(n - 1, -1, -1):
        if x[i] != invert:
            nxt = i
        hit = out[i] or nxt - i <= half
        out[i] = hit != invert


@_jit
def calm(acc_norm: np.ndarray, g: float, threshold: float, strict: bool, out: np.ndarray) -> None:
    """Samples whose specific force is within ``threshold`` of ``g`` (``stance._calm``)."""
    for i in range(acc_norm.shape[0]):
        d = abs(acc_norm[i] - g)
        out[i] = d < threshold if strict else d <= threshold


@_jit
def larger_ratio(out: np.ndarray, a: np.ndarray, top_a: np.ndarray, first: bool) -> None:
    """``out = a / max(top_a, 1e-9)`` (``first``), else ``out = max(out, a / max(top_a, 1e-9))``, per
    sample (``stance._motion_score``; ``out`` may be ``a``)."""
    for i in range(a.shape[0]):
        r = a[i] / max(top_a[i], 1e-9)
        out[i] = r if first else max(out[i], r)
