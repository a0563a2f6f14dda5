"""``--protocol auto``: tell the protocol from about a second of bytes, and say why.

Each decoder is run on the same bytes; protocols with integrity checks win first (retrogait: CRC-16 on
every frame; WitMotion: checksum and back-to-back 0x51/0x52 pairs), then x-IMU3 (its message ids and
lengths), then plain numeric text lines, whose column map and units are guessed from the values when
the user gave none (7 columns with a rising first column: time + 6 axes; the accelerometer magnitude
near 1 means g and deg/s, near 9.8 means m/s^2 and rad/s).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrogait.protocols.base import concat_batches
from retrogait.protocols.retrogait_binary import RetrogaitDecoder
from retrogait.protocols.text import TextDecoder, TextFormat, parse_numbers, split_checksum
from retrogait.protocols.witmotion import WitMotionDecoder
from retrogait.protocols.ximu3 import XIMU3Decoder

MIN_SAMPLES = 3


@dataclass
class SniffResult:
    """The protocol found (None: nothing recognisable), a one-line reason, and a text format if text."""

    protocol: str | None
    reason: str
    text_format: TextFormat | None = None


def guess_text_format(data: bytes) -> tuple[TextFormat | None, str]:
    """Guess the column map and units of numeric text lines (None when not 6 or 7 numbers a line)."""
    lines = [split_checksum(ln) for ln in data.split(b"\n")[1:-1]]
    rows = [r for r in (parse_numbers(ln) for ln, summed in lines if summed is not False) if r]  # (not a
    # line whose checksum fails)
    counts = [len(r) for r in rows]
    if len(rows) < MIN_SAMPLES:
        return None, f"{len(rows)} numeric lines"
    ncol = max(set(counts), key=counts.count)
    v = np.array([r for r in rows if len(r) == ncol], dtype=np.float64)
    if ncol == 7 and np.count_nonzero(np.diff(v[:, 0]) <= 0) <= len(v) // 50:  # (a corrupt time or two)
        cols: tuple[str, ...] = ("t", "ax", "ay", "az", "gx", "gy", "gz")
        dt = float(np.median(np.diff(v[:, 0])))
        time_unit = "us" if dt >= 200 else ("ms" if dt >= 0.5 else "s")
        a = v[:, 1:4]
    elif ncol == 6:
        cols, time_unit = ("ax", "ay", "az", "gx", "gy", "gz"), "us"
        a = v[:, 0:3]
    else:
        return None, f"{len(v)} lines of {ncol} numbers (expected 6 or 7: give --columns)"
    mag = float(np.median(np.linalg.norm(a, axis=1)))
    if 0.5 < mag < 2.0:
        acc_unit, gyr_unit = "g", "deg/s"
    elif 5.0 < mag < 20.0:
        acc_unit, gyr_unit = "m/s^2", "rad/s"
    else:
        return None, f"{len(v)} lines of {ncol} numbers but an accelerometer magnitude of {mag:.3g} (give --units)"
    fmt = TextFormat(cols, acc_unit, gyr_unit, time_unit, description="guessed by --protocol auto")
    why = (f"{len(v)} text lines of {ncol} numbers; guessed columns {','.join(cols)}, accelerometer in "
           f"{acc_unit} (median |a| = {mag:.2f}), gyroscope in {gyr_unit}"
           + (f", time in {time_unit}" if "t" in cols else ""))
    return fmt, why


def sniff(data: bytes, text_format: TextFormat | None = None) -> SniffResult:
    """Recognise the protocol of ``data`` (about one second of the stream)."""
    rg = RetrogaitDecoder()
    rg.feed(data)
    if rg.stats.frames >= 2 and rg.stats.frames > rg.stats.bad_frames:
        extra = f", device {rg.info.get('model')} {rg.info.get('firmware')}" if rg.info else ""
        return SniffResult("retrogait", f"retrogait binary: {rg.stats.frames} frames with valid CRC-16"
                                        f" ({rg.stats.samples} samples){extra}")
    wm = WitMotionDecoder()
    wm.feed(data)
    if wm.stats.samples >= MIN_SAMPLES:
        return SniffResult("witmotion", f"WitMotion: {wm.stats.frames} valid 11-byte 0x55 frames, "
                                        f"{wm.stats.samples} acc+gyro pairs")
    xi = XIMU3Decoder()
    xi.feed(data)
    xi.flush()  # (the first samples wait for a verdict on their timestamps)
    if xi.stats.samples >= MIN_SAMPLES:
        return SniffResult("ximu3", f"x-IMU3: {xi.stats.samples} inertial messages")
    if wm.stats.frames >= MIN_SAMPLES:
        return SniffResult(None, f"WitMotion frames ({wm.stats.frames}) but no acceleration + angular rate "
                                 "pairs: enable both outputs (0x51 and 0x52) in WitMotion's software")
    if text_format is not None:
        td = TextDecoder(text_format)
        td.feed(data)
        td.flush()
        if td.stats.samples >= MIN_SAMPLES:
            return SniffResult("text", f"{td.stats.samples} text lines matching the given columns",
                               text_format)
        return SniffResult(None, f"no text line matches the given {len(text_format.columns)} columns")
    fmt, why = guess_text_format(data)
    if fmt is not None:
        td = TextDecoder(fmt)
        acc, _, _ = concat_batches(td.feed(data) + td.flush())
        if len(acc) >= MIN_SAMPLES:
            return SniffResult("text", why, fmt)
    return SniffResult(None, f"nothing recognisable in {len(data)} bytes ({why})")
