"""CSV import and export with a column/unit mapping and presets for common layouts.

Presets (``preset=``; :func:`sniff_preset` guesses one from the first lines and the file name):

``retrogait``
    What :func:`write_csv` writes: ``#`` comment lines holding the JSON header and the events, then
    ``stream,t,acc_x..gyr_z[,mag_x..mag_z][,t_host][,packet]`` in SI units. native -> CSV -> native is
    exact to the stored precision (times float64, sensor values float32, printed with round-trip
    digits). ``packet`` is the sensor's wrapping packet counter, for streams whose device declares one
    (``device["packet_counter_bits"]``: 8 or 16): ``round(t * nominal_rate) mod 2**bits``.
``gaitmap`` / ``gaitmap-raw``
    The gaitmap example layout: two header rows (``sensor`` = left_sensor/right_sensor, ``axis`` =
    acc_x..gyr_z), first column the sample index (or time in s when it is not integer), both feet,
    acc m/s^2, gyr deg/s, 204.8 Hz unless ``rate`` says otherwise. ``gaitmap`` data are already in the
    foot frame (mount = identity); ``gaitmap-raw`` (e.g. ``imu_sample_not_rotated.csv``) has the raw
    sensor axes (mount unknown).
``gaitmap-single``
    One foot, columns ``[row,]index,acc_x..gyr_z`` (``imu_sample_ms_left.csv``), 102.4 Hz, foot
    frame; the foot comes from ``foot=`` or the file name.
``xio``
    x-io Gait-Tracking: ``Time (s)``, ``Gyroscope X (deg/s)`` ..., ``Accelerometer X (g)`` ...
``generic``
    One foot, a header row naming the columns (separated by ``,``, ``;`` or tabs): time (``t``,
    ``time``, ``timestamp``; unit in parentheses, default s) or a sample ``index`` (then ``rate`` is
    needed), ``acc_x``/``ax``/``accX``/``Accelerometer X``..., ``gyr_x``/``gx``/``Gyroscope X``...,
    optional ``mag_*``. Units come from ``acc_unit``/``gyr_unit``, else the ``(unit)``/``[unit]`` or
    a suffix (``acc_x_g``, ``gyr_x_dps``, ``time_ms``) in a column name, else SI (with a warning).
    ``columns=`` names the columns for a file without a header row (or with unusable names).
    A ``packet`` column (``packet``, ``packet_counter``, ``pkt``, ``seq``, ``sequence``, ``counter``)
    without a time column gives the time: ``t = unwrapped counter / rate`` (``rate`` needed), so lost
    packets show as gaps in the timestamps; see :func:`time_from_counter`.

For every preset, rows that repeat the previous row's timestamp are dropped (x-io files have them) and
counted in ``rec.warnings``.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from retrogait.errors import InputFileError, UsageProblem
from retrogait.io import schema
from retrogait.io.fileformat import atomic_write, header_dict, json_default, open_error
from retrogait.io.recording import Recording, Stream
from retrogait.io.units import canonical_unit, parse_acc_unit, parse_gyr_unit

PRESETS = ("retrogait", "gaitmap", "gaitmap-raw", "gaitmap-single", "xio", "generic")
CSV_MAGIC = "# retrogait-csv"
#: The CLI's help for ``--columns`` (analyze, calibrate, convert).
CSV_VERSION = 1
GAITMAP_RATE = 204.8
GAITMAP_SINGLE_RATE = 102.4
AXES = "xyz"


# ------------------------------------------------------------------------------------------ export


def _fmt(values: np.ndarray) -> np.ndarray:
    """Shortest round-trip decimal text of each value (float32 values keep float32 digits)."""
    return values.astype(str)


def write_csv(path: str | os.PathLike, rec: Recording, *, acc_unit: str = "m/s^2",
              gyr_unit: str = "rad/s") -> None:
    """Write ``rec`` as a retrogait CSV: ``#`` metadata lines, then one row per sample of every stream.

    In SI units (the default) reading the file back gives the same recording to the stored precision.
    The file appears complete or not at all (written beside it, then renamed).
    """
    acc_f, gyr_f = parse_acc_unit(acc_unit), parse_gyr_unit(gyr_unit)
    acc_unit, gyr_unit = canonical_unit(acc_unit), canonical_unit(gyr_unit)
    header = header_dict(rec)
    header["csv_units"] = {"t": "s", "acc": acc_unit, "gyr": gyr_unit, "mag": "uT", "t_host": "s"}
    has_mag = any(s.mag is not None for s in rec.streams)
    has_host = any(s.t_host is not None for s in rec.streams)
    has_packet = any(_counter_bits(s) for s in rec.streams)
    cols = ["stream", "t"] + [f"{c}_{a}" for c in ("acc", "gyr") for a in AXES]
    cols += [f"mag_{a}" for a in AXES] if has_mag else []
    cols += ["t_host"] if has_host else []
    cols += ["packet"] if has_packet else []
    lines = [
        f"{CSV_MAGIC} {CSV_VERSION}",
        f"# units: t s, acc {acc_unit}, gyr {gyr_unit}, mag uT, t_host s; one row per sample, "
        "'stream' indexes the header's streams",
        "# header " + json.dumps(header, ensure_ascii=False, default=json_default),
        "# events " + json.dumps(rec.events, ensure_ascii=False, default=json_default),
        ",".join(cols),
    ]
    with atomic_write(path) as f:  # an exclusive temporary file, renamed into place when complete
        f.write("\n".join(lines) + "\n")
        for i, s in enumerate(rec.streams):
            if s.n == 0:
                continue
            parts = [np.full(s.n, str(i)), _fmt(s.t)]
            parts += [_fmt(_scaled(s.acc, acc_f)[:, k]) for k in range(3)]
            parts += [_fmt(_scaled(s.gyr, gyr_f)[:, k]) for k in range(3)]
            if has_mag:
                parts += [_fmt(s.mag[:, k]) if s.mag is not None else np.full(s.n, "nan") for k in range(3)]
            if has_host:
                parts.append(_fmt(s.t_host) if s.t_host is not None else np.full(s.n, "nan"))
            if has_packet:
                bits = _counter_bits(s)
                parts.append((np.round(s.t * s.nominal_rate).astype(np.int64) % (1 << bits)).astype(str)
                             if bits else np.full(s.n, "nan"))
            rows = np.stack(parts, axis=1).tolist()
            f.write("\n".join(map(",".join, rows)) + "\n")


def _counter_bits(s: Stream) -> int | None:
    """Bits of the stream's packet counter (8 or 16) when its device declares one and the rate is known."""
    bits = s.device.get("packet_counter_bits") if isinstance(s.device, dict) else None
    return int(bits) if bits in (8, 16) and s.nominal_rate else None


def time_from_counter(name: str, counter: np.ndarray, rate: float, first_line: int = 1) -> np.ndarray:
    """Seconds from a per-sample packet counter: ``(unwrapped counter - first) / rate``.

    The counter wraps at 256 when its largest value is below 256, at 65536 when below 65536, else it is
    taken as not wrapping. A step of more than half the wrap (or any decrease of a non-wrapping
    counter) is a counter going backwards: ``InputFileError`` naming the line (``first_line`` = the
    file line of ``counter[0]``), as for a value that is not a whole number >= 0. A repeated value
    gives a repeated time (the readers drop such rows)."""
    c = np.asarray(counter, dtype=np.float64)
    bad = ~np.isfinite(c) | (c < 0) | (c != np.round(c))
    if bad.any():
        i = int(np.argmax(bad))
        raise InputFileError(f"{name}: line {first_line + i}: packet counter {c[i]:g} is not a whole number >= 0")
    if c.size == 0:
        return c
    c = c.astype(np.int64)
    top = int(c.max())
    wrap = 256 if top < 256 else 65536 if top < 65536 else None
    d = np.diff(c)
    if wrap:
        d = d % wrap
        back = d > wrap // 2
    else:
        back = d < 0
    if back.any():
        i = int(np.argmax(back))
        raise InputFileError(f"{name}: line {first_line + i + 1}: the packet counter goes back from {c[i]} to "
                             f"{c[i + 1]}" + (f" (it wraps at {wrap})" if wrap else ""))
    return np.concatenate([[0], np.cumsum(d)]).astype(np.float64) / rate


def _counter_note(name: str, t: np.ndarray, rate: float, warnings: list[str]) -> None:
    """Warn about the samples the packet counter shows as lost."""
    steps = np.round(np.diff(t) * rate).astype(np.int64) if t.size > 1 else np.zeros(0, np.int64)
    lost = int(np.clip(steps - 1, 0, None).sum())
    if lost:
        warnings.append(f"{name}: the packet counter shows {lost} lost samples in {int((steps > 1).sum())} gaps")


def _scaled(values: np.ndarray, factor: float) -> np.ndarray:
    """Values in SI divided by the unit factor; SI values are printed at their stored float32 precision."""
    if factor == 1.0:
        return np.asarray(values, np.float32)
    return np.asarray(values, np.float64) / factor


# ------------------------------------------------------------------------------------------ import


def _read_lines(path: Path) -> list[str]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise open_error(path, exc, "CSV file") from exc
    if not raw.strip():
        raise InputFileError(f"{path.name}: empty file: expected a CSV header line and samples")
    nul = raw.find(b"\x00", 0, 4096)
    if nul >= 0:
        raise InputFileError(f"{path.name}: byte {nul}: not a text CSV file (found a NUL byte)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputFileError(f"{path.name}: line {line}: not UTF-8 text (byte {exc.start}): "
                             "expected a CSV file") from exc
    return text.splitlines()


def sniff_preset(path: str | os.PathLike, lines: list[str] | None = None) -> str:
    """Guess the CSV layout from the first lines (and the file name for gaitmap's raw-axes variant)."""
    path = Path(path)
    lines = lines if lines is not None else _read_lines(path)[:3]
    first = lines[0] if lines else ""
    if first.startswith(CSV_MAGIC):
        return "retrogait"
    cells = [c.strip().lower() for c in first.split(",")]
    second = [c.strip().lower() for c in lines[1].split(",")] if len(lines) > 1 else []
    if any(c.endswith("_sensor") for c in cells) and any(c.startswith("acc_") for c in second):
        return "gaitmap-raw" if "not_rotated" in path.name else "gaitmap"
    if "index" in cells and "acc_x" in cells and "time" not in cells:
        return "gaitmap-single"
    if cells and cells[0].startswith("time (s)") and any("gyroscope" in c for c in cells):
        return "xio"
    return "generic"


def _numeric(path: Path, lines: list[str], first_line: int, ncols: int | None = None,
             delimiter: str = ",") -> np.ndarray:
    """Parse the data lines (``lines[first_line:]``, 0-based) into a float array; errors name the line."""
    body = [ln for ln in lines[first_line:]]
    while body and not body[-1].strip():
        body.pop()
    if not body:
        return np.zeros((0, ncols or 0))
    try:
        data = np.loadtxt(body, delimiter=delimiter, ndmin=2, dtype=np.float64, comments=None)
    except ValueError:
        _raise_bad_line(path, body, first_line, ncols, delimiter)
        raise  # pragma: no cover - _raise_bad_line always raises
    if ncols is not None and data.shape[1] != ncols:
        raise InputFileError(f"{path.name}: line {first_line + 1}: expected {ncols} numeric columns, "
                             f"found {data.shape[1]}")
    return data


def _raise_bad_line(path: Path, body: list[str], first_line: int, ncols: int | None, delimiter: str) -> None:
    expect = ncols if ncols is not None else len(body[0].split(delimiter))
    for k, ln in enumerate(body):
        cells = ln.split(delimiter)
        where = f"{path.name}: line {first_line + k + 1}"
        if len(cells) != expect:
            raise InputFileError(f"{where}: expected {expect} numeric columns, found {len(cells)}")
        for j, c in enumerate(cells):
            try:
                float(c)
            except ValueError:
                raise InputFileError(f"{where}: column {j + 1}: expected a number, found {c.strip()[:30]!r}") from None
    raise InputFileError(f"{path.name}: line {first_line + 1}: could not parse the numbers")


def _drop_repeated_times(path: Path, t: np.ndarray, cols: list[np.ndarray], warnings: list[str],
                         first_line: int | None = None):
    """Rows in time order without repeated timestamps.

    Rows out of time order (a shuffled or concatenated file) are sorted by time, with a warning; rows
    that repeat the previous row's time are dropped (x-io files have them) and counted. A time column
    that holds one value in every row is an ``InputFileError`` (nothing could be analyzed from it).
    ``first_line`` is the file line of ``t[0]``, for messages.
    """
    where = f"{path.name}: " + (f"lines {first_line}-{first_line + t.size - 1}: " if first_line else "")
    if t.size > 1 and np.all(t == t[0]):
        raise InputFileError(f"{where}the time column holds one value in all {t.size} rows: "
                             "expected increasing times (or leave it out with --columns, e.g. -,ax,ay,az,gx,gy,gz, "
                             "and give --rate HZ)")
    back = int((np.diff(t) < 0).sum()) if t.size > 1 else 0
    if back:
        order = np.argsort(t, kind="stable")
        warnings.append(f"{where}rows are not in time order (the time goes back {back} times); sorted by time")
        t = t[order]
        cols = [c[order] for c in cols]
    keep = np.ones(t.shape[0], bool)
    keep[1:] = t[1:] != t[:-1]
    dropped = int((~keep).sum())
    if dropped:
        warnings.append(f"{path.name}: dropped {dropped} rows that repeat the previous row's timestamp")
        t = t[keep]
        cols = [c[keep] for c in cols]
    return t, cols


def _drop_non_finite(path: Path, data: np.ndarray, used: list[int], first_line: int, warnings: list[str],
                     lines: np.ndarray | None = None) -> np.ndarray:
    """Rows of ``data`` whose ``used`` columns are all finite; one warning naming the first bad line.

    ``first_line`` is the file line of ``data[0]`` (or ``lines`` gives each row's line)."""
    if data.size == 0 or not used:
        return data
    good = np.isfinite(data[:, used]).all(axis=1)
    if good.all():
        return data
    bad = np.flatnonzero(~good)
    line = int(lines[bad[0]]) if lines is not None else first_line + int(bad[0])
    warnings.append(f"{path.name}: line {line}: {bad.size} row(s) with NaN or infinite values dropped "
                    f"(first: line {line})")
    return data[good]


def _factors(acc_unit: str | None, gyr_unit: str | None, default_acc: str, default_gyr: str):
    return parse_acc_unit(acc_unit or default_acc), parse_gyr_unit(gyr_unit or default_gyr)


def _time_from_first_column(col: np.ndarray, rate: float) -> np.ndarray:
    """Sample index -> seconds at ``rate`` (relative to the first index); a non-integer column is seconds."""
    if col.size and np.all(col == np.round(col)):
        return (col - col[0]) / rate
    return col - (col[0] if col.size else 0.0)


def _read_gaitmap(path: Path, lines: list[str], raw_axes: bool, acc_unit, gyr_unit, rate) -> Recording:
    sensors = [c.strip() for c in lines[0].split(",")]
    axes = [c.strip() for c in lines[1].split(",")]
    if len(sensors) != len(axes):
        raise InputFileError(f"{path.name}: line 2: expected {len(sensors)} columns like line 1, found {len(axes)}")
    data = _numeric(path, lines, 2, len(axes))
    rate = rate or GAITMAP_RATE
    acc_f, gyr_f = _factors(acc_unit, gyr_unit, "m/s^2", "deg/s")
    warnings: list[str] = []
    data = _drop_non_finite(path, data, list(range(data.shape[1])), 3, warnings)
    t = _time_from_first_column(data[:, 0], rate)
    t, (data,) = _drop_repeated_times(path, t - (t.min() if t.size else 0.0), [data], warnings, 3)
    streams = []
    for sensor in dict.fromkeys(s for s in sensors[1:] if s):
        foot = next((f for f in ("left", "right") if sensor.lower().startswith(f)), "unknown")
        idx = {axes[j]: j for j in range(1, len(axes)) if sensors[j] == sensor}
        try:
            acc = data[:, [idx[f"acc_{a}"] for a in AXES]] * acc_f
            gyr = data[:, [idx[f"gyr_{a}"] for a in AXES]] * gyr_f
        except KeyError as exc:
            raise InputFileError(f"{path.name}: line 2: sensor {sensor!r} lacks column {exc.args[0]!r} "
                                 "(expected acc_x..acc_z, gyr_x..gyr_z)") from None
        streams.append(Stream(t=t, acc=acc, gyr=gyr, foot=foot, nominal_rate=rate,
                              mount=None if raw_axes else np.eye(3),
                              device={"model": "NilsPod", "source_format": "gaitmap csv", "sensor": sensor}))
    if not streams:
        raise InputFileError(f"{path.name}: line 1: no sensor names found (expected left_sensor/right_sensor)")
    return Recording(streams=streams, start_time="", warnings=warnings)


_ROLE_PATTERNS = [
    ("t_host", re.compile(r"^(t_?host|host_?time)$")),
    ("t", re.compile(r"^(t|time|timestamp|times|seconds|time_?s)$")),
    ("index", re.compile(r"^(index|sample|sample_?index|samples|idx)$")),
    ("packet", re.compile(r"^(packet|packet_?(counter|count|number|id)|pkt|seq|sequence|counter)$")),
    ("stream", re.compile(r"^stream$")),
    ("acc", re.compile(r"^(acc|accel|accelerometer|acceleration|a)_?([xyz])$")),
    ("gyr", re.compile(r"^(gyr|gyro|gyroscope|angular_?rate|omega|w|g)_?([xyz])$")),
    ("mag", re.compile(r"^(mag|magnetometer|magnetic_?field|m)_?([xyz])$")),
]


#: Unit suffixes people put at the end of column names (``acc_x_g``, ``gyr_x_dps``, ``time_ms``).
_SUFFIX_UNITS = {
    "acc": {"g": "g", "mg": "mg", "ms2": "m/s^2", "mps2": "m/s^2", "m_s2": "m/s^2", "m_s_2": "m/s^2"},
    "gyr": {"dps": "deg/s", "degs": "deg/s", "deg_s": "deg/s", "rads": "rad/s", "rad_s": "rad/s"},
    "t": {"s": "s", "sec": "s", "ms": "ms", "us": "us", "ns": "ns"},
}
_SUFFIX = re.compile(r"^(.+?)_(" + "|".join(sorted({u for d in _SUFFIX_UNITS.values() for u in d}, key=len,
                                                       reverse=True)) + r")$")


def _match_role(key: str) -> tuple[str, re.Match, str | None] | None:
    """(role, match, unit from a name suffix) for a normalised column name, or None."""
    for role, pat in _ROLE_PATTERNS:
        mm = pat.match(key)
        if mm:
            return role, mm, None
    sm = _SUFFIX.match(key)
    if sm:
        found = _match_role(sm.group(1))
        if found and found[2] is None:
            role, mm, _ = found
            unit = _SUFFIX_UNITS.get(role, {}).get(sm.group(2))
            if unit:
                return role, mm, unit
    return None


def _column_roles(path: Path, header: list[str], where: str = "line 1") -> dict[str, Any]:
    """Map header names to roles: {'t': (col, unit), 'acc': ([cx, cy, cz], unit), ...}.

    A unit comes from ``(unit)`` or ``[unit]`` after the name, or from a known suffix (``acc_x_g``).
    """
    roles: dict[str, Any] = {}
    axes_cols: dict[str, dict[str, int]] = {}
    units: dict[str, str | None] = {}
    for j, name in enumerate(header):
        m = re.match(r"^\s*(.*?)\s*(?:\(([^)]*)\)|\[([^\]]*)\])?\s*$", name)
        base, unit = (m.group(1), m.group(2) or m.group(3)) if m else (name, None)
        key = re.sub(r"[\s\-]+", "_", base.strip().lower())
        found = _match_role(key)
        if not found:
            continue
        role, mm, suffix_unit = found
        unit = unit or suffix_unit
        if role in ("acc", "gyr", "mag"):
            axes_cols.setdefault(role, {})[mm.group(2)] = j
            units[role] = units.get(role) or unit
        elif role not in roles:
            roles[role] = (j, unit)
    for role, cols in axes_cols.items():
        if set(cols) != set(AXES):
            raise InputFileError(f"{path.name}: {where}: found {role} columns for axes {sorted(cols)}, "
                                 "expected x, y and z")
        roles[role] = ([cols[a] for a in AXES], units.get(role))
    return roles


def _delimiter(header_line: str) -> str:
    """',' unless the header line has none and uses ';' or tabs instead."""
    if "," in header_line:
        return ","
    return ";" if ";" in header_line else "\t" if "\t" in header_line else ","


def _is_numeric_row(cells: list[str]) -> bool:
    try:
        [float(c) for c in cells if c.strip()]
    except ValueError:
        return False
    return True


def _read_generic(path: Path, lines: list[str], *, acc_unit, gyr_unit, rate, foot, preset: str,
                  columns: str | None = None) -> Recording:
    delimiter = _delimiter(lines[0])
    first = [c.strip() for c in lines[0].split(delimiter)]
    if columns:
        # the user's names replace the file's header row (if it has one): "t[ms],ax,ay,az,gx,gy,gz,-"
        header = [c.strip() for c in columns.split(",")]
        body_start = 0 if _is_numeric_row(first) else 1
    else:
        header, body_start = first, 1
    where = "--columns" if columns else "line 1"
    roles = _column_roles(path, header, where)
    missing = [r for r in ("acc", "gyr") if r not in roles]
    if missing:
        raise InputFileError(
            f"{path.name}: {where}: no {' or '.join(missing)} columns found (expected names like acc_x, "
            f"gyr_x or 'Accelerometer X (g)', or give them: --columns t,ax,ay,az,gx,gy,gz; found "
            f"{', '.join(header[:10])})")
    data = _numeric(path, lines, body_start, len(header), delimiter)
    warnings: list[str] = []
    acc_cols, acc_u = roles["acc"]
    gyr_cols, gyr_u = roles["gyr"]
    used = list(acc_cols) + list(gyr_cols) + list(roles["mag"][0] if "mag" in roles else [])
    used += [roles[r][0] for r in ("t", "packet", "index") if r in roles][:1]
    row_lines = np.arange(body_start + 1, body_start + 1 + data.shape[0])
    good = np.isfinite(data[:, used]).all(axis=1) if data.size else np.ones(data.shape[0], bool)
    if not good.all():
        data = _drop_non_finite(path, data, used, body_start + 1, warnings)
        row_lines = row_lines[good]
    defaults = {"gaitmap-single": ("m/s^2", "deg/s")}.get(preset, ("m/s^2", "rad/s"))
    if not (acc_unit or acc_u) or not (gyr_unit or gyr_u):
        if preset == "generic":
            warnings.append(f"{path.name}: no units given for "
                            f"{'acc' if not (acc_unit or acc_u) else 'gyr'}; assumed SI (m/s^2, rad/s)")
    acc_f = parse_acc_unit(acc_unit or acc_u or defaults[0])
    gyr_f = parse_gyr_unit(gyr_unit or gyr_u or defaults[1])
    if "t" in roles:
        col, unit = roles["t"]
        scale = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}.get((unit or "s").strip().lower())
        if scale is None:
            raise UsageProblem(f"{path.name}: unknown time unit {unit!r} in column {header[col]!r} "
                               "(expected s, ms, us)")
        t = data[:, col] * scale
        nominal = rate
    elif "packet" in roles:
        if not rate:
            raise UsageProblem(f"{path.name}: the file has a packet counter but no time column; give the "
                               "sample rate (--rate HZ)")
        nominal = rate
        t = time_from_counter(path.name, data[:, roles["packet"][0]], rate, body_start + 1)
        _counter_note(path.name, t, rate, warnings)
    elif "index" in roles:
        nominal = rate or (GAITMAP_SINGLE_RATE if preset == "gaitmap-single" else None)
        if not nominal:
            raise UsageProblem(f"{path.name}: the file has a sample index but no time column; give the "
                               "sample rate (--rate HZ)")
        t = _time_from_first_column(data[:, roles["index"][0]], nominal)
    else:
        if not rate:
            raise UsageProblem(f"{path.name}: the file has no time column; give the sample rate (--rate HZ)")
        nominal = rate
        t = np.arange(data.shape[0]) / rate
    t0 = t.min() if t.size else 0.0
    t, (data,) = _drop_repeated_times(path, t - t0, [data], warnings, int(row_lines[0]) if row_lines.size else None)
    if nominal is None and t.size > 1:
        dt = np.diff(t)
        med = float(np.median(dt[dt > 0])) if np.any(dt > 0) else 0.0
        nominal = float(round(1.0 / med, 1)) if med > 0 else None
    foot = foot or _foot_from_name(path)
    model = {"xio": "x-io NGIMU", "gaitmap-single": "NilsPod"}.get(preset, "")
    mount = np.eye(3) if preset == "gaitmap-single" else None
    mag = data[:, roles["mag"][0]] if "mag" in roles else None
    stream = Stream(t=t, acc=data[:, acc_cols] * acc_f, gyr=data[:, gyr_cols] * gyr_f, mag=mag, foot=foot,
                    nominal_rate=nominal, mount=mount,
                    device={k: v for k, v in (("model", model), ("source_format", f"{preset} csv")) if v})
    return Recording(streams=[stream], start_time="", warnings=warnings)


def _foot_from_name(path: Path) -> str:
    name = path.stem.lower()
    if re.search(r"(^|[_\-.])(left|l)([_\-.]|$)", name):
        return "left"
    if re.search(r"(^|[_\-.])(right|r)([_\-.]|$)", name):
        return "right"
    return "unknown"


def _read_retrogait(path: Path, lines: list[str], acc_unit, gyr_unit, rate: float | None = None) -> Recording:
    meta: dict[str, Any] = {}
    meta_line: dict[str, int] = {}
    warnings: list[str] = []
    k = 0
    while k < len(lines) and lines[k].startswith("#"):
        m = re.match(r"^# (header|events) (.*)$", lines[k])
        if m:
            try:
                meta[m.group(1)] = schema.loads(m.group(2), warnings, f"{path.name}: line {k + 1}: {m.group(1)}")
            except schema.JSONProblem as exc:
                raise InputFileError(f"{path.name}: line {k + 1}: the {m.group(1)} comment is {exc}") from None
            meta_line[m.group(1)] = k + 1
        k += 1
    raw_header = meta.get("header")
    if not isinstance(raw_header, dict) or not isinstance(raw_header.get("streams"), list):
        raise InputFileError(f"{path.name}: line 1: retrogait CSV without a '# header {{...}}' line")
    where = f"{path.name}: line {meta_line['header']}: header"
    try:
        header = schema.clean_header(raw_header, where, warnings)
    except ValueError as exc:
        raise InputFileError(f"{where}: {exc}") from None
    if k >= len(lines):
        raise InputFileError(f"{path.name}: line {k + 1}: expected the column-name line, found end of file")
    names = [c.strip() for c in lines[k].split(",")]
    col = {n: j for j, n in enumerate(names)}
    need = ["stream", "t"] + [f"{c}_{a}" for c in ("acc", "gyr") for a in AXES]
    if "t" not in col and "packet" in col:
        need.remove("t")  # times from the packet counter and the stream's rate
    absent = [n for n in need if n not in col]
    if absent:
        raise InputFileError(f"{path.name}: line {k + 1}: missing columns {', '.join(absent)}")
    data = _numeric(path, lines, k + 1, len(names))
    units = _csv_units(header.get("csv_units"), where, warnings)
    acc_f = parse_acc_unit(acc_unit or units.get("acc", "m/s^2"))
    gyr_f = parse_gyr_unit(gyr_unit or units.get("gyr", "rad/s"))
    row_line = np.arange(k + 2, k + 2 + data.shape[0])
    sidx = data[:, col["stream"]] if data.size else np.zeros(0)
    whole = np.isfinite(sidx) & (sidx == np.round(sidx)) & (sidx >= 0)
    if not whole.all():
        bad = np.flatnonzero(~whole)
        warnings.append(f"{path.name}: line {row_line[bad[0]]}: {bad.size} row(s) whose stream index is not a whole "
                        f"number >= 0 (first: {sidx[bad[0]]:g}) skipped")
    streams = []
    for i, sh in enumerate(header["streams"]):
        mine = whole & (sidx == i)
        rows, lines_i = data[mine], row_line[mine]
        mag_cols = all(f"mag_{a}" in col for a in AXES)
        ch = sh["channels"] if sh["channels"] is not None else [
            c for c, present in (("t_host", "t_host" in col), ("mag", mag_cols)) if present]
        has_mag, has_host = "mag" in ch and mag_cols, "t_host" in ch and "t_host" in col
        if "mag" in ch and not mag_cols and any(f"mag_{a}" in col for a in AXES):
            warnings.append(f"{path.name}: line {k + 1}: stream {i}: mag_x, mag_y and mag_z are not all there; "
                            "the magnetometer is left out")
        used = [col[f"{c}_{a}"] for c in ("acc", "gyr") + (("mag",) if has_mag else ()) for a in AXES]
        used += [col["t"] if "t" in col else col["packet"]] + ([col["t_host"]] if has_host else [])
        if rows.size:
            good = np.isfinite(rows[:, used]).all(axis=1)
            if not good.all():
                rows = _drop_non_finite(path, rows, used, 0, warnings, lines_i)
                lines_i = lines_i[good]
        if "t" in col:
            t = rows[:, col["t"]]
        else:
            r = rate or sh["nominal_rate"]
            if not r:
                raise UsageProblem(f"{path.name}: stream {i} has a packet counter but no time column and no "
                                   "nominal rate; give the sample rate (--rate HZ)")
            first = int(lines_i[0]) if lines_i.size else k + 2
            t = time_from_counter(path.name, rows[:, col["packet"]], float(r), first)
            _counter_note(path.name, t, float(r), warnings)
        if t.size > 1 and np.any(np.diff(t) <= 0):
            t, (rows,) = _drop_repeated_times(path, t, [rows], warnings, int(lines_i[0]))
        streams.append(Stream(
            t=t, acc=_pick(rows, col, "acc", acc_f), gyr=_pick(rows, col, "gyr", gyr_f),
            mag=_pick(rows, col, "mag", 1.0) if has_mag else None,
            t_host=rows[:, col["t_host"]] if has_host else None, foot=sh["foot"],
            mount=None if sh["mount"] is None else np.asarray(sh["mount"], float),
            nominal_rate=sh["nominal_rate"], device=dict(sh["device"])))
    extra = np.unique(sidx[whole & (sidx >= len(streams))])
    if extra.size:
        warnings.append(f"{path.name}: rows of unknown stream {extra.astype(int).tolist()[:10]} ignored "
                        f"({int(np.isin(sidx, extra).sum())} rows; the header lists {len(streams)} streams)")
    events = schema.clean_events(meta.get("events"), len(streams),
                                 f"{path.name}: line {meta_line.get('events', 1)}", warnings)
    return Recording(streams=streams, start_time=header["start_time"], subject=header["subject"],
                     tags=dict(header["tags"]), events=events, warnings=warnings)


def _csv_units(units: Any, where: str, warnings: list[str]) -> dict[str, str]:
    """The header's ``csv_units`` (names of the units the columns are in); SI where missing or unusable."""
    if units is None:
        return {}
    if not isinstance(units, dict):
        warnings.append(f"{where}: 'csv_units' is not a JSON object; SI units assumed")
        return {}
    out = {}
    for key in ("acc", "gyr"):
        value = units.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            warnings.append(f"{where}: csv_units {key} {value!r} is not a unit name; SI assumed")
            continue
        out[key] = value
    return out


def _pick(rows: np.ndarray, col: dict[str, int], name: str, factor: float) -> np.ndarray:
    """Columns ``name_x..z`` in SI. SI values were printed from float32, so they are restored to exactly
    those float32 values (what the native file holds); other units are converted in float64."""
    values = rows[:, [col[f"{name}_{a}"] for a in AXES]]
    if factor == 1.0:
        return values.astype(np.float32).astype(np.float64)
    return values * factor


def read_csv(path: str | os.PathLike, *, preset: str | None = None, acc_unit: str | None = None,
             gyr_unit: str | None = None, rate: float | None = None, foot: str | None = None,
             mount_known: bool | None = None, columns: str | None = None) -> Recording:
    """Import a CSV recording (see the module docstring for the presets; ``None`` = sniff).

    ``acc_unit``/``gyr_unit`` override the units the preset or the column names imply; ``rate`` sets the
    sample rate for files without a time column; ``foot`` names the foot of a one-foot file;
    ``mount_known=False`` drops a preset's mounting rotation (sensor axes not the foot frame);
    ``columns`` names the columns (``"t[ms],ax,ay,az,gx,gy,gz"``, ``-`` skips one) instead of the file's
    header row, or for a file without one (implies the ``generic`` layout).
    """
    path = Path(path)
    lines = _read_lines(path)
    if columns and preset not in (None, "generic"):
        raise UsageProblem(f"--columns applies to the generic CSV layout, not to preset {preset!r}")
    preset = "generic" if columns else (preset or sniff_preset(path, lines[:3])).lower()
    if preset not in PRESETS:
        raise UsageProblem(f"unknown CSV preset {preset!r} (expected one of: {', '.join(PRESETS)})")
    if rate is not None and not (rate > 0 and math.isfinite(rate)):
        raise UsageProblem(f"sample rate must be a positive number of Hz, got {rate}")
    if preset == "retrogait":
        rec = _read_retrogait(path, lines, acc_unit, gyr_unit, rate)
    elif preset in ("gaitmap", "gaitmap-raw"):
        if len(lines) < 2:
            raise InputFileError(f"{path.name}: line {len(lines) + 1}: expected the two gaitmap header rows "
                                 "(sensor, axis)")
        rec = _read_gaitmap(path, lines, preset == "gaitmap-raw", acc_unit, gyr_unit, rate)
        if foot and len(rec.streams) == 1:
            rec.streams[0].foot = foot
    else:
        rec = _read_generic(path, lines, acc_unit=acc_unit, gyr_unit=gyr_unit, rate=rate, foot=foot, preset=preset,
                            columns=columns)
    if mount_known is False:
        for s in rec.streams:
            s.mount = None
    elif mount_known and preset != "retrogait":
        for s in rec.streams:
            s.mount = np.eye(3) if s.mount is None else s.mount
    rec.source = str(path)
    for s in rec.streams:
        s.source = path.name
    if preset != "retrogait":
        rec.tags.setdefault("source_file", path.name)
    return rec
