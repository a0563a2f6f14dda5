"""Side by side with gaitmap (the leading open-source foot-IMU pipeline): time, memory, accuracy.

gaitmap and gaitmap-mad (AGPL) are installed in this benchmark's OWN virtual environment, never as
retrogait dependencies: ``$GAITMAP_VENV`` if set, else ``~/.cache/retrogait/gaitmap-venv`` (created and
filled with ``pip install gaitmap gaitmap-mad pandas`` on first use). gaitmap runs its standard
pipeline in a child process (``gaitmap_side.py``: BarthDtw segmentation, Rampp events, RtsKalman
trajectory, spatial parameters); retrogait runs ``analyze`` in another child process; both report their
time and peak RSS.

Data: (1) the gaitmap example (real, mocap reference: 58 hand-labelled strides, stride length from
``position_sample.csv``, IC from ``stride_events_sample.csv``); (2) a simulated 1-hour two-foot session at
204.8 Hz (forward walking bouts and rests; simulator truth), given to gaitmap as its CSV layout and to
retrogait as the same samples in its native .rgt file (each tool's own input; loading is not timed).

Run: python3 benchmarks/compare_gaitmap.py [--skip-hour]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[0].parent / "shared" / "data" / "gaitmap_example"
RATE = 204.8

RETRO_CHILD = r"""
import json, sys, time
import numpy as np
from retrogait.io.loading import load_recording
from retrogait.analysis import analyze
rec = load_recording(sys.argv[1])  # (numpy code needs no warm-up run)
# VmHWM, not ru_maxrss: Linux carries the parent's ru_maxrss across fork/exec
hwm = lambda: int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
loaded = hwm()
t0, c0 = time.perf_counter(), time.process_time()
res = analyze(rec)
el, cpu = time.perf_counter() - t0, time.process_time() - c0
s = res.strides
out = {"elapsed_s": el, "cpu_s": cpu, "peak_rss_mb": hwm(),
       "loaded_rss_mb": loaded, "feet": {}}
for foot in ("left", "right"):
    m = s.foot == foot
    out["feet"][foot] = {"start": (s.t_start[m] * 204.8).tolist(), "end": (s.t_end[m] * 204.8).tolist(),
                         "ic": (s.t_ic[m] * 204.8).tolist(), "tc": (s.t_tc[m] * 204.8).tolist(),
                         "stride_length": s.stride_length[m].tolist()}
print(json.dumps(out))
"""


def gaitmap_python() -> Path:
    """The venv's python, creating the venv and installing gaitmap on first use."""
    root = Path(os.environ.get("GAITMAP_VENV", Path.home() / ".cache" / "retrogait" / "gaitmap-venv"))
    py = root / "bin" / "python"
    if not py.exists():
        print(f"creating {root} and installing gaitmap + gaitmap-mad (once) ...", flush=True)
        venv.create(root, with_pip=True)
    check = subprocess.run([str(py), "-c", "import gaitmap, gaitmap_mad"], capture_output=True)
    if check.returncode != 0:
        subprocess.run([str(py), "-m", "pip", "install", "-q", "gaitmap", "gaitmap-mad", "pandas"], check=True)
    return py


def run_json(cmd: list[str]) -> dict:
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def read_csv_table(path: Path) -> dict[str, np.ndarray]:
    rows = [line.rstrip("\n").split(",") for line in path.open()]
    cols: dict[str, np.ndarray] = {}
    for i, name in enumerate(rows[0]):
        vals = [r[i] for r in rows[1:]]
        try:
            cols[name or "key"] = np.array(vals, dtype=float)
        except ValueError:
            cols[name or "key"] = np.array(vals)
    return cols


def score_example(res: dict) -> dict:
    """Detection vs the 58 labelled strides, stride length vs mocap, IC vs mocap."""
    lab = read_csv_table(DATA / "stride_borders_sample.csv")
    ev = read_csv_table(DATA / "stride_events_sample.csv")
    pos = read_csv_table(DATA / "position_sample.csv")
    tp = fp = 0
    dl, dic = [], []
    for foot in ("left", "right"):
        f = res["feet"][foot]
        tc, ic = np.array(f["tc"]), np.array(f["ic"])
        mid = 0.5 * (tc + ic)
        m = lab["foot"] == foot
        inside = (mid >= lab["start"][m].min()) & (mid <= lab["end"][m].max())
        used = np.zeros(mid.size, dtype=bool)
        for a, b in zip(lab["start"][m], lab["end"][m]):
            hit = np.flatnonzero((mid >= a) & (mid <= b) & ~used)
            if hit.size:
                used[hit[0]] = True
                tp += 1
        fp += int((inside & ~used).sum())
        start = np.array(f["start"])
        for sid, mv, ic_ref in zip(ev["s_id"][ev["foot"] == foot], ev["min_vel"][ev["foot"] == foot],
                                   ev["ic"][ev["foot"] == foot]):
            j = int(np.argmin(np.abs(start - mv)))
            if abs(start[j] - mv) > 0.25 * RATE:
                continue
            sel = (pos["key"] == f"{foot}_sensor") & (pos["s_id"] == sid)
            ref = float(np.hypot(pos["pos_x"][sel][-1], pos["pos_y"][sel][-1]))
            if ref > 1.0:  # straight strides (turn strides are ~0.5-0.6 m)
                dl.append(f["stride_length"][j] - ref)
            dic.append((ic[j] - ic_ref) / RATE)
    fn = 58 - tp
    f1 = 2 * tp / (2 * tp + fp + fn)
    dl, dic = np.array(dl), np.array(dic)
    return {"found": tp, "extra": fp, "f1": f1, "mae_cm": np.mean(np.abs(dl)) * 100,
            "bias_cm": np.mean(dl) * 100, "ic_ms": np.median(dic) * 1000, "ic_abs_ms": np.median(np.abs(dic)) * 1000}


def hour_csv(path: Path) -> dict:
    """Write a simulated 1-hour two-foot session in the gaitmap CSV layout (for gaitmap) and as a native
    .rgt next to it (retrogait's own input format, same samples); return its truth."""
    from retrogait.io.fileformat import write_recording

    from retrogait.simulator import Scenario, SensorSpec, Stand, Walk, simulate

    segs = []
    for _ in range(6):
        segs += [Walk("forward", duration=420, speed=1.2), Stand(180)]
    sim = simulate(Scenario(segments=segs, feet=("left", "right"), sensor=SensorSpec(rate=RATE)), seed=9,
                   trajectory=False)
    left, right = sim.recording.stream("left"), sim.recording.stream("right")
    n = min(left.n, right.n)
    sim.recording.streams = [left.slice(0, n), right.slice(0, n)]
    write_recording(path.with_suffix(".rgt"), sim.recording)
    cols = []
    for ch in range(6):
        for s in (left, right):
            arr = s.acc if ch < 3 else np.degrees(s.gyr)
            cols.append(arr[:n, ch % 3])
    with path.open("w") as fh:
        fh.write("sensor," + ",".join(["left_sensor", "right_sensor"] * 6) + "\n")
        fh.write("axis," + ",".join(f"{k}_{a},{k}_{a}" for k in ("acc", "gyr") for a in "xyz") + "\n")
        np.savetxt(fh, np.column_stack([np.arange(n), *cols]), delimiter=",", fmt=["%d"] + ["%.6g"] * 12)
    return {"truth": sim.truth.strides, "samples": n}


def score_hour(res: dict, truth) -> dict:
    dl, found = [], 0
    for foot in ("left", "right"):
        f = res["feet"][foot]
        start = np.array(f["start"]) / RATE
        t = truth.select((truth.foot == foot) & truth.steady)
        for t0, ref in zip(t.t_start, t.stride_length):
            j = int(np.argmin(np.abs(start - t0))) if start.size else -1
            if j >= 0 and abs(start[j] - t0) < 0.3:
                found += 1
                dl.append(f["stride_length"][j] - ref)
    dl = np.array(dl)
    return {"found": found, "true": int(truth.steady.sum()), "mae_cm": np.mean(np.abs(dl)) * 100,
            "bias_cm": np.mean(dl) * 100}


def main() -> int:
    if not DATA.is_dir():
        print(f"gaitmap example not found at {DATA}")
        return 1
    py = gaitmap_python()
    side = str(HERE / "gaitmap_side.py")
    example = DATA / "imu_sample.csv"
    g = run_json([str(py), side, str(example), str(RATE)])
    r = run_json([sys.executable, "-c", RETRO_CHILD, str(example)])
    print("gaitmap example (38.7 s, real, mocap reference; straight strides for length):")
    for name, res in (("gaitmap 2.6 (RtsKalman)", g), ("retrogait", r)):
        sc = score_example(res)
        print(f"  {name:24s} found {sc['found']}/58 (+{sc['extra']} extra, F1 {sc['f1']:.3f}), stride length "
              f"MAE {sc['mae_cm']:.2f} cm bias {sc['bias_cm']:+.2f} cm, IC {sc['ic_ms']:+.0f} ms "
              f"(median |err| {sc['ic_abs_ms']:.0f} ms), {res['elapsed_s']:.2f} s, peak RSS "
              f"{res['peak_rss_mb']:.0f} MB")
    if "--skip-hour" in sys.argv:
        return 0
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "hour.csv"
        info = hour_csv(path)
        g = run_json([str(py), side, str(path), str(RATE)])
        r = run_json([sys.executable, "-c", RETRO_CHILD, str(path.with_suffix(".rgt"))])
    print(f"simulated 1-hour two-foot session ({info['samples']} samples per foot at 204.8 Hz; simulator truth):")
    for name, res in (("gaitmap 2.6 (RtsKalman)", g), ("retrogait", r)):
        sc = score_hour(res, info["truth"])
        print(f"  {name:24s} steady strides found {sc['found']}/{sc['true']}, stride length MAE "
              f"{sc['mae_cm']:.2f} cm bias {sc['bias_cm']:+.2f} cm, {res['elapsed_s']:.1f} s, peak RSS "
              f"{res['peak_rss_mb']:.0f} MB" + (f" (CPU {res['cpu_s']:.1f} s; {res['loaded_rss_mb']:.0f} MB "
                                                 "after loading)" if "cpu_s" in res else ""))
    print(f"  retrogait speed-up {g['elapsed_s'] / r['elapsed_s']:.0f}x, memory "
          f"{r['peak_rss_mb'] / g['peak_rss_mb']:.2f} of gaitmap's   (target >= 50x faster, <= 1/10 memory; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
