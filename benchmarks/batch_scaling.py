"""Batch analysis: scaling with local workers, per-file overhead, memory, and a Dask LocalCluster.

1. Makes (or reuses) N ten-minute simulated sessions (benchmarks/batch_data.py; default 200).
2. Bare analysis: one fresh process runs ``analyze(load_recording(f))`` on every file in turn (and,
   separately, the same plus the balance metrics the batch also computes). This is the reference
   cost per file.
3. ``retrogait batch FILES -o OUT --workers 1`` (with and without ``--no-balance``) and ``--workers 2``
   (fresh OUT each time), each as a
   child process; wall time from start to exit (imports, worker start-up and writing included), and the
   peak memory the run reports for the client and each worker (VmHWM).
4. The same with ``--scheduler`` on a ``dask.distributed.LocalCluster`` of 2 worker processes started
   here (cluster start-up not counted: it already exists, as a real cluster would), once with Dask's
   default worker settings and once with those docs/batch.md recommends.
5. Optionally (--day DIR) the same for a few 24-hour files: per-worker and client memory.

The machine may be shared: the 1-minute load average is printed before and after every run.

Run: python3 benchmarks/batch_scaling.py [--n 200] [--minutes 10] [--data DIR] [--day DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from batch_data import make_study  # noqa: E402

BARE = r"""
import json, sys, time
from retrogait import analyze, load_recording
from retrogait.balance.metrics import session_metrics
files = sys.argv[2:]
with_metrics = sys.argv[1] == "1"
analyze(load_recording(files[0]))  # imports and caches warm, as in a worker
t0, c0, samples = time.perf_counter(), time.process_time(), 0
for f in files:
    rec = load_recording(f)
    res = analyze(rec)
    if with_metrics:
        session_metrics(res.strides, rec)
    samples += sum(s.n for s in rec.streams)
hwm = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) * 1024
print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0, "samples": samples,
                  "peak_rss": hwm}))
"""


def load() -> str:
    return "{:.2f}".format(os.getloadavg()[0])


def mb(x: float) -> str:
    return f"{x / 2**20:.0f} MB"


def children_cpu() -> float:
    """CPU seconds (user + system) of all finished child processes and their own children."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def bare(files: list[str], with_metrics: bool) -> dict:
    c0 = children_cpu()
    out = subprocess.run([sys.executable, "-c", BARE, "1" if with_metrics else "0", *files],
                         capture_output=True, text=True, check=True)
    rep = json.loads(out.stdout)
    rep["total_cpu"] = children_cpu() - c0  # the whole process, imports and warm-up included
    return rep


def batch(files: list[str], args: list[str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="rg-batch-bench-") as out:
        t0, c0 = time.perf_counter(), children_cpu()
        proc = subprocess.run([sys.executable, "-m", "retrogait", "batch", *files, "-o", f"{out}/o", "--json",
                               *args], capture_output=True, text=True)
        wall, cpu = time.perf_counter() - t0, children_cpu() - c0
        if proc.returncode != 0:
            raise SystemExit(f"batch failed: {proc.stderr}")
        rep = json.loads(proc.stdout)
        rep["wall"], rep["cpu"] = wall, cpu  # cpu: client + local workers (0 for remote workers)
        return rep


def show(name: str, rep: dict, n: int, ref: float | None = None) -> None:
    workers = ", ".join(mb(v) for v in rep["worker_peak_rss_bytes"].values())
    extra = "" if ref is None else f"; per file {rep['wall'] / n * 1000:.0f} ms ({rep['wall'] / ref - 1:+.1%} vs bare)"
    cpu = f", CPU {rep['cpu']:.1f} s" if rep["cpu"] > 1 else ""
    print(f"{name}: {rep['wall']:.1f} s wall{cpu} ({rep['analyzed']} analyzed, {rep['failed']} failed, "
          f"{rep['strides']:,} strides, {rep['strides'] / rep['wall']:,.0f} strides/s){extra}; "
          f"peak memory client {mb(rep['client_peak_rss_bytes'])}, workers {workers}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--data", default=str(Path(tempfile.gettempdir()) / "rgbench" / "ten_min"))
    ap.add_argument("--day", default=None, help="folder of 24-hour files (benchmarks/batch_data.py --minutes 1440)")
    a = ap.parse_args()

    print(f"machine: {os.cpu_count()} cores; load average (1 min) at start {load()}", flush=True)
    files = make_study(a.data, a.n, a.minutes, jobs=2)
    print(f"{len(files)} sessions of {a.minutes:g} min in {a.data}", flush=True)

    b = bare(files, False)
    bm = bare(files, True)
    print(f"bare analyze, one process: {b['seconds']:.1f} s ({b['seconds'] / len(files) * 1000:.0f} ms per file, "
          f"{b['samples'] / b['seconds'] / 1e6:.2f} M samples/s, {b['seconds'] / b['samples'] * 1e6:.2f} us per "
          f"sample, CPU {b['cpu']:.1f} s; whole process CPU {b['total_cpu']:.1f} s); with balance metrics "
          f"{bm['seconds']:.1f} s (CPU {bm['cpu']:.1f} s, whole process {bm['total_cpu']:.1f} s); load {load()}",
          flush=True)

    r1 = batch(files, ["--workers", "1"])
    show(f"batch --workers 1 (load {load()})", r1, len(files), b["seconds"])
    r0 = batch(files, ["--workers", "1", "--no-balance"])
    show(f"batch --workers 1 --no-balance (load {load()})", r0, len(files), b["seconds"])
    r2 = batch(files, ["--workers", "2"])
    show(f"batch --workers 2 (load {load()})", r2, len(files), b["seconds"] / 2)
    print(f"scaling 1 -> 2 workers: {r1['wall'] / r2['wall']:.2f}x   (target >= 1.8x on 2 idle cores)")
    print(f"overhead of batch (1 worker, everything from start to exit) over the same work done bare: "
          f"--no-balance vs bare analyze {r0['wall'] / b['seconds'] - 1:+.1%}; default (balance metrics) vs "
          f"bare analyze + metrics {r1['wall'] / bm['seconds'] - 1:+.1%}; default vs bare analyze "
          f"{r1['wall'] / b['seconds'] - 1:+.1%}   (target <= 10 %)", flush=True)
    # the fixed part: imports, scheduler and worker start-up, shut-down (a batch of one file minus its analysis)
    one = files[:1]
    b1, f1 = bare(one, True), batch(one, ["--workers", "1"])
    fixed_wall, fixed_cpu = f1["wall"] - b1["seconds"], f1["cpu"] - b1["cpu"]
    print(f"fixed cost of a batch run (one file, minus its bare analysis): {fixed_wall:.1f} s wall, "
          f"{fixed_cpu:.1f} s CPU; per-file overhead without it (1 worker, balance metrics): wall "
          f"{(r1['wall'] - fixed_wall) / bm['seconds'] - 1:+.1%}, CPU {(r1['cpu'] - fixed_cpu) / bm['cpu'] - 1:+.1%}",
          flush=True)
    print(f"the same in CPU time (robust to other load; whole processes, imports and worker start-up "
          f"included): --no-balance vs bare analyze {r0['cpu'] / b['total_cpu'] - 1:+.1%}; default vs bare "
          f"analyze + metrics {r1['cpu'] / bm['total_cpu'] - 1:+.1%}; 2 workers vs 1 worker "
          f"{r2['cpu'] / r1['cpu'] - 1:+.1%}", flush=True)

    import logging

    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster:
        rc = batch(files, ["--scheduler", cluster.scheduler_address])
    show(f"batch --scheduler (LocalCluster, 2 worker processes, Dask's default worker settings; load {load()})",
         rc, len(files), b["seconds"] / 2)
    print(f"LocalCluster vs --workers 1: {r1['wall'] / rc['wall']:.2f}x")
    from dask import config as dask_config

    from retrogait.batch.runner import LOCAL_CLUSTER_CONFIG

    with dask_config.set(LOCAL_CLUSTER_CONFIG), LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
            silence_logs=logging.ERROR) as cluster:
        rt = batch(files, ["--scheduler", cluster.scheduler_address])
    show(f"batch --scheduler (LocalCluster, 2 worker processes, the worker settings docs/batch.md recommends; "
         f"load {load()})", rt, len(files), b["seconds"] / 2)

    if a.day:
        day = sorted(str(p) for p in Path(a.day).rglob("*.rgt"))
        bd = bare(day, False)
        print(f"{len(day)} day-long files: bare analyze {bd['seconds']:.1f} s, {bd['samples']:,} samples, "
              f"peak memory {mb(bd['peak_rss'])} (one process, one file at a time)", flush=True)
        rd = batch(day, ["--workers", "2"])
        show(f"24 h files, batch --workers 2 (load {load()})", rd, len(day), bd["seconds"] / 2)
    print(f"load average at the end {load()}")


if __name__ == "__main__":
    main()
