"""Gait events per stride, direction-agnostic: terminal contact (TC) and initial contact (IC).

Backward walking is close to forward walking played in reverse, so the events are defined by what the
foot does, not by the order forward walking gives them. In every stride the foot tips to its two pitch
extremes (or, in a side step, roll extremes): the first one follows the foot leaving the ground
(toe-down at toe-off forward, toe-up as the heel leaves backward); the second one is where the ground
stops the landing rotation (toe-up at heel strike forward, toe-down at toe strike backward).

* IC = the landing extreme (the ground halts the rotation at contact), refined between samples with a
  parabola through the extreme and its neighbours.
* TC = where the pitch comes within ``GaitSettings.tc_plateau`` of the first extreme: once free of the ground the
  foot coasts on into that extreme for a moment, so contact ends while the rotation is still fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from retrogait.analysis.compiled import kernels
from retrogait.analysis.per_segment import PerSegment
from retrogait.analysis.ranges import grouped_argext, range_first, range_index
from retrogait.analysis.settings import DEFAULT, GaitSettings
from retrogait.analysis.strapdown import Trajectory

F = TypeVar("F", float, np.ndarray)


@dataclass
class SwingSignals:
    """What every event rule reads, computed once per chunk of segments (flat arrays like the
    :class:`Trajectory`'s): the swing's main tilt (pitch, or roll for side steps, rad), the flat
    positions of its first extreme (after take-off) and its landing extreme per segment, the sample
    times, the tilt rate (rad/s) and the jerk of the specific force (m/s^3; 0 at segment starts)."""

    tilt: np.ndarray
    first_ext: np.ndarray
    land_ext: np.ndarray
    tt: np.ndarray
    rate: np.ndarray
    jerk: np.ndarray


def swing_signals(traj: Trajectory, t: np.ndarray, acc: np.ndarray) -> SwingSignals:
    """The :class:`SwingSignals` of a chunk (``acc``: the stream's (N, 3) specific force)."""
    kern = kernels(int(traj.idx.shape[0]))
    if kern is not None:
        tilt_k, tt_k, rate_k, jerk_k = (np.empty(traj.idx.shape[0]) for _ in range(4))
        ext = np.empty((2, traj.first.shape[0]), dtype=np.int64)
        kern.swing_signals(t, acc, traj.idx[traj.first], traj.first, traj.lens, traj.pitch, traj.roll, tilt_k,
                           tt_k, rate_k, jerk_k, ext[0], ext[1])
        return SwingSignals(tilt_k, ext[0], ext[1], tt_k, rate_k, jerk_k)
    p_rng = np.maximum.reduceat(traj.pitch, traj.first) - np.minimum.reduceat(traj.pitch, traj.first)
    r_rng = np.maximum.reduceat(traj.roll, traj.first) - np.minimum.reduceat(traj.roll, traj.first)
    tilt = np.where((r_rng > 1.5 * p_rng)[traj.grp], traj.roll, traj.pitch)
    imin = grouped_argext(tilt, traj.first, traj.grp, largest=False)
    imax = grouped_argext(tilt, traj.first, traj.grp, largest=True)
    tt = t[traj.idx]
    dt = np.maximum(np.diff(tt), 1e-9)
    rate = np.zeros(tilt.shape[0])
    rate[1:] = np.diff(tilt) / dt
    jerk = np.zeros(tilt.shape[0])
    jerk[1:] = np.linalg.norm(np.diff(acc[traj.idx], axis=0), axis=1) / dt
    rate[traj.first] = 0.0
    jerk[traj.first] = 0.0
    return SwingSignals(tilt, np.minimum(imin, imax), np.maximum(imin, imax), tt, rate, jerk)


def _refine(p: np.ndarray, i: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Sub-sample offset (-0.5..0.5) of the extreme at flat position ``i`` (parabolic fit)."""
    ok = (i > lo) & (i < hi)
    a, b, c = p[np.where(ok, i - 1, i)], p[i], p[np.where(ok, i + 1, i)]
    den = a - 2 * b + c
    with np.errstate(invalid="ignore", divide="ignore"):
        off = np.where(ok & (np.abs(den) > 1e-12), 0.5 * (a - c) / den, 0.0)
    return np.clip(off, -0.5, 0.5)


def contact_events(traj: Trajectory, t: np.ndarray, sw: SwingSignals, s: GaitSettings = DEFAULT.gait
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per segment: the walking TC and IC times (s) and the pitch at both (rad)."""
    flat = sw.land_ext
    i = traj.idx[flat]
    off = _refine(sw.tilt, flat, traj.first, traj.first + traj.lens - 1)
    nxt = np.minimum(i + 1, t.shape[0] - 1)
    prv = np.maximum(i - 1, 0)
    t_ic = t[i] + off * np.where(off >= 0, t[nxt] - t[i], t[i] - t[prv])
    t_tc = _plateau_onset(traj, sw.tilt, sw.first_ext, t, s.tc_plateau)
    return t_tc, t_ic, traj.pitch[sw.first_ext], traj.pitch[flat]


def _plateau_onset(traj: Trajectory, tilt: np.ndarray, ext: np.ndarray, t: np.ndarray,
                   plateau: float) -> np.ndarray:
    """Time where ``tilt``, before the extreme at flat position ``ext``, enters ``plateau`` (rad) of it."""
    n = tilt.shape[0]
    pos = np.arange(n)
    far = (np.abs(tilt - tilt[ext][traj.grp]) >= plateau) & (pos < ext[traj.grp])
    last_far = np.maximum.reduceat(np.where(far, pos, -1), traj.first)
    ok = last_far >= 0
    a = np.where(ok, last_far, ext)
    b = np.where(ok, np.minimum(a + 1, ext), ext)
    da = np.abs(tilt[a] - tilt[ext])
    db = np.abs(tilt[b] - tilt[ext])
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(ok & (da > db), (da - plateau) / (da - db), 0.0)
    ta, tb = t[traj.idx[a]], t[traj.idx[b]]
    return ta + np.clip(f, 0.0, 1.0) * (tb - ta)


def _times(traj: Trajectory, sw: SwingSignals, i: np.ndarray) -> np.ndarray:
    """Time of a rate or jerk sample: the middle of the step before it (what it measures)."""
    return 0.5 * (sw.tt[i] + sw.tt[np.maximum(i - 1, traj.first[traj.grp[i]])])


def running_events(traj: Trajectory, sw: SwingSignals, lift: np.ndarray, land: np.ndarray,
                   s: GaitSettings = DEFAULT.gait, rate: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TC and IC (s) for running, the push-off rotation and the landing impact, and the pitch at IC (rad).

    In running the foot keeps rotating for ~0.1 s after take-off and turns before it lands, so the
    tilt extremes of :func:`contact_events` sit inside the swing, and a forefoot landing has no
    extreme at all. A runner's contact lasts 0.15-0.3 s around the mid-stance anchor, so the events
    are searched within ``contact_reach`` of the stance regions (``lift``: the first sample after
    the start stance, ``land``: the first sample of the end stance, stream indices):

    * TC: where the foot leaves the ground point it rolled over (:func:`pivot_departure`), searched
      from the fastest push-off rotation within reach after the start stance. That peak itself
      (Falbriard et al. 2018, Front Physiol 9:610: the most precise feature against force plates, with
      a speed-dependent bias) is not contact: on the PyShoe jogs (real, 200 Hz) the pivot is left
      11-23 ms after it, in the simulator 14-25 ms before it (its foot speeds up into the heel kick);
      it is kept only where no lever can be fitted.
    * IC: the ground stops the falling foot: the first sharp change of the specific force within reach
      before the end stance (the earliest whose jerk reaches half the sharpest there: after a forefoot
      landing the heel drops, and that second impact can be the sharper one), timed between samples
      where the jerk crosses that half (:func:`impact_onset`).
    """
    start = traj.idx[traj.first]
    a_seg = traj.first + np.clip(lift - start, 0, traj.lens - 1)
    b_seg = traj.first + np.clip(land - start, 0, traj.lens - 1)
    dt = _step(sw, rate)
    reach = s.contact_reach / dt  # samples
    kern = kernels(int(traj.idx.shape[0]))
    if kern is not None:
        tc, ic = np.empty((2, a_seg.shape[0]), dtype=np.int64)
        peak = np.empty(a_seg.shape[0])
        kern.running_candidates(traj.first, traj.lens, a_seg, b_seg, reach, sw.rate, sw.jerk, tc, ic, peak)
    else:
        a, b = a_seg[traj.grp], b_seg[traj.grp]
        pos = np.arange(sw.rate.shape[0])
        speed = np.abs(sw.rate)
        tc = grouped_argext(np.where((pos >= a) & (pos <= a + reach), speed, -np.inf), traj.first, traj.grp, True)
        window = (pos <= b) & (pos >= b - reach)
        peak = np.maximum.reduceat(np.where(window, sw.jerk, 0.0), traj.first)
        # the first impact: the earliest sample whose jerk reaches half the window's sharpest (a forefoot
        # landing is followed by the heel's drop, which can be the sharper of the two)
        first_hit = window & (sw.jerk >= 0.5 * peak[traj.grp])
        ic = grouped_argext(np.where(first_hit, -pos, -np.inf), traj.first, traj.grp, True)
    t_tc = pivot_departure(traj, sw, a_seg, s.contact_reach, tc, s, dt)
    return t_tc, impact_onset(traj, sw, ic, 0.5 * peak), traj.pitch[ic]


def _step(sw: SwingSignals, rate: float | None) -> float:
    """The sample interval (s): the stream's when its ``rate`` is given (the same for every chunk of
    segments), else the median of the chunk's first steps."""
    if rate:
        return 1.0 / rate
    return max(float(np.median(np.diff(sw.tt[: min(1000, sw.tt.shape[0])]))), 1e-9)


def impact_onset(traj: Trajectory, sw: SwingSignals, i: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Time (s) where the jerk first reaches ``level`` per segment, between samples: ``i`` is the flat
    position of the first jerk sample at or above it.

    A jerk sample is the mean jerk over the step before it (placed at the step's middle,
    :func:`_times`), and the touch falls anywhere within a step, so the first step that reaches the
    level holds only part of the impact: at 100-200 Hz it is often the next one, a sample late. The
    crossing is therefore placed between the two samples that bracket it, linearly. Why linear: where
    the ground starts to act the specific force bends (its jerk steps up at the touch, ``t0``), and the
    step means of a jerk step are a straight ramp from ``t0 - dt/2`` to ``t0 + dt/2`` (mid-step times), so
    a fixed fraction of its height is crossed at a fixed time whatever the impact's amplitude (the
    constant-fraction timing of pulse arrival), half of it at ``t0`` itself (within a tenth of a step
    where the bracketing samples leave the ramp). Where the sample before ``i`` is not a step inside
    the segment or already reaches the level (the search window began there), the time stays ``i``'s.
    """
    o = traj.first[traj.grp[i]]
    prev = np.maximum(i - 1, o)
    j0, j1 = sw.jerk[prev], sw.jerk[i]
    ok = (i - 1 > o) & (j0 < level) & (j1 > j0)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.clip(np.where(ok, (level - j0) / (j1 - j0), 1.0), 0.0, 1.0)
    t0, t1 = _times(traj, sw, prev), _times(traj, sw, i)
    return t0 + f * (t1 - t0)


#: the lever is refitted on the samples within this share of ``GaitSettings.tc_lift`` of it: those
#: already departing would bend the fit toward themselves and so delay the departure they mark
FIT_SHARE = 0.5
#: fits per segment: from the fastest push-off rotation, then twice from the departure found
FIT_ROUNDS = 3


def lever_fit(n: F, sc: F, ss: F, sx: F, sz: F, su: F, sv: F) -> tuple[F, F, F, F]:
    """Least-squares lever ``(cx, cz, lx, lz)`` of :func:`pivot_departure` from the sums of its normal
    equations (``n`` samples; sums of cos, sin of the pitch, x, z, ``c x + s z``, ``c z - s x``), for
    scalars or arrays alike (the compiled kernels use this same function).

    The normal matrix is ``[[n I, B], [B^T, n I]]`` with ``B = [[sc, -ss], [ss, sc]]``, and ``B^T B =
    (sc^2 + ss^2) I``, so the system solves in closed form through its Schur complement
    ``d I = (n - (sc^2 + ss^2) / n) I`` (``d`` > 0 whenever the pitch varies over the window)."""
    d = n - (sc * sc + ss * ss) / n
    ux, uz = sx / n, sz / n
    lx = (su - (sc * ux + ss * uz)) / d
    lz = (sv - (-ss * ux + sc * uz)) / d
    cx = ux - (sc * lx - ss * lz) / n
    cz = uz - (ss * lx + sc * lz) / n
    return cx, cz, lx, lz


def pivot_departure(traj: Trajectory, sw: SwingSignals, a: np.ndarray, reach: float, peak: np.ndarray,
                    s: GaitSettings = DEFAULT.gait, dt: float | None = None) -> np.ndarray:
    """Terminal contact (s): where the foot stops turning about a point fixed on the ground.

    While a runner's foot is on the ground after mid-stance it can only roll over its last contact
    point (ball forward, heel backward), so the sensor moves as a fixed lever about a fixed point: in
    the sagittal plane ``p = c + Rot(pitch) l`` with ``c`` and ``l`` constant. Contact ends when that
    point leaves the ground, i.e. when the sensor's path departs from the lever by more than the sole's
    compression (``GaitSettings.tc_lift``). Unlike the peak push-off rotation this does not depend on how
    the leg swings the foot on after take-off (which changes with speed and heel kick).

    ``c`` and ``l`` are fitted per segment by linear least squares on the integrated path (x forward,
    z up, the segment's level frame) from at most ``reach`` (s) before the end of the start stance (flat
    position ``a``) up to a provisional terminal contact (first ``peak``, the fastest push-off
    rotation, then the departure found), twice; the departure is the last sample within the
    tolerance before the foot is clearly airborne (``reach`` after the stance), refined linearly.
    Segments whose window turns less than ``tc_min_turn`` (no lever to fit) keep the ``peak`` time.
    """
    m = traj.first.shape[0]
    dt = _step(sw, None) if dt is None else dt
    n_reach = int(round(reach / dt))
    kern = kernels(int(traj.idx.shape[0]))
    if kern is not None:
        dep_k, found_k = np.empty(m), np.empty(m, dtype=bool)
        kern.pivot_departure(traj.first, traj.lens, a, n_reach, peak, traj.pos, traj.pitch, sw.tt, sw.rate,
                             s.tc_min_turn, s.tc_lift, FIT_SHARE, FIT_ROUNDS, dep_k, found_k)
        return np.where(found_k, dep_k, _times(traj, sw, peak))
    last = traj.first + traj.lens - 1
    lo = np.maximum(traj.first, a - n_reach)
    # inclusive search end: ``reach`` after the stance, and no later than where the push-off rotation
    # stops (the foot is then in its swing, and turning back it could meet the lever's circle again)
    flat = np.arange(sw.rate.shape[0])
    sgn = np.sign(sw.rate[peak])[traj.grp]
    turned = (flat > peak[traj.grp]) & (sw.rate * sgn <= 0.0)
    stop = np.minimum.reduceat(np.where(turned, flat, last[traj.grp]), traj.first)
    hi = np.maximum(np.minimum(np.minimum(last, a + n_reach), stop), lo)
    idx, g = range_index(lo, hi + 1)
    starts = range_first(hi + 1 - lo)
    x, z, pitch = traj.pos[idx, 0], traj.pos[idx, 2], traj.pitch[idx]
    c, sn = np.cos(pitch), np.sin(pitch)
    # running sums of the normal equations' terms: each fit is then a difference of two rows
    cum = np.cumsum(np.column_stack([np.ones_like(x), c, sn, x, z, c * x + sn * z, c * z - sn * x]), axis=0)
    base = np.where(starts > 0, starts - 1, 0)
    before = np.where((starts > 0)[:, None], cum[base], 0.0)
    flat = np.arange(idx.shape[0])
    end = np.clip(peak, lo, hi) - lo + starts  # provisional end of the contact, position in the window
    in_first = flat <= end[g]
    turn = (np.maximum.reduceat(np.where(in_first, pitch, -np.inf), starts)
            - np.minimum.reduceat(np.where(in_first, pitch, np.inf), starts))
    found = np.zeros(m, dtype=bool)
    dep = np.zeros(m)
    for _ in range(FIT_ROUNDS):
        n, sc, ss, sx, sz, su, sv = (cum[end] - before).T
        ok = (turn >= s.tc_min_turn) & (n >= 4)
        with np.errstate(invalid="ignore", divide="ignore"):
            sol = lever_fit(n, sc, ss, sx, sz, su, sv)
        cx, cz, lx, lz = (np.where(ok, v, 0.0)[g] for v in sol)
        err = np.hypot(x - (cx + lx * c - lz * sn), z - (cz + lx * sn + lz * c))
        lastin = np.maximum.reduceat(np.where(err <= s.tc_lift, flat, -1), starts)
        good = ok & (lastin >= starts) & (lastin < starts + (hi - lo))
        i0 = np.where(good, lastin, starts)
        i1 = np.minimum(i0 + 1, idx.shape[0] - 1)
        e0, e1 = err[i0], err[i1]
        with np.errstate(invalid="ignore", divide="ignore"):
            f = np.clip(np.where(e1 > e0, (s.tc_lift - e0) / (e1 - e0), 0.0), 0.0, 1.0)
        t0, t1 = sw.tt[idx[i0]], sw.tt[idx[i1]]
        dep = np.where(good, t0 + f * (t1 - t0), dep)
        found |= good
        # refit on the samples well within the tolerance (those departing bend the fit toward them)
        core = np.maximum.reduceat(np.where(err <= FIT_SHARE * s.tc_lift, flat, -1), starts)
        end = np.where(good & (core >= starts), core, end)
    return np.where(found, dep, _times(traj, sw, peak))


def swing_bounds(traj: Trajectory, sw: SwingSignals) -> tuple[np.ndarray, np.ndarray]:
    """Take-off and landing (s) of the swing bracketed by its tilt extremes, to tell running from walking.

    * take-off: the fastest rotation toward the swing's first tilt extreme, before it (the push-off);
    * landing: the sharpest change of the specific force between the landing tilt extreme and the
      fastest rotation the ground then imposes (foot slap, heel drop).

    These bound the swing from inside the contact's rotations, so they measure walking and running
    alike (the timing of running strides comes from :func:`running_events`): on the PyShoe trials
    (real, 200 Hz) the duty factor they give is 0.36-0.42 for the four runs and 0.54-0.58 for the six
    walks (medians).
    """
    sign = np.sign(sw.tilt[sw.land_ext] - sw.tilt[sw.first_ext])[traj.grp]  # the swing's rotation
    pos = np.arange(sw.rate.shape[0])
    toward = np.where(pos <= sw.first_ext[traj.grp], -sign * sw.rate, -np.inf)
    tc = grouped_argext(toward, traj.first, traj.grp, largest=True)
    after = pos > sw.land_ext[traj.grp]
    slap = grouped_argext(np.where(after, -sign * sw.rate, -np.inf), traj.first, traj.grp, largest=True)
    window = after & (pos <= slap[traj.grp])
    ic = grouped_argext(np.where(window, sw.jerk, -np.inf), traj.first, traj.grp, largest=True)
    ic = np.where(window[ic], ic, sw.land_ext)
    return _times(traj, sw, tc), _times(traj, sw, ic)


@dataclass
class SegmentEvents(PerSegment):
    """Gait events of every segment (times in s on the stream's clock, angles in rad)."""

    t_tc: np.ndarray
    """Terminal contact (toe-off), walking rule: the pitch leaves its stance plateau."""
    t_ic: np.ndarray
    """Initial contact, walking rule: the landing tilt extreme, refined between samples."""
    pitch_tc: np.ndarray
    """Foot pitch at the swing's first tilt extreme (after push-off)."""
    pitch_ic: np.ndarray
    """Foot pitch at the landing extreme."""
    t_lift: np.ndarray
    """Take-off bounding the swing from inside (:func:`swing_bounds`, for the duty factor)."""
    t_land: np.ndarray
    """Landing bounding the swing from inside."""
    t_tc_run: np.ndarray
    """Terminal contact, running rule (:func:`running_events`)."""
    t_ic_run: np.ndarray
    """Initial contact, running rule."""
    pitch_ic_run: np.ndarray
    """Foot pitch at the running initial contact."""


def segment_events(traj: Trajectory, t: np.ndarray, acc: np.ndarray, lift: np.ndarray, land: np.ndarray,
                   s: GaitSettings = DEFAULT.gait, running: bool = True, rate: float | None = None) -> SegmentEvents:
    """The stage: every event of a chunk's segments (walking and running rules both; the stride table
    keeps the one that fits each stride's gait). ``lift``/``land``: see :func:`running_events`.
    ``running=False`` leaves the running events NaN (the stride table asks for those of its running
    strides only: :func:`retrogait.analysis.kinematics.running_events_of`). ``rate``: the stream's
    measured sample rate (Hz), so the running search windows do not depend on how segments are chunked."""
    sw = swing_signals(traj, t, acc)
    kern = kernels(int(traj.idx.shape[0]))
    if kern is not None:
        t_tc, t_ic, pitch_tc, pitch_ic, t_lift, t_land = np.empty((6, traj.first.shape[0]))
        kern.contact_and_bounds(t, traj.idx[traj.first], traj.first, traj.lens, traj.pitch, sw.tilt, sw.tt, sw.rate,
                                sw.jerk, sw.first_ext, sw.land_ext, s.tc_plateau, t_tc, t_ic, pitch_tc, pitch_ic,
                                t_lift, t_land)
    else:
        t_tc, t_ic, pitch_tc, pitch_ic = contact_events(traj, t, sw, s)
        t_lift, t_land = swing_bounds(traj, sw)
    if running:
        t_tc_run, t_ic_run, pitch_ic_run = running_events(traj, sw, lift, land, s, rate)
    else:
        t_tc_run = t_ic_run = pitch_ic_run = np.full(traj.first.shape[0], np.nan)
    return SegmentEvents(t_tc, t_ic, pitch_tc, pitch_ic, t_lift, t_land, t_tc_run, t_ic_run, pitch_ic_run)
