"""Self-consistency of the simulator: ``python3 benchmarks/validate_simulator.py``.

For each scenario and sample rate, integrates the noise-free IMU signals of every stride (strapdown,
from the true initial orientation, velocity and position at mid-stance) and prints the worst and median
position error and the worst orientation error against the true trajectory. The sensor is mounted at an
odd angle (euler xyz 30, -50, 120 deg) so all axes are exercised. Walking, running (forward and
backward, three strike patterns), rolling-stance fast walking and a walk-run session.
"""

from __future__ import annotations

import numpy as np

from retrogait.simulator import (
    Environment,
    Scenario,
    SideStep,
    Stand,
    Turn,
    Walk,
    ideal_sensor,
    parse_mount,
    preset,
    simulate,
)
from retrogait.simulator.check import stride_errors

CASES = {
    "forward 1.2 m/s": Scenario([Stand(1), Walk("forward", n_strides=10), Stand(1)]),
    "forward 1.8 m/s": Scenario([Stand(1), Walk("forward", n_strides=10, speed=1.8), Stand(1)]),
    "backward 0.6 m/s": Scenario([Stand(1), Walk("backward", n_strides=10), Stand(1)]),
    "treadmill backward +15%": Scenario([Stand(1), Walk("backward", n_strides=10)], environment=Environment(True, 15)),
    "treadmill forward -10%": Scenario([Stand(1), Walk("forward", n_strides=10)], environment=Environment(True, -10)),
    "turns + side steps": Scenario([Stand(1), Walk("forward", n_strides=6, turn_deg=90), Turn(-180),
                                    SideStep("left", 4), Walk("backward", n_strides=6, turn_deg=45)]),
    "mixed preset": preset("mixed"),
    "run forward 3 m/s rearfoot": Scenario([Stand(1), Walk("forward", n_strides=10, speed=3.0, gait="run"), Stand(1)]),
    "run forward 5 m/s midfoot": Scenario([Stand(1), Walk("forward", n_strides=10, speed=5.0, gait="run",
                                                          strike="midfoot"), Stand(1)]),
    "run forward 3 m/s forefoot": Scenario([Stand(1), Walk("forward", n_strides=10, speed=3.0, gait="run",
                                                           strike="forefoot"), Stand(1)]),
    "run backward 2.2 m/s": Scenario([Stand(1), Walk("backward", n_strides=10, speed=2.2, gait="run"), Stand(1)]),
    "fast walk, rolling stance": Scenario([Stand(1), Walk("forward", n_strides=10, speed=1.65, stride_length=1.5,
                                                          stance_roll=0.25), Stand(1)]),
    "walk-run preset": preset("walk-run", duration=80),
}


def main() -> None:
    mount = parse_mount("euler:xyz:30,-50,120")
    print(f"{'scenario':28s} {'Hz':>5s} {'strides':>7s} {'pos max mm':>10s} {'pos med mm':>10s} {'ang max deg':>11s}")
    for rate in (50, 100, 200, 500, 1000):
        for name, sc in CASES.items():
            sc.sensor = ideal_sensor(rate, mount=mount)
            pe, ae = stride_errors(simulate(sc, seed=4), "left")
            print(f"{name:28s} {rate:5d} {len(pe):7d} {pe.max() * 1e3:10.3f} {np.median(pe) * 1e3:10.3f} {ae.max():11.5f}")


if __name__ == "__main__":
    main()
