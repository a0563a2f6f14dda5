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
ACC_RANGE_G = 16.0
"""Full scale of the accelerometers these protocols carry (WitMotion, x-IMU3, the usual Arduino IMUs), g."""
GYR_RANGE_DPS = 2000.0
"""Full scale of their gyroscopes, deg/s."""
RANGE_MARGIN = 1.05
"""A value this much beyond the full scale cannot come from the sensor (a saturated one reads the full
scale itself): the sample is corrupt (a flipped bit or digit) and is dropped."""

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
    implausible: int = 0  # samples that passed framing but not plausibility (beyond the sensor range,
    # a device timestamp out of line with both neighbours): never emitted, except ...
    repaired: int = 0  # ... a timestamp put back between its neighbours (its values were plausible)


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
        self.acc_limit = ACC_RANGE_G * GRAVITY * RANGE_MARGIN
        """Largest plausible |acceleration| on any axis, m/s^2 (see :data:`RANGE_MARGIN`)."""
        self.gyr_limit = GYR_RANGE_DPS * DEG * RANGE_MARGIN
        """Largest plausible |angular rate| on any axis, rad/s."""
        self._missing_carry = 0  # clockless samples dropped after the last one emitted
        self._held: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # a sample whose timestamp
        # awaits its next neighbour's verdict (see _vet_times)

    # -- the interface ---------------------------------------------------------------------------
    def feed(self, data: bytes) -> list[SampleBatch]:
        """Decode ``data`` (the next bytes of the stream); return the complete samples found."""
        raise NotImplementedError

    def flush(self) -> list[SampleBatch]:
        """The stream ended (stop, unplug): the samples held back for a verdict on their timestamp.

        Samples are held back while their device time is out of line with the sample before and the
        samples that would tell why have not arrived (see :meth:`_vet_times`). With no more to come,
        each is kept when it follows the last kept one by a plausible interval, or when the next held
        one follows it regularly (a real gap); else it is dropped and counted. The first few samples of
        a stream (fewer than the interval can be told from) are kept as they are.
        """
        if self._held is None:
            return []
        acc, gyr, t = self._held
        self._held = None
        out: list[SampleBatch] = []
        dt = self._dt
        if self._last_t is None or dt is None:  # the first few samples of a stream: nothing to judge by
            self._split_on_time_gaps(out, acc, gyr, t, vet=False)
            return out
        keep = np.zeros(t.shape[0], dtype=bool)
        last = self._last_t
        for i in range(t.shape[0]):
            regular = 0.5 * dt <= t[i] - last <= 1.5 * dt
            followed = i + 1 < t.shape[0] and 0.5 * dt <= t[i + 1] - t[i] <= 1.5 * dt and t[i] > last
            if regular or followed:
                keep[i] = True
                last = t[i]
        self.stats.implausible += int((~keep).sum())
        if keep.any():
            self._split_on_time_gaps(out, acc[keep], gyr[keep], t[keep], vet=False)
        return out

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

    def _in_range(self, acc: np.ndarray, gyr: np.ndarray) -> np.ndarray:
        """Per sample: every value finite and within the sensor's range (:attr:`acc_limit`,
        :attr:`gyr_limit`). A value beyond it is a corrupt one (a flipped bit or digit that no checksum
        caught), never a measurement."""
        with np.errstate(invalid="ignore"):
            return ((np.abs(acc) <= self.acc_limit).all(axis=1) & (np.abs(gyr) <= self.gyr_limit).all(axis=1))

    def _emit_clockless(self, out: list[SampleBatch], acc: np.ndarray, gyr: np.ndarray) -> None:
        """Emit samples without device time, dropping (and counting as missing, a gap in their place)
        those beyond the sensor's range."""
        ok = self._in_range(acc, gyr)
        bad = int((~ok).sum())
        self.stats.implausible += bad
        self.stats.dropped += bad
        idx = np.flatnonzero(ok)
        before = np.diff(np.concatenate([[-1], idx])) - 1  # rejected samples just before each kept one
        if idx.size:
            before[0] += self._missing_carry
            self._missing_carry = int(acc.shape[0] - 1 - idx[-1])
        else:
            self._missing_carry += bad
            return
        edges = sorted({0, idx.size, *np.flatnonzero(before > 0).tolist()})
        for a, b in zip(edges[:-1], edges[1:]):
            g = int(before[a])
            self.stats.gaps += g > 0
            self._emit(out, acc[idx[a:b]], gyr[idx[a:b]], None, g)

    def _learn_dt(self, d: np.ndarray) -> float | None:
        """The device's sample interval: the median of the first (at least 8) positive intervals (a few
        may span gaps or corrupt timestamps); None before."""
        if self._dt is not None:
            return self._dt
        self._dt_seen.append(d[d > 0])
        seen = np.concatenate(self._dt_seen)
        if seen.size >= 8:  # the lower median: gaps and corrupt timestamps only lengthen intervals
            self._dt = float(np.partition(seen, (seen.size - 1) // 2)[(seen.size - 1) // 2])
            self._dt_seen = []
        return self._dt

    def _vet_times(self, acc: np.ndarray, gyr: np.ndarray,
                   t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Drop or repair device timestamps out of line with both neighbours (a flipped bit or digit).

        A timestamp is regular when it follows the previous kept one by 0.5-1.5 sample intervals. An
        irregular one is judged with the next sample: when its two neighbours agree with each other
        (the next follows the previous by a plausible, positive interval) but it does not lie between
        them at least half an interval from each, it is corrupt: put back midway when the neighbours
        are two intervals apart (one sample between them: its values passed their own checks), else
        dropped (its place becomes a gap). A real gap (the next sample follows it regularly) or a
        device restart (the next sample follows it, both before the previous one) is kept. The "next
        sample" is the first of the next three that its own successor follows regularly (two corrupt
        timestamps in a row are judged alike). Samples whose verdict needs samples not yet received
        wait for the next feed (or :meth:`flush`); so do the first
        samples of a stream until eight intervals tell the sample interval (the first sample is judged
        by the two after it). A timestamp moved by less than about two intervals can pass for clock
        jitter next to a missing sample: it is kept (its values passed their own checks).
        """
        held = 0
        if self._held is not None:
            ha, hg, ht = self._held
            self._held = None
            held = ht.shape[0]
            acc, gyr, t = np.vstack([ha, acc]), np.vstack([hg, gyr]), np.concatenate([ht, t])
        n = t.shape[0]
        prev = self._last_t
        if prev is None:
            d = np.diff(t)
            dt = self._learn_dt(d[max(held - 1, 0):])
        else:
            d = np.diff(np.concatenate([[prev], t]))
            dt = self._learn_dt(d[held:])
        if n == 0:
            return acc, gyr, t
        if dt is None:  # too few samples yet to tell the interval: wait
            self._held = (acc.copy(), gyr.copy(), t.copy())
            return acc[:0], gyr[:0], t[:0]
        keep = np.ones(n, dtype=bool)
        if prev is None:
            if n < 3:
                self._held = (acc.copy(), gyr.copy(), t.copy())
                return acc[:0], gyr[:0], t[:0]
            if not 0.5 * dt <= d[0] <= 1.5 * dt and 0.5 * dt <= d[1] <= 1.5 * dt:
                keep[0] = False  # the first sample is out of line with the two after it
                self.stats.implausible += 1
            d = np.concatenate([[dt], d])
        irregular = np.flatnonzero((d < 0.5 * dt) | (d > 1.5 * dt))
        irregular = irregular[irregular > 0] if prev is None else irregular
        if irregular.size == 0 and keep.all():
            return acc, gyr, t
        t = t.copy()
        hold_from = n
        for i in irregular.tolist():
            j = i - 1
            while j >= 0 and not keep[j]:
                j -= 1
            pt = t[j] if j >= 0 else prev
            if pt is None:
                continue
            d1 = t[i] - pt
            if 0.5 * dt <= d1 <= 1.5 * dt:
                continue  # regular after all (the sample before it was dropped)
            # the reference after it: the next sample that its own successor follows regularly
            # (looking up to 3 ahead: the next one may be corrupt too)
            k = None
            for c in range(i + 1, min(i + 4, n)):
                if c + 1 < n and 0.5 * dt <= t[c + 1] - t[c] <= 1.5 * dt:
                    k = c
                    break
            if k is None:
                if i + 4 >= n:  # the samples that would tell have not arrived yet
                    hold_from = i
                    break
                k = i + 1  # none within reach follows its successor regularly: the plain next one
            nt = t[k]
            d02 = nt - pt
            if 0 < d02 <= MAX_PLAUSIBLE_GAP and not (d1 >= 0.5 * dt and nt - t[i] >= 0.5 * dt * (k - i)):
                self.stats.implausible += 1
                if k == i + 1 and 1.5 * dt <= d02 <= 2.5 * dt:
                    t[i] = pt + 0.5 * d02
                    self.stats.repaired += 1
                else:
                    keep[i] = False
        if hold_from < n:
            self._held = (acc[hold_from:].copy(), gyr[hold_from:].copy(), t[hold_from:].copy())
            keep[hold_from:] = False
        if keep.all():
            return acc, gyr, t
        return acc[keep], gyr[keep], t[keep]

    def _split_on_time_gaps(self, out: list[SampleBatch], acc: np.ndarray, gyr: np.ndarray,
                            t: np.ndarray, vet: bool = True) -> None:
        """Emit samples with device times ``t``, split where the clock jumps (> 1.5 sample intervals)
        or goes backwards (a device reset); counts gaps and the samples they miss. With ``vet``, samples
        beyond the sensor's range are dropped first and timestamps are vetted (:meth:`_vet_times`)."""
        if vet:
            ok = self._in_range(acc, gyr)
            if not ok.all():
                self.stats.implausible += int((~ok).sum())
                acc, gyr, t = acc[ok], gyr[ok], t[ok]
            acc, gyr, t = self._vet_times(acc, gyr, t)
        if t.shape[0] == 0:
            return
        prev = self._last_t
        full = t if prev is None else np.concatenate([[prev], t])
        d = np.diff(full)
        cut_idx: list[int] = []
        gap_of: dict[int, int] = {}
        reset_at: set[int] = set()
        offset = 0 if prev is None else 1  # index in d of the diff *into* t[i] is i - 1 + offset
        dt = self._dt
        if dt is not None:
            jumps = np.flatnonzero((d > 1.5 * dt) | (d <= 0))
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
                    gap_of[i] = max(int(round(d[j] / dt)) - 1, 1)
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
