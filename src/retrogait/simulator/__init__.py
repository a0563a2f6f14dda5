"""A physically consistent foot-mounted IMU simulator: truth-labelled recordings for tests, benchmarks
and the sample data.

Quick use::

    from retrogait.simulator import simulate, preset, Scenario, Walk, Stand
    res = simulate(preset("backward-treadmill", duration=180, grade_pct=5), seed=1)
    res.recording          # retrogait.io.recording.Recording (sensor frame, SI)
    res.truth.strides      # per-stride truth (numpy arrays), res.truth.totals (session totals)

    sc = Scenario(segments=[Stand(3), Walk("backward", n_strides=30, speed=0.6), Stand(3)])
    res = simulate(sc, seed=2)

    run = Scenario(segments=[Stand(3), Walk("forward", n_strides=40, speed=3.0, gait="run", strike="rearfoot")])
    fast = Scenario(segments=[Walk("forward", n_strides=30, speed=1.65, stride_length=1.5, stance_roll=0.25)],
                    sensor=SensorSpec(packet_loss=0.07))   # SimResult.packets: the packet counter

How it works: a footstep planner (:mod:`.footsteps`) places footprints and gait events; a rigid-foot
model (:mod:`.footmodel`) rolls the foot about its heel / toe and swings it between footprints with C2
profiles; the IMU signals follow analytically from that pose (:mod:`.imu`), so integrating them recovers
the trajectory. Truth and its JSON sidecar: :mod:`.truth`.
"""

from __future__ import annotations

from retrogait.simulator.engine import SimResult, Trajectory, simulate
from retrogait.simulator.presets import PRESETS, parse_mount, preset, preset_names
from retrogait.simulator.scenario import (
    DIRECTIONS,
    Environment,
    Person,
    Scenario,
    SensorSpec,
    SideStep,
    Stand,
    Turn,
    Walk,
    ideal_sensor,
)
from retrogait.simulator.scenario_io import scenario_from_dict, scenario_to_dict
from retrogait.simulator.truth import StrideTruth, Truth, read_truth, truth_path, write_truth

__all__ = [
    "DIRECTIONS", "PRESETS", "Environment", "Person", "Scenario", "SensorSpec", "SideStep", "SimResult",
    "Stand", "StrideTruth", "Trajectory", "Truth", "Turn", "Walk", "ideal_sensor", "parse_mount", "preset",
    "preset_names", "read_truth", "scenario_from_dict", "scenario_to_dict", "simulate", "truth_path",
    "write_truth",
]
