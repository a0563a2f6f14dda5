"""The IMU: ideal specific force and angular rate from the foot motion, then the sensor's errors.

Ideal signals (sensor frame; ``R_sensor = R_foot @ mount``):

    f     = mount^T R_foot^T (p_ddot - g),   g = (0, 0, -9.80665)
    omega = mount^T omega_foot

Errors (``SensorSpec``; all random ones scaled by ``noise``): per-axis scale factors and small
cross-axis misalignment, constant bias plus a slow gyro bias random walk, white noise with the given
densities (``sd = density * sqrt(rate / 2)``), saturation at the ranges, 16-bit quantization, and
dropped runs of samples (removed, so the timestamps show the gap).
"""

from __future__ import annotations

import numpy as np

from retrogait.recording import GRAVITY
from retrogait.simulator.footmodel import Kinematics
from retrogait.simulator.rotations import rotate_t
from retrogait.simulator.scenario import SensorSpec


def ideal_signals(kin: Kinematics, mount: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Noise-free ``(acc, gyr)`` in the sensor frame, (N, 3) each."""
    f_world = kin.acc.copy()
    f_world[:, 2] += GRAVITY
    f_foot = rotate_t(kin.rot, f_world)
    # row vectors: (mount^T v)^T = v^T mount; einsum avoids a slow threaded BLAS call on (N, 3) arrays
    return np.einsum("ni,ij->nj", f_foot, mount), np.einsum("ni,ij->nj", kin.omega, mount)


def _error_matrix(rng: np.random.Generator, spec: SensorSpec) -> np.ndarray:
    e = np.diag(1.0 + spec.noise * spec.scale_sd * rng.standard_normal(3))
    off = spec.noise * spec.misalignment_sd * rng.standard_normal((3, 3))
    np.fill_diagonal(off, 0.0)
    return e + off


def apply_errors(
    t: np.ndarray, acc: np.ndarray, gyr: np.ndarray, spec: SensorSpec, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Add the sensor errors. Returns ``(acc, gyr, keep, report)``: ``keep`` indexes the samples that
    survive the dropouts; ``report`` has ``gaps`` ([t_first_missing, t_last_missing] each), the
    ``saturated`` sample counts and the biases drawn."""
    n = t.shape[0]
    report: dict = {"gaps": [], "saturated_acc": 0, "saturated_gyr": 0}
    if spec.noise > 0.0:
        acc = np.einsum("nj,ij->ni", acc, _error_matrix(rng, spec))
        gyr = np.einsum("nj,ij->ni", gyr, _error_matrix(rng, spec))
        ba = spec.noise * spec.acc_bias_sd * rng.standard_normal(3)
        bg = spec.noise * spec.gyr_bias_sd * rng.standard_normal(3)
        # slow bias random walk: drawn at 10 Hz and interpolated
        tk = np.arange(0.0, t[-1] + 0.2, 0.1)
        steps = rng.standard_normal((tk.size, 3)) * (spec.noise * spec.gyr_bias_walk * np.sqrt(0.1))
        knots = np.cumsum(steps, axis=0)
        walk = np.column_stack([np.interp(t, tk, knots[:, i]) for i in range(3)])
        sd_a = spec.noise * spec.acc_noise_density * np.sqrt(spec.rate / 2.0)
        sd_g = spec.noise * spec.gyr_noise_density * np.sqrt(spec.rate / 2.0)
        acc = acc + ba + sd_a * rng.standard_normal((n, 3))
        gyr = gyr + bg + walk + sd_g * rng.standard_normal((n, 3))
        report["acc_bias"] = ba.tolist()
        report["gyr_bias"] = bg.tolist()
    report["saturated_acc"] = int((np.abs(acc) > spec.acc_range).any(axis=1).sum())
    report["saturated_gyr"] = int((np.abs(gyr) > spec.gyr_range).any(axis=1).sum())
    acc = np.clip(acc, -spec.acc_range, spec.acc_range)
    gyr = np.clip(gyr, -spec.gyr_range, spec.gyr_range)
    if spec.quantize:
        qa, qg = spec.acc_range / 32768.0, spec.gyr_range / 32768.0
        acc = np.clip(np.round(acc / qa), -32768, 32767) * qa
        gyr = np.clip(np.round(gyr / qg), -32768, 32767) * qg
    keep = np.ones(n, dtype=bool)
    if spec.dropouts > 0 and n > 4 * spec.rate:
        lo, hi = int(spec.rate), n - int(spec.rate)
        starts = np.sort(rng.integers(lo, hi, spec.dropouts))
        max_len = max(1, int(spec.dropout_max * spec.rate))
        lengths = rng.integers(1, max_len + 1, spec.dropouts)
        for s, ln in zip(starts, lengths):  # a handful of gaps
            keep[s : s + ln] = False
        idx = np.flatnonzero(~keep)
        if idx.size:
            breaks = np.flatnonzero(np.diff(idx) > 1)
            first = np.concatenate([[idx[0]], idx[breaks + 1]])
            last = np.concatenate([idx[breaks], [idx[-1]]])
            report["gaps"] = [[float(t[a]), float(t[b])] for a, b in zip(first, last)]
    return acc, gyr, np.flatnonzero(keep), report
