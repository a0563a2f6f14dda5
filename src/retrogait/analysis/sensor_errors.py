"""Stage: sensor errors learned from standing (gyro bias, accelerometer rest error, mounting tilt).

Standing is the one time the truth is known (the foot does not turn, and feels exactly g), so the
long stances estimate what the sensor gets wrong before any integration uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrogait.analysis.compiled import kernels
from retrogait.analysis.frames import FootSignals
from retrogait.analysis.ranges import range_sums
from retrogait.analysis.settings import DEFAULT, SensorErrorSettings
from retrogait.io.recording import GRAVITY


@dataclass(frozen=True)
class SensorErrors:
    """What standing says about the sensor."""

    gyr_bias: np.ndarray
    """Gyro bias (3,), sensor frame, rad/s (zeros when there is no standing)."""
    acc_bias: np.ndarray
    """Accelerometer rest error (3,) along the stance vertical, foot frame, m/s^2."""


def rest_samples(starts: np.ndarray, stops: np.ndarray, rate: float,
                 s: SensorErrorSettings = DEFAULT.sensor) -> np.ndarray:
    """Sample indices inside long stances (standing: the foot really is still), ends trimmed."""
    long_ = (stops - starts) > s.bias_standing * rate
    trim = int(0.2 * rate)
    a, b = starts[long_] + trim, stops[long_] - trim
    ranges = [np.arange(x, y) for x, y in zip(a[:200], b[:200]) if y > x]
    if not ranges:
        return np.zeros(0, dtype=np.int64)
    rest = np.concatenate(ranges)
    step = -(-rest.shape[0] // int(s.max_rest_samples))  # thin out hours of standing (memory, time)
    return rest[::step]


def gyro_bias(gyr: np.ndarray, rest: np.ndarray, s: SensorErrorSettings = DEFAULT.sensor) -> np.ndarray:
    """Gyro bias: trimmed mean over the rest samples (zero if there are none).

    Trimmed (robust to a fidget while standing) but a mean, not the median: the output is quantized
    (0.06 deg/s per step at 16 bits over +-2000 deg/s) and a median snaps to a step, leaving up to half
    a step of bias however long the rest; the noise dithers the steps, so the mean resolves it.
    """
    if rest.size == 0:
        return np.zeros(3)
    srt = np.sort(gyr[rest], axis=0)
    cut = int(s.bias_trim * srt.shape[0])
    bias = srt[cut : srt.shape[0] - cut].mean(axis=0)
    return bias if np.linalg.norm(bias) < s.max_gyro_bias else np.zeros(3)


def acc_bias(sig: FootSignals, acc_norm: np.ndarray, rest: np.ndarray,
             s: SensorErrorSettings = DEFAULT.sensor) -> np.ndarray:
    """Accelerometer error along the rest vertical (foot frame, m/s^2): a still foot must read g.

    An excess of the rest magnitude over g is a bias or scale error of the sensor axis that points up
    in stance. Fixed to the sensor, it turns with the foot in the swing and leaks ``excess * sin(pitch)``
    into the horizontal acceleration, which the zero-velocity de-drift cannot separate from the real
    motion. Tilt errors along the other axes are absorbed by levelling from gravity at each stance.
    Local gravity differs from the standard value by at most ~0.03 m/s^2, well below typical errors.
    """
    if rest.size == 0:
        return np.zeros(3)
    excess = float(np.median(acc_norm[rest])) - GRAVITY
    if abs(excess) > s.max_acc_excess:
        return np.zeros(3)
    up = sig.to_foot(sig.acc[rest].sum(axis=0))
    return excess * up / np.linalg.norm(up)


def estimate_sensor_errors(sig: FootSignals, gyr: np.ndarray, acc_norm: np.ndarray, starts: np.ndarray,
                           stops: np.ndarray, rate: float, s: SensorErrorSettings = DEFAULT.sensor) -> SensorErrors:
    """The stage: gyro bias and accelerometer rest error from the standing stances ``[starts, stops)``."""
    rest = rest_samples(starts, stops, rate, s)
    g = gyro_bias(gyr, rest, s)
    return SensorErrors(gyr_bias=g, acc_bias=acc_bias(sig, acc_norm, rest, s))


def unbiased_norm(gyr: np.ndarray, gyr_norm: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Norm of ``gyr - bias`` per row, from the raw norms (no (N, 3) copy of a long recording)."""
    kern = kernels(int(gyr.shape[0]))
    if kern is not None:
        out = np.empty(gyr.shape[0])
        kern.unbiased_norm(gyr, bias, out)
        return out
    dot = gyr[:, 0] * bias[0] + gyr[:, 1] * bias[1] + gyr[:, 2] * bias[2]
    return np.sqrt(np.maximum(gyr_norm * gyr_norm - 2.0 * dot + float(bias @ bias), 0.0))


def stance_tilt(sig: FootSignals, starts: np.ndarray, stops: np.ndarray) -> float:
    """Angle (rad) between the mean stance gravity direction in the foot frame and the foot's z axis."""
    if starts.size == 0:
        return 0.0
    up = sig.to_foot(range_sums(sig.acc, starts, stops).sum(axis=0))
    return float(np.arccos(np.clip(up[2] / np.linalg.norm(up), -1.0, 1.0)))
