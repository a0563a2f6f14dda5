"""Self-consistency check: integrate the simulated IMU signals and compare with the true trajectory.

For every stride (mid-stance to mid-stance) the noise-free gyro is integrated from the true initial
orientation and the specific force from the true initial velocity and position (strapdown, 4th-order
corrected trapezoid with a coning term). The worst position and orientation errors over the stride show
that the signals and the trajectory are the same motion (errors shrink ~ rate^-2 to ~rate^-4).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from retrogait.io.recording import GRAVITY


def strapdown(t: np.ndarray, acc: np.ndarray, gyr: np.ndarray, r0: np.ndarray, v0: np.ndarray,
              p0: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integrate one stride's samples (uniform rate): returns orientation (N,3,3) world <- sensor,
    velocity (N,3) and position (N,3). Loops over the samples of one stride only."""
    n, dt = t.shape[0], float(t[1] - t[0])
    wd = np.gradient(gyr, dt, axis=0)
    theta = ((gyr[:-1] + gyr[1:]) * dt / 2 - dt**2 / 12 * (wd[1:] - wd[:-1])
             + dt**2 / 12 * np.cross(gyr[:-1], gyr[1:]))
    steps = Rotation.from_rotvec(theta).as_matrix()
    rot = np.empty((n, 3, 3))
    rot[0] = r0
    for k in range(n - 1):  # the ~100-1000 samples of one stride
        rot[k + 1] = rot[k] @ steps[k]
    a = np.einsum("nij,nj->ni", rot, acc)
    a[:, 2] -= GRAVITY
    ad = np.gradient(a, dt, axis=0)
    vel = np.empty((n, 3))
    vel[0] = v0
    vel[1:] = v0 + np.cumsum((a[:-1] + a[1:]) * dt / 2 - dt**2 / 12 * (ad[1:] - ad[:-1]), axis=0)
    pos = np.empty((n, 3))
    pos[0] = p0
    pos[1:] = p0 + np.cumsum((vel[:-1] + vel[1:]) * dt / 2 - dt**2 / 12 * (a[1:] - a[:-1]), axis=0)
    return rot, vel, pos


def stride_errors(result, foot: str) -> tuple[np.ndarray, np.ndarray]:
    """Per stride of ``foot``: worst position error (m) and orientation error (deg) when integrating
    the noise-free signals of ``result`` (a SimResult with its trajectory) from the true start state."""
    tr = result.trajectory[foot]
    s = result.truth.strides.of_foot(foot)
    pos_err, ang_err = np.zeros(len(s)), np.zeros(len(s))
    true_rot = tr.rotation.as_matrix()
    for i, (a, b) in enumerate(zip(s.t_start, s.t_end)):  # loop over strides
        lo = max(int(np.searchsorted(tr.t, a)), 0)
        hi = min(int(np.searchsorted(tr.t, b)) + 1, tr.t.shape[0])
        rot, _, pos = strapdown(tr.t[lo:hi], tr.acc[lo:hi], tr.gyr[lo:hi], true_rot[lo], tr.vel[lo], tr.pos[lo])
        diff = Rotation.from_matrix(np.matmul(np.transpose(true_rot[lo:hi], (0, 2, 1)), rot))
        pos_err[i] = np.abs(pos - tr.pos[lo:hi]).max()
        ang_err[i] = np.degrees(np.linalg.norm(diff.as_rotvec(), axis=1).max())
    return pos_err, ang_err


def landing_pitch_extremes(result, foot: str) -> np.ndarray:
    """Per stride of ``foot``: time (s) of the foot's landing pitch extreme, the instant the landing
    rotation turns (toe-up extreme before a heel landing, toe-down before a toe landing), read from the
    exact trajectory of ``result`` (a SimResult with its trajectory). This is the instant retrogait's
    initial-contact detector looks for; the simulator's own contact (``t_ic``) follows it by 15-35 ms."""
    tr = result.trajectory[foot]
    s = result.truth.strides.of_foot(foot)
    foot_to_sensor = np.asarray(result.truth.mounts[foot]).T  # v_sensor = mount.T @ v_foot
    toes = tr.rotation.apply(foot_to_sensor @ np.array([1.0, 0.0, 0.0]))  # world
    pitch = np.arctan2(toes[:, 2], np.hypot(toes[:, 0], toes[:, 1]))
    out = np.empty(len(s))
    for i, (a, b, p_ic) in enumerate(zip(s.t_tc, s.t_ic, s.pitch_ic)):  # loop over strides
        lo, hi = np.searchsorted(tr.t, [0.5 * (a + b), b + 0.15])
        out[i] = tr.t[lo + int(np.argmax(pitch[lo:hi] * np.sign(p_ic)))]
    return out


def moving_energy(t: np.ndarray, gyr: np.ndarray, window: float = 0.1) -> np.ndarray:
    """E: centred moving average of the gyro norm ``|omega|`` over ``window`` s (uniform samples)."""
    rate = 1.0 / float(np.median(np.diff(t)))
    n = max(int(round(window * rate)), 1)
    return np.convolve(np.linalg.norm(gyr, axis=1), np.ones(n) / n, mode="same")


def quiet_stances(t: np.ndarray, acc: np.ndarray, gyr: np.ndarray, g_stand: np.ndarray, *,
                  window: float = 0.1, min_stride: float = 0.5, max_stride: float = 1.2,
                  min_peak: float = 2.0) -> dict[str, np.ndarray]:
    """Per stride of a running (or walking) recording, measured the same way on simulated and real data
    (raw sensor axes, no calibration): E = ``window``-s moving average of ``|gyr|``; strides run from one
    minimum of E to the next (minima at least ``min_stride`` s apart, ``min_stride < stride <
    max_stride``). Returns per stride:

    * ``t_min``, ``e_min``: time and E (rad/s) of the quiet moment; ``e_peak``: the stride's largest E;
      ``ratio`` = ``e_min / e_peak``;
    * ``tilt_deg``: angle between the specific force averaged over +-10 ms at the quiet moment and
      ``g_stand`` (the standing attitude's);
    * ``swing_pause``: the lowest E between the stride's first and last E peaks above a quarter of
      ``e_peak``, over ``e_peak`` (the pauses of the rotation inside the swing);
    * ``impact_g``: the stride's largest ``|acc|``, g;
    * ``ic_est``: the landing, the largest ``|acc|`` in the 0.25 s before the quiet moment;
      ``contact_est``: from ``ic_est`` to the push-off peak (the first peak of E after the quiet moment),
      s; an IMU estimate, not the true contact.

    Strides whose quiet moment is not both preceded and followed by a swing (E above half the stride's
    peak within 0.35 s: starting, stopping) or whose peak is below ``min_peak`` rad/s (standing) are left
    out."""
    from scipy.signal import find_peaks

    rate = 1.0 / float(np.median(np.diff(t)))
    e = moving_energy(t, gyr, window)
    anorm = np.linalg.norm(acc, axis=1)
    mins, _ = find_peaks(-e, distance=max(int(min_stride * rate), 1))
    h = max(int(round(0.01 * rate)), 1)
    g0 = np.asarray(g_stand, dtype=float) / np.linalg.norm(g_stand)
    rows = []
    for a, b in zip(mins[:-1], mins[1:]):  # loop over strides
        if not min_stride < t[b] - t[a] < max_stride or a < int(0.25 * rate) or a < h:
            continue
        seg = e[a:b + 1]
        peak = float(seg.max())
        pk, _ = find_peaks(seg, height=0.25 * peak)
        pause = float(seg[pk[0]:pk[-1] + 1].min()) if pk.size >= 2 else peak
        f = acc[a - h:a + h + 1].mean(axis=0)
        tilt = np.degrees(np.arccos(np.clip(f @ g0 / np.linalg.norm(f), -1.0, 1.0)))
        if peak < min_peak or min(e[max(a - int(0.35 * rate), 0):a + 1].max(),
                                  seg[:int(0.35 * rate)].max()) < 0.5 * peak:
            continue  # no swing just before or after: standing, starting or stopping
        lo = a - int(0.25 * rate)
        ic = lo + int(np.argmax(anorm[lo:a + 1]))
        tc = a + int(pk[0]) if pk.size else b
        rows.append((t[a], e[a], peak, e[a] / peak, tilt, pause / peak, anorm[a:b + 1].max() / GRAVITY,
                     t[ic], t[tc] - t[ic]))
    keys = ("t_min", "e_min", "e_peak", "ratio", "tilt_deg", "swing_pause", "impact_g", "ic_est", "contact_est")
    arr = np.array(rows, dtype=float).reshape(-1, len(keys))
    return {k: arr[:, i] for i, k in enumerate(keys)}
