"""Analysis speed and memory.

1. A 30-minute backward treadmill session (200 Hz, one foot, simulated): target well under 1 s.
2. A 24-hour single-foot recording at 200 Hz (17.3 M samples): a simulated 1-hour session (treadmill
   walking bouts with rests: far more walking than a real day) tiled 24 times. Analyzed in a fresh
   child process that loads the raw arrays and reports its peak RSS. The sensor is mounted z-down, so
   the analysis reads it through a non-trivial mounting. Targets: <= 20 s, peak memory
   <= 3x the raw samples (t + acc + gyr as float64).

Run: python3 benchmarks/speed_analysis.py [--skip-24h]
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

CHILD = r"""
import resource, sys, time
import numpy as np
from retrogait.io.recording import Recording, Stream
from retrogait.analysis import analyze
d = sys.argv[1]
t = np.load(d + "/t.npy"); acc = np.load(d + "/acc.npy"); gyr = np.load(d + "/gyr.npy")
raw = t.nbytes + acc.nbytes + gyr.nbytes
hwm = lambda: int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) * 1024  # VmHWM: ru_maxrss would include the parent's (fork/exec)
rss_loaded = hwm()
rec = Recording(streams=[Stream(t=t, acc=acc, gyr=gyr, foot="left", mount=np.diag([1.0, -1.0, -1.0]), nominal_rate=200.0)])
t0, c0 = time.perf_counter(), time.process_time()
res = analyze(rec)
el, cpu = time.perf_counter() - t0, time.process_time() - c0
peak = hwm()
print(f"{t.size} {raw} {rss_loaded} {peak} {el} {len(res.strides)} {res.summary['walking_time_s']} {cpu}")
"""


def session_30min() -> None:
    from retrogait.analysis import analyze
    from retrogait.simulator import preset, simulate

    sim = simulate(preset("backward-treadmill", duration=1800, rate=200), seed=3, trajectory=False)
    rec = sim.recording
    analyze(rec)  # warm up imports
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        res = analyze(rec)
        times.append(time.perf_counter() - t0)
    print(f"30-minute treadmill session: {rec.streams[0].n} samples at 200 Hz, {len(res.strides)} strides: "
          f"best {min(times):.2f} s, median {np.median(times):.2f} s of 3 runs   (target well under 1 s)")


def day_24h() -> None:
    from retrogait.simulator import Scenario, SensorSpec, Stand, Walk, simulate

    hour = []
    for _ in range(6):  # 6 x (8 min walking + 2 min rest) = 1 h, 80 % walking
        hour += [Walk("backward", duration=240, speed=0.7, treadmill=True, grade_pct=5.0), Stand(20.0),
                 Walk("forward", duration=240, speed=1.2, treadmill=True), Stand(100.0)]
    # the sensor is mounted z-down (not the foot frame), so the analysis has to rotate what it reads
    sensor = SensorSpec(rate=200.0, mount=np.diag([1.0, -1.0, -1.0]))
    sim = simulate(Scenario(segments=hour, sensor=sensor), seed=5, trajectory=False)
    s = sim.recording.streams[0]
    n1 = s.n
    reps = int(np.ceil(24 * 3600 * 200 / n1))
    with tempfile.TemporaryDirectory() as d:
        period = s.t[-1] + 1.0 / 200.0
        t = (s.t[None, :] + period * np.arange(reps)[:, None]).ravel()[: 24 * 3600 * 200]
        np.save(f"{d}/t.npy", t)
        del t
        np.save(f"{d}/acc.npy", np.tile(s.acc, (reps, 1))[: 24 * 3600 * 200])
        np.save(f"{d}/gyr.npy", np.tile(s.gyr, (reps, 1))[: 24 * 3600 * 200])
        out = subprocess.run([sys.executable, "-c", CHILD, d], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        print("24-hour run failed:\n" + out.stderr[-2000:])
        return
    n, raw, loaded, peak, el, strides, walking, cpu = out.stdout.split()
    n, raw, loaded, peak = int(n), int(raw), int(loaded), int(peak)
    print(f"24-hour single-foot recording: {n / 1e6:.1f} M samples at 200 Hz ({float(walking) / 3600:.1f} h "
          f"walking, {int(strides)} strides): {float(el):.1f} s wall, {float(cpu):.1f} s CPU   (target <= 20 s; "
          f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"   raw samples {raw / 1e9:.2f} GB; peak RSS {peak / 1e9:.2f} GB = {peak / raw:.2f}x raw "
          f"(after loading {loaded / 1e9:.2f} GB; analysis adds {(peak - loaded) / 1e9:.2f} GB = "
          f"{(peak - loaded) / raw:.2f}x raw)   (target peak <= 3x raw)")


def main() -> int:
    session_30min()
    if "--skip-24h" not in sys.argv:
        day_24h()
    print(f"(this process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
