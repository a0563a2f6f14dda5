"""Gait events of every segment (:mod:`retrogait.analysis.events`)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from retrogait.analysis import events
from retrogait.analysis.kernels.jit import jit

#: :func:`retrogait.analysis.events.lever_fit`, compiled (one definition for both paths)
_lever_fit: Callable[..., tuple[float, float, float, float]] = jit(events.lever_fit)


@jit
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


@jit
def _step_time(tt: np.ndarray, o: int, i: int) -> float:
    """Time of a rate or jerk sample: the middle of the step before it (``events._times``)."""
    return 0.5 * (tt[i] + tt[max(i - 1, o)])


@jit
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


@jit
def running_candidates(first: np.ndarray, lens: np.ndarray, a: np.ndarray, b: np.ndarray, reach: float,
                       rate: np.ndarray, jerk: np.ndarray, tc: np.ndarray, ic: np.ndarray, peak_out: np.ndarray
                       ) -> None:
    """``events.running_events``' search: the fastest push-off rotation within ``reach`` samples after
    flat position ``a[k]`` (``tc``) and the first impact within ``reach`` before ``b[k]`` (``ic``: the
    earliest sample whose jerk reaches half the sharpest there, ``peak_out``)."""
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
        peak_out[k] = peak
        ic[k] = o
        for j in range(o, o + n):
            if b[k] - reach <= j <= b[k] and jerk[j] >= 0.5 * peak:
                ic[k] = j
                break


@jit
def pivot_departure(first: np.ndarray, lens: np.ndarray, a: np.ndarray, n_reach: int, peak: np.ndarray,
                    pos: np.ndarray, pitch: np.ndarray, tt: np.ndarray, rate: np.ndarray, min_turn: float,
                    lift: float, fit_share: float, rounds: int, dep: np.ndarray, found: np.ndarray) -> None:
    """:func:`retrogait.analysis.events.pivot_departure` per segment: the sagittal lever ``c + Rot(pitch) l``
    fitted by least squares on the window before the provisional terminal contact, refitted ``rounds``
    times; ``dep[k]`` the time the path leaves it by ``lift`` (``found[k]`` False: no fit). The normal
    equations' sums run on over all windows in order, as the numpy version's cumulative sums do."""
    run = np.zeros(7)  # running sums over the windows so far (the numpy version's cumsum)
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
            sums = cum[end] - before
            cx, cz, lx, lz = _lever_fit(sums[0], sums[1], sums[2], sums[3], sums[4], sums[5], sums[6])
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
