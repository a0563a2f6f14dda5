"""Closed-loop walks: end-to-start distance of the reconstructed path as % of the distance walked.

Data: ../shared/data/xio_loop (short_walk.csv ~25 m, long_walk.csv ~60 m, x-io NGIMU ~400 Hz) and
openshoe_square/square2.mat (100 Hz). The walkers return to their starting point, so the distance
between the path's end and its start is the error. x-io's own method (Gait-Tracking) reports 82 mm
(short) and 421 mm (long). Target: <= 0.5 % of the distance walked.

The path is the chained sensor path over every movement between two stances (``result.paths``),
strides or not. The signal levels are printed too: the OpenShoe file's gyro never exceeds ~1.8 rad/s
and its accelerometer ~12 m/s^2 (no heel strikes, long pauses between short moves), which is not
foot-mounted walking (a walking foot reaches 5-10 rad/s and 30+ m/s^2), so its figure is shown for
information only.

Run: python3 benchmarks/validate_loops.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from retrogait.analysis import analyze
from retrogait.io.loading import load_recording

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CASES = (
    ("xio_loop/short_walk.csv", 82.0),
    ("xio_loop/long_walk.csv", 421.0),
    ("openshoe_square/square2.mat", None),
)


def loop_error(path: Path) -> dict[str, float]:
    """Analyze one loop walk; end-to-start error (m), distance walked (m), strides, time (s)."""
    rec = load_recording(path)
    t0 = time.perf_counter()
    res = analyze(rec)
    elapsed = time.perf_counter() - t0
    s = res.strides
    path = next(iter(res.paths.values()))[:, 1:3]
    dist = float(np.linalg.norm(np.diff(path, axis=0), axis=1).sum())
    err = float(np.linalg.norm(path[-1] - path[0]))
    st = rec.streams[0]
    levels = (float(np.percentile(np.linalg.norm(st.gyr, axis=1), 99.9)),
              float(np.percentile(np.linalg.norm(st.acc, axis=1), 99.9)))
    return {"error_m": err, "distance_m": dist, "strides": len(s), "seconds": elapsed, "levels": levels,
            "duration_s": rec.duration, "directions": {str(k): int(v) for k, v in zip(*np.unique(s.direction, return_counts=True))}}


def main() -> int:
    if not DATA.is_dir():
        print(f"shared data not found at {DATA}")
        return 1
    print("closed loops: end-to-start distance of the path (horizontal) / distance walked; target <= 0.5 %")
    for rel, xio_mm in CASES:
        r = loop_error(DATA / rel)
        pct = 100 * r["error_m"] / r["distance_m"]
        ref = f"; x-io's method {xio_mm:.0f} mm" if xio_mm else ""
        print(f"{rel}: {r['strides']} strides, path {r['distance_m']:.1f} m in {r['duration_s']:.1f} s, "
              f"end-to-start {r['error_m'] * 1000:.0f} mm = {pct:.2f} %{ref}  "
              f"(analysed in {r['seconds'] * 1000:.0f} ms); directions {r['directions']}; 99.9th percentile "
              f"gyro {r['levels'][0]:.1f} rad/s, acc {r['levels'][1]:.0f} m/s^2")
    return 0


if __name__ == "__main__":
    sys.exit(main())
