"""Open any supported recording file: native ``.rgt`` (by its magic bytes), CSV (presets), OpenShoe ``.mat``."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from retrogait.errors import InputFileError, UsageProblem
from retrogait.io.csvio import PRESETS, read_csv
from retrogait.io.fileformat import MAGIC, open_error, read_recording
from retrogait.io.recording import Recording, Stream
from retrogait.io.units import parse_acc_unit, parse_gyr_unit

NATIVE_SUFFIX = ".rgt"
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
OPENSHOE_RATE = 100.0
#: OpenShoe boards have z pointing down; rotating 180 deg about x gives z up, y left (x kept forward).
OPENSHOE_MOUNT = np.diag([1.0, -1.0, -1.0])
LOAD_PRESETS = PRESETS + ("openshoe",)


def load_recording(path: str | os.PathLike, *, preset: str | None = None, acc_unit: str | None = None,
                   gyr_unit: str | None = None, rate: float | None = None, foot: str | None = None,
                   mount_known: bool | None = None, columns: str | None = None, digest: Any = None) -> Recording:
    """Read any supported file into a :class:`Recording` (SI units, sensor frame).

    The native format is recognised by its magic bytes whatever the name; ``.mat`` is read as an
    OpenShoe recording; anything else as CSV.

    Parameters
    ----------
    path : str or path-like
        The file: ``.rgt``, CSV / TSV, or OpenShoe ``.mat``.
    preset : str, optional
        CSV layout: ``retrogait``, ``gaitmap``, ``gaitmap-raw``, ``gaitmap-single``, ``xio``, ``generic``,
        ``openshoe``; None sniffs the header.
    acc_unit, gyr_unit : str, optional
        Units of an imported file's columns (``g``, ``mg``, ``m/s^2``; ``deg/s``, ``rad/s``).
    rate : float, optional
        Sample rate (Hz) of a file without timestamps.
    foot : str, optional
        ``left`` or ``right`` for a one-sensor import.
    mount_known : bool, optional
        Whether an imported file's axes are already the foot frame.
    columns : str, optional
        Column mapping of a ``generic`` CSV (see :func:`retrogait.io.csvio.read_csv`).
    digest : hashlib object, optional
        Updated with the file's bytes (a native file's: exactly the bytes parsed, without reading the
        file twice); ``batch`` takes the content hash this way.

    Returns
    -------
    Recording
        One stream per foot; its warnings name what was skipped or repaired.

    Raises
    ------
    InputFileError
        The file is missing, unreadable or not a recording (the message names the file, line or byte).
    UsageProblem
        A bad option value.
    """
    path = Path(path)
    if rate is not None and not (math.isfinite(rate) and rate > 0):
        raise UsageProblem(f"sample rate must be a positive number of Hz, got {rate}")
    if preset is not None and preset.lower() not in LOAD_PRESETS:
        raise UsageProblem(f"unknown preset {preset!r} (expected one of: {', '.join(LOAD_PRESETS)})")
    head = _head(path)
    if head[:5] == MAGIC[:5] or (not head and path.suffix.lower() == NATIVE_SUFFIX):
        return read_recording(path, digest=digest)
    if digest is not None:
        _hash_file(path, digest)
    if (preset or "").lower() == "openshoe" or head.startswith(b"MATLAB") or path.suffix.lower() == ".mat":
        return read_openshoe_mat(path, rate=rate, acc_unit=acc_unit, gyr_unit=gyr_unit, foot=foot,
                                 mount_known=mount_known)
    if path.suffix.lower() == NATIVE_SUFFIX:
        return read_recording(path)  # raises the native reader's clear message
    return read_csv(path, preset=preset, acc_unit=acc_unit, gyr_unit=gyr_unit, rate=rate, foot=foot,
                    mount_known=mount_known, columns=columns)


def _hash_file(path: Path, digest: Any) -> None:
    """Update ``digest`` with the bytes of ``path`` (read in 1 MiB pieces)."""
    try:
        with open(path, "rb") as f:
            while piece := f.read(1 << 20):
                digest.update(piece)
    except OSError as exc:
        raise open_error(path, exc) from exc


def _head(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(16)
    except OSError as exc:
        raise open_error(path, exc) from exc


def read_openshoe_mat(path: str | os.PathLike, *, rate: float | None = None, acc_unit: str | None = None,
                      gyr_unit: str | None = None, foot: str | None = None,
                      mount_known: bool | None = None) -> Recording:
    """Read an OpenShoe-style MATLAB file: ``u`` is 6 x N (acc x,y,z in m/s^2, gyr x,y,z in rad/s), 100 Hz.

    The board's z axis points down; the stream's mount (180 deg about x) maps it to the foot frame
    (z up), assuming the board's x axis points toward the toes. ``mount_known=False`` leaves it unknown.
    """
    import scipy.io

    path = Path(path)
    try:
        mat: dict[str, Any] = scipy.io.loadmat(path)
    except FileNotFoundError as exc:
        raise InputFileError(f"{path.name}: no such file") from exc
    except Exception as exc:  # scipy raises many types for bad files
        raise InputFileError(f"{path.name}: byte 0: not a readable MATLAB v5 file ({exc})") from None
    u = mat.get("u")
    if u is None or np.ndim(u) != 2 or 6 not in np.shape(u):
        names = ", ".join(k for k in mat if not k.startswith("__"))
        raise InputFileError(f"{path.name}: expected a 6 x N matrix 'u' (acc x,y,z then gyr x,y,z), "
                             f"found variables: {names or 'none'}")
    u = np.asarray(u, np.float64)
    if u.shape[0] != 6:
        u = u.T
    rate = rate or OPENSHOE_RATE
    acc = u[:3].T * parse_acc_unit(acc_unit or "m/s^2")
    gyr = u[3:].T * parse_gyr_unit(gyr_unit or "rad/s")
    stream = Stream(t=np.arange(u.shape[1]) / rate, acc=acc, gyr=gyr, foot=foot or "unknown",
                    mount=None if mount_known is False else OPENSHOE_MOUNT.copy(), nominal_rate=rate,
                    device={"model": "OpenShoe", "source_format": "openshoe mat"})
    return Recording(streams=[stream], start_time="", tags={"source_file": path.name}, source=str(path))
