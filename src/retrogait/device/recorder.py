"""Recording one or two shoe IMUs into a native ``.rgt`` file, crash-safe, with gaps marked.

One reader thread per port reads with a short timeout and decodes; the main thread maps device time
onto the session clock, appends to :class:`retrogait.io.fileformat.RecordingWriter` and flushes every
second (so a killed recorder loses at most the last second), marks gaps and disconnects as events,
draws the live view and stops on ``--duration``, Ctrl-C or SIGTERM.

Time: ``Stream.t`` is the device clock shifted onto the session's host clock (t = 0 at ``start_time``);
``t_host`` is the host receive time of every sample (taken the moment the read returned). A reader
takes what has arrived, or waits for the first byte, then pauses a random 0-40 ms before the next
read: batches for cheap decoding, and read times that never lock onto the device's own rhythm, so
that the earliest arrivals (the lower envelope the clock fits) are delay-free all along. The
mapping, the gaps it reveals, the rate of devices without a clock and the device-vs-host clock drift
(``clock_drift`` events, ``host_minus_device_ppm`` > 0: the host clock runs faster) are the pure
:class:`retrogait.device.clock.SessionClock`, one per stream, fed (receive time, batch).
"""

from __future__ import annotations

import os
import queue
import random
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import serial

from retrogait.device.clock import SessionClock, rate_from_arrivals
from retrogait.device.connection import Connection, connect, open_serial, wake_commands
from retrogait.device.live import LiveStrides
from retrogait.errors import DeviceError
from retrogait.io.recording import Recording, Stream, utc_now_iso
from retrogait.protocols import Decoder, SampleBatch, TextFormat, make_decoder
from retrogait.protocols.base import DecoderStats
from retrogait.protocols.witmotion import RATE_CODES

if TYPE_CHECKING:
    from retrogait.io.fileformat import RecordingWriter

FLUSH_EVERY = 1.0  # s: data reaches the file at least this often
STOP_QUIET = 0.2  # s: after the stop command, a device silent this long has sent everything
STOP_LIMIT = 3.0  # s: ... but a stop never waits longer than this
READ_PAUSE = 0.02  # s: mean pause after a read that emptied the port (batches the decoding, saves CPU)
DURATION_GRACE = 1.0  # s: --duration ends when the data span it (as the file will read), or this much
# later by the host clock when no data came meanwhile (a stalled or unplugged device)


@dataclass
class DeviceSpec:
    """A device to record: port and foot."""

    port: str
    foot: str = "unknown"


@dataclass
class StreamState:
    """Per-stream bookkeeping in the main thread."""

    index: int
    spec: DeviceSpec
    conn: Connection
    decoder: Decoder
    clock: SessionClock
    old_stats: DecoderStats = field(default_factory=DecoderStats)
    disconnects: int = 0
    connected: bool = True
    lost: bool = False
    serial: Any = None  # the port the reader uses now (replaced after a reconnect)

    @property
    def samples(self) -> int:
        """Samples recorded so far."""
        return self.clock.samples

    @property
    def last_t(self) -> float | None:
        """Session time of the last sample recorded, None before the first."""
        return self.clock.last_t

    @property
    def rate(self) -> float | None:
        """The rate the clock assumes, Hz (measured for devices that announce none)."""
        return self.clock.rate

    def stat(self, name: str) -> int:
        return getattr(self.old_stats, name) + getattr(self.decoder.stats, name)


class _Reader(threading.Thread):
    """Reads one port, decodes, and posts ("data", i, t_recv, batches) / ("disconnect", ...) /
    ("reconnect", i, t, decoder) / ("lost", i, t) messages; reconnects after an unplug."""

    def __init__(self, rec: Recorder, st: StreamState) -> None:
        super().__init__(name=f"retrogait-reader-{st.index}", daemon=True)
        self.rec = rec
        self.st = st
        self._read_times: dict[int, float] = {}  # receive time of the decoder's recent reads, by number

    def run(self) -> None:
        rec, st = self.rec, self.st
        conn = st.conn
        dec = st.decoder
        pre: list[tuple[float, list[SampleBatch]]] = []
        for t_read, chunk in conn.preamble:  # bytes read while identifying
            for t, b in self._stamped(dec, dec.feed(chunk), t_read):
                pre.append((rec.session_time(t), b))
        rec.q.put(("preamble", st.index, [(t, b) for t, b in pre if b]))
        ser = conn.serial
        st.serial = ser
        dither = random.Random(st.index)  # read times, not data: any seed will do
        precise_until = 0.0  # after a reconnect, read without pauses for a while: the clock anchor is precise
        while not rec.readers_stop.is_set():
            try:
                data = ser.read(max(1, ser.in_waiting))  # what is there, or the first byte to arrive
                more = bool(data) and ser.in_waiting > 0
            except (serial.SerialException, OSError, TypeError):
                data = None
            t_recv = time.monotonic()  # before decoding: the decoding time is no transport lag
            if data is None:
                back = self._reconnect(ser, dec)
                if back is None:
                    return
                ser, dec = back
                st.serial = ser
                precise_until = time.monotonic() + 0.5
                continue
            if data:
                for t, batches in self._stamped(dec, dec.feed(data), t_recv):
                    rec.q.put(("data", st.index, rec.session_time(t), batches))
                if not more and t_recv > precise_until:  # let data gather; a random pause never locks
                    time.sleep(dither.uniform(0.0, 2 * READ_PAUSE))  # onto the device's own rhythm
        self._flush_decoder(dec)
        try:
            ser.close()
        except (serial.SerialException, OSError):
            pass

    def _stamped(self, dec: Decoder, batches: list[SampleBatch],
                 t_recv: float | None) -> list[tuple[float, list[SampleBatch]]]:
        """``batches`` (just returned by ``dec``) grouped by receive time: those the decoder held from an
        earlier read (``SampleBatch.read``) at that read's time, the others at ``t_recv`` (the read that
        returned them; None: a flush, the last read's)."""
        if t_recv is not None:
            self._read_times[dec.reads] = t_recv
            while len(self._read_times) > 256:  # (a sample is held one read or a few)
                del self._read_times[next(iter(self._read_times))]
        now = t_recv if t_recv is not None else self._read_times.get(dec.reads, time.monotonic())
        groups: dict[float, list[SampleBatch]] = {}
        for b in batches:
            groups.setdefault(self._read_times.get(b.read, now) if b.read else now, []).append(b)
        return list(groups.items())

    def _flush_decoder(self, dec: Decoder) -> None:
        """The stream ended (stop or unplug): post the samples the decoder held back for a verdict, at the
        time of the read they came with (the last one)."""
        for t, bs in self._stamped(dec, dec.flush(), None):
            self.rec.q.put(("data", self.st.index, self.rec.session_time(t), bs))
        self._read_times = {}

    def _reconnect(self, ser: serial.Serial, old: Decoder) -> tuple[serial.Serial, Decoder] | None:
        """Wait for the port to come back (up to --reconnect-timeout); the reopened port and a fresh
        decoder, or None when the device stayed away."""
        rec, st = self.rec, self.st
        self._flush_decoder(old)
        rec.q.put(("disconnect", st.index, rec.session_time(time.monotonic())))
        try:
            ser.close()
        except (serial.SerialException, OSError):
            pass
        deadline = time.monotonic() + rec.reconnect_timeout
        while not rec.readers_stop.is_set() and time.monotonic() < deadline:
            time.sleep(0.1)
            if not os.path.exists(st.spec.port):
                continue
            try:
                new = open_serial(st.spec.port, st.conn.baud)
            except DeviceError:
                continue
            dec = make_decoder(st.conn.protocol, rec.text_format_of(st))
            dec.sample_rate = old.sample_rate
            try:
                new.write(wake_commands(dec, rec.rate))
            except (serial.SerialException, OSError):
                pass
            rec.q.put(("reconnect", st.index, rec.session_time(time.monotonic()), dec))
            return new, dec
        if not rec.readers_stop.is_set():
            rec.q.put(("lost", st.index, rec.session_time(time.monotonic())))
        return None


class Recorder:
    """Record ``devices`` into ``path``. Use :meth:`open` (connects, raises DeviceError) then :meth:`run`."""

    def __init__(self, devices: list[DeviceSpec], path: str, *, protocol: str = "auto", baud: int = 115200,
                 rate: float | None = None, text_format: TextFormat | None = None, subject: str = "",
                 tags: dict[str, Any] | None = None, reconnect_timeout: float = 30.0,
                 sniff_seconds: float = 2.0, live_strides: bool = True) -> None:
        self.devices = devices
        self.path = path
        self.protocol = protocol
        self.baud = baud
        self.rate = rate
        self.text_format = text_format
        self.subject = subject
        self.tags = dict(tags or {})
        self.reconnect_timeout = reconnect_timeout
        self.sniff_seconds = sniff_seconds
        self.q: queue.Queue = queue.Queue()
        self.stop_event = threading.Event()  # a stop was asked for (duration, Ctrl-C, stop())
        # The readers stop on their own event, set only after the devices were asked to stop and
        # the bytes in flight drained, so no reader closes a port the main thread still writes to.
        self.readers_stop = threading.Event()
        self.states: list[StreamState] = []
        self.writer: RecordingWriter | None = None
        self.start_time = ""
        self._mono0 = 0.0
        self._host0 = 0.0
        self.live: LiveStrides | None = None
        self.live_strides = live_strides
        self._readers: list[_Reader] = []
        self.elapsed = 0.0
        self.stop_reason = ""

    @property
    def _w(self) -> RecordingWriter:
        """The open file (after :meth:`open`)."""
        assert self.writer is not None, "Recorder.open() first"
        return self.writer

    # -- time ----------------------------------------------------------------------------------
    def session_time(self, mono: float) -> float:
        """Host monotonic time -> seconds since ``start_time``."""
        return mono - self._mono0 + self._host0

    def text_format_of(self, st: StreamState) -> TextFormat | None:
        return getattr(st.decoder, "fmt", None) if st.conn.protocol == "text" else None

    # -- set up --------------------------------------------------------------------------------
    def open(self) -> None:
        """Connect to every device (in parallel), create the file with its header and start reading
        (into a queue: call :meth:`run` next)."""
        self.start_time = utc_now_iso()
        self._mono0 = time.monotonic()
        start_epoch = datetime.fromisoformat(self.start_time.replace("Z", "+00:00")).timestamp()
        self._host0 = time.time() - start_epoch
        with ThreadPoolExecutor(max_workers=len(self.devices)) as ex:
            futs = [ex.submit(connect, d.port, self.baud, self.protocol, text_format=self.text_format,
                              rate=self.rate, sniff_seconds=self.sniff_seconds) for d in self.devices]
            conns, errors = [], []
            for f in futs:
                try:
                    conns.append(f.result())
                except DeviceError as exc:
                    errors.append(exc)
        if errors:
            for c in conns:
                c.serial.close()
            raise errors[0]
        streams = []
        early_events: list[dict] = []
        for i, (d, c) in enumerate(zip(self.devices, conns)):
            announced = c.info.get("rate_hz")
            rate = self.rate or (float(announced) if announced else None)
            trusted = rate is not None
            measured = None if c.decoder.has_device_time else _measure_rate(c)
            if rate is None:
                rate = measured
            elif measured and abs(measured / rate - 1) > 0.2:  # e.g. a WitMotion that ignored --rate
                early_events.append({"kind": "rate_mismatch", "t": 0.0, "stream": i, "assumed_hz": rate,
                                     "measured_hz": measured})
                rate, trusted = measured, False
            # a WitMotion samples at one of its rate codes: the nearest to the arrivals is its real rate,
            # from which the samples lost without a trace (whole frames) are counted
            device_rate = rate if (c.protocol == "witmotion" and rate in RATE_CODES) else None
            clock = SessionClock(rate, trusted, device_time=c.decoder.has_device_time, stream=i,
                                 gap_cause="sequence" if c.protocol == "retrogait" else "device clock",
                                 device_rate=device_rate)
            if not c.decoder.has_device_time:  # the rate its continuity check judges a sample period by
                c.decoder.sample_rate = rate
            st = StreamState(i, d, c, c.decoder, clock)
            self.states.append(st)
            streams.append(Stream(np.zeros(0), np.zeros((0, 3)), np.zeros((0, 3)), t_host=np.zeros(0),
                                  foot=d.foot, nominal_rate=rate if trusted else None,
                                  device=c.device_info()))
        template = Recording(streams=streams, start_time=self.start_time, subject=self.subject, tags=self.tags)
        from retrogait.io.fileformat import RecordingWriter

        try:
            self.writer = RecordingWriter(self.path, template, block_seconds=FLUSH_EVERY)
        except Exception:
            for c in conns:
                c.serial.close()
            raise
        for ev in early_events:
            self._w.add_event(ev)
        # read from now on (into the queue that run() handles): the devices were woken up, and anything
        # slow from here (importing the live analysis, the caller's set-up) must not let their buffers
        # overflow on a slow or busy machine
        self._readers = [_Reader(self, st) for st in self.states]
        for r in self._readers:
            r.start()
        if self.live_strides:
            self.live = LiveStrides([d.foot for d in self.devices])

    # -- the loop ------------------------------------------------------------------------------
    def run(self, duration: float | None = None, on_tick=None) -> dict:
        """Record until ``duration`` s, :meth:`stop`, Ctrl-C, or every device lost; returns the summary.
        ``on_tick(recorder)`` is called about 4 times a second (the live view)."""
        if self.writer is None:
            self.open()
        readers = self._readers
        last_flush = last_tick = time.monotonic()
        old_sigint = None
        if threading.current_thread() is threading.main_thread():
            # Ctrl-C sets a flag: a KeyboardInterrupt raised inside a file write could tear a block
            old_sigint = signal.signal(signal.SIGINT, lambda *_: self.stop("interrupted (Ctrl-C)"))
        try:
            while True:
                try:
                    self._handle(self.q.get(timeout=0.05))
                    while True:
                        self._handle(self.q.get_nowait())
                except queue.Empty:
                    pass
                now = time.monotonic()
                self.elapsed = now - self._mono0
                if now - last_flush >= FLUSH_EVERY:
                    self._w.flush()
                    last_flush = now
                if now - last_tick >= 0.25:
                    last_tick = now
                    if self.live is not None:
                        self.live.maybe_update()
                    if on_tick is not None:
                        on_tick(self)
                if duration is not None and self._duration_reached(now, duration):
                    self.stop_reason = "duration reached"
                    break
                if self.stop_event.is_set():
                    self.stop_reason = self.stop_reason or "stopped"
                    break
                if all(st.lost for st in self.states):
                    self.stop_reason = "every device was lost (not back within --reconnect-timeout)"
                    break
        except KeyboardInterrupt:
            self.stop_reason = "interrupted (Ctrl-C)"
        finally:
            if old_sigint is not None:
                signal.signal(signal.SIGINT, old_sigint)
            self._stop_devices()
            self.stop_event.set()
            self.readers_stop.set()
            for r in readers:
                r.join(timeout=2)
            try:
                while True:
                    self._handle(self.q.get_nowait())
            except queue.Empty:
                pass
            self._finish()
        return self.summary()

    def _duration_reached(self, now: float, duration: float) -> bool:
        """``--duration`` is the data's: reached when a stream's samples span it (as the file will
        read; samples the device had buffered before the port was opened count too), or
        :data:`DURATION_GRACE` later by the host clock from the first sample when no data came
        meanwhile; with no sample at all, when the time since opening reaches it."""
        firsts = [st.clock.first_t for st in self.states if st.clock.first_t is not None]
        if not firsts:
            return self.elapsed >= duration
        return (self.duration >= duration
                or self.session_time(now) - min(firsts) >= duration + DURATION_GRACE)

    @property
    def duration(self) -> float:
        """Seconds from the first to the last sample of the longest stream (what the file reads)."""
        spans = [st.clock.last_t - st.clock.first_t for st in self.states
                 if st.clock.first_t is not None and st.clock.last_t is not None]
        return max(spans, default=0.0)

    def _stop_devices(self, quiet: float = STOP_QUIET, limit: float = STOP_LIMIT) -> None:
        """Ask devices that can to stop streaming, and keep what is still in flight: until the asked
        ports have been silent and empty for ``quiet`` s (however slowly a busy host reads), at most
        ``limit`` s."""
        asked = []
        for st in self.states:
            cmd = st.decoder.cmd_stop()
            ser = st.serial
            if cmd and st.connected and ser is not None and ser.is_open:
                try:
                    ser.write(cmd)
                    asked.append(st)
                except (serial.SerialException, OSError, TypeError):  # unplugged under our feet
                    pass
        if not asked:
            return
        start = last = time.monotonic()
        while True:
            try:
                msg = self.q.get(timeout=0.05)
                self._handle(msg)
                if msg[0] == "data" and any(st.index == msg[1] for st in asked):
                    last = time.monotonic()
            except queue.Empty:
                pass
            now = time.monotonic()
            if now - start >= limit:
                return
            if now - last >= quiet and not any(_waiting(st) for st in asked):
                return

    def stop(self, reason: str = "stopped") -> None:
        self.stop_reason = reason
        self.stop_event.set()

    # -- messages ------------------------------------------------------------------------------
    def _handle(self, msg: tuple) -> None:
        kind, i = msg[0], msg[1]
        st = self.states[i]
        if kind == "data":
            for b in msg[3]:
                self._append(st, msg[2], b)
        elif kind == "preamble":
            st.clock.anchor_on_preamble(msg[2])
            for t_recv, batches in msg[2]:
                for b in batches:
                    self._append(st, t_recv, b)
        elif kind == "disconnect":
            st.connected = False
            st.disconnects += 1
            self._w.add_event({"kind": "disconnect", "t": float(msg[2]), "stream": i,
                                   "last_sample_t": st.last_t})
            self._write(st, st.clock.disconnected())
        elif kind == "reconnect":
            st.old_stats = _add_stats(st.old_stats, st.decoder.stats)
            st.decoder = msg[3]
            st.connected = True
            self._w.add_event({"kind": "reconnect", "t": float(msg[2]), "stream": i})
        elif kind == "lost":
            st.lost = True
            self._w.add_event({"kind": "device_lost", "t": float(msg[2]), "stream": i,
                                   "reconnect_timeout_s": self.reconnect_timeout})

    def _write_clock_events(self, st: StreamState) -> None:
        for ev in st.clock.take_events():
            self._w.add_event(ev)

    def _append(self, st: StreamState, t_recv: float, b) -> None:
        self._write(st, st.clock.feed(t_recv, b))

    def _write(self, st: StreamState, stamped: list) -> None:
        """Write the batches the clock has stamped, and its events (a gap before them, a new rate ...)."""
        self._write_clock_events(st)
        for t_recv, b, t in stamped:
            self._w.append(st.index, t, b.acc, b.gyr, t_host=np.full(b.n, t_recv))
            if self.live is not None:
                self.live.add(st.index, t, b.acc, b.gyr)

    def _finish(self) -> None:
        if self.writer is None:
            return
        try:
            for st in self.states:
                self._write(st, st.clock.finish())
                self.writer.add_event({"kind": "recorder_stats", "t": st.last_t or 0.0, "stream": st.index,
                                       **self._stats_of(st), "stop_reason": self.stop_reason})
        finally:
            self.writer.close()
            for st in self.states:
                try:
                    st.conn.serial.close()
                except (serial.SerialException, OSError):
                    pass

    # -- reporting -----------------------------------------------------------------------------
    @staticmethod
    def measured_rate(st: StreamState) -> float | None:
        """Samples per second over the time with data (gaps left out), None before two samples."""
        return st.clock.measured_rate

    def _stats_of(self, st: StreamState) -> dict:
        """The stream's counts. ``dropped``: samples missing from the stream, all told: counted from the
        device's data (sequence counter, clock, unpaired frames), estimated from the length of gaps
        whose count is unknown (stall, unplug, restart), and lost without a trace (a WitMotion's whole
        frames, from its rate); ``gaps``: gap events; ``implausible``: samples that passed the framing
        but not the plausibility checks (dropped, or their timestamp ``repaired``)."""
        c = st.clock
        first, last = c.first_t, c.last_t
        return {"samples": st.samples, "measured_rate_hz": self.measured_rate(st),
                "duration_s": (last - first) if first is not None and last is not None else 0.0,
                "bad_frames": st.stat("bad_frames"), "dropped": c.missing, "dropped_counted": c.missing_counted,
                "dropped_estimated": c.missing_estimated, "dropped_untraced": c.missing_untraced,
                "gaps": c.gap_events, "implausible": st.stat("implausible"), "repaired": st.stat("repaired"),
                "resyncs": st.stat("resyncs"), "bytes_skipped": st.stat("bytes_skipped"),
                "disconnects": st.disconnects}

    def summary(self) -> dict:
        """JSON-ready summary of the session."""
        return {
            "file": str(self.path), "start_time": self.start_time, "duration_s": self.duration,
            "elapsed_s": round(self.elapsed, 3),
            "stop_reason": self.stop_reason,
            "streams": [{"foot": st.spec.foot, "port": st.spec.port, "protocol": st.conn.protocol,
                         "detected": st.conn.reason, **self._stats_of(st),
                         "clock_drift_ppm": [round(d["host_minus_device_ppm"], 1) for d in st.clock.drift_results]}
                        for st in self.states],
            "live_strides": None if self.live is None else dict(self.live.counts),
        }


def _waiting(st: StreamState) -> bool:
    """Bytes wait unread on the stream's port (its reader is behind)."""
    ser = st.serial
    try:
        return ser is not None and ser.is_open and ser.in_waiting > 0
    except (serial.SerialException, OSError, TypeError):
        return False


def _add_stats(a: DecoderStats, b: DecoderStats) -> DecoderStats:
    return DecoderStats(**{k: getattr(a, k) + getattr(b, k) for k in DecoderStats.__dataclass_fields__})


def _measure_rate(c: Connection) -> float | None:
    """Samples per second seen while identifying the device (protocols that announce no rate), from the
    lower envelope of the arrivals (see :func:`retrogait.device.clock.rate_from_arrivals`)."""
    probe = make_decoder(c.protocol, getattr(c.decoder, "fmt", None))
    times, counts = [], []
    for t, data in c.preamble:
        n = sum(b.n for b in probe.feed(data))
        if n:
            times.append(t)
            counts.append(n)
    rate = rate_from_arrivals(times, counts)
    if rate is None:
        return None
    if c.protocol == "witmotion":  # the device has a fixed set of rates: take the nearest one
        near = min(RATE_CODES, key=lambda r: abs(r - rate))
        if abs(near / rate - 1) < 0.1:
            return float(near)
    return rate
