"""x-io x-IMU3 inertial data messages, ASCII and binary (see ``firmware_notes/protocol.md``).

Every message ends with LF (0x0A), which never occurs inside one. ASCII inertial:
``I,<timestamp us>,gx,gy,gz,ax,ay,az\\r\\n`` (deg/s, g). Binary inertial: ``0xC9`` (0x80 + 'I'),
u64 timestamp us LE, 6 x f32 LE (gx gy gz ax ay az), then LF: 34 bytes after un-stuffing, where the
body escapes ``0x0A -> DB DC`` and ``0xDB -> DB DD``. There is no checksum: framing and length are all
that is checked, so the samples are checked instead, each failure dropped and counted: an ASCII message
not in the shape of the connection's first messages (:class:`retrogait.protocols.text.LineShape`: the
same separators, line end and decimals), a value beyond the sensor's range (+-16 g, +-2000 deg/s), an
angular rate that jumps alone for one sample (:meth:`retrogait.protocols.base.Decoder._continuity`), a
timestamp out of line with its neighbours (put back between them when it can be). A flipped bit that
leaves a plausible value (an acceleration, a small angular-rate change) cannot be detected. Commands are one-key JSON objects, e.g. ``{"ping":null}``; the device echoes the key.
Other message types (magnetometer, quaternion, battery ...) are counted as frames and ignored.
"""

from __future__ import annotations

import json

import numpy as np

from retrogait.io.recording import GRAVITY
from retrogait.protocols.base import DEG, Decoder, EncodedStream, SampleBatch
from retrogait.protocols.framing import stuff, unstuff
from retrogait.protocols.text import LineShape, parse_numbers

END = 0x0A
BIN_INERTIAL = 0xC9
BIN_DTYPE = np.dtype([("id", "u1"), ("t", "<u8"), ("v", "<f4", (6,))])  # 33 bytes
ASCII_IDS = set(b"IMQAREHTBNFSGLX")  # data message ids of x-IMU3 (ASCII form)
BIN_IDS = {0x80 + c for c in ASCII_IDS}
MAX_MESSAGE = 1024
_LF = bytes([END])


def command(key: str, value=None) -> bytes:
    """A command message: one-key JSON object + CRLF."""
    return (json.dumps({key: value}, separators=(",", ":")) + "\r\n").encode()


def encode(acc: np.ndarray, gyr: np.ndarray, rate: float, binary: bool = True, t0_us: int = 0) -> EncodedStream:
    """Encode SI samples as x-IMU3 inertial messages (tests, emulator, benchmarks)."""
    n = len(acc)
    t_us = (t0_us + np.round(np.arange(n) * 1e6 / rate)).astype(np.uint64)
    g_dps = np.asarray(gyr) / DEG
    a_g = np.asarray(acc) / GRAVITY
    if binary:
        rec = np.empty(n, BIN_DTYPE)
        rec["id"] = BIN_INERTIAL
        rec["t"] = t_us
        rec["v"] = np.hstack([g_dps, a_g])
        raw = rec.tobytes()
        frames = [stuff(raw[i * 33:(i + 1) * 33], END) + _LF for i in range(n)]
        v = rec["v"].astype(np.float64)
    else:
        frames, rows = [], []
        for i in range(n):
            vals = [float(f"{x:.4f}") for x in (*g_dps[i], *a_g[i])]
            rows.append(vals)
            frames.append((f"I,{int(t_us[i])}," + ",".join(f"{x:.4f}" for x in vals) + "\r\n").encode())
        v = np.array(rows, dtype=np.float64).reshape(n, 6)
    return EncodedStream(b"".join(frames), v[:, 3:] * GRAVITY, v[:, :3] * DEG, t_us * 1e-6, frames)


class XIMU3Decoder(Decoder):
    """Incremental decoder of x-IMU3 inertial messages (ASCII and binary, mixed freely)."""

    name = "ximu3"
    title = "x-IMU3"
    has_device_time = True
    check_continuity = True

    def __init__(self) -> None:
        super().__init__()
        self.info.update(model="x-IMU3")
        self.shape = LineShape()
        """The shape of the device's ASCII inertial messages (learned from the first ones)."""

    def cmd_identify(self) -> bytes:
        return command("ping")

    def cmd_set_rate(self, hz: float) -> bytes:
        return command("inertialMessageRateDivisor", max(1, int(round(400.0 / hz))))

    def nominal_rate(self) -> float | None:
        return None

    def feed(self, data: bytes) -> list[SampleBatch]:
        self.reads += 1
        maybe_tail = not self._synced  # the first message may be the tail of one we joined late
        msgs = self._segments(data, _LF, MAX_MESSAGE, keep_first=True)
        bins: list[bytes] = []
        rows: list[list[float]] = []
        texts: list[bytes] = []  # the ASCII messages of rows
        pieces: list[np.ndarray] = []  # (k, 7) t_us, gx, gy, gz, ax, ay, az in stream order
        st = self.stats

        def reject(m: bytes, i: int) -> None:
            if not (i == 0 and maybe_tail):
                st.bad_frames += 1
            st.bytes_skipped += len(m) + 1

        for i, m in enumerate(msgs):
            if not m:
                continue
            head = m[0]
            if head == BIN_INERTIAL:
                body = unstuff(m, END)
                if body is None or len(body) != BIN_DTYPE.itemsize:
                    reject(m, i)
                    continue
                if rows:
                    pieces.append(self._ascii_rows(rows, texts))
                    rows, texts = [], []
                bins.append(body)
            elif m.startswith(b"I,"):
                nums = parse_numbers(m[2:])
                if nums is None or len(nums) != 7 or not all(np.isfinite(nums)) or nums[0] < 0:
                    reject(m, i)
                    continue
                if bins:  # keep stream order when ASCII and binary are mixed
                    pieces.append(self._bin_rows(bins))
                    bins = []
                rows.append(nums)
                texts.append(m)
            elif head == ord("{"):
                st.frames += 1
                self.replies.append(m.strip().decode("utf-8", "replace"))
            elif head in BIN_IDS or (head in ASCII_IDS and m[1:2] == b","):
                st.frames += 1  # another data message (magnetometer, quaternion ...)
            else:
                reject(m, i)
        if bins:
            pieces.append(self._bin_rows(bins))
        if rows:
            pieces.append(self._ascii_rows(rows, texts))
        out: list[SampleBatch] = []
        if not pieces:
            return out
        v = np.concatenate(pieces)
        good = np.isfinite(v).all(axis=1)
        if not good.all():
            st.bad_frames += int((~good).sum())
            v = v[good]
        st.frames += v.shape[0]
        self._split_on_time_gaps(out, v[:, 4:7] * GRAVITY, v[:, 1:4] * DEG, v[:, 0] * 1e-6)
        return out

    def _ascii_rows(self, rows: list[list[float]], texts: list[bytes]) -> np.ndarray:
        """The ASCII inertial messages' numbers, without those not in the device's shape (counted)."""
        v = np.array(rows, dtype=np.float64)
        ok = self.shape.check(texts)
        if not ok.all():
            self.stats.frames += int((~ok).sum())
            self.stats.implausible += int((~ok).sum())
            v = v[ok]
        return v

    @staticmethod
    def _bin_rows(bins: list[bytes]) -> np.ndarray:
        rec = np.frombuffer(b"".join(bins), dtype=BIN_DTYPE)
        with np.errstate(invalid="ignore", over="ignore"):  # corrupt floats: dropped by the range check
            return np.column_stack([rec["t"].astype(np.float64), rec["v"].astype(np.float64)])
