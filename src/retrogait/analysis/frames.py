"""Sensor -> foot frame: choose the mounting, apply it, and check the signals make physical sense."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from retrogait.analysis.compiled import kernels
from retrogait.analysis.settings import DEFAULT, GapSettings
from retrogait.errors import InputFileError, NoGaitError, UsageProblem
from retrogait.io.recording import GRAVITY, Stream

ACC_FULL_SCALE_FLOOR = 2.0 * GRAVITY  # m/s^2: the smallest accelerometer range sold (+-2 g)
GYR_FULL_SCALE_FLOOR = np.deg2rad(250.0)  # rad/s: the smallest gyroscope range sold (+-250 deg/s)

#: Named mountings a user may pass as ``--mount``: rows are the foot axes in sensor coordinates.
PRESET_MOUNTS: dict[str, np.ndarray] = {
    "identity": np.eye(3),
    # sensor x toward the toes, y right, z down (OpenShoe and other NED-style boards)
    "z-down": np.diag([1.0, -1.0, -1.0]),
}


def check_rotation(m: Any, what: str) -> np.ndarray:
    """``m`` as a 3x3 proper rotation matrix; UsageProblem naming ``what`` if it is not one."""
    arr = np.asarray(m, dtype=np.float64)
    if arr.shape != (3, 3) or not np.all(np.isfinite(arr)):
        raise UsageProblem(f"{what}: a mounting must be a 3x3 rotation matrix, got shape {arr.shape}")
    if np.abs(arr @ arr.T - np.eye(3)).max() > 1e-3 or np.linalg.det(arr) < 0:
        raise UsageProblem(f"{what}: the mounting matrix is not a proper rotation (orthonormal, det +1)")
    return arr


@dataclass(frozen=True)
class Mounting:
    """A sensor->foot rotation (``v_foot = matrix @ v_sensor``) and where it came from, in words
    (``argument``, ``recording``, ``profile PATH``, ``default ...``)."""

    matrix: np.ndarray
    source: str


DEFAULT_MOUNTING = "default (x toes, y left, z up)"


def resolve_mount(stream: Stream, mount: Any = None) -> Mounting:
    """The sensor->foot rotation to use for ``stream`` and where it came from.

    Order: the ``mount`` argument (a 3x3 matrix or a :class:`Mounting`, or a dict of those per foot,
    ``"any"`` for every foot), the stream's stored mounting, identity. Device profiles are files: the
    caller looks them up (:func:`retrogait.analysis.calibration.profile_mounts`) and passes them here.
    """
    if isinstance(mount, dict):
        mount = mount.get(stream.foot, mount.get("any"))
    if isinstance(mount, Mounting):
        return Mounting(check_rotation(mount.matrix, f"mounting from {mount.source}"), mount.source)
    if mount is not None:
        return Mounting(check_rotation(mount, "mount argument"), "argument")
    if stream.mount is not None:
        return Mounting(check_rotation(stream.mount, "stored mounting"), "recording")
    return Mounting(np.eye(3), DEFAULT_MOUNTING)


@dataclass
class FootSignals:
    """A stream's sensor-frame samples, read in the foot frame on demand.

    Only the samples a computation gathers are rotated (and the sensor biases removed), so a 24-hour
    recording is never copied whole. Norms need no rotation and use the raw arrays.
    """

    acc: np.ndarray
    gyr: np.ndarray
    rot: np.ndarray
    gyr_bias: np.ndarray = field(default_factory=lambda: np.zeros(3))  # sensor frame, rad/s
    acc_bias: np.ndarray = field(default_factory=lambda: np.zeros(3))  # foot frame, m/s^2

    def __post_init__(self) -> None:
        self.identity = bool(np.allclose(self.rot, np.eye(3)))

    def to_foot(self, v: np.ndarray) -> np.ndarray:
        """Sensor-frame vectors (N, 3) or (3,) in the foot frame."""
        if self.identity:
            return v
        if v.ndim == 1:
            return self.rot @ v
        r = self.rot  # explicit products: much faster than matmul for tall (N, 3) arrays
        out = np.empty_like(v)
        for i in range(3):
            out[:, i] = r[i, 0] * v[:, 0] + r[i, 1] * v[:, 1] + r[i, 2] * v[:, 2]
        return out

    def foot_component(self, axis: int) -> np.ndarray:
        """One foot-frame component of the bias-corrected angular rate for every sample."""
        r = self.rot[axis]
        return r[0] * self.gyr[:, 0] + r[1] * self.gyr[:, 1] + r[2] * self.gyr[:, 2] - r @ self.gyr_bias

    def acc_at(self, i: np.ndarray) -> np.ndarray:
        """Foot-frame, bias-corrected specific force at sample indices ``i``."""
        return self.to_foot(self.acc[i]) - self.acc_bias

    def gyr_at(self, i: np.ndarray) -> np.ndarray:
        """Foot-frame, bias-corrected angular rate at sample indices ``i``."""
        return self.to_foot(self.gyr[i]) - self.rot @ self.gyr_bias


def split_at_gaps(t: np.ndarray, source: str = "", s: GapSettings = DEFAULT.gaps,
                  step: float | None = None) -> list[tuple[int, int]]:
    """Index ranges ``[a, b)`` of continuous data, split at gaps (by default a step > 5x the median and
    > 0.1 s: ``GapSettings.split_factor``, ``split_min``).

    A few dropped samples are integrated across (one longer step); a real gap is not.

    Integration never crosses a gap. Raises InputFileError for timestamps that are not increasing.
    ``step``: the recording's median sample interval when the caller has it (s).
    """
    if t.shape[0] < 2:
        return [(0, int(t.shape[0]))]
    kern = kernels(int(t.shape[0]))
    if kern is not None and step is not None and step > 0:  # one pass, no array of the steps
        bad, finite, _ = kern.steps(t, 0.0, max(s.split_factor * step, s.split_min), False)
        if not finite:
            raise InputFileError(f"{source}: timestamps contain NaN or infinity")
    else:
        dt = np.diff(t)
        if not np.all(np.isfinite(dt)):
            raise InputFileError(f"{source}: timestamps contain NaN or infinity")
        med = float(np.median(dt)) if step is None else step
        if med <= 0:
            raise InputFileError(f"{source}: timestamps are not increasing (median step {med:g} s)")
        bad = np.flatnonzero((dt > max(s.split_factor * med, s.split_min)) | (dt <= 0))
    edges = np.concatenate([[0], bad + 1, [t.shape[0]]])
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b - a > 1]


def check_units(acc_norm: np.ndarray, gyr_norm: np.ndarray, source: str) -> None:
    """Raise a clear error when the signals cannot be in m/s^2 and rad/s (a declared unit is wrong).

    Takes the per-sample norms of the specific force and the angular rate (sensor frame).
    """
    n = acc_norm.shape[0]
    if not np.isfinite(float(acc_norm.sum()) + float(gyr_norm.sum())):  # a NaN or inf anywhere makes it so
        bad = ~(np.isfinite(acc_norm) & np.isfinite(gyr_norm))
        if bad.any():
            i = int(np.argmax(bad))
            raise InputFileError(f"{source}: {int(bad.sum())} sample(s) are NaN or infinity (first: sample {i})")
    step = max(1, n // 200_000)
    a = acc_norm[::step]
    g = gyr_norm[::step]
    quiet = g <= np.percentile(g, 20)
    a_rest = float(np.median(a[quiet])) if quiet.any() else float(np.median(a))
    g_hi = float(np.percentile(g, 99))
    if a_rest < 0.3 * GRAVITY:
        hint = " (looks like g: use --acc-unit g)" if 0.5 < a_rest < 1.5 else ""
        raise InputFileError(
            f"{source}: accelerometer reads {a_rest:.3g} at rest, expected about 9.81 m/s^2{hint}"
        )
    if a_rest > 3.0 * GRAVITY:
        hint = " (looks like m/s^2 declared as g: use --acc-unit m/s^2)" if 60 < a_rest < 140 else ""
        hint = hint or (" (looks like mg: use --acc-unit mg)" if 500 < a_rest < 1500 else "")
        raise InputFileError(
            f"{source}: accelerometer reads {a_rest:.3g} m/s^2 at rest, expected about 9.81{hint}"
        )
    if g_hi > 60.0:
        raise InputFileError(
            f"{source}: gyroscope reaches {g_hi:.3g} rad/s (99th percentile), impossible for a foot; "
            "it is probably in deg/s declared as rad/s (use --gyr-unit deg/s)"
        )
    moving = float(np.percentile(a, 99) - np.percentile(a, 1)) > 0.5 * GRAVITY
    if moving and g_hi < 0.2:
        raise InputFileError(
            f"{source}: the accelerometer shows motion but the gyroscope never exceeds {g_hi:.2g} rad/s; "
            "it is probably in rad/s declared as deg/s (use --gyr-unit rad/s)"
        )


def saturation_mask(arr: np.ndarray, full_scale_floor: float = 0.0, top: np.ndarray | None = None) -> np.ndarray:
    """Samples where a channel sits at its extreme value: clipped by the sensor's range.

    A channel is clipped where its largest magnitude is reached by 3 samples in a row, or by 3
    samples anywhere when that magnitude is at least ``full_scale_floor`` (no sensor's range is
    smaller: 2 g, 250 deg/s). A value measured exactly at the top only repeats when the sensor stops
    there; a short impact at a fast rate clips one sample at a time, so the repeats need not be in a
    row. The floor keeps a channel that never left a small, quantised rest value from counting.
    ``top`` (2, channels), when the caller has it (:func:`~retrogait.analysis.ranges.row_norm`): each
    channel's largest and third largest magnitude; 3 samples reach the top iff the third largest does,
    so no count is needed (and no pass at all when no channel is clipped).
    """
    out = np.zeros(arr.shape[0], dtype=bool)
    if arr.shape[0] < 3:
        return out
    if top is not None and not ((top[0] != 0) & (top[1] >= top[0] * (1 - 1e-6))).any():
        return out  # no channel has 3 samples at its top
    kern = kernels(int(arr.shape[0]))
    if kern is not None:
        kern.saturation_mask(arr, full_scale_floor, top if top is not None else np.zeros((0, 0)), out)
        return out
    for i in range(arr.shape[1]):
        col = np.abs(arr[:, i])
        top_i = float(col.max()) if top is None else float(top[0, i])
        if top_i == 0:
            continue
        at = col >= top_i * (1 - 1e-6)
        n_at = int(at.sum())
        if n_at < 3:
            continue
        if top_i >= full_scale_floor > 0:
            out |= at
            continue
        run = at[:-2] & at[1:-1] & at[2:]
        if run.any():
            hit = np.flatnonzero(run)
            out[hit] = True
            out[hit + 1] = True
            out[hit + 2] = True
    return out


def median_step(t: np.ndarray) -> float:
    """The median sample interval of a stream (s; 0 for fewer than 2 samples): its measured rate.
    Day-long streams get it exactly without a copy of their 17 M intervals (``kernels.median_step``)."""
    if t.shape[0] < 2:
        return 0.0
    kern = kernels(int(t.shape[0]))
    if kern is not None:
        step = float(kern.median_step(t, 256, 64, max(1 << 20, t.shape[0] // 16)))
        if step == step:  # not NaN: the shortcut could tell
            return step
    return float(np.median(np.diff(t)))


def require_forward_time(stream: Stream, source: str) -> None:
    """InputFileError when a stream's time runs backwards or stands still from its first sample to its
    last (its duration and rate mean nothing then)."""
    if stream.n >= 2 and not float(stream.t[-1]) > float(stream.t[0]):
        raise InputFileError(f"{source}: the timestamps run backwards or stand still (first {float(stream.t[0]):g} s, "
                             f"last {float(stream.t[-1]):g} s); expected increasing times")


def require_samples(stream: Stream, source: str, rate: float) -> None:
    """NoGaitError when a stream is too short to hold a stride."""
    if stream.n < 2 or stream.duration < 1.0:
        raise NoGaitError(
            f"{source}: only {stream.duration:.2f} s of data ({stream.n} samples at {rate:.0f} Hz); "
            "a stride needs at least about 1 s"
        )
