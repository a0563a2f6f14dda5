#!/usr/bin/env python3
"""Recording speed: decoder throughput, CPU of a two-foot 1 kHz recording, and a long lossless session.

    python3 benchmarks/speed_record.py                 # all three, ~1 min
    python3 benchmarks/speed_record.py --long-minutes 60 --speed 20   # the full hour, accelerated (3 min)

1. Decode throughput: samples/s on one core for each protocol (bytes fed in 4 KiB chunks, as a serial
   port delivers them).
2. CPU while recording two feet at 1 kHz: two ``retrogait emulate`` processes (retrogait protocol,
   1 kHz, 5 samples a frame) on ptys, one recorder in this process with the live stride analysis on;
   CPU = this process's user+system time / wall time (the emulators are other processes).
3. A long session with no lost frame: ``--long-minutes`` of 200 Hz device time emulated ``--speed`` times
   faster than real time (device clock still 200 Hz), recorded and checked: the sequence counter shows no
   missing sample, no bad frame, and the file holds every sample from first to last.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

from retrogait.device.recorder import DeviceSpec, Recorder
from retrogait.io.fileformat import read_recording
from retrogait.protocols import PRESETS, make_decoder, text, witmotion, ximu3
from retrogait.protocols import retrogait_binary as rb


def decode_throughput(n: int = 200_000) -> dict[str, float]:
    rng = np.random.default_rng(0)
    acc = rng.normal(0, 15, (n, 3))
    gyr = rng.normal(0, 4, (n, 3))
    streams = {
        "retrogait (1 sample/frame)": (rb.encode(acc, gyr, 200.0, per_frame=1).data, "retrogait"),
        "retrogait (5 samples/frame)": (rb.encode(acc, gyr, 1000.0, per_frame=5).data, "retrogait"),
        "witmotion (acc+gyro+angle)": (witmotion.encode(acc, gyr).data, "witmotion"),
        "ximu3 binary": (ximu3.encode(acc, gyr, 400.0).data, "ximu3"),
        "ximu3 ascii": (ximu3.encode(acc[: n // 4], gyr[: n // 4], 400.0, binary=False).data, "ximu3"),
        "text csv (t + 6 columns)": (text.encode(acc[: n // 4], gyr[: n // 4], 200.0).data, "text"),
    }
    out = {}
    for label, (data, proto) in streams.items():
        dec = make_decoder(proto, PRESETS["retrogait-csv"] if proto == "text" else None)
        t0 = time.process_time()
        got = 0
        for i in range(0, len(data), 4096):
            got += sum(b.n for b in dec.feed(data[i:i + 4096]))
        dt = time.process_time() - t0
        out[label] = got / dt
        print(f"  {label:<30} {got / dt / 1e3:9.0f} k samples/s  ({len(data) / dt / 1e6:5.1f} MB/s)")
    return out


def _emulator(link: str, rate: float, speed: float = 1.0) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "retrogait", "emulate", "--simulate", "backward", "--rate", str(rate),
           "--protocol", "retrogait", "--link", link, "--speed", str(speed)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.readline()  # the port path: the pty exists now
    return p


def two_feet_cpu(seconds: float, rate: float = 1000.0, live: bool = True) -> dict:
    tmp = tempfile.mkdtemp()
    links = [os.path.join(tmp, "left"), os.path.join(tmp, "right")]
    emus = [_emulator(link, rate) for link in links]
    try:
        out = os.path.join(tmp, "two.rgt")
        rec = Recorder([DeviceSpec(links[0], "left"), DeviceSpec(links[1], "right")], out, live_strides=live)
        rec.open()
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        w0 = time.monotonic()
        summary = rec.run(seconds)
        wall = time.monotonic() - w0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        for p in emus:
            p.terminate()
            p.wait()
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    samples = sum(s["samples"] for s in summary["streams"])
    lost = sum(s["dropped"] for s in summary["streams"])
    rates = ", ".join(f"{s['measured_rate_hz']:.1f}" for s in summary["streams"])
    print(f"  two feet at {rate:g} Hz for {wall:.1f} s (live stride analysis {'on' if live else 'off'}): "
          f"{samples} samples (measured {rates} Hz), {lost} lost, recorder CPU {cpu:.2f} s = "
          f"{100 * cpu / wall:.1f} % of one core")
    rec_file = read_recording(out)
    print(f"  file: {[s.n for s in rec_file.streams]} samples per foot, warnings: {rec_file.warnings or 'none'}")
    return {"cpu_percent": 100 * cpu / wall, "samples": samples, "lost": lost}


def long_session(minutes: float, speed: float, rate: float = 200.0) -> dict:
    tmp = tempfile.mkdtemp()
    link = os.path.join(tmp, "dev")
    emu = _emulator(link, rate, speed)
    try:
        out = os.path.join(tmp, "long.rgt")
        rec = Recorder([DeviceSpec(link, "left")], out, rate=rate, live_strides=False)
        rec.open()
        w0 = time.monotonic()
        summary = rec.run(minutes * 60.0 / speed)
        wall = time.monotonic() - w0
    finally:
        emu.terminate()
        emu.wait()
    s = summary["streams"][0]
    f = read_recording(out).streams[0]
    span = f.t[-1] - f.t[0]
    expected = int(round(span * rate)) + 1
    ok = s["dropped"] == 0 and s["gaps"] == 0 and s["bad_frames"] == 0 and f.n == expected
    print(f"  {span / 60:.1f} min of {rate:g} Hz device time in {wall:.0f} s (x{speed:g}): {f.n} samples in the "
          f"file, {expected} expected from first to last, dropped {s['dropped']}, gaps {s['gaps']}, "
          f"bad frames {s['bad_frames']} -> {'NO FRAME LOST' if ok else 'LOSS'}")
    return {"ok": ok, "samples": f.n, "expected": expected}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=15.0, help="length of the two-foot 1 kHz recording")
    ap.add_argument("--long-minutes", type=float, default=10.0, help="device minutes of the long session")
    ap.add_argument("--speed", type=float, default=20.0, help="acceleration of the long session")
    args = ap.parse_args()
    print("1. decoder throughput (one core):")
    decode_throughput()
    print("2. CPU while recording two feet at 1 kHz:")
    two_feet_cpu(args.seconds, live=False)
    two_feet_cpu(args.seconds, live=True)
    print("3. long emulated session:")
    long_session(args.long_minutes, args.speed)


if __name__ == "__main__":
    main()
