"""Raw IMU samples as a file for other tools (``retrogait convert IN OUT.csv --plain``): plain CSV with the
units in the column names and no comment lines, so that Excel and ``pandas.read_csv`` defaults read it;
the recording's header (device, subject, start time, mounting, tags), its events and each column's unit
and meaning go to a ``.json`` sidecar next to it (``OUT.json``).

The retrogait CSV (:func:`retrogait.io.csvio.write_csv`) keeps that metadata in ``#`` lines instead:
retrogait reads it back exactly, other tools stumble on the ``#`` lines (``pandas.read_csv`` fails with
"Error tokenizing data" unless given ``comment='#'``).

Columns: ``foot`` (only when the recording has several streams: left / right), ``t_s``, ``acc_x_<unit>``
.. ``acc_z_<unit>``, ``gyr_x_<unit>`` .. ``gyr_z_<unit>``, then ``mag_x_uT``.., ``t_host_s`` when present.
Unit suffixes: ``m_s2`` / ``g`` / ``mg``, ``rad_s`` / ``dps``. A one-foot file reads back with
``retrogait analyze OUT.csv`` (generic layout, units from the suffixes); the header's mounting and tags
are then not applied (they are in the sidecar).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from retrogait.io.fileformat import atomic_write, header_dict, json_default
from retrogait.io.recording import Recording
from retrogait.io.units import canonical_unit, parse_acc_unit, parse_gyr_unit

SIDECAR_FORMAT = "retrogait-plain-csv"
_SUFFIX = {"m/s^2": "m_s2", "g": "g", "mg": "mg", "rad/s": "rad_s", "deg/s": "dps"}


def sidecar_path(path: str | os.PathLike) -> Path:
    """``OUT.csv`` -> ``OUT.json``."""
    return Path(path).with_suffix(".json")


def write_plain_csv(path: str | os.PathLike, rec: Recording, *, acc_unit: str = "m/s^2",
                    gyr_unit: str = "rad/s") -> Path:
    """Write ``rec``'s samples as plain CSV to ``path`` and its metadata to the sidecar; returns the sidecar.

    Values are printed with round-trip digits (float32 sensor values keep their float32 digits in SI).
    """
    acc_f, gyr_f = parse_acc_unit(acc_unit), parse_gyr_unit(gyr_unit)
    acc_unit, gyr_unit = canonical_unit(acc_unit), canonical_unit(gyr_unit)
    streams = [s for s in rec.streams if s.n]
    several = len(rec.streams) > 1
    has_mag = any(s.mag is not None for s in streams)
    has_host = any(s.t_host is not None for s in streams)
    a, g = _SUFFIX.get(acc_unit, acc_unit.replace("/", "_")), _SUFFIX.get(gyr_unit, gyr_unit.replace("/", "_"))
    cols: dict[str, tuple[str, str]] = {}
    if several:
        cols["foot"] = ("", "which sensor: the header's stream foot (left / right)")
    cols["t_s"] = ("s", "sample time since the recording start")
    for axis in "xyz":
        cols[f"acc_{axis}_{a}"] = (acc_unit, f"specific force, sensor {axis} axis")
    for axis in "xyz":
        cols[f"gyr_{axis}_{g}"] = (gyr_unit, f"angular rate, sensor {axis} axis")
    if has_mag:
        for axis in "xyz":
            cols[f"mag_{axis}_uT"] = ("uT", f"magnetic field, sensor {axis} axis")
    if has_host:
        cols["t_host_s"] = ("s", "host receive time")
    with atomic_write(path) as fh:
        fh.write(",".join(cols) + "\n")
        for s in streams:
            parts: list[np.ndarray] = []
            if several:
                parts.append(np.full(s.n, str(s.foot)))
            parts.append(s.t.astype(str))
            parts += [_scaled(s.acc[:, k], acc_f) for k in range(3)]
            parts += [_scaled(s.gyr[:, k], gyr_f) for k in range(3)]
            if has_mag:
                parts += ([np.asarray(s.mag[:, k], np.float32).astype(str) for k in range(3)]
                          if s.mag is not None else [np.full(s.n, "")] * 3)
            if has_host:
                parts.append(s.t_host.astype(str) if s.t_host is not None else np.full(s.n, ""))
            rows = np.stack(parts, axis=1).tolist()
            fh.write("\n".join(map(",".join, rows)) + "\n")
    meta: dict[str, Any] = {
        "format": SIDECAR_FORMAT, "version": 1, "csv": Path(path).name,
        "columns": {name: {"unit": unit, "meaning": meaning} for name, (unit, meaning) in cols.items()},
        "header": header_dict(rec), "events": rec.events,
    }
    side = sidecar_path(path)
    with atomic_write(side) as fh:
        fh.write(json.dumps(meta, indent=1, ensure_ascii=False, default=json_default) + "\n")
    return side


def _scaled(values: np.ndarray, factor: float) -> np.ndarray:
    """Text of ``values`` (SI) in the unit whose SI size is ``factor``; SI values keep float32 digits."""
    if factor == 1.0:
        return np.asarray(values, np.float32).astype(str)
    return (np.asarray(values, np.float64) / factor).astype(str)
