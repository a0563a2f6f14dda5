"""Mounting calibration (sensor -> foot rotation) and device profiles.

Profiles are JSON files ``<dir>/<device id>.json`` where ``<dir>`` is ``$RETROGAIT_DEVICES_DIR`` if
set, else ``devices`` in the user config folder (platformdirs: ``$XDG_CONFIG_HOME/retrogait/devices``,
by default ``~/.config/retrogait/devices``, on Linux; the platform's own place on macOS and Windows).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from retrogait.analysis.frames import Mounting, check_units
from retrogait.analysis.pipeline import analyze_stream
from retrogait.analysis.settings import StanceSettings
from retrogait.analysis.stance import runs, zero_velocity
from retrogait.errors import InputFileError, NoGaitError
from retrogait.io.recording import Recording, Stream, utc_now_iso

DEVICES_ENV = "RETROGAIT_DEVICES_DIR"


def devices_dir() -> Path:
    """Folder of the device profiles."""
    env = os.environ.get(DEVICES_ENV)
    if env:
        return Path(env)
    from platformdirs import user_config_dir  # $XDG_CONFIG_HOME on Linux; the right place on macOS/Windows

    return Path(user_config_dir("retrogait", appauthor=False)) / "devices"


def device_id(stream: Stream) -> str | None:
    """The stream's device id (``device["id"]``), or None."""
    did = stream.device.get("id") if stream.device else None
    return str(did) if did not in (None, "") else None


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def profile_path(dev_id: str) -> Path:
    """Where the profile of ``dev_id`` lives."""
    return devices_dir() / f"{_safe(dev_id)}.json"


def read_profile(path: str | Path) -> dict[str, Any]:
    """A device profile (dict with ``mount`` 3x3); InputFileError if it is not one."""
    p = Path(path)
    try:
        data = json.loads(p.read_text())
        mount = np.asarray(data["mount"], dtype=float)
        if mount.shape != (3, 3):
            raise ValueError("mount is not 3x3")
    except FileNotFoundError:
        raise InputFileError(f"{p}: no such device profile") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputFileError(f"{p}: not a retrogait device profile ({exc})") from None
    data["mount"] = mount
    return data


def profile_mount(stream: Stream) -> tuple[np.ndarray, str] | None:
    """The stored mounting of the stream's device (and the profile path), if a profile exists."""
    dev = device_id(stream)
    if dev is None:
        return None
    path = profile_path(dev)
    if not path.is_file():
        return None
    return read_profile(path)["mount"], str(path)


def profile_mounts(recording: Recording) -> dict[str, Mounting]:
    """The device-profile mounting of every stream that has no stored mounting and whose device has a
    profile (``retrogait calibrate``), keyed by foot: pass it to ``analyze(recording, mount=...)``.

    The analysis itself reads no file; this is the explicit lookup a command or a script makes.

    Parameters
    ----------
    recording : Recording
        Its streams' device ids name the profiles.

    Returns
    -------
    dict of str to Mounting
        Per foot, the profile's mounting and its path as the source.
    """
    out: dict[str, Mounting] = {}
    for stream in recording.streams:
        if stream.mount is not None:
            continue
        found = profile_mount(stream)
        if found is not None:
            out[stream.foot] = Mounting(found[0], f"profile {found[1]}")
    return out


@dataclass
class Calibration:
    """A learned mounting: ``mount`` (3x3, v_foot = mount @ v_sensor) and how well it is supported."""

    mount: np.ndarray
    foot: str
    strides: int
    consistent: bool
    agreement: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_json(self, dev_id: str | None, source: str) -> dict[str, Any]:
        """The device-profile JSON content."""
        return {
            "device_id": dev_id,
            "mount": np.round(self.mount, 9).tolist(),
            "foot": self.foot,
            "calibrated_from": source,
            "created": utc_now_iso(),
            "strides": self.strides,
            "checks_agree": self.consistent,
            "agreement": self.agreement,
            "warnings": self.warnings,
        }


MIN_STRIDES = 10
STANDING = 1.0  # s of stillness that counts as the standing part of a calibration walk


def _up_axis(acc: np.ndarray, gyr: np.ndarray, rate: float, label: str) -> tuple[np.ndarray, list[str]]:
    """Gravity direction in sensor axes from the first long still period (else all stances)."""
    s = StanceSettings()
    gn = np.linalg.norm(gyr, axis=1)
    still = zero_velocity(np.linalg.norm(acc, axis=1), gn, rate, s)
    starts, stops = runs(still)
    long_ = np.flatnonzero((stops - starts) >= STANDING * rate)
    if long_.size:
        a, b = starts[long_[0]], stops[long_[0]]
        return acc[a:b].mean(axis=0), []
    if not still.any():
        raise NoGaitError(f"{label}: the foot is never still; calibration needs standing then walking")
    return acc[still].mean(axis=0), [
        f"{label}: no standing period of {STANDING:.0f} s at the start; the level reference comes from the "
        "walking stances (stand still for 2-3 s first for a better calibration)"
    ]


def calibrate_stream(stream: Stream, label: str = "recording") -> Calibration:
    """Learn the sensor->foot rotation from standing still then walking FORWARD (>= 10 strides).

    Gravity at rest gives the foot's up axis; the principal axis of the gyro in the horizontal plane
    gives the medio-lateral axis; the known forward walking fixes its sign (the strides must go toward
    the toes). The three direction checks (displacement, swing pitch change, landing pitch) must agree.

    Parameters
    ----------
    stream : Stream
        One foot's samples: standing still for a second or more, then walking forward.
    label : str, optional
        How messages name the data (a file name).

    Returns
    -------
    Calibration
        ``mount`` (3x3, ``v_foot = mount @ v_sensor``), the strides used, whether the checks agree.

    Raises
    ------
    NoGaitError
        Too few strides, or no standing, to learn from.
    """
    acc = np.asarray(stream.acc, dtype=float)
    gyr = np.asarray(stream.gyr, dtype=float)
    check_units(np.linalg.norm(acc, axis=1), np.linalg.norm(gyr, axis=1), label)
    rate = stream.rate
    up, warnings = _up_axis(acc, gyr, rate, label)
    z = up / np.linalg.norm(up)
    moving = np.linalg.norm(gyr, axis=1) > 1.0
    if moving.sum() < 10:
        raise NoGaitError(f"{label}: no walking found; calibration needs >= {MIN_STRIDES} forward strides")
    gh = gyr[moving] - np.outer(gyr[moving] @ z, z)
    w, v = np.linalg.eigh(gh.T @ gh)
    y = v[:, -1]
    y -= (y @ z) * z
    y /= np.linalg.norm(y)
    x = np.cross(y, z)
    mount = np.vstack([x, y, z])
    trial = analyze_stream(replace(stream, mount=None), mount=mount, source=label)
    st = trial.table
    real = st.stride_length > 0.15
    if real.sum() < 3:
        raise NoGaitError(f"{label}: only {int(real.sum())} strides found; calibration needs >= "
                          f"{MIN_STRIDES} forward strides after standing still")
    if np.median(st.signed_length[real]) < 0:
        mount = np.vstack([-x, -y, z])  # the walk was forward: the toes point the other way
        st = analyze_stream(replace(stream, mount=None), mount=mount, source=label).table
        real = st.stride_length > 0.15
    n = int(real.sum())
    if n < MIN_STRIDES:
        warnings.append(f"{label}: only {n} strides (>= {MIN_STRIDES} recommended for calibration)")
    agree = {
        "displacement_forward": float(np.mean(st.signed_length[real] > 0)),
        "direction_forward": float(np.mean(st.direction[real] == "forward")),
        "landing_toe_up": float(np.mean(st.pitch_ic[real] > st.pitch_ff[real])),
    }
    consistent = min(agree.values()) >= 0.8
    if not consistent:
        warnings.append(
            f"{label}: the direction checks disagree ({', '.join(f'{k} {v:.0%}' for k, v in agree.items())});"
            " was the calibration walk really forward, with the sensor fixed to the shoe?"
        )
    return Calibration(mount=mount, foot=stream.foot, strides=n, consistent=consistent,
                       agreement=agree, warnings=warnings)


def calibrate_recording(rec: Recording) -> dict[str, Calibration]:
    """Calibrate every stream of a calibration recording; keyed by foot (or stream index)."""
    out: dict[str, Calibration] = {}
    for i, s in enumerate(rec.streams):
        key = s.foot if s.foot != "unknown" else str(i)
        label = f"{rec.source or 'recording'} ({key})"
        out[key] = calibrate_stream(s, label)
    return out


def save_profile(dev_id: str, cal: Calibration, source: str) -> Path:
    """Write the device profile of ``dev_id``; returns its path."""
    path = profile_path(dev_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cal.to_json(dev_id, source), indent=2) + "\n")
    return path
