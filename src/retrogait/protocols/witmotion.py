"""WitMotion WT901 / JY901 / HWT901B standard protocol: 11-byte frames ``0x55, type, 4 x int16 LE, sum``.

``sum = (bytes 0..9 sum) & 0xFF``. 0x51 acceleration (raw/32768 x 16 g), 0x52 angular rate
(raw/32768 x 2000 deg/s), 0x53 angles, 0x59 quaternion, 0x50 time ... A sample is emitted for each
0x51 frame immediately followed in the byte stream by a 0x52 frame (the device sends them back to
back every cycle); an unpaired 0x51 or 0x52 frame counts as a dropped sample.

Resynchronisation: after garbage the decoder accepts a frame only when the next frame also starts 11
bytes later with a valid checksum (an 8-bit sum alone is too weak to trust a lone frame).
"""

from __future__ import annotations

import numpy as np

from retrogait.io.recording import GRAVITY
from retrogait.protocols.base import DEG, Decoder, EncodedStream, SampleBatch

HEADER = 0x55
T_TIME, T_ACC, T_GYR, T_ANGLE, T_MAG, T_QUAT, T_READ = 0x50, 0x51, 0x52, 0x53, 0x54, 0x59, 0x5F
FRAME = 11
ACC_SCALE = 16.0 * GRAVITY / 32768.0
GYR_SCALE = 2000.0 * DEG / 32768.0
RATE_CODES = {0.2: 1, 0.5: 2, 1: 3, 2: 4, 5: 5, 10: 6, 20: 7, 50: 8, 100: 9, 125: 10, 200: 11}
BAUD_CODES = {4800: 1, 9600: 2, 19200: 3, 38400: 4, 57600: 5, 115200: 6, 230400: 7, 460800: 8, 921600: 9}
UNLOCK = bytes([0xFF, 0xAA, 0x69, 0x88, 0xB5])
SAVE = bytes([0xFF, 0xAA, 0x00, 0x00, 0x00])
_IDX = np.arange(FRAME)


def write_register(reg: int, value: int) -> bytes:
    """A configuration write ``FF AA reg lo hi`` (send :data:`UNLOCK` first, :data:`SAVE` after)."""
    return bytes([0xFF, 0xAA, reg & 0xFF, value & 0xFF, (value >> 8) & 0xFF])


def rate_command(hz: float) -> bytes:
    """Unlock, set the output rate (nearest supported <= 200 Hz) and save."""
    code = RATE_CODES[min(RATE_CODES, key=lambda r: abs(r - hz))]
    return UNLOCK + write_register(0x03, code) + SAVE


def make_frame(kind: int, values) -> bytes:
    body = bytes([HEADER, kind]) + np.asarray(values, dtype="<i2").tobytes()
    return body + bytes([sum(body) & 0xFF])


def parse_rate_command(data: bytes) -> float | None:
    """The rate set by a ``FF AA 03 code 00`` write inside ``data`` (emulator), or None."""
    i = data.find(bytes([0xFF, 0xAA, 0x03]))
    if i < 0 or i + 4 > len(data):
        return None
    codes = {v: k for k, v in RATE_CODES.items()}
    return codes.get(data[i + 3])


def encode(acc: np.ndarray, gyr: np.ndarray, with_angles: bool = True) -> EncodedStream:
    """Encode SI samples as 0x51 + 0x52 (+ 0x53) frames per cycle (tests, emulator, benchmarks)."""
    ra = np.clip(np.round(np.asarray(acc) / ACC_SCALE), -32768, 32767).astype(np.int16)
    rg = np.clip(np.round(np.asarray(gyr) / GYR_SCALE), -32768, 32767).astype(np.int16)
    n = ra.shape[0]
    kinds = [T_ACC, T_GYR] + ([T_ANGLE] if with_angles else [])
    k = len(kinds)
    frames = np.zeros((n, k, FRAME), dtype=np.uint8)
    frames[:, :, 0] = HEADER
    vals = np.zeros((n, k, 4), dtype="<i2")
    vals[:, 0, :3] = ra
    vals[:, 0, 3] = 2500  # 25.00 degC
    vals[:, 1, :3] = rg
    if with_angles:
        vals[:, 2, :3] = (np.arange(n)[:, None] * np.array([7, 11, 13])) % 30000
    for j, kind in enumerate(kinds):
        frames[:, j, 1] = kind
    frames[:, :, 2:10] = vals.view(np.uint8).reshape(n, k, 8)
    frames[:, :, 10] = frames[:, :, :10].sum(axis=2, dtype=np.int64) & 0xFF
    data = frames.tobytes()
    fr = [bytes(frames[i].tobytes()) for i in range(n)]
    return EncodedStream(data, ra * ACC_SCALE, rg * GYR_SCALE, None, fr)


class WitMotionDecoder(Decoder):
    """Incremental decoder of WitMotion standard-protocol frames."""

    name = "witmotion"
    title = "WitMotion"
    has_device_time = False

    def __init__(self) -> None:
        super().__init__()
        self._pos0 = 0  # absolute stream offset of _buf[0]
        self._locked = False
        self._pending: tuple[int, np.ndarray] | None = None  # (abs start, raw values) of a 0x51 frame
        self._skipped = False  # bytes were skipped since the lock was lost
        self._lost_at = -1  # absolute offset where the lock was lost
        self._carry = 0  # lost samples not yet attached to an emitted batch
        self.info.update(model="WitMotion", acc_range_g=16, gyr_range_dps=2000)

    def cmd_set_rate(self, hz: float) -> bytes:
        return rate_command(hz)

    def feed(self, data: bytes) -> list[SampleBatch]:
        buf = self._buf + bytes(data)
        n = len(buf)
        if n < FRAME:
            self._buf = buf
            return []
        arr = np.frombuffer(buf, dtype=np.uint8)
        m = n - FRAME + 1  # candidate start positions
        kind = arr[1:m + 1]
        head = (arr[:m] == HEADER) & (kind >= 0x50) & (kind <= 0x5F)
        cs = np.concatenate([[0], np.cumsum(arr, dtype=np.int64)])
        ok = head & (((cs[10:10 + m] - cs[:m]) & 0xFF) == arr[10:10 + m])
        okl = ok.tolist()
        cand = np.flatnonzero(ok)
        starts: list[int] = []
        st = self.stats
        p = 0
        base = self._pos0
        while p + FRAME <= n:
            if self._locked:
                if okl[p]:
                    starts.append(p)
                    p += FRAME
                    continue
                if p + 2 * FRAME > n:  # cannot tell yet: wait for more bytes
                    break
                if head[p] and okl[p + FRAME]:  # one corrupt frame in place
                    st.bad_frames += 1
                    st.bytes_skipped += FRAME
                    p += FRAME
                    continue
                self._locked = False
                self._lost_at = base + p
            ci = int(np.searchsorted(cand, p))
            q = None
            while ci < len(cand):
                c = int(cand[ci])
                if c + 2 * FRAME > n or ok[c + FRAME]:
                    q = c
                    break
                ci += 1
            if q is None:  # nothing here: keep only what may be the start of a frame
                keep = max(p, n - FRAME + 1)
                st.bytes_skipped += keep - p
                self._skipped |= keep > p
                p = keep
                break
            st.bytes_skipped += q - p
            self._skipped |= q > p
            p = q
            if q + 2 * FRAME > n:  # found a frame but no confirmation yet
                break
            self._locked = True
            if self._lost_at >= 0 and base + q == self._lost_at + FRAME:
                st.bad_frames += 1  # exactly one frame was unreadable (e.g. a corrupt header)
            elif self._skipped:
                st.resyncs += 1
            self._skipped = False
            self._lost_at = -1
        self._buf = buf[p:]
        abs0 = self._pos0
        self._pos0 += p
        if not starts:
            return []
        return self._pairs(arr, np.asarray(starts, dtype=np.int64), abs0)

    def _pairs(self, arr: np.ndarray, starts: np.ndarray, abs0: int) -> list[SampleBatch]:
        """Pair each 0x51 frame with the 0x52 frame right after it; count unpaired ones as lost."""
        self.stats.frames += len(starts)
        fr = arr[starts[:, None] + _IDX]
        kinds = fr[:, 1]
        vals = np.ascontiguousarray(fr[:, 2:10]).view("<i2").astype(np.float64)
        abs_start = starts + abs0
        for q in np.flatnonzero(kinds == T_READ):
            self.replies.append({"register_read": vals[q].astype(int).tolist()})
        if self._pending is not None:  # a 0x51 that ended the previous feed
            pend_start, pend_vals = self._pending
            kinds = np.concatenate([[T_ACC], kinds])
            vals = np.vstack([pend_vals[None, :], vals])
            abs_start = np.concatenate([[pend_start], abs_start])
            self._pending = None
        is_acc = kinds == T_ACC
        is_gyr = kinds == T_GYR
        pair_a = np.zeros(len(kinds), dtype=bool)
        pair_a[:-1] = is_acc[:-1] & is_gyr[1:] & (abs_start[1:] == abs_start[:-1] + FRAME)
        pair_g = np.zeros(len(kinds), dtype=bool)
        pair_g[1:] = pair_a[:-1]
        lost = (is_acc & ~pair_a) | (is_gyr & ~pair_g)
        if is_acc[-1]:  # may still be paired by the next feed
            self._pending = (int(abs_start[-1]), vals[-1].copy())
            lost[-1] = False
        self.stats.dropped += int(lost.sum())
        idx = np.flatnonzero(pair_a)
        lc = np.cumsum(lost)
        out: list[SampleBatch] = []
        if len(idx) == 0:
            self._carry += int(lc[-1])
            return out
        before = np.diff(np.concatenate([[0], lc[idx]]))
        before[0] += self._carry
        self._carry = int(lc[-1] - lc[idx[-1]])
        acc = vals[idx, :3] * ACC_SCALE
        gyr = vals[idx + 1, :3] * GYR_SCALE
        edges = sorted({0, len(idx), *np.flatnonzero(before > 0).tolist()})
        for a, b in zip(edges[:-1], edges[1:]):
            g = int(before[a])
            self.stats.gaps += g > 0
            self._emit(out, acc[a:b], gyr[a:b], None, g)
        return out
