"""Named scenarios (``retrogait simulate PRESET``) and sensor-mounting shorthands.

Every preset takes the same overrides: ``duration`` (s, the walking part is scaled to fit), ``speed``
(m/s; the running speed of ``running`` / ``backward-running`` / ``walk-run``), ``grade_pct`` (treadmill
presets), ``rate`` (Hz), ``feet``, ``mount`` (3x3), ``noise`` (multiplier, 0 = ideal sensor),
``store_mount``, ``device_id`` (the sensor kit, see :class:`~retrogait.simulator.scenario.SensorSpec`),
``subject``, ``packet_loss`` (fraction of samples lost in 2-11 sample bursts, with a 16-bit packet
counter).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.spatial.transform import Rotation

from retrogait.simulator.scenario import (
    Environment,
    Scenario,
    SensorSpec,
    SideStep,
    Stand,
    Turn,
    Walk,
)


def _bouts(direction: str, walk_s: float, speed: float | None, rest_s: float, max_bout_s: float = 300.0,
           **kw) -> list:
    """``walk_s`` seconds of walking split into bouts of at most ``max_bout_s`` separated by rests."""
    n = max(1, int(np.ceil(walk_s / max_bout_s)))
    segs: list = []
    for i in range(n):
        if i:
            segs.append(Stand(rest_s))
        segs.append(Walk(direction, duration=walk_s / n, speed=speed, **kw))
    return segs


def _treadmill(direction: str, default_grade: float) -> Callable[..., tuple[list, Environment, str]]:
    def make(duration: float, speed: float | None, grade: float | None):
        walk_s = max(duration - 10.0, 5.0)
        segs = [Stand(5.0), *_bouts(direction, walk_s, speed, 20.0), Stand(5.0)]
        g = default_grade if grade is None else grade
        notes = f"{direction} walking on a treadmill at {g:g}% grade"
        return segs, Environment(treadmill=True, grade_pct=g), notes

    return make


def _overground(direction: str) -> Callable[..., tuple[list, Environment, str]]:
    def make(duration: float, speed: float | None, grade: float | None):
        walk_s = max(duration - 8.0, 6.0)
        segs = [Stand(3.0), Walk(direction, duration=walk_s / 2, speed=speed), Turn(180.0),
                Walk(direction, duration=walk_s / 2, speed=speed), Stand(3.0)]
        return segs, Environment(), f"{direction} walking overground, out and back with a turn"

    return make


def _mixed(duration: float, speed: float | None, grade: float | None):
    g = 5.0 if grade is None else grade
    walk_s = max(duration - 90.0, 60.0)
    bw = walk_s * 0.35
    segs = [
        Stand(5.0), Walk("forward", n_strides=12, speed=speed), Turn(180.0), Stand(8.0),
        Walk("backward", duration=bw, speed=speed, treadmill=True, grade_pct=g), Stand(15.0),
        Walk("backward", duration=bw, speed=speed, treadmill=True, grade_pct=g), Stand(10.0),
        SideStep("left", 6), Stand(2.0), SideStep("right", 6), Turn(180.0),
        Walk("forward", n_strides=12, speed=speed, turn_deg=60.0), Stand(5.0),
    ]
    return segs, Environment(), (
        "mixed: forward walk to the treadmill, turn, two backward treadmill bouts at "
        f"{g:g}% with rests, side steps, turn, forward walk back on a curve")


def _two_feet(duration: float, speed: float | None, grade: float | None):
    g = 0.0 if grade is None else grade
    walk_s = max(duration - 25.0, 20.0)
    segs = [Stand(5.0), Walk("forward", duration=walk_s / 2, speed=speed), Stand(10.0),
            Walk("backward", duration=walk_s / 2, speed=None if speed is None else speed * 0.6), Stand(5.0)]
    notes = "two feet on a treadmill: forward bout, rest, backward bout"
    return segs, Environment(treadmill=True, grade_pct=g), notes


def _calibration(duration: float, speed: float | None, grade: float | None):
    n = max(12, int(round((duration - 8.0) / 1.1)))
    segs = [Stand(5.0), Walk("forward", n_strides=n, speed=speed), Stand(3.0)]
    return segs, Environment(), "calibration: stand still 5 s, then walk forward (>= 12 strides)"


def _turns(duration: float, speed: float | None, grade: float | None):
    segs = [Stand(3.0), Walk("forward", n_strides=10, speed=speed, turn_deg=90.0), Turn(-180.0),
            Walk("forward", n_strides=10, speed=speed, turn_deg=-90.0), Stand(2.0), Turn(360.0),
            Walk("backward", n_strides=10, turn_deg=45.0), Stand(3.0)]
    notes = "overground turns: curved forward walks, turns on the spot, a curved backward walk"
    return segs, Environment(), notes


def _sideways(duration: float, speed: float | None, grade: float | None):
    n = max(4, int(round((duration - 10.0) / 2.4)))
    segs = [Stand(3.0), SideStep("left", n), Stand(2.0), SideStep("right", n), Stand(3.0)]
    return segs, Environment(), "side steps to the left, then to the right"


def _standing(duration: float, speed: float | None, grade: float | None):
    return [Stand(duration)], Environment(), "standing still"


def _running(duration: float, speed: float | None, grade: float | None):
    v = 3.0 if speed is None else speed
    run_s = max(duration - 6.0, 4.0)
    segs = [Stand(3.0), Walk("forward", duration=run_s, speed=v, gait="run"), Stand(3.0)]
    return segs, Environment(), f"forward running overground at {v:g} m/s (rearfoot strike)"


def _backward_running(duration: float, speed: float | None, grade: float | None):
    v = 2.2 if speed is None else speed
    g = 0.0 if grade is None else grade
    run_s = max(duration - 10.0, 4.0)
    segs = [Stand(5.0), Walk("backward", duration=run_s, speed=v, gait="run"), Stand(5.0)]
    return segs, Environment(treadmill=True, grade_pct=g), (
        f"backward running on a treadmill at {v:g} m/s, {g:g}% grade (forefoot landing, heel last)")


def _walk_run(duration: float, speed: float | None, grade: float | None):
    v = 3.0 if speed is None else speed
    run_s = max(duration - 55.0, 10.0) / 2
    segs = [Stand(5.0), Walk("forward", n_strides=10, speed=1.4),
            Walk("forward", duration=run_s, speed=v, gait="run"), Walk("forward", n_strides=8, speed=1.4),
            Stand(8.0), Walk("forward", n_strides=6, speed=1.3),
            Walk("forward", duration=run_s, speed=v * 1.15, gait="run", strike="midfoot"),
            Walk("forward", n_strides=8, speed=1.3), Stand(5.0)]
    return segs, Environment(), (
        f"walk-run: walk, run at {v:g} m/s, walk, stand, walk, run at {v * 1.15:.3g} m/s (midfoot), walk, "
        "overground")


def _fast_walking(duration: float, speed: float | None, grade: float | None):
    v = 1.65 if speed is None else speed
    walk_s = max(duration - 6.0, 4.0)
    segs = [Stand(3.0), Walk("forward", duration=walk_s, speed=v, stride_length=1.5, stance_roll=0.25),
            Stand(3.0)]
    return segs, Environment(), (
        f"fast forward walking at {v:g} m/s, 1.5 m strides, rolling stance (0.25 rad/s through mid-stance)")


PRESETS: dict[str, tuple[Callable, float, str]] = {
    "backward-treadmill": (_treadmill("backward", 5.0), 180.0,
                           "backward walking on a treadmill (default 5% grade)"),
    "forward-treadmill": (_treadmill("forward", 0.0), 180.0, "forward walking on a treadmill (default level)"),
    "backward-overground": (_overground("backward"), 60.0, "backward walking overground, out and back"),
    "forward-overground": (_overground("forward"), 60.0, "forward walking overground, out and back"),
    "mixed": (_mixed, 240.0, "forward walk, backward treadmill bouts with rests, side steps, turns"),
    "two-feet": (_two_feet, 120.0, "both feet on a treadmill: forward bout then backward bout"),
    "calibration": (_calibration, 25.0, "stand 5 s then >= 12 forward strides (for retrogait calibrate)"),
    "turns": (_turns, 60.0, "curving walks and turns on the spot"),
    "sideways": (_sideways, 30.0, "side steps left then right"),
    "standing": (_standing, 30.0, "standing still (nothing to analyze)"),
    "running": (_running, 60.0, "forward running overground, 3 m/s, rearfoot strike"),
    "backward-running": (_backward_running, 60.0, "backward running on a treadmill, 2.2 m/s, forefoot landing"),
    "walk-run": (_walk_run, 120.0, "walk -> run -> walk, stand, walk -> run (midfoot) -> walk"),
    "fast-walking": (_fast_walking, 60.0, "fast walking, 1.65 m/s, 1.5 m strides, the foot never rests in stance"),
}
RUNNING_PRESETS = ("running", "backward-running", "walk-run")

from retrogait.simulator.walk_tests import PRESET_ENTRIES as _WALK_TEST_PRESETS  # noqa: E402

PRESETS.update(_WALK_TEST_PRESETS)  # 3mbwt, timed-walk: simulated with simulate_walk_test (truth of the test)


def preset_names() -> list[str]:
    return list(PRESETS)


def preset(
    name: str,
    *,
    duration: float | None = None,
    speed: float | None = None,
    grade_pct: float | None = None,
    rate: float | None = None,
    feet: tuple[str, ...] | None = None,
    mount: np.ndarray | None = None,
    noise: float | None = None,
    store_mount: bool = True,
    device_id: str | None = None,
    subject: str = "sim-001",
    start_time: str | None = None,
    packet_loss: float | None = None,
) -> Scenario:
    """The named scenario with overrides (see module docstring); ``KeyError`` naming the presets."""
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}")
    make, default_duration, _ = PRESETS[name]
    segs, env, notes = make(default_duration if duration is None else float(duration), speed, grade_pct)
    sensor = SensorSpec(rate=100.0 if rate is None else float(rate), mount=mount, store_mount=store_mount,
                        noise=1.0 if noise is None else float(noise), device_id=device_id,
                        packet_loss=packet_loss)
    default_feet = ("left", "right") if name == "two-feet" else ("left",)
    sc = Scenario(segments=segs, environment=env, sensor=sensor, feet=tuple(feet or default_feet),
                  subject=subject, name=name, notes=notes)
    if start_time:
        sc.start_time = start_time
    return sc


NAMED_MOUNTS = {
    "identity": "sensor axes = foot axes (x toes, y left, z up)",
    "upside-down": "sensor turned over about its x axis (z down)",
    "reversed": "sensor turned 180 deg about z (x toward the heel)",
    "lateral": "sensor on the outside of the shoe, z pointing sideways (rotated 90 deg about x)",
    "tilted": "sensor on the laces, pitched 30 deg toe-down and yawed 20 deg",
}


def parse_mount(spec: str | None, rng_seed: int = 0) -> np.ndarray | None:
    """A mount from text: a name in :data:`NAMED_MOUNTS`, ``random``, ``euler:SEQ:a,b,c`` (degrees,
    scipy sequence, e.g. ``euler:xyz:10,20,30``) or 9 comma-separated numbers (row-major 3x3).
    Raises ``ValueError`` with a message naming the accepted forms."""
    if spec is None or spec == "":
        return None
    s = spec.strip().lower()
    fixed = {
        "identity": np.eye(3),
        "upside-down": Rotation.from_euler("x", 180, degrees=True).as_matrix(),
        "reversed": Rotation.from_euler("z", 180, degrees=True).as_matrix(),
        "lateral": Rotation.from_euler("x", 90, degrees=True).as_matrix(),
        "tilted": Rotation.from_euler("zy", [20, 30], degrees=True).as_matrix(),
    }
    if s in fixed:
        return fixed[s]
    if s == "random":
        return Rotation.random(random_state=rng_seed).as_matrix()
    try:
        if s.startswith("euler:"):
            _, seq, angles = s.split(":")
            vals = [float(x) for x in angles.split(",")]
            return Rotation.from_euler(seq, vals, degrees=True).as_matrix()
        vals = [float(x) for x in s.split(",")]
    except ValueError:
        vals = []
    if len(vals) == 9:
        m = np.array(vals).reshape(3, 3)
        if np.allclose(m @ m.T, np.eye(3), atol=1e-4) and np.linalg.det(m) > 0:
            return m
        raise ValueError(f"mount {spec!r}: the 9 numbers are not a proper rotation matrix")
    raise ValueError(
        f"mount {spec!r} not understood; use one of {', '.join(fixed)}, random, "
        "euler:SEQ:a,b,c (degrees, e.g. euler:xyz:0,30,90) or 9 comma-separated matrix entries"
    )
