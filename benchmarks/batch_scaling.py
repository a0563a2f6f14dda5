"""Batch analysis: start-up cost, per-file overhead over a bare analysis, scaling 1 -> 2 workers, memory.

Every configuration runs as a child process, ``--repeat`` times (default 3, interleaved so that a change
of the machine's load hits all of them alike); min and median of wall and CPU time are printed. CPU is
that of the whole process tree (client, fork server, workers, resource tracker: this script makes itself
the reaper of orphaned descendants, so nothing escapes ``RUSAGE_CHILDREN``).

Start-up and per-file costs are told apart by running each configuration on a small study (``--small``
files, default 2) and on the full one (``--n``, default 200): per file = (T(n) - T(small)) / (n - small),
start-up = T(small) - small x per file. That is done for

* bare: one Python process running ``analyze(load_recording(f))`` and the balance metrics (what
  ``batch`` computes by default) on every file in turn; its start-up is the interpreter and the imports;
* ``retrogait batch --workers 1`` and ``--workers 2`` (a fresh output folder each time); start-up is
  everything from ``python -m retrogait`` to exit that does not grow with the files (imports, scheduler,
  workers, the final tables).

Targets (issue 10): per-file overhead of batch over bare <= 10 %; 1 -> 2 workers >= 1.8x on 2 idle cores.
The per-file overhead is also measured by parts (``--parts``): the task's own work against a bare analysis
interleaved file by file in one process (``PAIRED``), plus the client's and Dask's CPU per file from the
runs' reports; on a machine whose speed drifts between runs this is the steadier figure.
``--side-by-side R`` measures the whole-run overhead without the machine's drift between runs: bare and
``batch --workers 1`` run at the same time (on 2 cores: bare on one, the worker on the other, the client
between them), R times, on the small and the full study; each reports its own CPU (bare its process, batch
its client and workers), so the same minute of the machine's speed is in both. A control runs two bare
processes the same way (A/A): its spread is the method's own noise. Running together slows both alike,
so the difference stays batch's (measured 2026-11-28 on this machine: a bare analysis took 104 ms a file
next to an idle core, 100 next to a spinning one, 105 next to one copying memory; two bare analyses at
once ~4 % more CPU a file than one alone, 93.4 against 89.6 ms, the cache they share).
The 1-minute load average is recorded around every run: on a shared machine wall times (and the
scaling) are only meaningful at a load below the number of cores; CPU times are less sensitive.

``--cluster`` also runs the full study with ``--scheduler`` on a ``LocalCluster`` of 2 worker processes
started here (its start-up not counted), with Dask's default worker settings and with those docs/batch.md
recommends. ``--day DIR`` runs a few 24-hour files (memory per worker).

Run: python3 benchmarks/batch_scaling.py [--n 200] [--small 2] [--repeat 3] [--side-by-side 5] [--data DIR]
     [--cluster] [--day DIR] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BARE = r"""
import json, sys, time
from retrogait import analyze, load_recording
from retrogait.balance.metrics import session_metrics
samples = 0
for f in sys.argv[1:]:
    rec = load_recording(f)
    res = analyze(rec)
    session_metrics(res.strides, rec)
    samples += sum(s.n for s in rec.streams)
hwm = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) * 1024
import resource
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"samples": samples, "peak_rss": hwm, "minor_faults": ru.ru_minflt, "sys_seconds": ru.ru_stime,
                  "cpu": ru.ru_utime + ru.ru_stime}))
"""
#: Batch's own work in a worker, without the noise of separate runs: in one process, each file analyzed
#: bare (as BARE) and as a batch task's file (``analyze_file``: content hash, rows, history payload),
#: the two interleaved file by file, so a change of the machine's speed hits both; after each group of
#: files (as a task holds), their strides packed into Parquet files (``pack_strides``) counted to the task.
#: Groups are consecutive files, as a task's are. Trees without ``pack_strides`` (before 2026-11-28
#: 19:00) encode a file's strides in ``analyze_file``.
PAIRED = r"""
import json, sys, time
from retrogait import analyze, load_recording
from retrogait.balance.metrics import session_metrics
from retrogait.batch.settings import BatchSettings
from retrogait.batch.task import analyze_file
try:
    from retrogait.batch.task import pack_strides
except ImportError:
    pack_strides = None
settings, passes, size = BatchSettings(), int(sys.argv[1]), int(sys.argv[2])
files = sys.argv[3:]
def bare(f):
    rec = load_recording(f)
    session_metrics(analyze(rec).strides, rec)
for f in files[:2]:  # warm: first calls, the page cache
    bare(f)
    analyze_file(f, settings)
spent = {"bare": 0.0, "task": 0.0}
for p in range(passes):
    for start in range(0, len(files), size):
        results = []
        for i, f in enumerate(files[start:start + size]):
            for name in (("bare", "task") if (i + p) % 2 else ("task", "bare")):
                c = time.process_time()
                if name == "bare":
                    bare(f)
                else:
                    results.append(analyze_file(f, settings))
                spent[name] += time.process_time() - c
        c = time.process_time()
        if pack_strides is not None:
            pack_strides(results)
        spent["task"] += time.process_time() - c
        assert all(r.error is None for r in results)
print(json.dumps({k: v / (passes * len(files)) for k, v in spent.items()}))
"""
PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> None:
    """Orphaned descendants (the batch's fork server and workers) are re-parented to this process, so
    their CPU time reaches RUSAGE_CHILDREN once reaped (Linux; elsewhere their CPU may be missed)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        print("note: not a subreaper: CPU of orphaned worker processes may be missed", flush=True)


def reap_all(timeout: float = 60.0) -> None:
    """Wait for every descendant left over (orphans exit once their parent has: the fork server and the
    resource tracker of a batch within a second or two). With a LocalCluster of ours running, its worker
    processes are children too and never end here: ``KEEP`` counts them, and we wait only for the rest."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if KEEP and len(_children()) <= KEEP[0]:
                return
            time.sleep(0.02)


KEEP: list[int] = []


def _children() -> list[str]:
    try:
        return Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split()
    except OSError:
        return []


def make_study(outdir: str, n: int, minutes: float) -> list[str]:
    """The study's files (benchmarks/batch_data.py), made in a child process: this one must have no
    long-lived children of its own (a multiprocessing pool leaves a resource tracker)."""
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); from batch_data import make_study; "
            "print(json.dumps(make_study(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), jobs=2)))")
    out = subprocess.run([sys.executable, "-c", code, str(HERE), outdir, str(n), str(minutes)], check=True,
                         capture_output=True, text=True).stdout
    reap_all()
    return json.loads(out)


def load() -> float:
    return os.getloadavg()[0]


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(cmd: list[str], env: dict[str, str] | None = None) -> dict:
    """Run ``cmd`` to the end: wall, CPU of its whole process tree, load before/after, its stdout JSON."""
    reap_all()
    l0, t0, c0 = load(), time.perf_counter(), children_cpu()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    reap_all()
    cpu = children_cpu() - c0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])}... failed: {proc.stderr[-2000:]}")
    out = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else {}
    return {"wall": wall, "cpu": cpu, "load": [l0, load()], "out": out}


def bare(files: list[str]) -> dict:
    return run([sys.executable, "-c", BARE, *files])


def batch(files: list[str], workers: int, src: str | None = None) -> dict:
    """``retrogait batch`` as a child process (``src``: another source tree's ``src`` folder to run)."""
    env = None if src is None else {**os.environ, "PYTHONPATH": src}
    with tempfile.TemporaryDirectory(prefix="rg-batch-bench-") as out:
        return run([sys.executable, "-m", "retrogait", "batch", *files, "-o", f"{out}/o", "--json",
                    "--workers", str(workers)], env)


def together(cmds: list[list[str]]) -> list[dict]:
    """Run ``cmds`` at the same time, to the end; the JSON each printed, with the load around them."""
    reap_all()
    l0 = load()
    with tempfile.TemporaryDirectory(prefix="rg-batch-bench-") as out:
        cmds = [[x.replace("{OUT}", f"{out}/o{i}") for x in c] for i, c in enumerate(cmds)]
        procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in cmds]
        outs = [p.communicate() for p in procs]
    reap_all()
    for c, p, (_, err) in zip(cmds, procs, outs):
        if p.returncode != 0:
            raise SystemExit(f"{' '.join(c[:4])}... failed: {err[-2000:]}")
    return [{**json.loads(o), "load": [l0, load()]} for o, _ in outs]


def own_cpu(report: dict) -> float:
    """CPU a run reported for itself: bare its process; batch its client and its workers."""
    if "client_cpu_seconds" in report:
        return report["client_cpu_seconds"] + sum(report["worker_cpu_seconds"].values())
    return report["cpu"]


def side_by_side(files: list[str], few: list[str], repeats: int) -> dict[str, list[float]]:
    """Per-file CPU overhead of ``batch --workers 1`` over bare, the two run at the same time, and of a
    second bare over a first (the control), each ``repeats`` times; start-up excluded as in ``split``."""
    bare_cmd = [sys.executable, "-c", BARE]
    batch_cmd = [sys.executable, "-m", "retrogait", "batch", "-o", "{OUT}", "--json", "--workers", "1"]
    pairs = {"batch": (bare_cmd, batch_cmd), "control": (bare_cmd, bare_cmd)}
    out: dict[str, list[float]] = {"batch": [], "control": [], "bare_ms": []}
    n, k = len(files), len(few)
    for i in range(repeats):
        for name, (first, second) in pairs.items():
            cpu = {}
            for size, fs in (("small", few), ("full", files)):
                a, b = together([first + fs, second + fs])
                cpu[size] = (own_cpu(a), own_cpu(b))
            per = [(cpu["full"][j] - cpu["small"][j]) / (n - k) for j in (0, 1)]
            out[name].append(per[1] / per[0] - 1)
            out["bare_ms"].append(per[0] * 1000)
            print(f"  side by side {i + 1} bare and {name:7s}: {per[0] * 1000:5.1f} and {per[1] * 1000:5.1f} ms a file "
                  f"({per[1] / per[0] - 1:+.1%}); load {load():.1f}", flush=True)
    return out


def stats(values: list[float]) -> str:
    return f"min {min(values):.2f} / median {statistics.median(values):.2f}"


def mb(x: float) -> str:
    return f"{x / 2**20:.0f} MB"


def split(small: list[dict], full: list[dict], n_small: int, n_full: int, key: str) -> tuple[list[float], list[float]]:
    """Per-file and start-up cost of each repeat (paired by repeat index)."""
    per = [(f[key] - s[key]) / (n_full - n_small) for s, f in zip(small, full)]
    fixed = [s[key] - n_small * p for s, p in zip(small, per)]
    return per, fixed


def cpu_per_file(small: list[dict], full: list[dict], n_small: int, n_full: int) -> dict[str, float]:
    """Median per-file CPU of the client, of all workers and of the file tasks, from the runs' reports."""
    def each(r: dict) -> dict[str, float]:
        o = r["out"]
        return {"client": o["client_cpu_seconds"], "workers": sum(o["worker_cpu_seconds"].values()),
                "task": o["task_cpu_seconds"]}
    out = {}
    for key in ("client", "workers", "task"):
        out[key] = statistics.median((each(f)[key] - each(s)[key]) / (n_full - n_small) for s, f in zip(small, full))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--small", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--data", default=str(Path(tempfile.gettempdir()) / "rgbench" / "ten_min"))
    ap.add_argument("--cluster", action="store_true", help="also the --scheduler runs on a LocalCluster")
    ap.add_argument("--day", default=None, help="folder of 24-hour files (benchmarks/batch_data.py --minutes 1440)")
    ap.add_argument("--json", default=None, help="write every measurement here")
    ap.add_argument("--parts", type=int, default=50, metavar="N",
                    help="files for the interleaved bare-vs-task measurement in one process (0: skip it)")
    ap.add_argument("--parts-group", type=int, default=8, metavar="K",
                    help="files a task of that measurement holds (a real run's first tasks hold up to 24)")
    ap.add_argument("--side-by-side", type=int, default=5, metavar="R",
                    help="repeats of bare and batch --workers 1 run at the same time, and of the bare/bare control "
                         "(0: skip it)")
    ap.add_argument("--before", default=None, metavar="SRC",
                    help="also run batch from this source tree (e.g. `git archive OLD src | tar -x -C /tmp/old` "
                         "and /tmp/old/src), interleaved with the current one, for a before/after comparison")
    a = ap.parse_args()
    become_subreaper()

    print(f"machine: {os.cpu_count()} cores; load average (1 min) at start {load():.2f}", flush=True)
    all_files = make_study(a.data, max(a.n, a.small), a.minutes)
    files, few = all_files[: a.n], all_files[: a.small]
    print(f"{len(files)} sessions of {a.minutes:g} min in {a.data}; small study: {len(few)} files; "
          f"{a.repeat} repeats", flush=True)

    configs = {"bare": lambda fs: bare(fs), "batch -w 1": lambda fs: batch(fs, 1), "batch -w 2": lambda fs: batch(fs, 2)}
    if a.before:
        configs["before -w 1"] = lambda fs: batch(fs, 1, a.before)
        configs["before -w 2"] = lambda fs: batch(fs, 2, a.before)
    res: dict[str, dict[str, list[dict]]] = {k: {"small": [], "full": []} for k in configs}
    for i in range(a.repeat):
        for name, fn in configs.items():
            for size, fs in (("small", few), ("full", files)):
                r = fn(fs)
                res[name][size].append(r)
                print(f"  repeat {i + 1} {name:11s} {len(fs):4d} files: wall {r['wall']:7.2f} s, CPU {r['cpu']:7.2f} s, "
                      f"load {r['load'][0]:.1f} -> {r['load'][1]:.1f}", flush=True)

    n, k = len(files), len(few)
    loads = [x for c in res.values() for s in c.values() for r in s for x in r["load"]]
    print(f"\nload average (1 min) during the runs: {min(loads):.1f} - {max(loads):.1f}")
    summary: dict[str, dict] = {}
    for name in configs:
        small, full = res[name]["small"], res[name]["full"]
        pw, fw = split(small, full, k, n, "wall")
        pc, fc = split(small, full, k, n, "cpu")
        summary[name] = {"per_file_wall": pw, "per_file_cpu": pc, "startup_wall": fw, "startup_cpu": fc,
                         "full_wall": [r["wall"] for r in full], "full_cpu": [r["cpu"] for r in full]}
        print(f"{name:11s} {n} files: wall {stats(summary[name]['full_wall'])} s, CPU {stats(summary[name]['full_cpu'])} s; "
              f"per file: wall {min(pw) * 1000:.0f}/{statistics.median(pw) * 1000:.0f} ms, CPU {min(pc) * 1000:.0f}/"
              f"{statistics.median(pc) * 1000:.0f} ms (min/median); start-up: wall {stats(fw)} s, CPU {stats(fc)} s")
    b, b1, b2 = summary["bare"], summary["batch -w 1"], summary["batch -w 2"]
    med = statistics.median
    print("\nper-file overhead of batch (start-up excluded) over bare analyze + balance metrics (target <= 10 %):")
    for what in ("cpu", "wall"):
        x1 = [p / q - 1 for p, q in zip(b1[f"per_file_{what}"], b[f"per_file_{what}"])]
        x2 = [p / q - 1 for p, q in zip(b2[f"per_file_{what}"], b[f"per_file_{what}"])] if what == "cpu" else None
        line = f"  {what:4s}: 1 worker min {min(x1):+.1%} / median {med(x1):+.1%} (pooled {med(b1[f'per_file_{what}']) / med(b[f'per_file_{what}']) - 1:+.1%})"
        if x2:
            line += f"; 2 workers (CPU) min {min(x2):+.1%} / median {med(x2):+.1%}"
        print(line)
    print("start-up of batch beyond bare's (interpreter and imports): wall "
          f"{med(b1['startup_wall']) - med(b['startup_wall']):.2f} s (1 worker), "
          f"{med(b2['startup_wall']) - med(b['startup_wall']):.2f} s (2 workers); CPU "
          f"{med(b1['startup_cpu']) - med(b['startup_cpu']):.2f} s (1 worker), "
          f"{med(b2['startup_cpu']) - med(b['startup_cpu']):.2f} s (2 workers)")
    if a.before:
        o1, o2 = summary["before -w 1"], summary["before -w 2"]
        for label, x, y in (("before", o1, o2), ("after", b1, b2)):
            print(f"  {label:6s}: per-file CPU overhead 1 worker {med(x['per_file_cpu']) / med(b['per_file_cpu']) - 1:+.1%}, "
                  f"2 workers {med(y['per_file_cpu']) / med(b['per_file_cpu']) - 1:+.1%}; start-up beyond bare: CPU "
                  f"{med(x['startup_cpu']) - med(b['startup_cpu']):.2f} s / {med(y['startup_cpu']) - med(b['startup_cpu']):.2f} s, "
                  f"wall {med(x['startup_wall']) - med(b['startup_wall']):.2f} s / "
                  f"{med(y['startup_wall']) - med(b['startup_wall']):.2f} s (1 / 2 workers); scaling whole run "
                  f"{med(x['full_wall']) / med(y['full_wall']):.2f}x")
    print("\nCPU per file (start-up excluded; median over repeats), from the batch reports: the client (writing,"
          " Dask's client and scheduler, nannies), the workers (the file tasks and Dask's worker around them):")
    cpu_split = {}
    for name in [k for k in configs if k != "bare"]:
        x = cpu_per_file(res[name]["small"], res[name]["full"], k, n)
        cpu_split[name] = x
        print(f"  {name:11s}: client {x['client'] * 1000:5.1f} ms, workers {x['workers'] * 1000:5.1f} ms (tasks "
              f"{x['task'] * 1000:5.1f} ms, outside them {(x['workers'] - x['task']) * 1000:4.1f} ms); bare analyze + "
              f"balance metrics {med(b['per_file_cpu']) * 1000:5.1f} ms")
    c1, c2 = cpu_split["batch -w 1"], cpu_split["batch -w 2"]
    bare_full = res["bare"]["full"]
    if all("minor_faults" in r["out"] for r in bare_full) and "task_minor_faults" in res["batch -w 1"]["full"][0]["out"]:
        tasks = [r["out"] for r in res["batch -w 1"]["full"]]
        print(f"  the kernel's share, per file (full runs, median): batch -w 1 tasks "
              f"{statistics.median(o['task_minor_faults'] for o in tasks) / n:.0f} page faults, "
              f"{statistics.median(o['task_sys_seconds'] for o in tasks) / n * 1000:.1f} ms sys; bare process "
              f"{statistics.median(r['out']['minor_faults'] for r in bare_full) / n:.0f} page faults, "
              f"{statistics.median(r['out']['sys_seconds'] for r in bare_full) / n * 1000:.1f} ms sys")
    print(f"  predicted 1 -> 2 workers on 2 idle cores (per file; 1 worker: the worker's CPU, the client running on "
          f"the other core; 2 workers: all CPU shared by 2 cores): 2 x {c1['workers'] * 1000:.0f} / "
          f"({c2['workers'] * 1000:.0f} + {c2['client'] * 1000:.0f}) = "
          f"{2 * c1['workers'] / (c2['workers'] + c2['client']):.2f}x")
    s1, s2 = min(b1["startup_wall"]), min(b2["startup_wall"])
    print(f"  predicted whole run of {n} files on 2 idle cores, with the start-up walls (min over repeats, the "
          f"least loaded): ({s1:.2f} + {n} x {c1['workers'] * 1000:.0f} ms) / ({s2:.2f} + {n} x "
          f"{(c2['workers'] + c2['client']) * 1000:.0f} ms / 2) = "
          f"{(s1 + n * c1['workers']) / (s2 + n * (c2['workers'] + c2['client']) / 2):.2f}x")
    s_full = [x / y for x, y in zip(b1["full_wall"], b2["full_wall"])]
    s_per = [x / y for x, y in zip(b1["per_file_wall"], b2["per_file_wall"])]
    print(f"scaling 1 -> 2 workers (target >= 1.8x on 2 idle cores): whole run of {n} files min {min(s_full):.2f}x / "
          f"median {med(s_full):.2f}x; per file (start-up excluded) min {min(s_per):.2f}x / median {med(s_per):.2f}x; "
          f"CPU of 2 workers vs 1: {med(b2['full_cpu']) / med(b1['full_cpu']) - 1:+.1%}")
    if a.parts:
        some = files[: a.parts]
        paired = run([sys.executable, "-c", PAIRED, "3", str(a.parts_group), *some])
        pb, pt = paired["out"]["bare"], paired["out"]["task"]
        extra = c1["client"] + c1["workers"] - c1["task"]
        print(f"by parts (less sensitive to the machine's drift between runs): in one process, {len(some)} files x 3, "
              f"tasks of {a.parts_group} files and bare interleaved: bare {pb * 1000:.1f} ms, task {pt * 1000:.1f} ms ({pt / pb - 1:+.1%}); "
              f"with the client and Dask around the task (1 worker, above: {extra * 1000:.1f} ms) "
              f"{(pt + extra) / pb - 1:+.1%} per file (target <= 10 %)")
    if a.side_by_side:
        print(f"\nside by side (bare and batch --workers 1 at the same time, {a.side_by_side} repeats; the control: "
              "two bare processes):", flush=True)
        sbs = side_by_side(files, few, a.side_by_side)
        summary["side_by_side"] = dict(sbs)
        over, ctl = sbs["batch"], sbs["control"]
        print(f"  per-file CPU overhead of batch over bare (target <= 10 %): median {med(over):+.1%} (min {min(over):+.1%}, "
              f"max {max(over):+.1%}); control bare over bare: median {med(ctl):+.1%} (min {min(ctl):+.1%}, "
              f"max {max(ctl):+.1%}); "
              f"bare {med(sbs['bare_ms']):.0f} ms a file")
    last1, last2 = res["batch -w 1"]["full"][-1]["out"], res["batch -w 2"]["full"][-1]["out"]
    for name, rep in (("1 worker", last1), ("2 workers", last2)):
        print(f"peak memory, {name}: client {mb(rep['client_peak_rss_bytes'])}, workers "
              f"{', '.join(mb(v) for v in rep['worker_peak_rss_bytes'].values())}")
    print(f"bare peak memory {mb(res['bare']['full'][-1]['out']['peak_rss'])}; "
          f"{res['bare']['full'][-1]['out']['samples']:,} samples, {last1['strides']:,} strides")

    if a.cluster:
        import logging

        from dask import config as dask_config
        from distributed import LocalCluster

        from retrogait.batch.runner import LOCAL_CLUSTER_CONFIG

        for label, cfg in (("Dask's default worker settings", {}),
                           ("the worker settings docs/batch.md recommends", LOCAL_CLUSTER_CONFIG)):
            with dask_config.set(cfg), LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                                    dashboard_address=":0", silence_logs=logging.ERROR) as cluster:
                KEEP[:] = [len(_children())]
                with tempfile.TemporaryDirectory(prefix="rg-batch-bench-") as out:
                    r = run([sys.executable, "-m", "retrogait", "batch", *files, "-o", f"{out}/o", "--json",
                             "--scheduler", cluster.scheduler_address])
            KEEP.clear()
            print(f"--scheduler LocalCluster (2 workers, {label}): wall {r['wall']:.1f} s (load "
                  f"{r['load'][0]:.1f} -> {r['load'][1]:.1f}); workers' peak memory "
                  f"{', '.join(mb(v) for v in r['out']['worker_peak_rss_bytes'].values())}", flush=True)

    if a.day:
        day = sorted(str(p) for p in Path(a.day).rglob("*.rgt"))
        bd, rd = bare(day), batch(day, 2)
        print(f"{len(day)} day-long files: bare {bd['wall']:.1f} s wall, {bd['cpu']:.1f} s CPU, peak memory "
              f"{mb(bd['out']['peak_rss'])}; batch --workers 2 {rd['wall']:.1f} s wall, {rd['cpu']:.1f} s CPU, "
              f"client {mb(rd['out']['client_peak_rss_bytes'])}, workers "
              f"{', '.join(mb(v) for v in rd['out']['worker_peak_rss_bytes'].values())}", flush=True)
    print(f"load average at the end {load():.2f}")
    if a.json:
        Path(a.json).write_text(json.dumps({"n": n, "small": k, "runs": res, "summary": summary}, indent=1))


if __name__ == "__main__":
    main()
