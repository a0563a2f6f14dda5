"""Text lines as printed by Arduino sketches: CSV or whitespace separated numbers, one sample a line.

The column map (which number is what) and the units come from the user or a preset. Tokens are
split on commas, semicolons, tabs and spaces; ``Label:`` prefixes (``AccelX:1.2``, ``a/g:``) are
dropped; lines that are words rather than numbers (banners like "LSM6DS3 found!") are ignored; a line of
numbers with a wrong count, a malformed number or a non-finite value counts as a bad frame. Text has no
checksum, so every sample line is checked instead (each failure dropped and counted, ``implausible``):

* its shape: a firmware prints every line with the same format, so the bytes between the numbers, the
  line end and each number's decimals are learned from the first lines of the connection
  (:class:`LineShape`) and a later line that differs is corrupt (a flipped bit that turned a minus sign,
  a digit or the carriage return into a separator, or cut a number);
* its values: within the sensor's range, and no angular rate that jumps alone for one sample
  (:meth:`retrogait.protocols.base.Decoder._continuity`);
* its timestamp: in line with its neighbours.

A digit changed into another digit that leaves a plausible value (an acceleration, a small angular-rate
change, a timestamp moved by less than half an interval) cannot be detected (prefer the binary protocol).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from retrogait.errors import UsageProblem
from retrogait.io.units import canonical_unit, parse_acc_unit, parse_gyr_unit
from retrogait.protocols.base import MAX_PLAUSIBLE_GAP, Decoder, EncodedStream, SampleBatch

COLUMN_NAMES = ("t", "ax", "ay", "az", "gx", "gy", "gz", "-")
TIME_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}
MAX_LINE = 512
_LABEL = re.compile(rb"[A-Za-z_/][A-Za-z0-9_/ ]*:")
_SPLIT = re.compile(rb"[,;\s]+")
_DIGIT = re.compile(rb"[0-9]")
_WORD = re.compile(rb"[A-Za-z]{2,}")
_SUM = re.compile(rb"\*([0-9A-Fa-f]{2})\r?$")
_TO_D = bytes.maketrans(b"0123456789", b"dddddddddd")
_INT_RUN = re.compile(rb"(?<![.d])d+")  # the integer digits of a number (after the translation to d)
_RUN = re.compile(rb"d+")
_NOT_CANONICAL = re.compile(rb"[^0-9.](?:0[0-9]|\.)")  # a number with a leading zero, or no integer digit
SHAPE_LINES = 64
"""Lines a shape is learned from; it is kept when all but one of them have it."""


def line_shapes(lines: list[bytes], loose: bool = True) -> tuple[list[bytes], list[bytes]]:
    """The shapes of text lines: every digit as ``d``, the minus signs left out (both depend on the
    value, not on the format), then each run of integer digits as one ``d``: the full shape keeps the
    decimals, the loose one (a format that trims zeros) reduces them to one ``d`` too.
    ``"12,-0.25,3.50\r"`` -> ``"d,d.dd,d.dd\r"`` and ``"d,d.d,d.d\r"``. Vectorised over the lines;
    without ``loose`` the loose shapes are not computed (an empty list)."""
    s = b"\n".join(lines).translate(_TO_D, b"-")
    return _INT_RUN.sub(b"d", s).split(b"\n"), _RUN.sub(b"d", s).split(b"\n") if loose else []


def line_shape(line: bytes, decimals: bool = True) -> bytes:
    """The full (or, without ``decimals``, the loose) shape of one line (see :func:`line_shapes`)."""
    full, loose = line_shapes([line])
    return full[0] if decimals else loose[0]


class LineShape:
    """The shape a device prints its lines in, learned from the first :data:`SHAPE_LINES` lines.

    A firmware prints every line with one format string: the same separators and line end, and each
    number with the same decimals. When all but one of the first lines agree on their full shape
    (:func:`line_shapes`), a later line must have it; when they agree only on the loose shape (a format
    that trims trailing zeros), a later line must have that. And a number is written in its canonical
    form (no leading zero, a digit before the point) unless the first lines were not. A line that differs
    is corrupt: a flipped bit turned a minus sign, a digit, a decimal point or the carriage return into
    something else, or a leading digit into a zero. The lines read while learning are judged by the
    canonical form only.
    """

    def __init__(self) -> None:
        self.full: bytes | None = None
        self.loose: bytes | None = None
        self.canonical = True
        self.learned = False
        self._seen: list[tuple[bytes, bytes, bool]] = []

    def check(self, lines: list[bytes]) -> np.ndarray:
        """Per line: it has the learned shape (before the shape is known: it is canonical)."""
        n = len(lines)
        if not n:
            return np.ones(0, dtype=bool)
        fulls, looses = line_shapes(lines, loose=not self.learned or self.full is None)
        canon = np.ones(n, dtype=bool)
        pos = [m.start() for m in _NOT_CANONICAL.finditer(b"\n" + b"\n".join(lines))]  # (at the "\n" before)
        if pos:
            starts = np.cumsum([0] + [len(ln) + 1 for ln in lines[:-1]])
            canon[np.searchsorted(starts, pos, side="right") - 1] = False
        ok = canon.copy()
        i = 0
        while not self.learned and i < n:
            self._seen.append((fulls[i], looses[i], bool(canon[i])))
            i += 1
            if len(self._seen) >= SHAPE_LINES:
                self._learn()
        if i < n:
            if not self.canonical:
                ok[i:] = True
            if self.full is not None:
                ok[i:] &= np.array([f == self.full for f in fulls[i:]])
            elif self.loose is not None:  # (the full shape implies the loose one)
                ok[i:] &= np.array([f == self.loose for f in looses[i:]])
        return ok

    def _learn(self) -> None:
        need = len(self._seen) - 1
        for k, attr in ((0, "full"), (1, "loose")):
            shapes = [x[k] for x in self._seen]
            top = max(set(shapes), key=shapes.count)
            if shapes.count(top) >= need:
                setattr(self, attr, top)
        self.canonical = sum(x[2] for x in self._seen) >= need
        self.learned = True
        self._seen = []


@dataclass(frozen=True)
class TextFormat:
    """How to read a text line: column names (see :data:`COLUMN_NAMES`, ``-`` = ignore) and units."""

    columns: tuple[str, ...] = ("t", "ax", "ay", "az", "gx", "gy", "gz")
    acc_unit: str = "m/s^2"
    gyr_unit: str = "rad/s"
    time_unit: str = "us"
    description: str = ""
    checksum: bool = False
    """The encoder ends each line with ``*hh``, the XOR of its bytes before the ``*`` in hex (as NMEA
    0183 does); the decoder checks such a suffix whenever a line has one, whatever the format."""

    def __post_init__(self) -> None:
        for c in self.columns:
            if c not in COLUMN_NAMES:
                raise UsageProblem(f"unknown text column {c!r}; use names from {', '.join(COLUMN_NAMES)}")
        missing = [c for c in ("ax", "ay", "az", "gx", "gy", "gz") if c not in self.columns]
        if missing:
            raise UsageProblem(f"text column map {','.join(self.columns)} lacks {','.join(missing)}")
        object.__setattr__(self, "acc_unit", canonical_unit(self.acc_unit))
        object.__setattr__(self, "gyr_unit", canonical_unit(self.gyr_unit))
        parse_acc_unit(self.acc_unit)  # raises UsageProblem naming the units it knows
        parse_gyr_unit(self.gyr_unit)
        if self.time_unit not in TIME_UNITS:
            raise UsageProblem(f"unknown time unit {self.time_unit!r}; use one of {', '.join(TIME_UNITS)}")


PRESETS: dict[str, TextFormat] = {
    "retrogait-csv": TextFormat(description="retrogait reference CSV: t_us,ax,ay,az,gx,gy,gz in m/s^2 and rad/s"),
    "retrogait-csv-sum": TextFormat(description="retrogait reference CSV with a checksum: t_us,ax,ay,az,gx,gy,gz "
                                    "in m/s^2 and rad/s, then *hh (XOR of the line, as NMEA)", checksum=True),
    "arduino-lsm6ds3": TextFormat(("ax", "ay", "az", "gx", "gy", "gz"), "g", "deg/s",
                                  description="Arduino_LSM6DS3/LSM9DS1 style: ax ay az gx gy gz in g and deg/s"),
    "arduino-lsm6ds3-t": TextFormat(("t", "ax", "ay", "az", "gx", "gy", "gz"), "g", "deg/s", "ms",
                                    description="millis(), then ax ay az in g and gx gy gz in deg/s"),
    "adafruit": TextFormat(("ax", "ay", "az", "gx", "gy", "gz"), "m/s^2", "rad/s",
                           description="Adafruit unified sensor (e.g. MPU6050 plotter): m/s^2 and rad/s"),
}


def parse_columns(spec: str) -> tuple[str, ...]:
    """``"t,ax,ay,az,gx,gy,gz"`` -> tuple of names (validated by :class:`TextFormat`)."""
    return tuple(c.strip().lower() for c in spec.split(",") if c.strip())


def encode(acc: np.ndarray, gyr: np.ndarray, rate: float, fmt: TextFormat = PRESETS["retrogait-csv"],
           decimals: int = 6, t0: float = 0.0) -> EncodedStream:
    """Print SI samples as text lines in ``fmt`` (tests, emulator, benchmarks); the expected values are
    the printed numbers converted back to SI."""
    n = len(acc)
    t_s = t0 + np.arange(n) / rate
    fa, fg = parse_acc_unit(fmt.acc_unit), parse_gyr_unit(fmt.gyr_unit)
    cols = {"t": np.round(t_s / TIME_UNITS[fmt.time_unit]),
            "ax": acc[:, 0] / fa, "ay": acc[:, 1] / fa, "az": acc[:, 2] / fa,
            "gx": gyr[:, 0] / fg, "gy": gyr[:, 1] / fg, "gz": gyr[:, 2] / fg, "-": np.zeros(n)}
    printed = {k: np.array([float(f"{x:.{0 if k == 't' else decimals}f}") for x in v]) for k, v in cols.items()}
    bodies = [",".join(f"{printed[c][i]:.{0 if c == 't' else decimals}f}" for c in fmt.columns) for i in range(n)]
    lines = [b + (f"*{line_checksum(b.encode()):02X}" if fmt.checksum else "") + "\r\n" for b in bodies]
    acc_q = np.column_stack([printed[c] for c in ("ax", "ay", "az")]) * fa
    gyr_q = np.column_stack([printed[c] for c in ("gx", "gy", "gz")]) * fg
    t = printed["t"] * TIME_UNITS[fmt.time_unit] if "t" in fmt.columns else None
    frames = [ln.encode() for ln in lines]
    return EncodedStream(b"".join(frames), acc_q, gyr_q, t, frames)


def line_checksum(body: bytes) -> int:
    """The XOR of the bytes of ``body`` (NMEA 0183's sentence checksum): any single flipped bit changes it."""
    return int(np.bitwise_xor.reduce(np.frombuffer(body, dtype=np.uint8))) if body else 0


def split_checksum(line: bytes) -> tuple[bytes, bool | None]:
    """``line`` without its ``*hh`` suffix (the line end kept), and whether the suffix matches the line
    (None: the line has none)."""
    m = _SUM.search(line)
    if m is None:
        return line, None
    body = line[:m.start()]
    return body + line[m.end(1):], line_checksum(body) == int(m.group(1), 16)


def parse_numbers(line: bytes) -> list[float] | None:
    """The numbers of one text line (labels dropped), None when a token is not a number."""
    line = _LABEL.sub(b" ", line).strip(b" ,;\t\r")
    if not line:
        return None
    try:
        return [float(tok) for tok in _SPLIT.split(line)]
    except ValueError:
        return None


class TextDecoder(Decoder):
    """Incremental decoder of numeric text lines."""

    name = "text"
    title = "text lines"
    check_continuity = True

    def __init__(self, fmt: TextFormat | None = None) -> None:
        super().__init__()
        self.fmt = fmt or PRESETS["retrogait-csv"]
        self.has_device_time = "t" in self.fmt.columns
        cols = self.fmt.columns
        self._idx = [cols.index(c) for c in ("ax", "ay", "az", "gx", "gy", "gz")]
        self._ti = cols.index("t") if "t" in cols else None
        self._acc_f = parse_acc_unit(self.fmt.acc_unit)
        self._gyr_f = parse_gyr_unit(self.fmt.gyr_unit)
        self._t_f = TIME_UNITS[self.fmt.time_unit]
        self._wraps = 0
        self._last_raw_t: float | None = None
        self.shape = LineShape()
        """The format the device prints its lines in (learned from the first lines)."""
        self.checksum_required = False
        """The device ends every line with a ``*hh`` checksum (all but one of the first lines did): a line
        without one is corrupt (its ``*`` flipped)."""
        self._sum_seen = [0, 0]  # while learning: lines, lines with a valid checksum
        self.info.update(format=",".join(cols), acc_unit=self.fmt.acc_unit, gyr_unit=self.fmt.gyr_unit)

    def feed(self, data: bytes) -> list[SampleBatch]:
        self.reads += 1
        lines = self._segments(data, b"\n", MAX_LINE)
        ncol = len(self.fmt.columns)
        rows = []
        kept: list[bytes] = []
        sums: list[bool] = []  # per row: its checksum (if any, or required) holds
        for line in lines:
            if not line:
                continue
            if len(line) > MAX_LINE:
                self.stats.bad_frames += 1
                continue
            if line.startswith(b"{"):  # a JSON reply (some firmwares answer commands that way)
                self.replies.append(line.strip().decode("utf-8", "replace"))
                continue
            if not _DIGIT.search(line):
                self.stats.bytes_skipped += len(line) + 1
                continue
            summed: bool | None = None
            if b"*" in line:  # a checksum suffix: checked, then left out
                line, summed = split_checksum(line)
            nums = parse_numbers(line)
            if nums is None and _WORD.search(_LABEL.sub(b" ", line)):  # a message, not data
                self.stats.bytes_skipped += len(line) + 1
                continue
            if nums is None or len(nums) != ncol:
                self.stats.bad_frames += 1
                self.stats.bytes_skipped += len(line) + 1
                continue
            rows.append(nums)
            kept.append(line)
            sums.append(self._checksum_ok(summed))
        if not rows:
            return []
        v = np.array(rows, dtype=np.float64)
        good = np.isfinite(v).all(axis=1)
        if not good.all():
            self.stats.bad_frames += int((~good).sum())
            v = v[good]
            kept = [kept[i] for i in np.flatnonzero(good)]
            sums = [sums[i] for i in np.flatnonzero(good)]
        self.stats.frames += v.shape[0]
        out: list[SampleBatch] = []
        if v.shape[0] == 0:
            return out
        # a line not in the device's format, or whose checksum fails: a corrupt sample
        shaped = self.shape.check(kept) & np.array(sums, dtype=bool)
        acc = v[:, self._idx[:3]] * self._acc_f
        gyr = v[:, self._idx[3:]] * self._gyr_f
        if self._ti is None:
            self._emit_clockless(out, acc, gyr, shaped)
            return out
        if not shaped.all():
            self.stats.implausible += int((~shaped).sum())
            v, acc, gyr = v[shaped], acc[shaped], gyr[shaped]
            if v.shape[0] == 0:
                return out
        raw_t = v[:, self._ti]
        neg = raw_t < 0  # a clock never reads negative: a corrupt line
        if neg.any():
            self.stats.implausible += int(neg.sum())
            acc, gyr, raw_t = acc[~neg], gyr[~neg], raw_t[~neg]
            if raw_t.size == 0:
                return out
        if self.fmt.time_unit == "us":  # Arduino micros() wraps at 2^32
            prev = self._last_raw_t if self._last_raw_t is not None else raw_t[0]
            step = np.diff(np.concatenate([[prev], raw_t]))
            # a wrap: back by almost 2^32, i.e. on by a plausible interval modulo 2^32 (a corrupt digit
            # that sends the clock far back is no wrap: the timestamp check drops that sample)
            wrapped = (step < -2.0 ** 31) & (step + 2.0 ** 32 > 0) & (step + 2.0 ** 32 <= MAX_PLAUSIBLE_GAP / self._t_f)
            wraps = self._wraps + np.cumsum(wrapped)
            self._wraps = int(wraps[-1])
            self._last_raw_t = float(raw_t[-1])
            raw_t = raw_t + wraps * 2.0 ** 32
        self._split_on_time_gaps(out, acc, gyr, raw_t * self._t_f)
        return out

    def _checksum_ok(self, summed: bool | None) -> bool:
        """A sample line's checksum verdict (``summed``: from :func:`split_checksum`); learns from the
        first lines whether the device always sends one."""
        seen = self._sum_seen
        if seen[0] < SHAPE_LINES:
            seen[0] += 1
            seen[1] += summed is True
            if seen[0] == SHAPE_LINES:
                self.checksum_required = seen[1] >= SHAPE_LINES - 1
        if summed is None:
            return not self.checksum_required
        return summed
