"""In-memory data model of a recording session: one or two IMU streams plus a self-describing header.

Everything here is SI and in the conventions of :mod:`retrogait` (see the package docstring):
time in s, specific force in m/s^2 (gravity included), angular rate in rad/s, magnetic field in uT,
all in the *sensor* frame. ``Stream.mount`` (3x3) rotates sensor-frame vectors into the foot frame
(x toes, y left, z up); ``None`` means unknown (the analysis then falls back to a device profile or the
documented default, identity).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from retrogait.errors import RateUnknownError

GRAVITY = 9.80665
"""Standard gravity, m/s^2."""

FEET = ("left", "right", "unknown")

#: Well-known tag keys (free-form tags are allowed too). Values are JSON scalars.
TAG_CONDITION = "condition"  # "treadmill" | "overground"
TAG_BELT_SPEED = "belt_speed_m_s"  # float, m/s
TAG_INCLINE = "incline_pct"  # float, treadmill grade setting in percent
TAG_NOTES = "notes"


def utc_now_iso() -> str:
    """The current time as an ISO 8601 UTC string with a 'Z' suffix (second resolution)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class Stream:
    """The samples of one IMU (normally on one foot).

    Attributes:
        t: (N,) float64, seconds since the recording's ``start_time``; strictly increasing except where
            the source had faults (readers report those).
        acc: (N, 3) specific force in m/s^2, sensor frame.
        gyr: (N, 3) angular rate in rad/s, sensor frame.
        mag: optional (N, 3) magnetic field in uT, sensor frame.
        t_host: optional (N,) host receive time in s since ``start_time`` (live recordings), next to the
            device clock in ``t``.
        foot: "left", "right" or "unknown".
        mount: optional (3, 3) rotation matrix, ``v_foot = mount @ v_sensor``.
        nominal_rate: the rate the device was set to, Hz (``None`` when unknown).
        device: free description: ``model``, ``id``, ``firmware``, ``protocol`` ...
        source: the file the samples were read from, for messages ("" when unknown); not stored.
    """

    t: np.ndarray
    acc: np.ndarray
    gyr: np.ndarray
    mag: np.ndarray | None = None
    t_host: np.ndarray | None = None
    foot: str = "unknown"
    mount: np.ndarray | None = None
    nominal_rate: float | None = None
    device: dict[str, Any] = field(default_factory=dict)
    source: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        self.t = np.asarray(self.t, dtype=np.float64)
        n = self.t.shape[0]
        if self.t.ndim != 1:
            raise ValueError(f"t must be 1-D, got shape {self.t.shape}")
        for name in ("acc", "gyr", "mag"):
            arr = getattr(self, name)
            if arr is None:
                continue
            arr = np.asarray(arr)
            if arr.dtype.kind != "f":
                arr = arr.astype(np.float64)
            if arr.shape != (n, 3):
                raise ValueError(f"{name} must have shape ({n}, 3), got {arr.shape}")
            setattr(self, name, arr)
        if self.t_host is not None:
            self.t_host = np.asarray(self.t_host, dtype=np.float64)
            if self.t_host.shape != (n,):
                raise ValueError(f"t_host must have shape ({n},), got {self.t_host.shape}")
        if self.mount is not None:
            self.mount = np.asarray(self.mount, dtype=np.float64)
            if self.mount.shape != (3, 3):
                raise ValueError(f"mount must be a 3x3 rotation matrix, got shape {self.mount.shape}")
        if self.foot not in FEET:
            raise ValueError(f"foot must be one of {FEET}, got {self.foot!r}")

    @property
    def n(self) -> int:
        """Number of samples."""
        return int(self.t.shape[0])

    @property
    def duration(self) -> float:
        """Time from first to last sample, s (0 for fewer than two samples)."""
        return float(self.t[-1] - self.t[0]) if self.n > 1 else 0.0

    @property
    def measured_rate(self) -> float | None:
        """Sample rate measured from the timestamps (median interval), Hz; None if it cannot be told."""
        if self.n < 2:
            return None
        dt = np.median(np.diff(self.t))
        return float(1.0 / dt) if dt > 0 else None

    @property
    def rate(self) -> float:
        """Best available sample rate: measured, else nominal. Raises
        :class:`~retrogait.errors.RateUnknownError` (a ``ValueError`` and a one-line user error) if neither
        is known."""
        rate = self.measured_rate or self.nominal_rate
        if not rate:
            where = f"{self.source}: " if self.source else ""
            raise RateUnknownError(
                f"{where}sample rate unknown: the {self.foot} foot stream has {self.n} sample(s) without two "
                "distinct increasing times and no nominal rate; a stride needs at least about 1 s of data")
        return float(rate)

    def slice(self, start: int, stop: int) -> Stream:
        """A view of samples ``start:stop`` (arrays are views, metadata copied)."""
        sl = slice(start, stop)
        return replace(
            self,
            t=self.t[sl],
            acc=self.acc[sl],
            gyr=self.gyr[sl],
            mag=None if self.mag is None else self.mag[sl],
            t_host=None if self.t_host is None else self.t_host[sl],
            device=dict(self.device),
        )


@dataclass
class Recording:
    """A recording session: one stream per instrumented foot plus session metadata.

    Attributes:
        streams: one :class:`Stream` per IMU (normally one or two feet).
        start_time: ISO 8601 UTC time of ``t == 0``.
        subject: subject id ("" when unknown).
        tags: free-form JSON-scalar tags; well-known keys: ``condition`` (treadmill / overground),
            ``belt_speed_m_s``, ``incline_pct``, ``notes``.
        events: time-stamped session events, each a JSON dict with at least ``kind`` and ``t`` (s since
            ``start_time``) and, where it applies, ``stream`` (index): gaps (``kind="gap"``, ``t_end``),
            disconnects/reconnects, clock-drift estimates, calibration notes.
        source: where it was read from (path or description), for messages; not stored.
        warnings: problems found while reading (truncated tail, corrupt blocks ...), one line each;
            not stored.
    """

    streams: list[Stream]
    start_time: str = field(default_factory=utc_now_iso)
    subject: str = ""
    tags: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    source: str = ""
    warnings: list[str] = field(default_factory=list)

    def stream(self, foot: str) -> Stream:
        """The stream of ``foot`` ("left"/"right"); raises KeyError naming the feet present."""
        for s in self.streams:
            if s.foot == foot:
                return s
        raise KeyError(f"no {foot} foot stream; this recording has {[s.foot for s in self.streams]}")

    @property
    def feet(self) -> list[str]:
        """The feet of the streams, in order."""
        return [s.foot for s in self.streams]

    @property
    def duration(self) -> float:
        """Longest stream duration, s."""
        return max((s.duration for s in self.streams), default=0.0)
