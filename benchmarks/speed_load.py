"""Load speed of the native format: a 24-hour, two-foot, 200 Hz recording (34.6 M samples, ~1.1 GB).

Writes the recording three ways, then times ``read_recording`` on each (best of 3, warm page cache, in a
fresh subprocess so peak RSS is the reader's own) and prints file size, seconds, MB/s and peak RSS,
next to the time a plain read of the file's bytes takes (the "disk" reference) and the reader's CPU time
(less sensitive to other work on a shared machine). Target: <= 2 s.

* live: like the live recorder, one second per foot appended at a time (1-second blocks, feet alternate);
* live+flush: packets of 190-210 samples per foot per second and ``flush()`` every second, so every
  block has a different size (the reader's slowest, block-by-block path);
* bulk: ``write_recording`` (65,536-sample blocks).

The temp files are deleted afterwards.

    python3 benchmarks/speed_load.py [--hours 24] [--rate 200] [--dir /tmp] [--only live,bulk]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from retrogait.io.fileformat import RecordingWriter, empty_template, read_recording, write_recording
from retrogait.io.recording import Recording, Stream


def make_chunk(rng: np.random.Generator, n: int):
    acc = rng.normal(0.0, 2.0, (n, 3)).astype(np.float32)
    acc[:, 2] += 9.81
    return acc, rng.normal(0.0, 1.0, (n, 3)).astype(np.float32)


def write_live(path: str, seconds: int, rate: float, jitter: bool = False) -> None:
    """Append one second per foot at a time, like the live recorder (1-second blocks)."""
    rng = np.random.default_rng(1)
    per_s = int(round(rate))
    pool = [make_chunk(rng, per_s + 20) for _ in range(16)]  # reused, so data generation is not timed
    count = [0, 0]
    with RecordingWriter(path, empty_template(["left", "right"], rate), block_seconds=1.0) as w:
        for k in range(seconds):
            for foot in (0, 1):
                n = int(rng.integers(per_s - 10, per_s + 11)) if jitter else per_s
                acc, gyr = pool[(2 * k + foot) % 16]
                w.append(foot, (count[foot] + np.arange(n)) / rate, acc[:n], gyr[:n])
                count[foot] += n
            if jitter:
                w._emit(0, partial=True)  # flush() without the fsync: same file, no disk wait
                w._emit(1, partial=True)


def write_live_flushed(path: str, seconds: int, rate: float) -> None:
    write_live(path, seconds, rate, jitter=True)


def write_bulk(path: str, seconds: int, rate: float) -> None:
    rng = np.random.default_rng(2)
    n = int(seconds * rate)
    streams = []
    for foot in ("left", "right"):
        acc, gyr = make_chunk(rng, n)
        streams.append(Stream(t=np.arange(n) / rate, acc=acc, gyr=gyr, foot=foot, nominal_rate=rate))
    write_recording(path, Recording(streams=streams))


def read_child(path: str, repeats: int) -> None:
    """(In the subprocess) time raw byte reads and read_recording; print one JSON line."""

    size = os.path.getsize(path)
    raw = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        buf = np.empty(size, np.uint8)
        with open(path, "rb", buffering=0) as f:
            f.readinto(memoryview(buf))
        raw = min(raw, time.perf_counter() - t0)
        del buf
    best, cpu, n, warnings = float("inf"), float("inf"), 0, []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        rec = read_recording(path)
        best = min(best, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
        n, warnings = sum(s.n for s in rec.streams), rec.warnings
        del rec
    rss = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024.0  # VmHWM: ru_maxrss would include the parent's (fork/exec)
    print(json.dumps({"raw": raw, "best": best, "cpu": cpu, "n": n, "rss_mb": rss, "warnings": warnings}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--dir", default=None, help="where to put the temp file (default: system temp)")
    ap.add_argument("--only", default="live,live+flush,bulk", help="comma-separated subset of the layouts")
    ap.add_argument("--read-child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.read_child:
        read_child(args.read_child, 3)
        return
    seconds = int(args.hours * 3600)
    print(f"recording: {args.hours:g} h, two feet, {args.rate:g} Hz = {2 * seconds * args.rate / 1e6:.1f} M samples")
    writers = {"live": write_live, "live+flush": write_live_flushed, "bulk": write_bulk}
    for label in args.only.split(","):
        fd, path = tempfile.mkstemp(suffix=".rgt", dir=args.dir)
        os.close(fd)
        try:
            t0 = time.perf_counter()
            writers[label](path, seconds, args.rate)
            t_write = time.perf_counter() - t0
            size = os.path.getsize(path)
            out = subprocess.run([sys.executable, __file__, "--read-child", path], capture_output=True, text=True,
                                 check=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            assert not r["warnings"], r["warnings"]
            print(f"{label:11s} write {t_write:6.1f} s | size {size / 1e6:7.1f} MB | raw read {r['raw']:5.2f} s | "
                  f"read_recording best of 3 {r['best']:5.2f} s (CPU {r['cpu']:5.2f} s) = "
                  f"{size / 1e6 / r['best']:5.0f} MB/s | "
                  f"{r['n']:,} samples | reader peak RSS {r['rss_mb']:5.0f} MB")
        finally:
            os.unlink(path)
    print(f"target: <= 2 s per 24 h file (warm page cache); load average now {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs (other work on the machine slows every figure)")


if __name__ == "__main__":
    main()
