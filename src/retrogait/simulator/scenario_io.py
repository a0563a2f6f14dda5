"""Scenarios as plain JSON-ready dicts: stored in the truth sidecar, and read from a file by
``retrogait simulate my_session.json``.

Format (every key optional except ``segments``; units SI, angles in degrees as in the dataclasses)::

    {
      "segments": [
        {"stand": 5},
        {"walk": {"direction": "forward", "n_strides": 12}},
        {"turn": {"angle_deg": 180}},
        {"walk": {"direction": "backward", "duration": 120, "speed": 0.6, "treadmill": true, "grade_pct": 5}},
        {"sidestep": {"side": "left", "n_strides": 6}},
        {"walk": {"direction": "forward", "duration": 60, "speed": 3.5, "gait": "run", "strike": "midfoot"}},
        {"walk": {"direction": "forward", "n_strides": 30, "speed": 1.65, "stride_length": 1.5, "stance_roll": 0.25}}
      ],
      "environment": {"treadmill": false, "grade_pct": 0},
      "sensor": {"rate": 100, "noise": 1, "mount": [[1,0,0],[0,1,0],[0,0,1]], "dropouts": 0,
                 "device_id": "imu-7", "stored_mount": null, "packet_loss": 0.07, "packet_burst": [2, 11]},
      "person": {"step_width": 0.1, "variability_scale": 1.0, "fluctuation": "ar1"},
      "feet": ["left"], "subject": "P01", "start_time": "2026-03-02T09:00:00Z", "name": "my session"
    }
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np

from retrogait.simulator.scenario import Environment, Person, Scenario, SensorSpec, SideStep, Stand, Turn, Walk

SEGMENT_KINDS = {"walk": Walk, "stand": Stand, "turn": Turn}


def _plain(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, tuple):
        return list(x)
    return x


def _fields(obj: Any, skip_none: bool = True) -> dict[str, Any]:
    out = {}
    for f in fields(obj):
        v = getattr(obj, f.name)
        if v is None and skip_none:
            continue
        out[f.name] = _plain(v)
    return out


def scenario_to_dict(sc: Scenario) -> dict[str, Any]:
    """The scenario as a JSON-ready dict (inverse of :func:`scenario_from_dict`)."""
    segs: list[Any] = []
    for seg in sc.segments:
        if isinstance(seg, Stand):
            segs.append({"stand": seg.seconds})
        elif isinstance(seg, Turn):
            segs.append({"turn": _fields(seg)})
        else:
            segs.append({"walk": _fields(seg)})
    return {
        "segments": segs,
        "environment": _fields(sc.environment),
        "sensor": _fields(sc.sensor),
        "person": _fields(sc.person),
        "feet": list(sc.feet),
        "subject": sc.subject,
        "start_time": sc.start_time,
        "name": sc.name,
        "notes": sc.notes,
    }


def _build(cls: type, args: Any, where: str) -> Any:
    if not isinstance(args, dict):
        raise ValueError(f"{where}: expected an object of {cls.__name__} settings, got {args!r}")
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(args) - names)
    if unknown:
        raise ValueError(f"{where}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}")
    try:
        return cls(**args)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: {exc}") from None


def scenario_from_dict(d: dict[str, Any]) -> Scenario:
    """Build a :class:`Scenario` from a dict (see the module docstring); ``ValueError`` naming the
    offending entry on any mistake."""
    if not isinstance(d, dict) or not isinstance(d.get("segments"), list) or not d["segments"]:
        raise ValueError('a scenario needs "segments": a non-empty list such as [{"stand": 5}, '
                         '{"walk": {"direction": "backward", "n_strides": 20}}]')
    segs: list[Any] = []
    for i, item in enumerate(d["segments"]):
        where = f"segments[{i}]"
        if not isinstance(item, dict) or len(item) != 1:
            raise ValueError(f"{where}: expected one of {{\"stand\": SECONDS}}, {{\"walk\": {{...}}}}, "
                             f"{{\"turn\": {{...}}}}, {{\"sidestep\": {{...}}}}; got {item!r}")
        (kind, args), = item.items()
        if kind == "stand":
            secs = args.get("seconds") if isinstance(args, dict) else args
            if not isinstance(secs, (int, float)) or secs < 0:
                raise ValueError(f"{where}: stand needs a number of seconds >= 0, got {args!r}")
            segs.append(Stand(float(secs)))
        elif kind == "sidestep":
            args = dict(args) if isinstance(args, dict) else {}
            try:
                segs.append(SideStep(**args))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{where}: {exc}") from None
        elif kind in SEGMENT_KINDS:
            segs.append(_build(SEGMENT_KINDS[kind], args, where))
        else:
            raise ValueError(f"{where}: unknown segment {kind!r}; use stand, walk, turn or sidestep")
    sensor_args = dict(d.get("sensor", {})) if isinstance(d.get("sensor", {}), dict) else d.get("sensor")
    for key in ("mount", "stored_mount"):
        if isinstance(sensor_args, dict) and sensor_args.get(key) is not None:
            try:
                sensor_args[key] = np.asarray(sensor_args[key], dtype=float)
            except (TypeError, ValueError):
                raise ValueError(f"sensor: {key} must be a 3x3 matrix (list of 3 rows of 3 numbers)") from None
    known = {"segments", "environment", "sensor", "person", "feet", "subject", "start_time", "name", "notes"}
    unknown = sorted(set(d) - known)
    if unknown:
        raise ValueError(f"unknown scenario key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    kw: dict[str, Any] = {
        "segments": segs,
        "environment": _build(Environment, d.get("environment", {}), "environment"),
        "sensor": _build(SensorSpec, sensor_args, "sensor"),
        "person": _build(Person, {k: tuple(v) if k == "r_sensor" else v for k, v in d.get("person", {}).items()}
                         if isinstance(d.get("person", {}), dict) else d.get("person"), "person"),
    }
    for key in ("subject", "start_time", "name", "notes"):
        if key in d:
            kw[key] = str(d[key])
    if "feet" in d:
        kw["feet"] = tuple(d["feet"]) if isinstance(d["feet"], list) else (d["feet"],)
    try:
        return Scenario(**kw)
    except ValueError as exc:
        raise ValueError(str(exc)) from None
