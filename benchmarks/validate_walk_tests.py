"""Instrumented walk tests vs simulator truth: the 3-m backward walk test (3MBWT) timed from the IMU.

25 simulated sessions x 2 trials = 50 trials. Each session: a random sensor mounting, learned from a
level calibration part at the start (stand 4 s, 12 forward strides, stand 3 s) by ``calibrate_stream``
as ``retrogait calibrate`` does, never given; a random rate of 100-200 Hz; one foot (left or right)
or two feet, alternating; a typical MEMS error model. Then two 3MBWT trials, each: stand 5 s, walk
backward past the 3-m line (about 0.5 m beyond), stand 3 s, walk forward back to the start. Each
trial has its own backward speed, drawn uniformly from 0.2 to 1.2 m/s, and each session its own
stride-to-stride variability (the simulator's variability scale 0.5-2, standing in for ages).

Truth (``retrogait.simulator.walk_tests``, both feet simulated): movement onset (first terminal
contact of either foot), body progress (over each foot at its mid-stance, linear in between), the
time to 3 m, footfalls, mean step length. The estimate uses the same definitions on the IMU strides,
so the errors are the IMU's (events, mid-stance instants, stride vectors) plus, with one foot, the
inference of the other foot (who led, who closed; the body between two of the recorded foot's
mid-stances).

Also: a standing-only and a forward-only recording must say "no backward trial found"; and timed
walks (``--timed N`` sessions, default 12): a 10-m walk forward then backward (forward 0.6-1.6 m/s,
backward 0.3-1.0 m/s, each about 0.5 m past the line, same random set-up), gait speed over the middle
6 m and the time over 10 m.

Run: python3 benchmarks/validate_walk_tests.py [--sessions 25] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace

import numpy as np
from scipy.spatial.transform import Rotation

import retrogait
from retrogait.analysis.calibration import calibrate_stream
from retrogait.clinical import three_m_backward_walk, timed_walk
from retrogait.simulator import Person, Scenario, SensorSpec, Stand, Walk, simulate
from retrogait.simulator.walk_tests import simulate_walk_test, strides_for, three_m_bwt_segments

TOL_S = 0.15


def _setup(i: int, seed: int):
    rng = np.random.default_rng(seed * 1000 + i)
    mount = Rotation.random(random_state=int(rng.integers(1 << 31))).as_matrix()
    rate = float(rng.uniform(100.0, 200.0))
    feet = (("left",), ("left", "right"), ("right",), ("left", "right"))[i % 4]
    return rng, mount, rate, feet


def _simulate_calibrated(segs: list, rng, mount, rate, feet, seed: int):
    """Simulate with a calibration part first; analyze with the mounting learned from it."""
    segs = [Stand(4.0), Walk("forward", n_strides=12), Stand(3.0), *segs]
    sc = Scenario(segments=segs, sensor=SensorSpec(rate=rate, mount=mount, store_mount=False),
                  person=Person(variability_scale=float(rng.uniform(0.5, 2.0))), feet=feet, name="3mbwt")
    sim = simulate_walk_test(sc, seed=seed)
    rec, truth = sim.recording, sim.truth
    calib_end = float(truth.strides.t_end[truth.strides.bout == 0].max()) + 1.5
    streams = []
    for s in rec.streams:
        n_cal = int(np.searchsorted(s.t, calib_end))
        streams.append(replace(s, mount=calibrate_stream(s.slice(0, n_cal), "calibration part").mount))
    rec.streams = streams
    return retrogait.analyze(rec), truth


def session(i: int, seed: int) -> list[dict]:
    rng, mount, rate, feet = _setup(i, seed)
    speeds = rng.uniform(0.2, 1.2, size=2)
    segs = []
    for v in speeds:
        segs += three_m_bwt_segments(1, float(v))
    res, truth = _simulate_calibrated(segs, rng, mount, rate, feet, seed * 1000 + i)
    test = three_m_backward_walk(res.strides)
    true_trials = [t for t in truth.info["walk_test"]["trials"] if t["direction"] == "backward"]
    rows = []
    used = set()
    for k, tt in enumerate(true_trials):
        match = [e for e in test.trials if abs(e.t_onset - tt["onset_s"]) < 1.0]
        row = {"session": i, "feet": len(feet), "rate": rate, "speed": float(speeds[k]),
               "found": len(match), "true_time": tt["times_s"]["3"], "true_steps": tt["steps"],
               "true_step_length": tt["step_length_m"]}
        if len(match) == 1 and match[0].scored:
            e = match[0]
            used.add(e.index)
            row.update(time=e.time_s, steps=e.steps, step_length=e.step_length_m,
                       onset_err=e.t_onset - tt["onset_s"])
        rows.append(row)
    extra = [e for e in test.trials if e.index not in used]
    for r in rows:
        r["extra_in_session"] = len(extra)
    return rows


def timed_session(i: int, seed: int) -> list[dict]:
    rng, mount, rate, feet = _setup(500 + i, seed)
    v_fw, v_bw = float(rng.uniform(0.6, 1.6)), float(rng.uniform(0.3, 1.0))
    segs = [Stand(5.0), Walk("forward", n_strides=strides_for(10.5, "forward", v_fw), speed=v_fw), Stand(5.0),
            Walk("backward", n_strides=strides_for(10.5, "backward", v_bw), speed=v_bw), Stand(5.0)]
    res, truth = _simulate_calibrated(segs, rng, mount, rate, feet, seed * 1000 + 500 + i)
    rows = []
    for direction, v in (("forward", v_fw), ("backward", v_bw)):
        tt = [t for t in truth.info["walk_test"]["trials"] if t["direction"] == direction][-1]  # not the calibration
        found = [t for t in timed_walk(res.strides, distance=10.0, direction=direction).trials
                 if abs(t.t_onset - tt["onset_s"]) < 1.0]
        row = {"feet": len(feet), "direction": direction, "speed": v, "found": len(found),
               "true_speed": 6.0 / (tt["times_s"]["8"] - tt["times_s"]["2"]), "true_time": tt["times_s"]["10"]}
        if len(found) == 1 and found[0].scored:
            row.update(est_speed=found[0].extra["middle_speed_m_s"], time=found[0].time_s,
                       steps_ok=found[0].steps == tt["steps"])
        rows.append(row)
    return rows


def negatives(seed: int) -> list[str]:
    out = []
    for name, segs in (("standing only", [Stand(30.0)]),
                       ("forward only", [Stand(3.0), Walk("forward", n_strides=12), Stand(3.0)])):
        sim = simulate(Scenario(segments=segs), seed=seed, trajectory=False)
        try:
            res = retrogait.analyze(sim.recording)
            notes = three_m_backward_walk(res.strides).notes
            out.append(f"{name}: {'; '.join(notes) or 'TRIALS FOUND'}")
        except retrogait.errors.NoGaitError as exc:  # nothing to analyze at all
            out.append(f"{name}: no strides ({exc}) -> no backward trial found")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=25)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timed", type=int, default=12, help="timed-walk sessions (0: none)")
    args = ap.parse_args()
    t0 = time.time()
    rows = [r for i in range(args.sessions) for r in session(i, args.seed)]
    scored = [r for r in rows if "time" in r]
    n = len(rows)
    err = np.array([r["time"] - r["true_time"] for r in scored])
    steps_ok = np.array([r["steps"] == r["true_steps"] for r in scored])
    sl_err = np.array([r["step_length"] - r["true_step_length"] for r in scored])
    onset = np.array([r["onset_err"] for r in scored])
    missed = sum(r["found"] == 0 for r in rows)
    split = sum(r["found"] > 1 for r in rows)
    extra = sum(r["extra_in_session"] for r in rows[::2])
    print(f"3MBWT vs simulator truth: {n} trials in {args.sessions} sessions, "
          f"{time.time() - t0:.0f} s")
    print(f"trials found and scored: {len(scored)} of {n}; missed {missed}, split {split}, extra {extra}")
    print(f"3-m time error: within {TOL_S} s for {np.mean(np.abs(err) <= TOL_S):.1%}; "
          f"mean {err.mean():+.3f} s, median |err| {np.median(np.abs(err)):.3f} s, "
          f"95th pct |err| {np.percentile(np.abs(err), 95):.3f} s, worst {np.abs(err).max():.3f} s")
    print(f"onset error: mean {onset.mean() * 1000:+.0f} ms, worst {np.abs(onset).max() * 1000:.0f} ms")
    print(f"steps exact: {steps_ok.mean():.1%} ({steps_ok.sum()} of {steps_ok.size})")
    print(f"mean step length error: mean {sl_err.mean() * 100:+.2f} cm, worst {np.abs(sl_err).max() * 100:.2f} cm")
    for feet in (1, 2):
        sel = np.array([r["feet"] == feet for r in scored])
        if sel.any():
            print(f"  {feet} foot/feet: n={sel.sum()}, time |err| median {np.median(np.abs(err[sel])):.3f} s, "
                  f"worst {np.abs(err[sel]).max():.3f} s, within {TOL_S} s {np.mean(np.abs(err[sel]) <= TOL_S):.1%}, "
                  f"steps exact {steps_ok[sel].mean():.1%}")
    speeds = np.array([r["speed"] for r in scored])
    for lo, hi in ((0.2, 0.45), (0.45, 0.7), (0.7, 0.95), (0.95, 1.2)):
        sel = (speeds >= lo) & (speeds < hi)
        if sel.any():
            print(f"  {lo:.2f}-{hi:.2f} m/s: n={sel.sum()}, time |err| median {np.median(np.abs(err[sel])):.3f} s, "
                  f"worst {np.abs(err[sel]).max():.3f} s, rel {np.median(np.abs(err[sel]) / np.array([r['true_time'] for r, s in zip(scored, sel) if s])):.1%}")
    bad = [r for r in scored if abs(r["time"] - r["true_time"]) > TOL_S or r["steps"] != r["true_steps"]]
    for r in bad:
        print(f"  off: session {r['session']} feet {r['feet']} {r['speed']:.2f} m/s {r['rate']:.0f} Hz: "
              f"time {r['time']:.2f} vs {r['true_time']:.2f} s, steps {r['steps']} vs {r['true_steps']}")
    for line in negatives(args.seed):
        print(line)
    if args.timed:
        rows = [r for i in range(args.timed) for r in timed_session(i, args.seed)]
        ok = [r for r in rows if "est_speed" in r]
        print(f"10-m walks: {len(ok)} of {len(rows)} scored (one found per walk: "
              f"{sum(r['found'] == 1 for r in rows)})")
        for direction in ("forward", "backward"):
            sel = [r for r in ok if r["direction"] == direction]
            rel = np.array([r["est_speed"] / r["true_speed"] - 1.0 for r in sel])
            terr = np.array([r["time"] - r["true_time"] for r in sel])
            print(f"  {direction}: middle-6-m speed error median {np.median(np.abs(rel)):.2%}, worst "
                  f"{np.abs(rel).max():.2%}, bias {rel.mean():+.2%}; 10-m time |err| median "
                  f"{np.median(np.abs(terr)):.3f} s, worst {np.abs(terr).max():.3f} s; steps exact "
                  f"{np.mean([r['steps_ok'] for r in sel]):.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
