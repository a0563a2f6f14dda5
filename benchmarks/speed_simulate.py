"""How fast the simulator makes long sessions: ``python3 benchmarks/speed_simulate.py``.

Prints wall and CPU time to simulate a 30-minute backward treadmill session (one foot and two feet) at
100, 200 and 1000 Hz, with the realistic sensor error model, without keeping the per-sample truth
trajectory (as ``retrogait simulate`` does).
"""

from __future__ import annotations

import time

from retrogait.simulator import preset, simulate


def main() -> None:
    simulate(preset("backward-treadmill", duration=20), seed=0)  # warm up imports
    print(f"{'session':34s} {'samples':>10s} {'wall s':>8s} {'cpu s':>7s} {'Msamples/s':>10s}")
    for feet in (("left",), ("left", "right")):
        for rate in (100, 200, 1000):
            sc = preset("backward-treadmill", duration=1800, rate=rate, feet=feet)
            w0, c0 = time.perf_counter(), time.process_time()
            res = simulate(sc, seed=1, trajectory=False)
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            n = sum(s.n for s in res.recording.streams)
            label = f"30 min, {len(feet)} foot, {rate} Hz"
            print(f"{label:34s} {n:10,d} {wall:8.2f} {cpu:7.2f} {n / wall / 1e6:10.2f}")


if __name__ == "__main__":
    main()
