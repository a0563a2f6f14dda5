"""Simulate a backward treadmill walk with known truth, analyze it, and score the analysis.

    python3 examples/simulate_with_truth.py [SEED]
"""

import sys

import numpy as np

import retrogait
from retrogait.simulator import Scenario, Stand, Walk, simulate

seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
scenario = Scenario(segments=[Stand(3), Walk("backward", n_strides=30, speed=0.6, treadmill=True, grade_pct=5.0),
                              Stand(2)])
sim = simulate(scenario, seed=seed)           # sim.recording: what the IMU recorded; sim.truth: what happened
result = retrogait.analyze(sim.recording)
found, truth = result.strides, sim.truth.strides

# pair every analysed stride with the true stride whose middle is nearest (same foot)
middle = 0.5 * (truth.t_start + truth.t_end)
pair = np.array([np.argmin(np.abs(middle - 0.5 * (a + b))) for a, b in zip(found.t_start, found.t_end)])
steady = truth.steady[pair]
error = found.stride_length[steady] / truth.stride_length[pair][steady] - 1

print(f"strides: {len(found)} found, {len(truth.t_start)} true; "
      f"directions right: {np.mean(found.direction == truth.direction[pair]):.0%}")
print(f"stride length: mean error {100 * error.mean():+.2f} %, largest {100 * np.abs(error).max():.2f} %")
print(f"incline: {result.summary['grade_pct']:+.1f} % (truth +5.0 %)")
