"""Analysis speed and memory, and the command line's start-up (issue 12 targets).

1. A 30-minute backward treadmill session (200 Hz, one foot, simulated): CPU and wall.
2. A 24-hour single-foot recording at 200 Hz (17.3 M samples): a simulated 1-hour session (treadmill
   walking bouts with rests: far more walking than a real day) tiled 24 times, the sensor mounted
   z-down (so the analysis reads it through a non-trivial mounting). Analyzed in fresh child
   processes that load the raw arrays and report peak RSS (VmHWM) before and after the analysis, and
   the time `--json` takes to serialise the result (the CLI's own code path), then the analysis
   again in the same process (the kernels loaded). With the kernels compiled at install, and again with
   numba's (RETROGAIT_COMPILED=jit: a machine where they could not be built; its start-up included).
   Targets: analysis <= 5 s CPU, peak <= 2x the raw samples, --json <= 1 s.
3. `retrogait --help` (target <= 0.25 s CPU) and `retrogait analyze` on the bundled 3-minute file
   (target <= 0.5 s wall), each a fresh process, output to a pipe. With the byte code of retrogait
   cached (in a temporary PYTHONPYCACHEPREFIX, as an installed package has it) and, when
   PYTHONDONTWRITEBYTECODE is set and the sources have no __pycache__ (as on the project's shared
   machine), also as that environment runs it: every module of retrogait compiled at each start.
   Then where `analyze` spends its CPU time: each stage (imports, loading, analysis, output) timed
   in a fresh process, min and median of the runs.

Every figure is the min and median of >= 3 runs (CPU time is the less sensitive to other work on
this shared 2-core machine; the load average is printed with each figure).

Run: python3 benchmarks/speed_analysis.py [--skip-24h] [--cli-only] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
import numpy as np
from retrogait.io.recording import Recording, Stream
from retrogait.analysis import analyze
from retrogait.commands.analyze import dump_result_json
d = sys.argv[1]
t = np.load(d + "/t.npy"); acc = np.load(d + "/acc.npy"); gyr = np.load(d + "/gyr.npy")
raw = t.nbytes + acc.nbytes + gyr.nbytes
hwm = lambda: int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) * 1024
rss_loaded = hwm()
rec = Recording(streams=[Stream(t=t, acc=acc, gyr=gyr, foot="left", mount=np.diag([1.0, -1.0, -1.0]), nominal_rate=200.0)])
t0, c0 = time.perf_counter(), time.process_time()
res = analyze(rec)
el, cpu = time.perf_counter() - t0, time.process_time() - c0
peak = hwm()
c1 = time.process_time()
text = dump_result_json(res)
json_cpu = time.process_time() - c1
c2 = time.process_time()
analyze(rec)  # again, with the compiled kernels already loaded (a batch worker, a notebook)
warm = time.process_time() - c2
from retrogait.analysis import compiled
kind = "compiled ahead of time" if compiled.kernels(t.size) is compiled.ahead_of_time() else "numba's"
print(json.dumps({"n": int(t.size), "raw": raw, "loaded": rss_loaded, "peak": peak, "wall": el, "cpu": cpu,
                  "strides": len(res.strides), "walking": res.summary["walking_time_s"], "json_cpu": json_cpu,
                  "json_mb": len(text) / 1e6, "warm": warm, "kernels": kind}))
"""


def _stats(values: list[float]) -> str:
    return f"min {min(values):.2f}, median {float(np.median(values)):.2f}"


def _load() -> str:
    return f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"


def session_30min(runs: int) -> None:
    from retrogait.analysis import analyze
    from retrogait.simulator import preset, simulate

    sim = simulate(preset("backward-treadmill", duration=1800, rate=200), seed=3, trajectory=False)
    rec = sim.recording
    analyze(rec)  # warm up
    cpu, wall = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        res = analyze(rec)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    print(f"30-minute treadmill session ({rec.streams[0].n} samples, {len(res.strides)} strides): "
          f"CPU {_stats(cpu)} s; wall {_stats(wall)} s {_load()}")


def day_24h(runs: int) -> None:
    from retrogait.simulator import Scenario, SensorSpec, Stand, Walk, simulate

    hour = []
    for _ in range(6):  # 6 x (8 min walking + 2 min rest) = 1 h, 80 % walking
        hour += [Walk("backward", duration=240, speed=0.7, treadmill=True, grade_pct=5.0), Stand(20.0),
                 Walk("forward", duration=240, speed=1.2, treadmill=True), Stand(100.0)]
    sensor = SensorSpec(rate=200.0, mount=np.diag([1.0, -1.0, -1.0]))
    sim = simulate(Scenario(segments=hour, sensor=sensor), seed=5, trajectory=False)
    s = sim.recording.streams[0]
    reps = int(np.ceil(24 * 3600 * 200 / s.n))
    out = []
    with tempfile.TemporaryDirectory() as d:
        period = s.t[-1] + 1.0 / 200.0
        t = (s.t[None, :] + period * np.arange(reps)[:, None]).ravel()[: 24 * 3600 * 200]
        np.save(f"{d}/t.npy", t)
        del t
        np.save(f"{d}/acc.npy", np.tile(s.acc, (reps, 1))[: 24 * 3600 * 200])
        np.save(f"{d}/gyr.npy", np.tile(s.gyr, (reps, 1))[: 24 * 3600 * 200])
        from retrogait.analysis.compiled import ahead_of_time

        # the kernels compiled at install (when built), and numba's (compiled at first use: a machine
        # without a C compiler), interleaved
        modes = ["auto", "jit"] if ahead_of_time() is not None else ["auto"]
        out: dict[str, list[dict]] = {m: [] for m in modes}
        for _ in range(runs):
            for mode in modes:
                env = {**os.environ, "RETROGAIT_COMPILED": mode}
                run = subprocess.run([sys.executable, "-c", CHILD, d], capture_output=True, text=True, check=False,
                                     env=env)
                if run.returncode != 0:
                    print("24-hour run failed:\n" + run.stderr[-2000:])
                    return
                import json

                out[mode].append(json.loads(run.stdout))
    for mode, res in out.items():
        r = res[0]
        raw = r["raw"]
        how = {"auto": f"kernels: {r['kernels']}", "jit": "numba's kernels, its start-up included"}[mode]
        print(f"24-hour single-foot recording ({how}): {r['n'] / 1e6:.1f} M samples at 200 Hz "
              f"({r['walking'] / 3600:.1f} h walking, {r['strides']} strides), {runs} runs {_load()}:")
        print(f"   analysis CPU {_stats([x['cpu'] for x in res])} s (target <= 5 s); wall "
              f"{_stats([x['wall'] for x in res])} s; again in the same process "
              f"{_stats([x['warm'] for x in res])} s CPU")
        print(f"   raw samples {raw / 1e9:.2f} GB; peak RSS {_stats([x['peak'] / raw for x in res])} x raw "
              f"(after loading {r['loaded'] / raw:.2f} x raw; target peak <= 2x)")
        print(f"   --json: {r['json_mb']:.0f} MB, CPU {_stats([x['json_cpu'] for x in res])} s (target <= 1 s)")


STAGES = r"""
import json, sys, time
marks = [("start", time.process_time())]
def mark(name):
    marks.append((name, time.process_time()))
import typer, typer.core
import retrogait.cli
mark("import typer + retrogait.cli")
import numpy
mark("import numpy")
import retrogait.commands.analyze as A
mark("import commands.analyze (io, text tables)")
from pathlib import Path
path = Path(sys.argv[1])
rec = A._load(path, None, None, None, None, None)
mark("load the file")
import retrogait.analysis
mark("import the analysis")
res = A.run_analysis(rec, None, False, None)
mark("analyze")
A.add_energy(res, None, path, rec.subject)
mark("stored body mass lookup")
import io, contextlib
with contextlib.redirect_stdout(io.StringIO()):
    A.print_summary(res)
mark("print the summary")
print(json.dumps([(name, t - marks[i][1]) for i, (name, t) in enumerate(marks[1:])]))
"""


def cli(runs: int) -> None:
    sample = "sample_data/backward_treadmill_5pct.rgt"

    def child_cpu(args: list[str], env: dict[str, str]) -> tuple[float, float]:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        command = [sys.executable, *args] if args[0] == "-c" else [sys.executable, "-m", "retrogait", *args]
        subprocess.run(command, capture_output=True, check=True, cwd=ROOT, env=env)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall

    compiled = any((ROOT / "src" / "retrogait").rglob("__pycache__/*.pyc"))
    with tempfile.TemporaryDirectory() as cache:
        cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cached["PYTHONPYCACHEPREFIX"] = cache
        modes = [("byte code cached", cached)]
        if os.environ.get("PYTHONDONTWRITEBYTECODE") and not compiled:
            modes.append(("no byte code, compiled at each start as PYTHONDONTWRITEBYTECODE here", dict(os.environ)))
        for mode, env in modes:
            for label, args, target in (("python3 -c pass", ["-c", "pass"], "the interpreter's own start"),
                                        ("retrogait --help", ["--help"], "<= 0.25 s CPU"),
                                        (f"retrogait analyze {sample}", ["analyze", sample], "<= 0.5 s wall")):
                if args[0] == "-c" and mode != "byte code cached":
                    continue
                child_cpu(args, env)  # warm the page cache (and write the byte code)
                res = [child_cpu(args, env) for _ in range(max(runs, 5))]
                print(f"{label} ({mode}): CPU {_stats([c for c, _ in res])} s; wall {_stats([w for _, w in res])} s "
                      f"({'' if args[0] == '-c' else 'target '}{target}) {_load()}")
        stages: dict[str, list[float]] = {}
        for _ in range(max(runs, 5)):
            run = subprocess.run([sys.executable, "-c", STAGES, sample], capture_output=True, text=True, check=True,
                                 cwd=ROOT, env=cached)
            import json

            for name, cpu in json.loads(run.stdout):
                stages.setdefault(name, []).append(cpu)
    print(f"   where `analyze` spends its CPU time (byte code cached; s, {max(runs, 5)} runs) {_load()}:")
    for name, values in [*stages.items(), ("total after the interpreter started", [sum(v) for v in zip(*stages.values())])]:
        print(f"   {name:45s} min {min(values):.3f}, median {float(np.median(values)):.3f}")


KERNEL_CHILD = r"""
import sys, time
c0 = time.process_time()
from retrogait import load_recording
from retrogait.analysis import analyze
rec = load_recording(sys.argv[1])
c1 = time.process_time()
analyze(rec)
print(time.process_time() - c1)
"""


def compiled_startup(runs: int) -> None:
    """What the compiled kernels cost before they pay, measured as the CPU of a first analysis of the
    bundled 3-minute file in a new process: with numpy; with the kernels compiled at install; with
    numba's (a machine where those could not be built): compiling them on a machine that has none
    cached (an empty NUMBA_CACHE_DIR), then loading them from that cache."""
    sample = str(ROOT / "sample_data" / "backward_treadmill_5pct.rgt")

    def first_analysis(mode: str, cache: str) -> float:
        env = {**os.environ, "RETROGAIT_COMPILED": mode, "NUMBA_CACHE_DIR": cache}
        out = subprocess.run([sys.executable, "-c", KERNEL_CHILD, sample], capture_output=True, text=True,
                             check=True, env=env)
        return float(out.stdout.strip().splitlines()[-1])

    from retrogait.analysis.compiled import ahead_of_time

    with tempfile.TemporaryDirectory() as cache:
        cold = first_analysis("jit", cache)
        cached = [first_analysis("jit", cache) for _ in range(runs)]
        plain = [first_analysis("never", cache) for _ in range(runs)]
        ahead = [first_analysis("always", cache) for _ in range(runs)] if ahead_of_time() is not None else []
    built = f"compiled at install {_stats(ahead)} s; " if ahead else "(not compiled at install); "
    print(f"compiled kernels {_load()}: first analysis of the bundled 3-minute file: numpy {_stats(plain)} s CPU; "
          f"{built}numba's loaded from its cache {_stats(cached)} s, compiled from nothing {cold:.1f} s (once per "
          "machine and version)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-24h", action="store_true")
    ap.add_argument("--cli-only", action="store_true", help="only the command line's start-up and stages")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    cli(a.runs)
    if a.cli_only:
        return 0
    session_30min(a.runs)
    compiled_startup(a.runs)
    if not a.skip_24h:
        day_24h(a.runs)
    print(f"(this process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
