"""Snapshot regression tests: the full per-stride tables (and the session summaries) of the bundled
sample recordings and of the real gaitmap example must not change, not even inside the accuracy
tolerances of the truth tests.

The truth tests (``tests/test_truth_*.py``) say whether a result is *good enough*; these say whether it
*changed*. A change that is wanted (a better event rule, a new column) is accepted on purpose by
rewriting the snapshots and committing them with the change::

    RETROGAIT_UPDATE_SNAPSHOTS=1 python3 -m pytest tests/test_snapshots.py

then review ``git diff --stat tests/snapshots/`` (and the README's accuracy tables) before committing.

Comparison: strings, booleans and integers exactly; floats with a relative tolerance of
:data:`RTOL` (1e-9) of the larger of the value and the column's largest magnitude (so values crossing
zero, e.g. lateral deviations, are compared on the column's scale), NaN only equal to NaN. 1e-9 is far
below any real change (the smallest the truth tests can see is ~1e-3) and far above the reordering
noise of floating-point sums (~1e-15).

Only public results are read: the fields of ``retrogait.analyze(rec).strides`` and ``.summary``. The
device profiles of the machine are not consulted (``analyze`` reads no file), so the result does not
depend on what ``retrogait calibrate`` saved on it.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import SAMPLE_DATA, require_shared_data

import retrogait

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
RTOL = 1e-9
UPDATE = os.environ.get("RETROGAIT_UPDATE_SNAPSHOTS", "").strip().lower() not in ("", "0", "no", "false")

#: snapshot name -> (where the file is: "sample" or "shared", relative path, load preset)
CASES: dict[str, tuple[str, str, str | None]] = {
    "backward_treadmill_5pct": ("sample", "backward_treadmill_5pct.rgt", None),
    "mixed_session": ("sample", "mixed_session.rgt", None),
    "two_feet_treadmill": ("sample", "two_feet_treadmill.rgt", None),
    "calibration_tilted_mount": ("sample", "calibration_tilted_mount.rgt", None),
    "weekly_p01_2026-01-05": ("sample", "weekly/p01_2026-01-05.rgt", None),
    "weekly_p01_2026-02-16": ("sample", "weekly/p01_2026-02-16.rgt", None),
    "import_gaitmap_two_feet": ("sample", "import/gaitmap_two_feet.csv", "gaitmap"),
    "import_xio_short_walk": ("sample", "import/xio_short_walk.csv", "xio"),
    "import_generic_walk": ("sample", "import/generic_walk.csv", None),
    "gaitmap_example": ("shared", "gaitmap_example/imu_sample.csv", None),
}


def _plain(v: Any) -> Any:
    """A JSON value for a numpy scalar / array (NaN and infinities as strings, exact floats)."""
    if isinstance(v, np.ndarray):
        return [_plain(x) for x in v.tolist()] if v.ndim else _plain(v.item())
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def stride_columns(strides: Any) -> dict[str, Any]:
    """Every field of the stride table, as JSON values (vectors as lists of rows)."""
    if dataclasses.is_dataclass(strides):
        names = [f.name for f in dataclasses.fields(strides)]
    else:  # pragma: no cover - a table that is no longer a dataclass: its public array attributes
        names = sorted(k for k, v in vars(strides).items() if isinstance(v, np.ndarray))
    return {name: _plain(np.asarray(getattr(strides, name))) for name in names}


def analyze_without_profiles(rec: Any) -> Any:
    """``retrogait.analyze(rec)``, not consulting this machine's device profiles where ``analyze`` still
    could (its ``profile_lookup`` argument, removed when the analysis stopped reading files)."""
    if "profile_lookup" in inspect.signature(retrogait.analyze).parameters:
        return retrogait.analyze(rec, profile_lookup=None)
    return retrogait.analyze(rec)


def snapshot_of(path: Path, preset: str | None) -> dict[str, Any]:
    rec = retrogait.load_recording(path, preset=preset)
    res = analyze_without_profiles(rec)
    summary = _without_folder(_plain(res.summary), path)
    return {"n_strides": len(res.strides), "strides": stride_columns(res.strides), "summary": summary}


def _without_folder(v: Any, path: Path) -> Any:
    """``v`` with the file's folder taken out of every string (checkouts differ in where they are)."""
    if isinstance(v, dict):
        return {k: _without_folder(x, path) for k, x in v.items()}
    if isinstance(v, list):
        return [_without_folder(x, path) for x in v]
    if isinstance(v, str):
        for full in (str(path.resolve()), str(path)):
            v = v.replace(full, path.name)
    return v


def _path(case: str) -> Path:
    where, rel, _ = CASES[case]
    if where == "shared":
        return require_shared_data() / rel
    return SAMPLE_DATA / rel


def _floats(x: list[Any]) -> np.ndarray:
    return np.array([float(v) if isinstance(v, str) else (np.nan if v is None else v) for v in x], dtype=float)


def _differences(name: str, old: Any, new: Any, out: list[str]) -> None:
    """Append a line per difference between two JSON values (recursing into dicts and lists)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(set(old) | set(new)):
            if k not in new:
                out.append(f"{name}.{k}: gone")
            elif k not in old:
                out.append(f"{name}.{k}: new (not in the snapshot)")
            else:
                _differences(f"{name}.{k}", old[k], new[k], out)
        return
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            out.append(f"{name}: {len(old)} values in the snapshot, {len(new)} now")
            return
        if old and all(isinstance(x, dict) for x in old + new):  # rows of a table: field by field
            for i, (x, y) in enumerate(zip(old, new)):
                _differences(f"{name}[{i}]", x, y, out)
            return
        if old and isinstance(old[0], list):  # vectors: compare column by column
            for i in range(len(old[0]) if old[0] else 0):
                _differences(f"{name}[:, {i}]", [r[i] for r in old], [r[i] for r in new], out)
            return
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) or v in ("nan", "inf", "-inf")
                      for v in old + new)
        if numeric and old:
            a, b = _floats(old), _floats(new)
            scale = np.nanmax(np.abs(np.where(np.isfinite(a), a, np.nan))) if np.isfinite(a).any() else 0.0
            same_nan = np.isnan(a) == np.isnan(b)
            tol = RTOL * np.maximum(np.maximum(np.abs(a), np.abs(b)), scale)
            with np.errstate(invalid="ignore"):
                close = same_nan & (np.isnan(a) | (a == b) | (np.abs(a - b) <= tol))
            if not close.all():
                i = int(np.flatnonzero(~close)[0])
                with np.errstate(invalid="ignore"):
                    rel = np.nanmax(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), scale or 1.0))
                out.append(f"{name}: {int((~close).sum())} of {len(old)} values differ (first row {i}: "
                           f"{old[i]!r} -> {new[i]!r}; largest relative change {rel:.3g})")
            return
        bad = [i for i, (x, y) in enumerate(zip(old, new)) if x != y]
        if bad:
            out.append(f"{name}: {len(bad)} of {len(old)} values differ (first row {bad[0]}: "
                       f"{old[bad[0]]!r} -> {new[bad[0]]!r})")
        return
    if isinstance(old, (int, float)) and isinstance(new, (int, float)) and not isinstance(old, bool) \
            and not isinstance(new, bool):
        if not (old == new or abs(old - new) <= RTOL * max(abs(old), abs(new))):
            out.append(f"{name}: {old!r} -> {new!r}")
        return
    if old != new:
        out.append(f"{name}: {old!r} -> {new!r}")


@pytest.mark.parametrize("case", list(CASES))
def test_stride_table_matches_snapshot(case):
    _, _, preset = CASES[case]
    current = snapshot_of(_path(case), preset)
    file = SNAPSHOTS / f"{case}.json"
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        file.write_text(json.dumps({"source": CASES[case][1], "preset": preset, **current}, indent=None,
                                   separators=(",", ":"), allow_nan=False) + "\n")
        return
    assert file.is_file(), (f"no snapshot {file.name}: create it with RETROGAIT_UPDATE_SNAPSHOTS=1 "
                            "python3 -m pytest tests/test_snapshots.py")
    stored = json.loads(file.read_text())
    diffs: list[str] = []
    if stored["n_strides"] != current["n_strides"]:
        diffs.append(f"strides: {stored['n_strides']} in the snapshot, {current['n_strides']} now")
    else:
        _differences("strides", stored["strides"], current["strides"], diffs)
    _differences("summary", stored["summary"], current["summary"], diffs)
    assert not diffs, (
        f"{case}: the analysis result changed ({len(diffs)} field(s)):\n  " + "\n  ".join(diffs[:25])
        + "\nIf the change is intended, accept it: RETROGAIT_UPDATE_SNAPSHOTS=1 python3 -m pytest "
        "tests/test_snapshots.py, and commit tests/snapshots/ with it."
    )


def test_snapshot_comparison_sees_a_change_inside_the_accuracy_tolerances():
    """The comparison itself: a 1e-6 relative change (1000x below any truth tolerance) is reported,
    a 1e-12 one (float reordering) is not; NaN equals only NaN; a string change is reported."""
    old = {"a": [1.0, -2.0, "nan", 0.0], "s": ["x", "y"], "v": [[1.0, 2.0], [3.0, 4.0]]}
    out: list[str] = []
    _differences("t", old, {"a": [1.0 + 1e-12, -2.0, "nan", 1e-13], "s": ["x", "y"],
                            "v": [[1.0, 2.0], [3.0, 4.0 * (1 + 1e-12)]]}, out)
    assert out == []
    _differences("t", old, {"a": [1.0 + 1e-6, -2.0, 0.5, 0.0], "s": ["x", "z"],
                            "v": [[1.0, 2.0], [3.0, 4.0 * (1 + 1e-6)]]}, out)
    assert len(out) == 3 and out[0].startswith("t.a: 2 of 4") and "t.s" in out[1] and "t.v[:, 1]" in out[2]
