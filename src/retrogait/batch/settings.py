"""The analysis settings of a batch, and the id that keys resumed work on them."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from retrogait._version import __version__

#: Bump when the layout of the output tables changes (part of the settings id).
OUTPUT_FORMAT = 1


@dataclass(frozen=True)
class BatchSettings:
    """Everything besides a file's bytes that decides its results (all JSON-ready values).

    ``preset``/``acc_unit``/``gyr_unit``/``rate``/``columns``/``foot`` are the loading options of
    ``retrogait analyze``; ``mount`` a 3x3 rotation (rows) overriding every stream's mounting;
    ``profiles`` the device profiles ``{device id: [3x3 mount, profile path]}`` read by the client, so
    that remote workers resolve mountings exactly as ``analyze`` on the client machine would;
    ``balance`` whether to compute the balance metrics (the ``metric_*`` columns; the history needs them);
    ``analysis`` the analysis settings that differ from the defaults (``--settings FILE.toml``;
    :meth:`retrogait.analysis.settings.AnalysisSettings.changed`), so a change of method is a change of
    settings id and the files are redone.
    """

    preset: str | None = None
    acc_unit: str | None = None
    gyr_unit: str | None = None
    rate: float | None = None
    columns: str | None = None
    foot: str | None = None
    mount: list[list[float]] | None = None
    profiles: dict[str, list[Any]] = field(default_factory=dict)
    balance: bool = True
    analysis: dict[str, dict[str, float]] = field(default_factory=dict)
    retrogait_version: str = __version__
    output_format: int = OUTPUT_FORMAT

    def core(self) -> dict[str, Any]:
        """The settings without the device profiles (a file depends only on the profiles of its own
        devices: recorded per file, see :class:`retrogait.batch.task.FileResult.profiles`)."""
        d = asdict(self)
        d.pop("profiles")
        return d

    @functools.cached_property
    def settings_id(self) -> str:
        """16 hex digits identifying these settings (canonical JSON of :meth:`core`; computed once per
        instance: the settings are frozen)."""
        text = json.dumps(self.core(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def recording_id(self, sha256: str) -> str:
        """The id of a recording analyzed with these settings: 16 hex digits of hash(content, settings)."""
        return hashlib.sha256(f"{sha256}:{self.settings_id}".encode()).hexdigest()[:16]

    def mount_array(self) -> np.ndarray | None:
        """``mount`` as a 3x3 array (or None)."""
        return None if self.mount is None else np.asarray(self.mount, dtype=float)

    def analysis_settings(self) -> Any:
        """The :class:`~retrogait.analysis.settings.AnalysisSettings` to analyze with (made once per
        process for the same settings: every task of a batch has them, and the analysis does not
        change them)."""
        return _analysis_settings(json.dumps(self.analysis, sort_keys=True))


@functools.lru_cache(maxsize=16)
def _analysis_settings(analysis_json: str) -> Any:
    from retrogait.analysis.settings import AnalysisSettings

    return AnalysisSettings.from_dict(json.loads(analysis_json), "batch settings")


def read_profiles() -> dict[str, list[Any]]:
    """The device profiles on this machine (``retrogait calibrate``): ``{device id: [mount, path]}``.

    Keyed by the profile file's stem, which is the (sanitised) device id the analysis looks up.
    Unreadable profiles are skipped here; ``analyze`` would not find a mounting in them either.
    """
    from retrogait.analysis.calibration import devices_dir, read_profile
    from retrogait.errors import InputFileError

    folder = devices_dir()
    out: dict[str, list[Any]] = {}
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.json")):
        try:
            out[path.stem] = [read_profile(path)["mount"].tolist(), str(path)]
        except InputFileError:
            continue
    return out


def make_settings(*, preset: str | None = None, acc_unit: str | None = None, gyr_unit: str | None = None,
                  rate: float | None = None, columns: str | None = None, foot: str | None = None,
                  mount: Any = None, balance: bool = True, analysis: Any = None) -> BatchSettings:
    """Check the options as ``analyze`` does and freeze them (with this machine's device profiles).

    ``mount``: None, what ``--mount`` accepts (a preset name, a profile .json, 9 numbers), or a 3x3
    array. ``analysis``: None, an :class:`~retrogait.analysis.settings.AnalysisSettings`, or a TOML
    file path (``--settings``). Raises :class:`retrogait.errors.UsageProblem` for a bad value.
    """
    from retrogait.commands.analyze import parse_mount
    from retrogait.errors import UsageProblem
    from retrogait.io.loading import LOAD_PRESETS

    if foot is not None and foot not in ("left", "right"):
        raise UsageProblem(f"--foot {foot!r}: expected left or right")
    if preset is not None and preset.lower() not in LOAD_PRESETS:
        raise UsageProblem(f"--preset {preset!r}: expected one of {', '.join(LOAD_PRESETS)}")
    m = None
    if mount is not None:
        if isinstance(mount, (str, Path)):
            m = parse_mount(str(mount))
        else:
            from retrogait.analysis.frames import check_rotation

            m = check_rotation(np.asarray(mount, dtype=float), "mount")
    if isinstance(analysis, (str, Path)):
        from retrogait.io.settings_file import read_settings

        analysis = read_settings(analysis)
    return BatchSettings(preset=preset, acc_unit=acc_unit, gyr_unit=gyr_unit,
                         rate=None if rate is None else float(rate), columns=columns, foot=foot,
                         mount=None if m is None else np.asarray(m, dtype=float).tolist(),
                         profiles=read_profiles(), balance=bool(balance),
                         analysis={} if analysis is None else analysis.changed())
