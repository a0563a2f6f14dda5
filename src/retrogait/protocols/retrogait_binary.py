"""retrogait's own binary protocol (specified in ``firmware_notes/protocol.md``).

Frame on the wire: ``END, stuff(type, payload..., crc16_le), END`` with SLIP stuffing (END = 0xC0) and
CRC-16/CCITT-FALSE over ``type + payload``. All multi-byte fields are little-endian.

Device -> host frames:

* ``0x01 INFO``: u8 protocol version, u16 rate_hz, u8 samples per frame, f32 acc LSB (m/s^2),
  f32 gyr LSB (rad/s), u32 device id, u8 model length, model (UTF-8), u8 firmware length, firmware.
* ``0x02 SAMPLES``: u32 seq (index of the first sample since start), u8 n, then n x
  (u32 t_us device clock, i16 ax ay az, i16 gx gy gz).
* ``0x03 REPLY``: u8 command, u8 status (0 ok, 1 unknown command, 2 bad argument).
* ``0x04 LOG``: UTF-8 text.

Host -> device commands (same framing): ``0x10 START``, ``0x11 STOP``, ``0x12 SET_RATE`` (u16 Hz),
``0x13 IDENTIFY`` (answered with INFO).
"""

from __future__ import annotations

import struct

import numpy as np

from retrogait.io.recording import GRAVITY
from retrogait.protocols.base import DEG, Decoder, EncodedStream, SampleBatch
from retrogait.protocols.framing import crc16, stuff, unstuff

END = 0xC0
PROTOCOL_VERSION = 1
T_INFO, T_SAMPLES, T_REPLY, T_LOG = 0x01, 0x02, 0x03, 0x04
C_START, C_STOP, C_SET_RATE, C_IDENTIFY = 0x10, 0x11, 0x12, 0x13
STATUS_OK, STATUS_UNKNOWN, STATUS_BAD_ARG = 0, 1, 2
MAX_FRAME = 2048  # bytes before stuffing; a longer run without END is garbage
MAX_SAMPLES_PER_FRAME = 64
# +-16 g and +-2000 deg/s full scale, as the float32 values the INFO frame carries
DEFAULT_ACC_LSB = float(np.float32(16.0 * GRAVITY / 32768.0))
DEFAULT_GYR_LSB = float(np.float32(2000.0 * DEG / 32768.0))
SAMPLE_DTYPE = np.dtype([("t", "<u4"), ("v", "<i2", (6,))])  # 16 bytes per sample
_SAMPLES_HEAD = struct.Struct("<BIB")  # type, seq, n
_INFO_HEAD = struct.Struct("<BBHBffI")
_END_B = bytes([END])


def frame(body: bytes) -> bytes:
    """One complete frame on the wire: END + stuffed(body + crc16 LE) + END."""
    return _END_B + stuff(body + struct.pack("<H", crc16(body)), END) + _END_B


def command(code: int, arg: bytes = b"") -> bytes:
    """A host -> device command frame."""
    return frame(bytes([code]) + arg)


def info_frame(rate_hz: int, device_id: int, model: str, firmware: str, samples_per_frame: int = 1,
               acc_lsb: float = DEFAULT_ACC_LSB, gyr_lsb: float = DEFAULT_GYR_LSB) -> bytes:
    m, f = model.encode()[:255], firmware.encode()[:255]
    body = _INFO_HEAD.pack(T_INFO, PROTOCOL_VERSION, int(rate_hz), samples_per_frame, acc_lsb, gyr_lsb,
                           device_id) + bytes([len(m)]) + m + bytes([len(f)]) + f
    return frame(body)


def reply_frame(cmd: int, status: int = STATUS_OK) -> bytes:
    return frame(bytes([T_REPLY, cmd, status]))


def samples_body(seq: int, t_us: np.ndarray, raw: np.ndarray) -> bytes:
    """The unframed body of a SAMPLES frame: ``raw`` is (n, 6) int16 ax ay az gx gy gz."""
    rec = np.empty(len(t_us), SAMPLE_DTYPE)
    rec["t"] = np.asarray(t_us, dtype=np.uint64) & 0xFFFFFFFF
    rec["v"] = raw
    return _SAMPLES_HEAD.pack(T_SAMPLES, seq & 0xFFFFFFFF, len(t_us)) + rec.tobytes()


def to_raw(acc: np.ndarray, gyr: np.ndarray, acc_lsb: float = DEFAULT_ACC_LSB,
           gyr_lsb: float = DEFAULT_GYR_LSB) -> np.ndarray:
    """Quantise SI samples to the (n, 6) int16 the device sends (saturating at the full scale)."""
    raw = np.hstack([np.asarray(acc) / acc_lsb, np.asarray(gyr) / gyr_lsb])
    return np.clip(np.round(raw), -32768, 32767).astype(np.int16)


def encode(acc: np.ndarray, gyr: np.ndarray, rate: float, per_frame: int = 4, t0_us: int = 0,
           seq0: int = 0, with_info: bool = True, device_id: int = 1) -> EncodedStream:
    """Encode SI samples at ``rate`` Hz as the device would (tests, emulator, benchmarks)."""
    raw = to_raw(acc, gyr)
    n = raw.shape[0]
    t_us = (t0_us + np.round(np.arange(n) * 1e6 / rate)).astype(np.int64)
    frames = []
    if with_info:
        frames.append(info_frame(int(round(rate)), device_id, "retrogait-emulator", "emu-1", per_frame))
    for i in range(0, n, per_frame):
        frames.append(frame(samples_body(seq0 + i, t_us[i:i + per_frame], raw[i:i + per_frame])))
    acc_q = raw[:, :3] * DEFAULT_ACC_LSB
    gyr_q = raw[:, 3:] * DEFAULT_GYR_LSB
    t = (t_us & 0xFFFFFFFF).astype(np.float64) * 1e-6
    return EncodedStream(b"".join(frames), acc_q, gyr_q, t, frames)


class RetrogaitDecoder(Decoder):
    """Incremental decoder of the retrogait binary protocol."""

    name = "retrogait"
    title = "retrogait binary"
    has_device_time = True

    def __init__(self) -> None:
        super().__init__()
        self._next_seq: int | None = None
        self._t_wraps = 0
        self._last_raw_t: int | None = None
        self.acc_lsb = DEFAULT_ACC_LSB
        self.gyr_lsb = DEFAULT_GYR_LSB

    def cmd_start(self) -> bytes:
        return command(C_START)

    def cmd_stop(self) -> bytes:
        return command(C_STOP)

    def cmd_set_rate(self, hz: float) -> bytes:
        return command(C_SET_RATE, struct.pack("<H", int(round(hz))))

    def cmd_identify(self) -> bytes:
        return command(C_IDENTIFY)

    def feed(self, data: bytes) -> list[SampleBatch]:
        parts = self._segments(data, _END_B, 2 * MAX_FRAME + 4)
        if not parts:
            return []
        out: list[SampleBatch] = []
        run: list[tuple[int, bytes]] = []  # (seq, sample records) of consecutive SAMPLES frames
        for seg in parts:
            if not seg:
                continue
            body = unstuff(seg, END)
            if body is None or len(body) < 3 or crc16(body[:-2]) != int.from_bytes(body[-2:], "little"):
                self.stats.bad_frames += 1
                self.stats.bytes_skipped += len(seg)
                continue
            body = body[:-2]
            kind = body[0]
            if kind == T_SAMPLES and len(body) >= 6:
                _, seq, n = _SAMPLES_HEAD.unpack_from(body)
                if n == 0 or n > MAX_SAMPLES_PER_FRAME or len(body) != 6 + n * SAMPLE_DTYPE.itemsize:
                    self.stats.bad_frames += 1
                    continue
                self.stats.frames += 1
                run.append((seq, body[6:]))
            elif kind == T_INFO and self._parse_info(body):
                self.stats.frames += 1
                self._flush(out, run)
                run = []
            elif kind == T_REPLY and len(body) == 3:
                self.stats.frames += 1
                self.replies.append({"command": body[1], "status": body[2]})
            elif kind == T_LOG:
                self.stats.frames += 1
                self.replies.append({"log": body[1:].decode("utf-8", "replace")})
            else:
                self.stats.bad_frames += 1
        self._flush(out, run)
        return out

    def _parse_info(self, body: bytes) -> bool:
        try:
            _, ver, rate, spf, acc_lsb, gyr_lsb, dev_id = _INFO_HEAD.unpack_from(body)
            p = _INFO_HEAD.size
            lm = body[p]
            model = body[p + 1:p + 1 + lm].decode("utf-8", "replace")
            p += 1 + lm
            lf = body[p]
            fw = body[p + 1:p + 1 + lf].decode("utf-8", "replace")
            if p + 1 + lf != len(body):
                return False
        except (struct.error, IndexError):
            return False
        if not (np.isfinite(acc_lsb) and np.isfinite(gyr_lsb) and acc_lsb > 0 and gyr_lsb > 0):
            return False
        self.acc_lsb, self.gyr_lsb = float(acc_lsb), float(gyr_lsb)
        self.info.update(protocol_version=ver, rate_hz=rate, samples_per_frame=spf,
                         acc_lsb=self.acc_lsb, gyr_lsb=self.gyr_lsb, id=f"{dev_id:08x}", model=model,
                         firmware=fw)
        return True

    def _flush(self, out: list[SampleBatch], run: list[tuple[int, bytes]]) -> None:
        """Turn consecutive SAMPLES frames into batches split at sequence gaps."""
        if not run:
            return
        seqs = np.array([s for s, _ in run], dtype=np.int64)
        counts = np.array([len(r) // SAMPLE_DTYPE.itemsize for _, r in run], dtype=np.int64)
        recs = np.frombuffer(b"".join(r for _, r in run), dtype=SAMPLE_DTYPE)
        raw_t = recs["t"].astype(np.int64)
        # unwrap the 32-bit microsecond clock (wraps every 71.6 min)
        prev = self._last_raw_t if self._last_raw_t is not None else int(raw_t[0])
        steps = np.diff(np.concatenate([[prev], raw_t]))
        wraps = self._t_wraps + np.cumsum(steps < -(1 << 31))
        self._t_wraps = int(wraps[-1])
        self._last_raw_t = int(raw_t[-1])
        t = (raw_t + (wraps << 32)) * 1e-6
        v = recs["v"].astype(np.float64)
        acc, gyr = v[:, :3] * self.acc_lsb, v[:, 3:] * self.gyr_lsb
        # split where a frame's seq is not the expected one
        expected = np.concatenate([[self._next_seq if self._next_seq is not None else seqs[0]],
                                   seqs[:-1] + counts[:-1]]) & 0xFFFFFFFF
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        breaks = np.flatnonzero(seqs != expected)
        first, gap, reset = 0, 0, False
        for b in breaks:
            bound = int(starts[b])
            self._emit(out, acc[first:bound], gyr[first:bound], t[first:bound], gap, reset)
            first = bound
            missing = int((seqs[b] - expected[b]) & 0xFFFFFFFF)
            self.stats.gaps += 1
            if missing < (1 << 31):
                gap, reset = missing, False
                self.stats.dropped += missing
            else:  # the sequence went backwards: the device restarted
                gap, reset = -1, True
        self._emit(out, acc[first:], gyr[first:], t[first:], gap, reset)
        self._next_seq = int(seqs[-1] + counts[-1]) & 0xFFFFFFFF
