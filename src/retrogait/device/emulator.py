"""A device emulator on a pseudo-terminal: a shoe IMU without hardware.

It opens a pty (raw mode), makes a stable symlink to it (the "port path" a user passes to
``retrogait record --port``), streams samples at real-time rate in the chosen protocol (paced by the
clock), answers that protocol's commands and injects faults. Tests and benchmarks use the
:class:`Emulator` class in-process (a thread); ``retrogait emulate`` runs it in the foreground.

Faults (``--faults garbage=0.01,flip=0.001,drop=0.001,stall=3:0.5,disconnect=5:1.5``):

* ``garbage=P``: before each frame, with probability P, a burst of 1-16 random bytes (for the line
  protocols, text and x-IMU3, the burst is one line of noise ending in LF).
* ``flip=P``: with probability P a frame gets one bit flipped (never into an END byte); with a checksum
  (retrogait, WitMotion) the receiver rejects exactly that frame.
* ``drop=P``: with probability P a frame is lost (its samples never reach the line).
* ``stall=AT:DUR``: from AT s after start, nothing is sent for DUR s (those samples are lost).
* ``disconnect=AT:DOWN``: at AT s the port disappears (pty closed, link removed) for DOWN s; then the
  device "reboots" at the same path (sequence counter and clock restart, INFO sent again).

Several stalls/disconnects: repeat the key (``stall=2:0.3,stall=6:0.3``).
"""

from __future__ import annotations

import errno
import json
import os
import select
import tempfile
import threading
import time
import tty
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from retrogait.device.sources import resample
from retrogait.errors import UsageProblem
from retrogait.protocols import retrogait_binary as rb
from retrogait.protocols import text as textp
from retrogait.protocols import witmotion as wm
from retrogait.protocols import ximu3 as xi
from retrogait.protocols.framing import unstuff

EMULATED_PROTOCOLS = ("retrogait", "witmotion", "ximu3", "ximu3-ascii", "text")
LINE_PROTOCOLS = ("ximu3", "ximu3-ascii", "text")
OUT_LIMIT = 32 << 10  # the device's own buffer: bytes queued for a port nobody reads before it drops frames


@dataclass
class Faults:
    """Fault injection settings (see the module docstring)."""

    garbage: float = 0.0
    flip: float = 0.0
    drop: float = 0.0
    stalls: list[tuple[float, float]] = field(default_factory=list)
    disconnects: list[tuple[float, float]] = field(default_factory=list)


def parse_faults(spec: str | None) -> Faults:
    """Parse ``"garbage=0.01,flip=0.001,drop=0.001,stall=3:0.5,disconnect=5:1.5"``."""
    f = Faults()
    if not spec:
        return f
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        key, _, val = item.partition("=")
        key = key.strip().lower()
        try:
            if key in ("garbage", "flip", "drop"):
                p = float(val)
                if not 0.0 <= p <= 1.0:
                    raise ValueError
                setattr(f, key, p)
            elif key in ("stall", "disconnect"):
                at, _, dur = val.partition(":")
                pair = (float(at), float(dur))
                if pair[0] < 0 or pair[1] <= 0:
                    raise ValueError
                (f.stalls if key == "stall" else f.disconnects).append(pair)
            else:
                raise UsageProblem(f"--faults: unknown fault {key!r}; use garbage, flip, drop, stall, disconnect")
        except ValueError:
            hint = "a probability 0..1" if key in ("garbage", "flip", "drop") else "AT:DURATION in seconds"
            raise UsageProblem(f"--faults: bad value {item!r}; expected {key}={hint}") from None
    return f


def _points_to(path: str, target: str) -> bool:
    """``path`` is a symbolic link to ``target``."""
    try:
        return os.path.islink(path) and os.readlink(path) == target
    except OSError:
        return False


def check_link_path(path: str) -> None:
    """Refuse a port link path taken by something the emulator did not make: only a missing path or a
    symbolic link to a pseudo-terminal (``/dev/pts/N``, an emulator's port, perhaps left by one that
    was killed) may be (re)placed. One-line UsageProblem otherwise."""
    if not os.path.lexists(path):
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise UsageProblem(f"--link {path}: folder {folder} does not exist")
        return
    try:
        target = os.readlink(path) if os.path.islink(path) else None
    except OSError:
        target = None
    if target is None or not target.startswith("/dev/pts/"):
        what = "a link to " + target if target else ("a folder" if os.path.isdir(path) else "a file")
        raise UsageProblem(f"--link {path}: exists and is {what}, not an emulator's port link; refusing to "
                           "replace it (choose another path)")


@dataclass
class EmulatorStats:
    """What the emulator did (tests compare the recorder's counts with these)."""

    samples_generated: int = 0
    samples_sent: int = 0  # samples in frames that reached the line intact
    frames_sent: int = 0
    frames_dropped: int = 0
    samples_dropped: int = 0
    frames_flipped: int = 0
    samples_flipped: int = 0
    garbage_bursts: int = 0
    garbage_bytes: int = 0
    garbage_segments: int = 0  # retrogait protocol: END-delimited pieces of garbage (each a bad frame)
    samples_stalled: int = 0
    samples_unplugged: int = 0
    disconnects: int = 0
    overflow_bytes: int = 0  # nobody read the port and the device's buffer overflowed (whole frames dropped)
    samples_overflowed: int = 0  # samples in those frames (not counted in samples_sent)
    commands: list[str] = field(default_factory=list)


class Emulator:
    """An emulated shoe IMU on a pty.

    Args:
        acc, gyr: (N, 3) source samples (SI), played in a loop.
        rate: source sample rate, Hz.
        protocol: one of :data:`EMULATED_PROTOCOLS`.
        faults: what to inject.
        link: the stable port path (a symlink to the current pty); default a new temp path.
        speed: device-time seconds per wall-clock second (> 1 runs an accelerated session).
        per_frame: samples per frame (retrogait protocol); default rate / 200, at least 1.
        keep_log: keep every intact sample sent (for tests; costs memory in long runs).
        autostart: stream from power-on; False: (retrogait protocol) wait for START like a device
            whose firmware streams only to a host that asked.
        out_limit: the device's output buffer, bytes; when the host does not read, the oldest whole
            frames are dropped beyond it (and are not in :meth:`sent`). None: never drop (a device with
            flow control; for accelerated sessions, whose data rate a busy host may not keep up with).
    """

    def __init__(self, acc: np.ndarray, gyr: np.ndarray, rate: float, protocol: str = "retrogait", *,
                 faults: Faults | None = None, link: str | None = None, seed: int = 0, speed: float = 1.0,
                 per_frame: int | None = None, text_format: textp.TextFormat | None = None,
                 device_id: int = 0x52470001, keep_log: bool = True, autostart: bool = True,
                 out_limit: int | None = OUT_LIMIT) -> None:
        if protocol not in EMULATED_PROTOCOLS:
            raise UsageProblem(f"cannot emulate protocol {protocol!r}; use one of {', '.join(EMULATED_PROTOCOLS)}")
        self.src_acc = np.asarray(acc, dtype=np.float64)
        self.src_gyr = np.asarray(gyr, dtype=np.float64)
        self.src_rate = float(rate)
        self.acc, self.gyr, self.rate = self.src_acc, self.src_gyr, self.src_rate
        self.protocol = protocol
        self.faults = faults or Faults()
        self.rng = np.random.default_rng(seed)
        self.speed = float(speed)
        self.per_frame_opt = per_frame
        self.text_format = text_format or textp.PRESETS["retrogait-csv"]
        self.device_id = device_id
        self.keep_log = keep_log
        self.stats = EmulatorStats()
        self.link = link or os.path.join(tempfile.gettempdir(), f"retrogait-emu-{os.getpid()}-{id(self):x}")
        self._master: int | None = None
        self._slave: int | None = None
        self._tty: str | None = None  # the pty's path, which the link points to
        self._out = bytearray()  # bytes queued for the port
        self._frames: deque[tuple[int, np.ndarray | None]] = deque()  # their frames: (length, samples' index)
        self._head_off = 0  # bytes of the first queued frame already written
        self._unsent: list[np.ndarray] = []  # session indices of logged samples that never reached the line
        self.out_limit = out_limit
        self._in = b""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._log: list[tuple[np.ndarray, np.ndarray, np.ndarray, int, np.ndarray]] = []
        self._flipped: list[np.ndarray] = []  # session indices of the samples in flipped frames
        self._dropped: list[np.ndarray] = []  # ... and in frames the drop fault lost
        self._k_base = 0  # source index of the current boot's first sample
        # the device clock since boot, piecewise at constant rate: segment start (wall, sample, us)
        self._seg_wall: float | None = 0.0
        self._seg_k0 = 0
        self._seg_us0 = 0.0
        self._seg_rate = float(rate)
        self.autostart = autostart
        self._streaming = True
        self.boots = 0

    # -- public --------------------------------------------------------------------------------
    @property
    def per_frame(self) -> int:
        if self.protocol != "retrogait":
            return 1
        return self.per_frame_opt or max(1, int(self.rate // 200))

    def open(self) -> str:
        """Create the pty and the link; return the port path. Raises UsageProblem when the link path
        is taken by anything but an emulator's port link (a file, a folder, another link)."""
        check_link_path(self.link)
        self._open_pty()
        return self.link

    def start(self) -> str:
        """Open and stream in a background thread; return the port path."""
        if self._master is None:
            self.open()
        self._thread = threading.Thread(target=self.run, name="retrogait-emulator", daemon=True)
        self._thread.start()
        return self.link

    def stop(self) -> None:
        """Stop streaming and remove the pty and the link."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._close_pty()

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def sent(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every intact sample sent so far: acc, gyr (as encoded), device time (s), boot number, and
        the sample's index in the session (samples since the emulator started, across reboots)."""
        log, unsent = list(self._log), list(self._unsent)  # one snapshot: the device may be running
        if not log:
            z = np.zeros((0, 3))
            return z, z, np.zeros(0), np.zeros(0, dtype=int), np.zeros(0, dtype=int)
        acc = np.concatenate([x[0] for x in log])
        gyr = np.concatenate([x[1] for x in log])
        t = np.concatenate([x[2] for x in log])
        boot = np.concatenate([np.full(len(x[2]), x[3]) for x in log])
        glob = np.concatenate([x[4] for x in log])
        if unsent:  # dropped from the full output buffer, or queued when the port went away
            ok = ~np.isin(glob, np.concatenate(unsent))
            return acc[ok], gyr[ok], t[ok], boot[ok], glob[ok]
        return acc, gyr, t, boot, glob

    def flipped(self) -> np.ndarray:
        """Session indices of the samples sent in a frame with a flipped bit (not in :meth:`sent`)."""
        parts = list(self._flipped)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=int)

    def dropped(self) -> np.ndarray:
        """Session indices of the samples in frames the ``drop`` fault lost."""
        parts = list(self._dropped)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=int)

    # -- the device loop -----------------------------------------------------------------------
    def run(self) -> None:
        """Stream until :meth:`stop` (or forever when run in the foreground)."""
        start = time.monotonic()
        k = 0  # samples generated since boot
        self._boot(start)
        down_until = None
        disconnects = sorted(self.faults.disconnects)
        stalls = sorted(self.faults.stalls)
        while not self._stop.is_set():
            now = time.monotonic()
            el = (now - start) * self.speed  # session time in device seconds
            if down_until is not None:
                if el < down_until:
                    time.sleep(0.005)
                    continue
                down_until = None
                self._open_pty()
                k = 0
                self._k_base = int(el * self.rate)  # the wearer kept walking while it was unplugged
                self._boot(now)
            if disconnects and el >= disconnects[0][0]:
                at, down = disconnects.pop(0)
                lost = self._due(now) - k
                self.stats.samples_unplugged += max(lost, 0) + int(down * self.rate)
                self.stats.disconnects += 1
                self._close_pty()
                down_until = at + down
                continue
            if self._seg_wall is None:  # the rate changed: a new clock segment from sample k on
                self._seg_us0 += (k - self._seg_k0) * 1e6 / self._seg_rate
                self._seg_wall, self._seg_k0, self._seg_rate = now, k, self.rate
            due = self._due(now)
            pf = self.per_frame
            due -= due % pf if due > k else 0
            if due > k:
                stalled = any(a <= el < a + d for a, d in stalls)
                if stalled or not self._streaming:
                    if stalled:
                        self.stats.samples_stalled += due - k
                    self.stats.samples_generated += due - k
                else:
                    self._send_samples(k, due)
                k = due
            self._pump()
            time.sleep(0.002 if self.rate * self.speed > 500 else 0.005)

    def _due(self, now: float) -> int:
        """Samples the device has produced since boot at wall time ``now``."""
        wall = self._seg_wall if self._seg_wall is not None else now  # None: a segment starts now
        return self._seg_k0 + int((now - wall) * self.speed * self._seg_rate)

    def _boot(self, now: float) -> None:
        self._seg_wall, self._seg_k0, self._seg_us0 = now, 0, 0.0
        self.boots += 1
        self._streaming = self.autostart or self.protocol != "retrogait"
        self.acc, self.gyr, self.rate = self.src_acc, self.src_gyr, self.src_rate
        self._seg_rate = self.rate
        if self.protocol == "retrogait":
            self._queue(self._info())

    def _info(self) -> bytes:
        return rb.info_frame(int(round(self.rate)), self.device_id, "retrogait-emulator", "emulator-1.0",
                             self.per_frame)

    def _send_samples(self, k0: int, k1: int) -> None:
        n_src = len(self.acc)
        glob = self._k_base + np.arange(k0, k1)
        idx = glob % n_src
        acc, gyr = self.acc[idx], self.gyr[idx]
        t0_us = int(round(self._seg_us0 + (k0 - self._seg_k0) * 1e6 / self.rate))
        if self.protocol == "retrogait":
            enc = rb.encode(acc, gyr, self.rate, per_frame=self.per_frame, t0_us=t0_us, seq0=k0, with_info=False)
            spans = [(i, min(i + self.per_frame, k1 - k0)) for i in range(0, k1 - k0, self.per_frame)]
        else:
            if self.protocol == "witmotion":
                enc = wm.encode(acc, gyr)
            elif self.protocol.startswith("ximu3"):
                enc = xi.encode(acc, gyr, self.rate, binary=self.protocol == "ximu3", t0_us=t0_us)
            else:
                enc = textp.encode(acc, gyr, self.rate, self.text_format, t0=t0_us * 1e-6)
            spans = [(i, i + 1) for i in range(k1 - k0)]
        t = enc.t if enc.t is not None else (k0 + np.arange(k1 - k0)) / self.rate
        f = self.faults
        st = self.stats
        st.samples_generated += k1 - k0
        keep = np.ones(k1 - k0, dtype=bool)
        for fr, (a, b) in zip(enc.frames, spans):
            if f.garbage and self.rng.random() < f.garbage:
                junk = self.rng.integers(0, 256, int(self.rng.integers(1, 17)), dtype=np.uint8).tobytes()
                if self.protocol in LINE_PROTOCOLS:
                    junk = junk.replace(b"\n", b"") + b"\n"
                self._queue(junk)
                st.garbage_bursts += 1
                st.garbage_bytes += len(junk)
                if self.protocol == "retrogait":  # the bad frames a receiver will see: pieces between ENDs
                    st.garbage_segments += sum(1 for p in junk.split(bytes([rb.END])) if p)
            if f.drop and self.rng.random() < f.drop:
                st.frames_dropped += 1
                st.samples_dropped += b - a
                keep[a:b] = False
                if self.keep_log:
                    self._dropped.append(glob[a:b])
                continue
            if f.flip and self.rng.random() < f.flip:
                fr = self._flip(fr)
                st.frames_flipped += 1
                st.samples_flipped += b - a
                keep[a:b] = False
                if self.keep_log:
                    self._flipped.append(glob[a:b])
            self._queue(fr, glob[a:b] if keep[a] else None)
            st.frames_sent += 1
        st.samples_sent += int(keep.sum())
        if self.keep_log and keep.any():
            self._log.append((enc.acc[keep], enc.gyr[keep], np.asarray(t)[keep], self.boots, glob[keep]))

    def _flip(self, fr: bytes) -> bytes:
        b = bytearray(fr)
        if self.protocol == "retrogait":
            lo, hi = 1, len(b) - 1  # keep the END bytes
        elif self.protocol == "witmotion":
            lo, hi = 0, 22  # inside the 0x51 or 0x52 frame: that sample is lost
        else:
            lo, hi = 0, max(1, len(b) - 1)
        end = {"retrogait": rb.END}.get(self.protocol, 0x0A)
        for _ in range(16):
            j = int(self.rng.integers(lo, hi))
            v = b[j] ^ (1 << int(self.rng.integers(0, 8)))
            if v != end:
                b[j] = v
                return bytes(b)
        return bytes(b)

    # -- the port ------------------------------------------------------------------------------
    def _open_pty(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        self._forget_queued()
        self._in = b""
        self._tty = os.ttyname(slave)
        try:
            check_link_path(self.link)  # (again after an unplug: something may have taken the path)
        except UsageProblem:
            self._stop.set()  # never replace what is not ours: the device stays away
            return
        while True:  # a fresh temporary name beside the link (never an existing file), then one rename
            tmp = f"{self.link}.{os.getpid()}-{os.urandom(4).hex()}.tmp"
            try:
                os.symlink(self._tty, tmp)
                break
            except FileExistsError:
                continue
        os.replace(tmp, self.link)

    def _close_pty(self) -> None:
        if self._tty is not None and _points_to(self.link, self._tty):
            try:
                os.unlink(self.link)  # only our own link: never what replaced it meanwhile
            except OSError:
                pass
        for fd in (self._master, self._slave):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._master = self._slave = None
        self._tty = None

    def _forget_queued(self) -> None:
        """The port went away: what was queued never reaches the line."""
        for _, glob in self._frames:
            if glob is not None:
                self._unsent.append(glob)
                self.stats.samples_sent -= len(glob)
        self._out.clear()
        self._frames.clear()
        self._head_off = 0

    def _queue(self, data: bytes, glob: np.ndarray | None = None) -> None:
        """Queue one frame (``glob``: the session indices of its intact samples, logged as sent)."""
        self._out += data
        self._frames.append((len(data), glob))
        if self.out_limit is None or len(self._out) <= self.out_limit:
            return
        # nobody reads: the buffer overflows; drop the oldest whole frames (not one partly written)
        over = len(self._out) - self.out_limit
        head = self._frames.popleft() if self._head_off else None
        start = head[0] - self._head_off if head else 0
        dropped = 0
        while dropped < over and self._frames:
            n, g = self._frames.popleft()
            dropped += n
            if g is not None:
                self._unsent.append(g)
                self.stats.samples_sent -= len(g)
                self.stats.samples_overflowed += len(g)
        del self._out[start:start + dropped]
        if head:
            self._frames.appendleft(head)
        self.stats.overflow_bytes += dropped

    def _written(self, n: int) -> None:
        """``n`` bytes reached the port."""
        del self._out[:n]
        self._head_off += n
        while self._frames and self._head_off >= self._frames[0][0]:
            self._head_off -= self._frames.popleft()[0]

    def _pump(self) -> None:
        if self._master is None:
            return
        try:
            while self._out:
                r, w, _ = select.select([], [self._master], [], 0)
                if not w:
                    break
                n = os.write(self._master, self._out[:65536])
                self._written(n)
        except BlockingIOError:
            pass
        except OSError as exc:
            if exc.errno not in (errno.EIO, errno.EAGAIN):
                raise
        try:
            data = os.read(self._master, 4096)
        except (BlockingIOError, OSError):
            data = b""
        if data:
            self._command(data)

    # -- commands ------------------------------------------------------------------------------
    def _set_rate(self, hz: float) -> bool:
        if not 1 <= hz <= 4000:
            return False
        if hz != self.rate:  # resample the source to the new rate
            self.acc, self.gyr, self.rate = resample(self.src_acc, self.src_gyr, self.src_rate, hz)
            self._seg_wall = None  # the device loop starts a new clock segment
        return True

    def _command(self, data: bytes) -> None:
        self._in += data
        if self.protocol == "retrogait":
            parts = self._in.split(bytes([rb.END]))
            self._in = parts.pop()
            for seg in parts:
                body = unstuff(seg, rb.END) if seg else None
                if not body or len(body) < 3 or rb.crc16(body[:-2]) != int.from_bytes(body[-2:], "little"):
                    continue
                cmd, arg = body[0], body[1:-2]
                self.stats.commands.append(f"0x{cmd:02x}")
                status = rb.STATUS_OK
                if cmd == rb.C_START:
                    self._streaming = True
                elif cmd == rb.C_STOP:
                    self._streaming = False
                elif cmd == rb.C_IDENTIFY:
                    self._queue(self._info())
                elif cmd == rb.C_SET_RATE and len(arg) == 2:
                    if not self._set_rate(int.from_bytes(arg, "little")):
                        status = rb.STATUS_BAD_ARG
                    else:
                        self._queue(self._info())
                else:
                    status = rb.STATUS_UNKNOWN
                self._queue(rb.reply_frame(cmd, status))
        elif self.protocol == "witmotion":
            rate = wm.parse_rate_command(self._in)
            if rate is not None:
                self.stats.commands.append(f"rate={rate}")
                self._set_rate(rate)
            self._in = self._in[-4:]
        elif self.protocol.startswith("ximu3"):
            lines = self._in.split(b"\n")
            self._in = lines.pop()
            for line in lines:
                try:
                    cmd = json.loads(line.decode())
                    key, val = next(iter(cmd.items()))
                except (ValueError, StopIteration, AttributeError, UnicodeDecodeError):
                    continue
                self.stats.commands.append(key)
                if key == "ping":
                    val = {"interface": "USB", "deviceName": "x-IMU3 (emulated)", "serialNumber": "EMU0001"}
                elif key == "inertialMessageRateDivisor" and isinstance(val, int) and val > 0:
                    self._set_rate(400.0 / val)
                self._queue((json.dumps({key: val}, separators=(",", ":")) + "\r\n").encode())
        else:
            self._in = b""
