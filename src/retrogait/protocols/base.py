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
SPIKE_MIN = 0.01 * GYR_RANGE_DPS * DEG
"""rad/s: an angular-rate excursion smaller than this (1 % of the full scale, 20 deg/s) is never judged
by the continuity check (:meth:`Decoder._continuity`): within the noise and ordinary motion."""
SPIKE_LEVER = 0.001
"""m: the smallest ratio of the acceleration change to the angular acceleration of a real one-sample
angular-rate excursion (see :meth:`Decoder._continuity`)."""

def rate_jumps_alone(acc: np.ndarray, gyr: np.ndarray, rate: float) -> np.ndarray:
    """Per inner sample of consecutive ``acc``, ``gyr`` (n, 3; m/s^2, rad/s) sampled at ``rate`` Hz:
    one angular rate jumps away from both neighbours and back alone, which a body cannot do (the
    reasons: :meth:`Decoder._continuity`). Returns n - 2 booleans, for samples 1 .. n - 2."""
    g0, g1, g2 = gyr[:-2], gyr[1:-1], gyr[2:]
    d0, d2 = g1 - g0, g1 - g2
    excs = np.where(np.sign(d0) == np.sign(d2), np.minimum(np.abs(d0), np.abs(d2)), 0.0)
    r = np.arange(excs.shape[0])
    c = excs.argmax(axis=1)
    exc = excs[r, c]  # the largest excursion, on axis c
    dev = np.linalg.norm(acc[1:-1] - 0.5 * (acc[:-2] + acc[2:]), axis=1)
    others = np.abs(g1 - 0.5 * (g0 + g2))
    others[r, c] = 0.0
    return ((exc > SPIKE_MIN) & (dev < SPIKE_LEVER * exc * rate)  # the jump needs no force: not real
            & (np.abs(g2[r, c] - g0[r, c]) < exc)  # the neighbours agree with each other ...
            & (others.max(axis=1) < 0.5 * SPIKE_MIN))  # ... and the other axes with theirs: one value


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
        read: 0, or the number of the earlier :meth:`Decoder.feed` (counted in :attr:`Decoder.reads`)
            these samples arrived with when a later feed (or :meth:`Decoder.flush`) returned them (held
            for a verdict on their neighbours): their receive time is that feed's.
    """

    acc: np.ndarray
    gyr: np.ndarray
    t_device: np.ndarray | None = None
    gap_before: int = 0
    reset: bool = False
    read: int = 0

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
    # a text line not in the device's format, an angular rate that jumps alone, a device timestamp out of
    # line with both neighbours): never emitted, except ...
    repaired: int = 0  # ... a timestamp put back between its neighbours (its values were plausible)


class Decoder:
    """Base class: subclasses implement :meth:`feed` and the command encoders they support."""

    name = ""
    title = ""
    has_device_time = False
    check_continuity = False
    """Judge every sample against its neighbours (:meth:`_continuity`): protocols without a checksum."""

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
        self.sample_rate: float | None = None
        """The stream's sample rate, Hz, when known from outside (a clockless stream: the recorder's
        measured rate); a device clock's own interval takes precedence (continuity check)."""
        self._cprev: tuple[np.ndarray, np.ndarray] | None = None  # the last sample emitted (acc, gyr)
        # when the next one may follow it without a gap (see _continuity)
        self._cpend: SampleBatch | None = None  # the last sample, awaiting its successor's arrival
        self._cpend_feed = 0  # the feed it arrived with
        self.reads = 0
        """Feeds so far (counted by the decoders with the continuity check: see SampleBatch.read)."""

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
        out: list[SampleBatch] = []
        if self._held is None:
            self._release_pending(out)
            return out
        acc, gyr, t = self._held
        self._held = None
        dt = self._dt
        if self._last_t is None or dt is None:  # the first few samples of a stream: nothing to judge by
            self._split_on_time_gaps(out, acc, gyr, t, vet=False)
            self._release_pending(out)
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
        self._release_pending(out)
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
        b = SampleBatch(np.ascontiguousarray(acc, dtype=np.float64), np.ascontiguousarray(gyr, dtype=np.float64),
                        None if t is None else np.asarray(t, dtype=np.float64), gap_before, reset)
        if self.check_continuity:
            self._continuity(out, b)
        else:
            self._append(out, b)

    def _append(self, out: list[SampleBatch], b: SampleBatch) -> None:
        out.append(b)
        self.stats.samples += b.n

    def _release_pending(self, out: list[SampleBatch]) -> None:
        """The stream ended: the last sample, which no successor will judge, is emitted as it is."""
        if self._cpend is not None:
            self._cpend.read = self._cpend_feed
            self._append(out, self._cpend)
            self._cpend = None
        self._cprev = None

    def _continuity_rate(self) -> float | None:
        if self._dt is not None and self._dt > 0:
            return 1.0 / self._dt
        return self.sample_rate

    def _continuity(self, out: list[SampleBatch], b: SampleBatch) -> None:
        """Drop (count, and mark as a one-sample gap) a sample whose angular rate jumps alone.

        A flipped bit or digit that no checksum caught changes one value of one sample; on an angular
        rate that leaves a one-sample excursion: the value leaves both neighbours in the same direction
        and comes back. A real angular rate cannot do that alone: a jump of ``e`` rad/s for one sample
        period ``T`` and back is an angular acceleration of ``e / T`` and its reversal, which on a
        body segment comes from a torque, i.e. from a contact force acting at a lever arm; that force
        changes the sensor's acceleration in the same sample by ``m k^2 / (m r) * e / T`` (``k`` the
        segment's radius of gyration, ``r`` the lever arm): for a foot, ``k ~ 0.06 m``, ``r <= 0.3 m``,
        at least 0.012 m x ``e / T``. Real recordings agree (walking, running, stairs, 100-400 Hz, the
        bundled reference data: at least 0.006 m x ``e / T``; the simulator's running presets 0.004 m).
        So an excursion of more than :data:`SPIKE_MIN` on a gyroscope axis is corrupt when the
        acceleration's deviation from its neighbours' midpoint (the vector norm) stays below
        :data:`SPIKE_LEVER` (0.001 m) x ``e / T``, and the sample has the signature of one changed value:
        its two neighbours agree with each other on that axis (closer than ``e``) and the other two
        angular rates follow their neighbours' midpoint (within half of :data:`SPIKE_MIN`). Accelerations
        are not judged: an impact moves one
        axis by up to the full scale for a single sample with the other axes nearly still (real
        heel strikes at 200 Hz: up to 15 g), so a corrupt acceleration inside the range cannot be told
        from one. A sample is judged once its successor has arrived (the last one waits for the next
        feed, or :meth:`flush`); samples beside a gap are not judged. Without a known sample rate
        (a clockless stream before :attr:`sample_rate` is set) nothing is judged.
        """
        rate = self._continuity_rate()
        pend, self._cpend = self._cpend, None
        first_late = pend is not None and self._cpend_feed != self.reads  # (it came with an earlier read)
        pend_read = self._cpend_feed
        if pend is not None and b.gap_before == 0 and not b.reset:  # the pending sample's successor came
            t = None if pend.t_device is None or b.t_device is None else np.concatenate([pend.t_device, b.t_device])
            b = SampleBatch(np.vstack([pend.acc, b.acc]), np.vstack([pend.gyr, b.gyr]), t, pend.gap_before,
                            pend.reset)
        elif pend is not None:  # a gap follows it: nothing to judge it by
            pend.read = pend_read if first_late else 0
            self._append(out, pend)
            first_late = False
        if b.gap_before != 0 or b.reset:
            self._cprev = None
        if rate is None:
            self._cprev = None
            self._append(out, b)
            return
        prev = self._cprev
        acc, gyr = (b.acc, b.gyr) if prev is None else (np.vstack([prev[0], b.acc]), np.vstack([prev[1], b.gyr]))
        off = 0 if prev is None else 1  # index in acc/gyr of the batch's first sample
        bad = np.zeros(b.n, dtype=bool)
        if acc.shape[0] >= 3:
            flag = rate_jumps_alone(acc, gyr, rate)
            bad[1 - off:1 - off + flag.size] = flag  # flag[j] judges acc[j + 1], i.e. batch index j + 1 - off
        # the last sample waits for its successor
        self._cpend = SampleBatch(b.acc[-1:], b.gyr[-1:], None if b.t_device is None else b.t_device[-1:])
        self._cpend_feed = self.reads
        keep_n = b.n - 1
        self._cprev = (b.acc[-2], b.gyr[-2]) if b.n >= 2 else prev
        if b.n >= 2 and bad[b.n - 2]:
            self._cprev = None  # (the pending one is judged against a dropped sample: not judged)
        if keep_n == 0:
            self._cpend = b
            return
        bad = bad[:keep_n]
        n_bad = int(bad.sum())
        if first_late and not bad[0]:  # the sample held from an earlier read: a batch of its own
            self._append(out, SampleBatch(b.acc[:1], b.gyr[:1], None if b.t_device is None else b.t_device[:1],
                                          b.gap_before, b.reset, read=pend_read))
            b = SampleBatch(b.acc[1:], b.gyr[1:], None if b.t_device is None else b.t_device[1:])
            bad = bad[1:]
            keep_n -= 1
            if keep_n == 0:
                return
        if n_bad == 0:
            self._append(out, SampleBatch(b.acc[:keep_n], b.gyr[:keep_n],
                                          None if b.t_device is None else b.t_device[:keep_n], b.gap_before, b.reset))
            return
        self.stats.implausible += n_bad
        self.stats.dropped += n_bad
        idx = np.flatnonzero(~bad)
        before = np.diff(np.concatenate([[-1], idx])) - 1  # dropped samples just before each kept one
        after_last = keep_n - 1 - (int(idx[-1]) if idx.size else -1)  # dropped at the end (before the pending)
        if idx.size == 0:
            self._cpend = SampleBatch(self._cpend.acc, self._cpend.gyr, self._cpend.t_device,
                                      b.gap_before + after_last if b.gap_before >= 0 else -1, b.reset)
            self.stats.gaps += 1
            self._cprev = None
            return
        edges = sorted({0, idx.size, *np.flatnonzero(before > 0).tolist()})
        for a, e in zip(edges[:-1], edges[1:]):
            sel = idx[a:e]
            g = int(before[a])
            if a == 0:
                gap = b.gap_before if g == 0 else (g + b.gap_before if b.gap_before >= 0 else -1)
                reset = b.reset
            else:
                gap, reset = g, False
            self.stats.gaps += g > 0
            self._append(out, SampleBatch(b.acc[sel], b.gyr[sel], None if b.t_device is None else b.t_device[sel],
                                          gap, reset))
        if after_last:
            self._cpend = SampleBatch(self._cpend.acc, self._cpend.gyr, self._cpend.t_device, after_last)
            self.stats.gaps += 1

    def _in_range(self, acc: np.ndarray, gyr: np.ndarray) -> np.ndarray:
        """Per sample: every value finite and within the sensor's range (:attr:`acc_limit`,
        :attr:`gyr_limit`). A value beyond it is a corrupt one (a flipped bit or digit that no checksum
        caught), never a measurement."""
        with np.errstate(invalid="ignore"):
            return ((np.abs(acc) <= self.acc_limit).all(axis=1) & (np.abs(gyr) <= self.gyr_limit).all(axis=1))

    def _emit_clockless(self, out: list[SampleBatch], acc: np.ndarray, gyr: np.ndarray,
                        plausible: np.ndarray | None = None) -> None:
        """Emit samples without device time, dropping (and counting as missing, a gap in their place)
        those beyond the sensor's range or not ``plausible`` (e.g. a text line not in the device's format)."""
        ok = self._in_range(acc, gyr)
        if plausible is not None:
            ok &= plausible
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
