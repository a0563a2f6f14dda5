"""Side by side with gaitmap (the leading open-source foot-IMU pipeline): cold and warm time, memory, accuracy.

gaitmap and gaitmap-mad (AGPL) are installed in this benchmark's OWN virtual environment, never as
retrogait dependencies: ``$GAITMAP_VENV`` if set, else ``~/.cache/retrogait/gaitmap-venv`` (created and
filled with ``pip install gaitmap gaitmap-mad pandas`` on first use).

What runs (each tool reads its own input format; reading is timed apart and left out):
* gaitmap ``default`` (the headline): its documented full pipeline with default settings, BarthDtw ->
  RamppEventDetection -> StrideLevelTrajectory (SimpleGyroIntegration + ForwardBackwardIntegration per
  stride) -> temporal + spatial parameters (``gaitmap_side.py``);
* gaitmap ``rts`` (variant): the same, but RegionLevelTrajectory(RtsKalman) over the whole recording;
* retrogait: ``retrogait.analyze(retrogait.load_recording(path))``.

Timing: every run is a fresh child process that makes ``1 + --warm`` calls on the same data. The first
call is COLD: CPU and wall from the launch of the process to its first result (interpreter start-up,
imports, numba compilation or cache loading included; reading the input excluded). The later calls are
WARM. Figures are the median and min over the runs (``--runs``, >= 3); CPU is process time (user+sys of
the child), wall is elapsed time. Memory: resident set after the imports, after reading the input, and
the peak (VmHWM) of the process. The 1-minute load average of the machine is printed with each figure;
``--quiet-load X`` waits (up to ``--wait`` s) before each run until it is below X.

Data: (1) the gaitmap example (38.7 s, real, motion-capture reference: 58 hand-labelled strides, stride
length from ``position_sample.csv``, IC from ``stride_events_sample.csv``); (2) a simulated 1-hour
two-foot session at 204.8 Hz (six 7-minute forward walks at 1.2 m/s with 3-minute rests; simulator
truth), written as gaitmap's CSV layout for gaitmap and as a native .rgt (same samples) for retrogait.

Run: python3 benchmarks/compare_gaitmap.py [--skip-hour | --skip-example] [--runs 3] [--warm 1] [--variants default,rts | none]
     [--data DIR (keep/reuse the hour files)] [--json OUT.json] [--quiet-load 1.5 --wait 900]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[0].parent / "shared" / "data" / "gaitmap_example"
RATE = 204.8

# retrogait's side: the same protocol as gaitmap_side.py (public API only).
RETRO_CHILD = r"""
import time
T_TOP, C_TOP = time.perf_counter(), time.process_time()
import json, os, sys
import retrogait
analyze, load_recording = retrogait.analyze, retrogait.load_recording   # (lazy: imports the analysis)
T_IMP, C_IMP = time.perf_counter(), time.process_time()
mb = lambda key: int(open("/proc/self/status").read().split(key + ":")[1].split()[0]) / 1024
rss_imports = mb("VmRSS")
path, calls = sys.argv[1], int(sys.argv[2])
launched = float(sys.argv[sys.argv.index("--launched") + 1])
t0, c0 = time.perf_counter(), time.process_time()
rec = load_recording(path)
load = {"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}
rss_loaded = mb("VmRSS")
runs = []
for i in range(calls):
    t0, c0 = time.perf_counter(), time.process_time()
    res = analyze(rec)
    t1, c1 = time.perf_counter(), time.process_time()
    runs.append({"wall_s": t1 - t0, "cpu_s": c1 - c0, "hwm_mb": mb("VmHWM"), "load1": os.getloadavg()[0]})
    if i == 0:
        cold = {"wall_s": time.time() - launched - load["wall_s"], "cpu_s": c1 - load["cpu_s"]}
s = res.strides
out = {"tool": "retrogait " + retrogait.__version__, "variant": "analyze",
       "imports": {"wall_s": T_IMP - T_TOP, "cpu_s": C_IMP - C_TOP, "cpu_before_s": C_TOP}, "load": load,
       "cold": cold, "calls": runs, "rss_imports_mb": rss_imports, "rss_loaded_mb": rss_loaded,
       "peak_rss_mb": mb("VmHWM"), "feet": {}}
for foot in ("left", "right"):
    m = s.foot == foot
    out["feet"][foot] = {k: (getattr(s, "t_" + k)[m] * RATE).tolist() for k in ("start", "end", "ic", "tc")}
    out["feet"][foot]["stride_length"] = s.stride_length[m].tolist()
print(json.dumps(out))
""".replace("RATE", repr(RATE))


def gaitmap_python() -> Path:
    """The venv's python, creating the venv and installing gaitmap on first use."""
    root = Path(os.environ.get("GAITMAP_VENV", Path.home() / ".cache" / "retrogait" / "gaitmap-venv"))
    py = root / "bin" / "python"
    if not py.exists():
        print(f"creating {root} and installing gaitmap + gaitmap-mad (once) ...", flush=True)
        venv.create(root, with_pip=True)
    check = subprocess.run([str(py), "-c", "import gaitmap, gaitmap_mad"], capture_output=True, check=False)
    if check.returncode != 0:
        subprocess.run([str(py), "-m", "pip", "install", "-q", "gaitmap", "gaitmap-mad", "pandas"], check=True)
    return py


def arg(name: str, default: str) -> str:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def wait_for_quiet(limit: float, max_wait: float) -> None:
    """Wait until the 1-minute load average is below ``limit`` (at most ``max_wait`` s)."""
    t_end = time.time() + max_wait
    while os.getloadavg()[0] >= limit and time.time() < t_end:
        time.sleep(10)


def one_run(cmd: list[str], env: dict[str, str] | None = None) -> dict:
    """One fresh child process (``env``: extra environment variables); adds the load average seen at its
    launch."""
    if "--quiet-load" in sys.argv:
        wait_for_quiet(float(arg("--quiet-load", "1.5")), float(arg("--wait", "900")))
    load_before = os.getloadavg()[0]
    out = subprocess.run(cmd + ["--launched", repr(time.time())], capture_output=True, text=True, check=False,
                         env={**os.environ, **(env or {})})
    if out.returncode != 0:
        raise RuntimeError(f"{cmd[:4]} failed:\n{out.stderr[-3000:]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["load_before"] = load_before
    return res


def measure(cmd: list[str], runs: int, env: dict[str, str] | None = None) -> dict:
    """``runs`` fresh processes of ``cmd``: cold and warm CPU/wall (median, min), memory, load averages."""
    rs = [one_run(cmd, env) for _ in range(runs)]
    warm = [c for r in rs for c in r["calls"][1:]]

    def stats(xs: list[float]) -> dict:
        return {"median": statistics.median(xs), "min": min(xs), "n": len(xs)} if xs else {}

    loads = [r["load_before"] for r in rs] + [c["load1"] for r in rs for c in r["calls"]]
    return {
        "tool": rs[0]["tool"], "variant": rs[0]["variant"], "runs": rs,
        "cold_cpu": stats([r["cold"]["cpu_s"] for r in rs]), "cold_wall": stats([r["cold"]["wall_s"] for r in rs]),
        "first_call_cpu": stats([r["calls"][0]["cpu_s"] for r in rs]),
        "warm_cpu": stats([c["cpu_s"] for c in warm]), "warm_wall": stats([c["wall_s"] for c in warm]),
        "import_cpu": stats([r["imports"]["cpu_s"] + r["imports"]["cpu_before_s"] for r in rs]),
        "rss_imports_mb": statistics.median(r["rss_imports_mb"] for r in rs),
        "rss_loaded_mb": statistics.median(r["rss_loaded_mb"] for r in rs),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in rs),
        "load": [min(loads), max(loads)], "feet": rs[-1]["feet"],
    }


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
    """Detection vs the 58 labelled strides, stride length vs mocap (straight strides), IC vs mocap."""
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
            if not start.size:
                continue
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
    return {"found": tp, "extra": fp, "f1": f1, "n_len": int(dl.size), "mae_cm": np.mean(np.abs(dl)) * 100,
            "bias_cm": np.mean(dl) * 100, "ic_ms": np.median(dic) * 1000,
            "ic_abs_ms": np.median(np.abs(dic)) * 1000}


def make_hour(folder: Path) -> dict:
    """A simulated 1-hour two-foot session as gaitmap CSV (hour.csv) and native .rgt (hour.rgt), same
    samples, plus its per-stride truth (hour_truth.npz). Reused when already in ``folder``."""
    csv, rgt, npz = folder / "hour.csv", folder / "hour.rgt", folder / "hour_truth.npz"
    if not (csv.exists() and rgt.exists() and npz.exists()):
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
        write_recording(rgt, sim.recording)
        cols = []
        for ch in range(6):
            for s in (left, right):
                arr = s.acc if ch < 3 else np.degrees(s.gyr)
                cols.append(arr[:n, ch % 3])
        with csv.open("w") as fh:
            fh.write("sensor," + ",".join(["left_sensor", "right_sensor"] * 6) + "\n")
            fh.write("axis," + ",".join(f"{k}_{a},{k}_{a}" for k in ("acc", "gyr") for a in "xyz") + "\n")
            np.savetxt(fh, np.column_stack([np.arange(n), *cols]), delimiter=",", fmt=["%d"] + ["%.6g"] * 12)
        t = sim.truth.strides
        np.savez(npz, foot=np.asarray(t.foot).astype(str), steady=t.steady, t_start=t.t_start, t_ic=t.t_ic,
                 stride_length=t.stride_length, samples=n)
    z = np.load(npz)
    return {"csv": csv, "rgt": rgt, "truth": {k: z[k] for k in z.files}, "samples": int(z["samples"])}


def score_hour(res: dict, truth: dict) -> dict:
    """Steady strides found (start within 0.3 s of the true mid-stance), extra strides (no true stride of
    any kind within 0.3 s), stride length error of the found steady strides, IC vs the simulated contact."""
    dl, dic, found, extra = [], [], 0, 0
    for foot in ("left", "right"):
        f = res["feet"][foot]
        start = np.array(f["start"]) / RATE
        ic = np.array(f["ic"]) / RATE
        mine = truth["foot"] == foot
        all_starts = truth["t_start"][mine]
        if start.size:
            near = np.abs(start[:, None] - all_starts[None, :]).min(axis=1) if all_starts.size else np.inf
            extra += int(np.sum(near >= 0.3))
        sel = mine & truth["steady"]
        for t0, ref, ic_ref in zip(truth["t_start"][sel], truth["stride_length"][sel], truth["t_ic"][sel]):
            j = int(np.argmin(np.abs(start - t0))) if start.size else -1
            if j >= 0 and abs(start[j] - t0) < 0.3:
                found += 1
                dl.append(f["stride_length"][j] - ref)
                dic.append(ic[j] - ic_ref)
    dl, dic = np.array(dl), np.array(dic)
    return {"found": found, "true": int(truth["steady"].sum()), "extra": extra,
            "mae_cm": np.mean(np.abs(dl)) * 100 if dl.size else float("nan"),
            "bias_cm": np.mean(dl) * 100 if dl.size else float("nan"),
            "ic_ms": np.median(dic) * 1000 if dic.size else float("nan")}


def fmt_time(m: dict) -> str:
    def ms(s: dict) -> str:
        return f"{s['median']:.3g}/{s['min']:.3g} s"

    return (f"cold CPU {ms(m['cold_cpu'])} wall {ms(m['cold_wall'])} | warm CPU {ms(m['warm_cpu'])} wall "
            f"{ms(m['warm_wall'])} (median/min of {m['warm_cpu']['n']}) | RSS after imports "
            f"{m['rss_imports_mb']:.0f} MB, after input {m['rss_loaded_mb']:.0f} MB, peak {m['peak_rss_mb']:.0f} MB"
            f" | load {m['load'][0]:.1f}-{m['load'][1]:.1f}")


RETRO_MODES = {"retrogait": "auto", "retrogait numba": "jit", "retrogait numpy": "never"}
"""retrogait's runs: as installed (the kernels compiled at install), numba's kernels, numpy only."""


def compare(label: str, path_g: Path, path_r: Path, variants: list[str], runs: int, warm: int, py: Path,
            score) -> dict:
    side = str(HERE / "gaitmap_side.py")
    out = {}
    for v in variants:
        out[f"gaitmap {v}"] = measure([str(py), side, str(path_g), str(RATE), "--variant", v,
                                       "--calls", str(1 + warm)], runs)
    # as installed: the kernels compiled at install; then numba's kernels instead (a machine where those
    # could not be built: the cold figure includes loading numba and its cached kernels), and numpy only
    for rname, mode in RETRO_MODES.items():
        out[rname] = measure([sys.executable, "-c", RETRO_CHILD, str(path_r), str(1 + warm)], runs,
                             env={"RETROGAIT_COMPILED": mode})
    print(f"{label} ({os.cpu_count()} cores):")
    for name, m in out.items():
        m["score"] = sc = score(m)
        print(f"  {name:18s} {m['tool']}")
        print(f"    accuracy: {json.dumps({k: round(float(x), 3) for k, x in sc.items()})}")
        print(f"    time:     {fmt_time(m)}")
    for rname in RETRO_MODES:
        _ratios(out, rname, variants)
    sys.stdout.flush()
    return out


def _ratios(out: dict, rname: str, variants: list[str]) -> None:
    r = out[rname]
    for v in variants:
        g = out[f"gaitmap {v}"]
        print(f"  {rname} vs gaitmap {v}: warm CPU {g['warm_cpu']['median'] / r['warm_cpu']['median']:.0f}x, "
              f"warm wall {g['warm_wall']['median'] / r['warm_wall']['median']:.0f}x, cold CPU "
              f"{g['cold_cpu']['median'] / r['cold_cpu']['median']:.1f}x, cold wall "
              f"{g['cold_wall']['median'] / r['cold_wall']['median']:.1f}x faster (medians); peak memory "
              f"{r['peak_rss_mb'] / g['peak_rss_mb']:.2f} of gaitmap's")


def main() -> int:
    if not DATA.is_dir():
        print(f"gaitmap example not found at {DATA}")
        return 1
    runs, warm = int(arg("--runs", "3")), int(arg("--warm", "1"))
    variants = [v for v in arg("--variants", "default,rts").split(",") if v not in ("", "none")]
    py = gaitmap_python()
    report: dict = {"cores": os.cpu_count(), "runs": runs, "warm_calls_per_run": warm}
    example = DATA / "imu_sample.csv"
    if "--skip-example" not in sys.argv:
        report["example"] = compare("gaitmap example (38.7 s, real, mocap reference; straight strides for length)",
                                    example, example, variants, runs, warm, py, score_example)
    if "--skip-hour" not in sys.argv:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(arg("--data", tmp))
            folder.mkdir(parents=True, exist_ok=True)
            info = make_hour(folder)
            report["hour"] = compare(
                f"simulated 1-hour two-foot session ({info['samples']} samples per foot at 204.8 Hz; simulator truth)",
                info["csv"], info["rgt"], variants, runs, warm, py, lambda m: score_hour(m, info["truth"]))
        g = report["hour"].get("gaitmap default")  # the target's terms
        for rname in RETRO_MODES if g else ():
            r = report["hour"][rname]
            ratio = g["warm_cpu"]["median"] / r["warm_cpu"]["median"]
            better = all(r["score"][k] >= g["score"][k] for k in ("found",)) and \
                r["score"]["mae_cm"] <= g["score"]["mae_cm"] and r["score"]["extra"] <= g["score"]["extra"]
            print(f"target ({rname}: >= 50x gaitmap's default pipeline, warm CPU, with accuracy at least equal): "
                  f"{ratio:.0f}x, accuracy {'at least equal' if better else 'NOT at least equal'} -> "
                  f"{'met' if ratio >= 50 and better else 'not met'}")
    if "--json" in sys.argv:
        for part in ("example", "hour"):
            for m in report.get(part, {}).values():
                m.pop("feet", None)
                for rr in m["runs"]:
                    rr.pop("feet", None)
        Path(arg("--json", "")).write_text(json.dumps(report, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
