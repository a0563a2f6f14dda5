"""Physical units at the edges: names a user may type and their factor to the SI unit used inside.

Inside retrogait, acceleration (specific force) is m/s^2 and angular rate is rad/s. A value ``v`` given
in unit ``u`` is ``v * ACC_UNITS[u]`` in m/s^2 (or ``v * GYR_UNITS[u]`` in rad/s).
"""

from __future__ import annotations

import math

from retrogait.errors import UsageProblem
from retrogait.io.recording import GRAVITY

#: Accelerometer unit name -> factor to m/s^2.
ACC_UNITS: dict[str, float] = {
    "m/s^2": 1.0,
    "m/s2": 1.0,
    "m/s/s": 1.0,
    "mps2": 1.0,
    "g": GRAVITY,
    "mg": GRAVITY / 1000.0,
}

#: Gyroscope unit name -> factor to rad/s.
GYR_UNITS: dict[str, float] = {
    "rad/s": 1.0,
    "deg/s": math.pi / 180.0,
    "dps": math.pi / 180.0,
    "mrad/s": 1e-3,
    "rpm": 2.0 * math.pi / 60.0,
}

#: Canonical spelling of each unit (what files and exports write).
CANONICAL = {"m/s2": "m/s^2", "m/s/s": "m/s^2", "mps2": "m/s^2", "dps": "deg/s"}


def _parse(name: str, table: dict[str, float], what: str) -> float:
    key = name.strip().lower().replace(" ", "").replace("²", "^2").replace("°", "deg")
    if key in table:
        return table[key]
    raise UsageProblem(
        f"unknown {what} unit {name!r} (expected one of: {', '.join(sorted(set(table)))})"
    )


def parse_acc_unit(name: str) -> float:
    """Factor that converts accelerometer values in unit ``name`` (e.g. "g", "mg", "m/s^2") to m/s^2."""
    return _parse(name, ACC_UNITS, "accelerometer")


def parse_gyr_unit(name: str) -> float:
    """Factor that converts gyroscope values in unit ``name`` (e.g. "deg/s", "rad/s") to rad/s."""
    return _parse(name, GYR_UNITS, "gyroscope")


def canonical_unit(name: str) -> str:
    """The canonical spelling of a unit name (``"m/s2"`` -> ``"m/s^2"``, ``"dps"`` -> ``"deg/s"``)."""
    key = name.strip().lower().replace(" ", "")
    return CANONICAL.get(key, key)
