"""The IMU: ideal specific force and angular rate from the foot motion, then the sensor's errors.

Ideal signals (sensor frame; ``R_sensor = R_foot @ mount``):

    f     = mount^T R_foot^T (p_ddot - g),   g = (0, 0, -9.80665)
    omega = mount^T omega_foot

Errors (``SensorSpec``; all random ones scaled by ``noise``): per-axis scale factors and small
cross-axis misalignment, constant bias plus a slow gyro bias random walk, white noise with the given
densities (``sd = density * sqrt(rate / 2)``), saturation at the ranges, 16-bit quantization, and
dropped runs of samples (removed, so the timestamps show the gap): a few long ``dropouts`` and/or
wireless-style ``packet_loss``, short bursts (2-11 samples by default) dropped all through the recording
(:func:`packet_bursts`).

Where the errors come from (:func:`draw_errors`):

* no ``device_id`` (an anonymous sensor): everything is drawn from the session's random stream, so two
  sessions share nothing (this is the original model; the same seed gives the same bytes);
* with a ``device_id``: each foot's sensor is one physical unit, ``unit_name(device_id, foot)``. Its
  constants -- accelerometer and gyroscope scale / misalignment matrices and the constant part of the
  accelerometer bias -- are drawn from a generator seeded by a hash of the unit name, identical in every
  session of that device. Each session (session seed) adds the accelerometer turn-on bias
  (``acc_turnon_bias_sd``), the gyroscope bias, its random walk and the white noise.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from retrogait.io.recording import GRAVITY
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


def unit_name(device_id: str | None, foot: str) -> str | None:
    """The physical unit worn on ``foot`` by device ``device_id`` (None for an anonymous sensor). A device
    is a kit with one unit per foot, so the left unit is the same in one-foot and two-feet sessions."""
    return None if device_id is None else f"{device_id}:{foot}"


def unit_rng(unit: str) -> np.random.Generator:
    """The generator of a unit's constant errors: seeded by a hash of its name (stable across runs,
    platforms and Python versions, unlike ``hash()``)."""
    digest = hashlib.sha256(f"retrogait-sensor-unit:{unit}".encode()).digest()
    return np.random.default_rng(np.random.SeedSequence(int.from_bytes(digest[:16], "little")))


@dataclass
class SensorErrors:
    """The deterministic errors of one sensor in one session: ``measured = matrix @ true + bias``.

    With a device identity ``acc_bias = acc_bias_unit + acc_bias_turnon`` (the unit's constant part plus
    this session's turn-on part); an anonymous sensor draws its whole bias per session (both None).
    """

    acc_matrix: np.ndarray
    gyr_matrix: np.ndarray
    acc_bias: np.ndarray
    gyr_bias: np.ndarray
    unit: str | None = None
    acc_bias_unit: np.ndarray | None = None
    acc_bias_turnon: np.ndarray | None = None

    def to_dict(self) -> dict:
        """JSON-ready (for the truth sidecar)."""
        out: dict = {"unit": self.unit, "acc_matrix": self.acc_matrix.tolist(),
                     "gyr_matrix": self.gyr_matrix.tolist(), "acc_bias": self.acc_bias.tolist(),
                     "gyr_bias": self.gyr_bias.tolist()}
        if self.acc_bias_unit is not None and self.acc_bias_turnon is not None:
            out["acc_bias_unit"] = self.acc_bias_unit.tolist()
            out["acc_bias_turnon"] = self.acc_bias_turnon.tolist()
        return out


def draw_errors(spec: SensorSpec, rng: np.random.Generator, unit: str | None = None) -> SensorErrors:
    """Scale/misalignment matrices and biases (see the module docstring). ``rng`` is the session's
    stream; without a ``unit`` the draws from it are in the original order (same bytes as before)."""
    if unit is None:
        acc_m, gyr_m = _error_matrix(rng, spec), _error_matrix(rng, spec)
        ba = spec.noise * spec.acc_bias_sd * rng.standard_normal(3)
        bg = spec.noise * spec.gyr_bias_sd * rng.standard_normal(3)
        return SensorErrors(acc_m, gyr_m, ba, bg)
    dev = unit_rng(unit)
    acc_m, gyr_m = _error_matrix(dev, spec), _error_matrix(dev, spec)
    ba_unit = spec.noise * spec.acc_bias_sd * dev.standard_normal(3)
    ba_on = spec.noise * spec.acc_turnon_bias_sd * rng.standard_normal(3)
    bg = spec.noise * spec.gyr_bias_sd * rng.standard_normal(3)
    return SensorErrors(acc_m, gyr_m, ba_unit + ba_on, bg, unit, ba_unit, ba_on)


def apply_errors(
    t: np.ndarray, acc: np.ndarray, gyr: np.ndarray, spec: SensorSpec, rng: np.random.Generator,
    unit: str | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Add the sensor errors (``unit``: the physical unit, see :func:`unit_name`; None = anonymous).
    Returns ``(acc, gyr, keep, report)``: ``keep`` indexes the samples that survive the dropouts;
    ``report`` has ``gaps`` ([t_first_missing, t_last_missing] each), the ``saturated`` sample counts
    and, with ``noise > 0``, the biases and the ``errors`` drawn (:class:`SensorErrors`)."""
    n = t.shape[0]
    report: dict = {"gaps": [], "saturated_acc": 0, "saturated_gyr": 0}
    if spec.noise > 0.0:
        err = draw_errors(spec, rng, unit)
        acc = np.einsum("nj,ij->ni", acc, err.acc_matrix)
        gyr = np.einsum("nj,ij->ni", gyr, err.gyr_matrix)
        ba, bg = err.acc_bias, err.gyr_bias
        report["errors"] = err
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
    sat_acc = (np.abs(acc) > spec.acc_range).any(axis=1)
    sat_gyr = (np.abs(gyr) > spec.gyr_range).any(axis=1)
    report["saturated_acc"] = int(sat_acc.sum())
    report["saturated_gyr"] = int(sat_gyr.sum())
    report["saturated_mask"] = sat_acc | sat_gyr
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
    if spec.packet_loss:
        keep &= ~packet_bursts(n, float(spec.packet_loss), spec.packet_burst or (2, 11), rng)
        report["gaps"] = gap_list(t, keep)
    return acc, gyr, np.flatnonzero(keep), report


def gap_list(t: np.ndarray, keep: np.ndarray) -> list[list[float]]:
    """``[t_first_missing, t_last_missing]`` of every run of dropped samples (``keep`` false)."""
    idx = np.flatnonzero(~keep)
    if not idx.size:
        return []
    breaks = np.flatnonzero(np.diff(idx) > 1)
    first = np.concatenate([[idx[0]], idx[breaks + 1]])
    last = np.concatenate([idx[breaks], [idx[-1]]])
    return [[float(t[a]), float(t[b])] for a, b in zip(first, last)]


def packet_bursts(n: int, fraction: float, burst: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Mask of the samples lost by a wireless link: bursts of ``burst[0]..burst[1]`` consecutive samples
    (uniform lengths) that add up to ``fraction`` of ``n`` (within one burst), at random places, never
    adjacent (at least one sample arrives between two bursts) and never at the first or last sample."""
    lo, hi = burst
    target = int(round(fraction * n))
    lost = np.zeros(n, dtype=bool)
    if target <= 0 or n < 3:
        return lost
    lengths = rng.integers(lo, hi + 1, target // lo + 1)
    nb = int(np.searchsorted(np.cumsum(lengths), target)) + 1
    lengths = lengths[:nb]
    n_keep = n - int(lengths.sum())
    if n_keep < nb + 1:
        raise ValueError(f"packet_loss {fraction} leaves too few samples for bursts of {lo}-{hi}")
    cuts = np.sort(rng.choice(n_keep - 1, nb, replace=False)) + 1
    runs = np.diff(np.concatenate([[0], cuts, [n_keep]]))
    sizes = np.empty(2 * nb + 1, dtype=np.int64)
    sizes[0::2], sizes[1::2] = runs, lengths
    flags = np.zeros(2 * nb + 1, dtype=bool)
    flags[1::2] = True
    return np.repeat(flags, sizes)
