"""Load a recording, analyze it, print what a gait lab would report.

    python3 examples/analyze_sample.py [RECORDING]      # default: the bundled backward treadmill session
"""

import sys
from pathlib import Path

import numpy as np

import retrogait

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "backward_treadmill_5pct.rgt"

path = sys.argv[1] if len(sys.argv) > 1 else SAMPLE
result = retrogait.analyze(retrogait.load_recording(path))
strides, summary = result.strides, result.summary

print(f"{Path(path).name}: {len(strides)} strides in {summary['walking_time_s']:.0f} s of walking")
for warning in result.warnings:
    print("warning:", warning)
print(f"cadence {summary['cadence_steps_per_min']:.1f} steps/min, speed {summary['speed_mean_m_s']:.2f} m/s")
if summary.get("grade_pct") is not None:
    print(f"incline {summary['grade_pct']:+.1f} %")
for direction in np.unique(strides.direction):
    mine = strides.direction == direction
    print(f"  {direction:14s} {mine.sum():4d} strides, length {100 * strides.stride_length[mine].mean():5.1f} cm, "
          f"stance {100 * np.mean(strides.stance_time[mine] / strides.stride_time[mine]):4.1f} % of the stride")
