"""The common interface of the incremental byte-stream decoders.

A decoder is fed whatever bytes the serial port delivered (any chunking: one byte at a time or a whole
file) and returns the complete samples it found, in SI units. It never raises on bad bytes: it skips
garbage, resynchronises on the next valid frame, validates checksums and counts what it rejected.
It never invents a sample: every sample it emits was decoded from one frame (or, for WitMotion, one
adjacent acceleration + angular-rate frame pair) that passed the protocol's integrity checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from retrogait.io.recording import GRAVITY

DEG = np.pi / 180.0
"""Degrees to radians."""
MAX_PLAUSIBLE_GAP = 600.0
"""A device-clock jump longer than this (s) is reported as a reset, not as that many missing samples."""

@dataclass
class SampleBatch:
    """Consecutive samples decoded from the stream (no gap inside a batch).

    Attributes:
        acc: (n, 3) specific force, m/s^2, sensor frame.
        gyr: (n, 3) angular rate, rad/s, sensor frame.
        t_device: (n,) device clock in s (unwrapped, arbitrary zero) or None when the protocol has none.
        gap_before: samples known to be missing just before this batch (0: none; -1: an unknown number,
            e.g. a gap seen only in the device clock or a device reset).
        reset: the device restarted (sequence counter or clock went backwards) before this batch.
    """

    acc: np.ndarray
    gyr: np.ndarray
    t_device: np.ndarray | None = None
    gap_before: int = 0
    reset: bool = False

    @property
    def n(self) -> int:
        return int(self.acc.shape[0])


@dataclass
class DecoderStats:
    """Counters every decoder keeps (all cumulative since the decoder was created)."""

    frames: int = 0  # valid frames/lines accepted (any type)
    samples: int = 0  # samples emitted
    bad_frames: int = 0  # frames/lines rejected: checksum, length or parse errors
    dropped: int = 0  # samples known to be missing (sequence counter, clock jumps, unpaired frames)
    gaps: int = 0  # places where samples are missing
    resyncs: int = 0  # times the decoder had to skip bytes to find the next frame
    bytes_skipped: int = 0  # bytes that belonged to no valid frame


class Decoder:
    """Base class: subclasses implement :meth:`feed` and the command encoders they support."""

    name = ""
    title = ""
    has_device_time = False

    def __init__(self) -> None:
        self.stats = DecoderStats()
        self.info: dict[str, Any] = {}
        """Device metadata announced in the stream (model, id, firmware, rate_hz ...)."""
        self.replies: list[Any] = []
        """Command replies / notifications seen in the stream, oldest first."""
        self._last_t: float | None = None
        self._dt: float | None = None
        self._dt_seen: list[np.ndarray] = []
        self._buf = b""
        self._synced = False  # a terminator was seen: the next piece starts at a frame boundary

    # -- the interface ---------------------------------------------------------------------------
    def feed(self, data: bytes) -> list[SampleBatch]:
        """Decode ``data`` (the next bytes of the stream); return the complete samples found."""
        raise NotImplementedError

    def cmd_start(self) -> bytes | None:
        """Bytes that ask the device to start streaming (None: it always streams)."""
        return None

    def cmd_stop(self) -> bytes | None:
        """Bytes that ask the device to stop streaming (None: not supported)."""
        return None

    def cmd_set_rate(self, hz: float) -> bytes | None:
        """Bytes that set the device's output rate (None: not supported by this protocol)."""
        return None

    def cmd_identify(self) -> bytes | None:
        """Bytes that ask the device to announce itself (None: not supported)."""
        return None

    def nominal_rate(self) -> float | None:
        """The output rate announced by the device, Hz, if any."""
        rate = self.info.get("rate_hz")
        return float(rate) if rate else None

    # -- helpers for subclasses -------------------------------------------------------------------
    def _segments(self, data: bytes, end: bytes, max_len: int, keep_first: bool = False) -> list[bytes]:
        """Split the stream on the terminator ``end``: the complete pieces (possibly empty) so far.

        The piece before the first terminator ever seen may be the tail of a frame joined late: it is
        skipped, unless ``keep_first`` (for protocols whose messages are recognisable from their first
        byte and length, so a tail cannot pass); a run longer than ``max_len`` without a terminator is
        dropped as garbage.
        """
        parts = (self._buf + bytes(data)).split(end)
        self._buf = parts.pop()
        if len(self._buf) > max_len:
            self.stats.bytes_skipped += len(self._buf)
            self.stats.resyncs += 1
            self._buf = b""
            self._synced = False
        if parts and not self._synced and keep_first:
            self._synced = True
        if parts and not self._synced:
            lead = parts.pop(0)
            if lead:
                self.stats.bytes_skipped += len(lead)
                self.stats.resyncs += 1
            self._synced = True
        return parts

    def _emit(self, out: list[SampleBatch], acc: np.ndarray, gyr: np.ndarray, t: np.ndarray | None,
              gap_before: int = 0, reset: bool = False) -> None:
        if acc.shape[0] == 0:
            return
        out.append(SampleBatch(np.ascontiguousarray(acc, dtype=np.float64),
                               np.ascontiguousarray(gyr, dtype=np.float64),
                               None if t is None else np.asarray(t, dtype=np.float64), gap_before, reset))
        self.stats.samples += acc.shape[0]

    def _split_on_time_gaps(self, out: list[SampleBatch], acc: np.ndarray, gyr: np.ndarray,
                            t: np.ndarray) -> None:
        """Emit samples with device times ``t``, split where the clock jumps (> 1.5 sample intervals)
        or goes backwards (a device reset); counts gaps and the samples they miss."""
        if t.shape[0] == 0:
            return
        prev = self._last_t
        full = t if prev is None else np.concatenate([[prev], t])
        d = np.diff(full)
        if self._dt is None:
            good = d[d > 0]
            self._dt_seen.append(good)
            seen = np.concatenate(self._dt_seen)
            if seen.size >= 8:
                self._dt = float(np.median(seen))
                self._dt_seen = []
        cut_idx: list[int] = []
        gap_of: dict[int, int] = {}
        reset_at: set[int] = set()
        offset = 0 if prev is None else 1  # index in d of the diff *into* t[i] is i - 1 + offset
        if self._dt is not None:
            jumps = np.flatnonzero((d > 1.5 * self._dt) | (d <= 0))
            for j in jumps:
                i = int(j) + 1 - offset  # sample index in t that starts a new batch
                if i <= 0 and prev is None:
                    continue
                i = max(i, 0)
                cut_idx.append(i)
                if d[j] <= 0 or d[j] > MAX_PLAUSIBLE_GAP:  # reset, or a timestamp that cannot be trusted
                    reset_at.add(i)
                    gap_of[i] = -1
                else:
                    gap_of[i] = max(int(round(d[j] / self._dt)) - 1, 1)
                    self.stats.dropped += gap_of[i]
                self.stats.gaps += 1
        bounds = [0] + sorted(set(cut_idx)) + [t.shape[0]]
        for a, b in zip(bounds[:-1], bounds[1:]):
            if b > a:
                self._emit(out, acc[a:b], gyr[a:b], t[a:b], gap_of.get(a, 0), a in reset_at)
        self._last_t = float(t[-1])


def concat_batches(batches: list[SampleBatch]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """All samples of ``batches`` as (acc, gyr, t_device or None) arrays (tests, benchmarks)."""
    if not batches:
        return np.zeros((0, 3)), np.zeros((0, 3)), None
    acc = np.concatenate([b.acc for b in batches])
    gyr = np.concatenate([b.gyr for b in batches])
    t = None if any(b.t_device is None for b in batches) else np.concatenate([b.t_device for b in batches])
    return acc, gyr, t


@dataclass
class EncodedStream:
    """What an encoder produced: the bytes and, per sample, the values a perfect decoder must return."""

    data: bytes
    acc: np.ndarray
    gyr: np.ndarray
    t: np.ndarray | None = None
    frames: list[bytes] = field(default_factory=list)
