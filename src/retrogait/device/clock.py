"""The session clock of one recorded stream: device time -> session time, gaps, rate and clock drift.

:class:`SessionClock` is pure: it is fed ``(host receive time, SampleBatch)`` pairs (the recorder's reader
threads take the receive time the moment a read returns) and returns the session times of the samples,
queueing ``gap`` / ``rate_mismatch`` / ``clock_drift`` events; it never looks at a clock itself, so the
timing logic is tested with scripted receive times (``tests/test_clock.py``).

Everything measured from host receive times uses their *lower envelope*: transport latency, read
batching and scheduling delays only ever make a sample arrive later, so the earliest arrivals carry the
timing and a late read (a busy machine) cannot tilt a rate or drift estimate.

* Devices with a clock: ``t = t_device + offset``; the offset is anchored when the device starts or
  restarts (on the lower envelope of the first reads, else on the first batch).
* Devices without a clock: evenly spaced times at the device's rate (announced, given, or measured from
  the arrivals); an untrusted rate is refined from the lower envelope of the arrivals at 1, 2, 4 ... s of
  a clock segment, keeping continuity and slewing (by at most :data:`MAX_SLEW`) towards that envelope,
  so the times neither jump nor wander off the host clock. A batch more than :data:`HOST_GAP` s later
  than the clock expects is held back until the next one: if that one is late too, samples were lost
  (a ``host clock`` gap) or the device is not at the assumed rate (a ``rate_mismatch``); if not, the
  late one was only received late (a busy machine) and nothing happens.
* Clock drift: a line through the lower envelope of the receive lag (per :data:`DRIFT_BIN` s, the
  smallest), per clock segment; ``host_minus_device_ppm`` > 0 means the host clock runs faster.
"""

from __future__ import annotations

import numpy as np

from retrogait.protocols.base import SampleBatch

HOST_GAP = 0.3  # s: a synthetic clock this far behind the host clock means samples were lost
DRIFT_BIN = 0.5  # s: the drift fit uses the smallest receive lag of each bin (the lower envelope)
ARRIVAL_BIN = 0.1  # s: the rate fit of a clockless device uses the earliest arrival of each bin
DEFAULT_RATE = 1000.0  # Hz: a clockless device's rate before anything is known: deliberately high, as a
# clock assuming too high a rate falls behind the host clock and is put back onto it (a rate_mismatch)
# within HOST_GAP, while one assuming too low a rate would run ahead of it
MIN_RATE_SPAN = 0.2  # s: arrivals spanning less than this give no rate
REFINE_FIRST = 1.0  # s: an untrusted rate is first refined after this much of a clock segment, then at x2
REFINE_TOLERANCE = 0.001  # a refined rate this close to the current one changes nothing
MAX_SLEW = 0.02  # a refined clock closes in on the arrivals at most this fast (s per s)
MISMATCH = 0.2  # a measured rate this far from the assumed one is a rate mismatch, not jitter
AHEAD_LIMIT = 1.0  # s: a device-clock gap this much longer than the host time between the arrivals
# around it is a clock jump (no sample arrives before it was taken; the margin covers transport delays)

Stamped = tuple[float, SampleBatch, np.ndarray]
"""A batch with its receive time and the session times of its samples."""


def lower_envelope_line(x: np.ndarray, y: np.ndarray) -> tuple[float, float] | None:
    """The line ``y = slope * x + intercept`` below every point that minimises the summed vertical
    distance to them (a lower convex hull edge); None with fewer than two distinct x.

    For receive times (or receive lags) that delays only ever increase, this is the delay-free line:
    points above it (late reads) do not move it at all.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.size < 2:
        return None
    order = np.lexsort((y, x))
    x, y = x[order], y[order]
    first = np.concatenate([[True], np.diff(x) > 0])  # equal x: the lowest y (sorted first)
    x, y = x[first], y[first]
    if x.size < 2:
        return None
    hull: list[int] = []  # lower hull by the monotone chain (bins, not samples: a few points a second)
    for i in range(x.size):
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            if (x[b] - x[a]) * (y[i] - y[a]) - (y[b] - y[a]) * (x[i] - x[a]) <= 0:
                hull.pop()
            else:
                break
        hull.append(i)
    xm = float(x.mean())
    a, b = hull[0], hull[1]
    for a, b in zip(hull[:-1], hull[1:]):  # noqa: B007 - the edge the loop stops at is used below
        if x[b] >= xm:
            break
    slope = float((y[b] - y[a]) / (x[b] - x[a]))
    return slope, float(y[a] - slope * x[a])


def rate_from_arrivals(times, counts) -> float | None:
    """Samples per second of a stream from its reads: ``times[i]`` is the receive time of a read that
    brought ``counts[i]`` samples (consecutive, none missing). The last sample of each read was produced
    no later than it arrived, so the lower envelope of (sample index, receive time) has slope 1 / rate.
    None with fewer than 3 reads or less than :data:`MIN_RATE_SPAN` s."""
    t = np.asarray(times, dtype=float)
    c = np.cumsum(np.asarray(counts, dtype=float))
    if t.size < 3 or t[-1] - t[0] < MIN_RATE_SPAN or c[-1] - c[0] < 2:
        return None
    line = lower_envelope_line(c - 1, t)
    if line is None or line[0] <= 0:
        return None
    return 1.0 / line[0]


class SessionClock:
    """Session times of one stream's samples, fed batch by batch with their host receive times.

    Args:
        rate: the device's rate, Hz (announced, given or measured), None when unknown.
        rate_trusted: the rate was announced or given (a clockless stream's rate is then never refined).
        device_time: the protocol has a device clock (only for the drift event's label).
        gap_cause: the cause of a gap seen in the device's own data (sequence counter or clock).
        stream: the stream index written into the events.
        device_rate: the rate the device really samples at, Hz, when known although not trusted for
            the times (a WitMotion's nearest rate code): samples lost without a trace (a clockless
            device's whole frames) are then counted from it, per host-clock segment
            (:attr:`missing_untraced`).

    Every gap event carries ``missing_samples`` (the count the device's own data tell, None when
    they cannot) and ``missing_estimate`` (that count, or the gap's length times the rate).
    """

    def __init__(self, rate: float | None, rate_trusted: bool, *, device_time: bool = True,
                 gap_cause: str = "device clock", stream: int = 0, device_rate: float | None = None) -> None:
        self.rate = rate
        self.device_rate = device_rate
        self.missing_counted = 0  # samples missing in gaps whose count the device's data tell
        self.missing_estimated = 0  # samples missing in gaps of unknown count (from their length)
        self.missing_untraced = 0  # samples lost without a gap to show for it (see device_rate)
        self._seg_first_t: float | None = None  # first sample time of the host-clock segment
        self._seg_samples = 0  # samples stamped in it, and those known missing in it
        self._seg_missing = 0
        self.rate_trusted = rate_trusted
        self.device_time = device_time
        self.gap_cause = gap_cause
        self.stream = stream
        self.events: list[dict] = []  # queued for the caller (see take_events)
        self.samples = 0
        self.first_t: float | None = None
        self.last_t: float | None = None
        self.last_t_host: float | None = None
        self.gap_events = 0
        self.gap_time = 0.0  # s spanned by gap events (each from the last sample before to the first after)
        self.drift_results: list[dict] = []
        self._pending: tuple[float, SampleBatch] | None = None  # a late clockless batch held back (see feed)
        self.offset: float | None = None  # device clock -> session clock
        self.need_anchor = True
        self._unplugged = False  # the next anchor follows a disconnect
        # synthetic clock: sample k of the rate segment is at anchor_t + k / rate
        self.anchor_t = 0.0
        self.anchor_host = 0.0
        self.k = 0
        # arrivals of the host-clock segment (for refining the rate): per bin the earliest (index, t_recv)
        self._seg_n = 0  # samples (and known missing ones) since the host-clock anchor
        self._arr_n: list[float] = []
        self._arr_t: list[float] = []
        self._arr_bin0 = 0.0
        self._refine_at = REFINE_FIRST
        # drift fit points of the current clock segment
        self._drift_t: list[float] = []
        self._drift_lag: list[float] = []
        self._drift_bin0 = 0.0

    # -- the interface -------------------------------------------------------------------------
    def take_events(self) -> list[dict]:
        """The events queued since the last call (gaps, rate mismatches, clock drift), oldest first."""
        ev, self.events = self.events, []
        return ev

    def disconnected(self) -> list[Stamped]:
        """The device went away: the batch held back, if any (see :meth:`feed`); closes the drift
        segment, and the next batch re-anchors (a ``disconnect`` gap)."""
        out = self.flush()
        self._close_drift_segment()
        self._close_segment()
        self.need_anchor = True
        self._unplugged = True
        return out

    def finish(self) -> list[Stamped]:
        """The recording ended: the batch held back, if any; closes the drift segment."""
        out = self.flush()
        self._close_drift_segment()
        self._close_segment()
        return out

    def flush(self) -> list[Stamped]:
        """Stamp the batch held back, if any, as if nothing was missing before it (nothing came after
        it to tell)."""
        if self._pending is None:
            return []
        t_recv, b = self._pending
        self._pending = None
        return [self._stamped(t_recv, b, self._synthetic_times(t_recv, b, check=False))]

    @property
    def measured_rate(self) -> float | None:
        """Samples per second over the time with data (gaps left out), None before two samples."""
        if self.samples > 1 and self.last_t is not None and self.first_t is not None:
            span = self.last_t - self.first_t - self.gap_time
            if span > 0 and self.samples - 1 - self.gap_events > 0:
                return (self.samples - 1 - self.gap_events) / span
        return None

    def anchor_on_preamble(self, chunks: list[tuple[float, list[SampleBatch]]]) -> None:
        """Anchor the clock on the lower envelope of the first reads (``(receive time, batches)``): the
        first may hold a backlog that waited in the device or the OS, later ones arrive within a
        millisecond or two. Nothing is done when a restart or an unknown gap lies inside."""
        batches = [(t, b) for t, bs in chunks for b in bs]
        if not batches or any(b.reset or b.gap_before < 0 for _, b in batches[1:]):
            return
        tds = [b.t_device for _, b in batches]
        if all(td is not None for td in tds):
            self.offset = min(t - float(td[-1]) for (t, _), td in zip(batches, tds) if td is not None)
        elif self.rate:
            ends = np.cumsum([b.n + max(b.gap_before, 0) for _, b in batches])
            self.anchor_t = min(t - (e - 1) / self.rate for (t, _), e in zip(batches, ends))
            self.anchor_host = batches[-1][0] - (ends[-1] - 1) / self.rate
            self.k = 0
            self._reset_arrivals()
            self._refine_at = REFINE_FIRST
        else:
            return
        self.need_anchor = False
        self._unplugged = False

    def feed(self, t_recv: float, b: SampleBatch) -> list[Stamped]:
        """Batch ``b`` received at session time ``t_recv``: the batches stamped now, as
        ``(t_recv, batch, session times)``, oldest first.

        Normally that is ``b`` itself. A clockless batch that arrives more than :data:`HOST_GAP` s later
        than the clock expects is held back until the next one tells why: if that one is on time again,
        the late one was merely received (or time-stamped) late, on a busy machine; if it is late too,
        samples were lost (a ``host clock`` gap) or the device is not at the assumed rate.
        """
        if b.t_device is not None:
            return self.flush() + [self._stamped(t_recv, b, self._device_times(t_recv, b))]
        if self._pending is None:
            if not self.need_anchor and self._lag(t_recv, b) > HOST_GAP:
                self._pending = (t_recv, b)
                return []
            return [self._stamped(t_recv, b, self._synthetic_times(t_recv, b))]
        pt, pb = self._pending
        self._pending = None
        late_too = self._lag(t_recv, b, before=max(pb.gap_before, 0) + pb.n) > HOST_GAP
        out = [self._stamped(pt, pb, self._synthetic_times(pt, pb, check=late_too))]
        return out + self.feed(t_recv, b)

    def stamp(self, t_recv: float, b: SampleBatch) -> np.ndarray:
        """Session times of batch ``b``, judged alone (never held back, see :meth:`feed`)."""
        out = self.feed(t_recv, b)
        if self._pending is not None:
            pt, pb = self._pending
            self._pending = None
            out.append(self._stamped(pt, pb, self._synthetic_times(pt, pb)))
        return out[-1][2]

    def _lag(self, t_recv: float, b: SampleBatch, before: int = 0) -> float:
        """How much later than the synthetic clock expects ``b`` arrived (``before``: samples between)."""
        rate = self.rate or DEFAULT_RATE
        return t_recv - (self.anchor_t + (self.k + before + max(b.gap_before, 0) + b.n - 1) / rate)

    def _stamped(self, t_recv: float, b: SampleBatch, t: np.ndarray) -> Stamped:
        if self.first_t is None:
            self.first_t = float(t[0])
        if self._seg_first_t is None:
            self._seg_first_t = float(t[0])
        self._seg_samples += b.n
        self.last_t = float(t[-1])
        self.last_t_host = t_recv
        self.samples += b.n
        lag = t_recv - float(t[-1])  # transport latency + read batching + clock offset and drift
        if not self._drift_t or t[-1] - self._drift_bin0 >= DRIFT_BIN:
            self._drift_bin0 = float(t[-1])
            self._drift_t.append(float(t[-1]))
            self._drift_lag.append(lag)
        elif lag < self._drift_lag[-1]:
            self._drift_t[-1], self._drift_lag[-1] = float(t[-1]), lag
        return t_recv, b, t

    # -- device clock --------------------------------------------------------------------------
    def _gap_event(self, t_end: float, missing: int | None, cause: str) -> None:
        if self.last_t is None:
            return
        span = float(t_end) - self.last_t
        if missing is not None:
            estimate = missing
            self.missing_counted += missing
        else:
            rate = self.device_rate or self.rate or self.measured_rate  # (measured before this gap)
            estimate = max(int(round(span * rate)) - 1, 0) if rate else 0
            self.missing_estimated += estimate
        self.gap_events += 1
        self.gap_time += span
        self.events.append({"kind": "gap", "t": self.last_t, "t_end": float(t_end), "stream": self.stream,
                            "missing_samples": missing, "missing_estimate": estimate, "cause": cause})

    @property
    def missing(self) -> int:
        """Samples missing from the stream: counted, estimated from gap lengths, and untraced."""
        return self.missing_counted + self.missing_estimated + self.missing_untraced

    def _close_segment(self) -> None:
        """A host-clock segment of a clockless stream ends: with the device's real rate known, the
        samples its span should hold but that neither arrived nor were known missing were lost without
        a trace (whole frames gone)."""
        if (self._seg_first_t is not None and self.device_rate and not self.device_time
                and not self.rate_trusted and self.last_t is not None):
            # the time the segment's samples took to arrive, from its first to its last earliest
            # arrival (both nearly delay-free; the stamps may still be slewing, and a line through the
            # arrivals bends with every lost sample), extended to its first and last sample
            line = self._arrival_line()
            if line:
                span = (self._arr_t[-1] - self._arr_t[0]
                        + (self._arr_n[0] + self._seg_n - 1 - self._arr_n[-1]) * line[0])
            else:
                span = self.last_t - self._seg_first_t
            expected = int(round(span * self.device_rate)) + 1
            self.missing_untraced += max(expected - self._seg_samples - self._seg_missing, 0)
        self._seg_first_t = None
        self._seg_samples = self._seg_missing = 0

    def _device_times(self, t_recv: float, b: SampleBatch) -> np.ndarray:
        td = b.t_device
        assert td is not None  # (feed sends only batches with device time here)
        if self.offset is None or self.need_anchor or b.reset:
            offset = t_recv - float(td[-1])  # the newest sample arrived at t_recv (minus USB latency)
            dt = 1.0 / self.rate if self.rate else 1e-3
            if self.last_t is not None and td[0] + offset <= self.last_t:
                offset = self.last_t + dt - float(td[0])
            if self.last_t is not None:
                self._gap_event(td[0] + offset, None, "disconnect" if self._unplugged else "device restart")
            self._close_drift_segment()
            self.offset = offset
            self.need_anchor = False
            self._unplugged = False
        elif (b.gap_before and self.last_t is not None and self.last_t_host is not None
              and td[0] + self.offset - self.last_t > t_recv - self.last_t_host + AHEAD_LIMIT):
            # the device says more time passed since the last batch than the host saw pass between
            # their arrivals: its clock jumped ahead (a sample cannot arrive before it is taken). Back
            # onto the host clock, after the last sample, and mark where
            offset = max(t_recv - float(td[-1]), self.last_t + (1.0 / self.rate if self.rate else 1e-3)
                         - float(td[0]))
            self._gap_event(td[0] + offset, None, "device clock jump")
            self._close_drift_segment()
            self.offset = offset
        elif b.gap_before:
            self._gap_event(td[0] + self.offset, b.gap_before if b.gap_before > 0 else None, self.gap_cause)
        return td + self.offset

    # -- synthetic clock -----------------------------------------------------------------------
    def _reset_arrivals(self) -> None:
        self._seg_n = 0
        self._arr_n, self._arr_t = [], []

    def _arrival(self, t_recv: float, n_end: int) -> None:
        """Keep the earliest arrival per bin: sample ``n_end`` of the host-clock segment was there at t_recv."""
        rate = self.rate or DEFAULT_RATE
        if not self._arr_t or t_recv - self._arr_bin0 >= ARRIVAL_BIN:
            self._arr_bin0 = t_recv
            self._arr_n.append(float(n_end))
            self._arr_t.append(t_recv)
        elif t_recv - n_end / rate < self._arr_t[-1] - self._arr_n[-1] / rate:
            self._arr_n[-1], self._arr_t[-1] = float(n_end), t_recv

    def _arrival_line(self) -> tuple[float, float] | None:
        """(seconds per sample, arrival time of sample 0) of this host-clock segment, from the lower
        envelope of its arrivals; None if too short."""
        if len(self._arr_t) < 2 or self._arr_t[-1] - self._arr_t[0] < MIN_RATE_SPAN:
            return None
        line = lower_envelope_line(np.asarray(self._arr_n), np.asarray(self._arr_t))
        return line if line is not None and line[0] > 0 else None

    def _resegment(self, rate: float) -> None:
        """Go on at ``rate`` from the next sample, keeping the times so far."""
        self.anchor_t = self.anchor_t + self.k / (self.rate or DEFAULT_RATE)
        self.k = 0
        self.rate = rate

    def _synthetic_times(self, t_recv: float, b: SampleBatch, check: bool = True) -> np.ndarray:
        """Times at the clock's rate; with ``check``, a batch too late for the clock means lost samples
        or a wrong rate."""
        n = b.n
        rate = self.rate or DEFAULT_RATE
        restart = self.need_anchor
        if not restart:
            known_missing = max(b.gap_before, 0)
            self._arrival(t_recv, self._seg_n + known_missing + n - 1)
            expected_last = self.anchor_t + (self.k + known_missing + n - 1) / rate
            if check and t_recv - expected_last > HOST_GAP:  # the host clock says samples went missing ...
                line = self._arrival_line()
                measured = 1.0 / line[0] if line else None
                if measured and abs(measured / rate - 1) > MISMATCH:  # ... or the device is not at that rate
                    self.events.append({"kind": "rate_mismatch", "t": self.last_t, "stream": self.stream,
                                        "assumed_hz": rate, "measured_hz": measured})
                    # nothing was lost: go on at the measured rate, back on the arrivals' envelope
                    assert line is not None  # (measured comes from it)
                    on_envelope = line[1] + (self._seg_n + known_missing) * line[0]
                    self._resegment(measured)
                    self.anchor_t = max(self.anchor_t, on_envelope)
                    self.rate_trusted = False
                    self.device_rate = None  # not the rate it was thought to be: lost samples untold
                    rate = measured
                else:
                    restart = True
            if not restart:
                if known_missing:
                    self._seg_missing += known_missing
                    self._gap_event(self.anchor_t + (self.k + known_missing) / rate, known_missing,
                                    "unpaired frames")
                    self.k += known_missing
                    self._seg_n += known_missing
                elif not self.rate_trusted and t_recv - self.anchor_host >= self._refine_at:
                    span = t_recv - self.anchor_host
                    self._refine_at = 2 * span
                    line = self._arrival_line()
                    if line:  # the measured rate, slewed to close in on the arrivals by the next check
                        ahead = self.anchor_t + self.k / rate - (line[1] + self._seg_n * line[0])
                        ahead = float(np.clip(ahead, -MAX_SLEW * span, MAX_SLEW * span))
                        slewed = span / (span - ahead) / line[0]
                        if abs(slewed / rate - 1) > REFINE_TOLERANCE:
                            self._resegment(slewed)
                            rate = slewed
        if restart:
            if self._arr_t and self._arr_t[-1] == t_recv:  # this batch opens the next segment: its
                self._arr_n.pop()  # arrival (after the gap) is no part of the one that ends
                self._arr_t.pop()
            self._close_segment()
            start = t_recv - (n - 1) / rate
            if self.last_t is not None:
                start = max(start, self.last_t + 1.0 / rate)
                self._gap_event(start, None, "disconnect" if self._unplugged else "host clock")
            self._close_drift_segment()
            self.anchor_t, self.anchor_host, self.k = start, t_recv, 0
            self._reset_arrivals()
            self._refine_at = REFINE_FIRST
            self.need_anchor = False
            self._unplugged = False
        t = self.anchor_t + (self.k + np.arange(n)) / rate
        self.k += n
        self._seg_n += n
        if restart:
            self._arrival(t_recv, self._seg_n - 1)
        return t

    # -- drift ---------------------------------------------------------------------------------
    def _close_drift_segment(self) -> None:
        x, y = np.asarray(self._drift_t), np.asarray(self._drift_lag)
        self._drift_t, self._drift_lag = [], []
        if len(x) < 4 or x[-1] - x[0] < 1.5:
            return
        line = lower_envelope_line(x - x[0], y)
        if line is None:
            return
        slope, icpt = line
        resid = y - (icpt + slope * (x - x[0]))
        ev = {"kind": "clock_drift", "t": float(x[0]), "t_end": float(x[-1]), "stream": self.stream,
              "host_minus_device_ppm": float(slope * 1e6), "lag_at_t_s": float(icpt),
              "lag_spread_s": float(np.std(resid)), "points": int(len(x)),
              "clock": "device" if self.device_time else "synthetic (nominal rate)"}
        self.drift_results.append(ev)
        self.events.append(ev)
