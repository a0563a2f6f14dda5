"""Sweep the analysis over simulated RUNNING and rolling-stance fast walking with packet loss.

Every running case is one simulated recording with a random sensor mounting that is not stored in the
file: a level calibration part (stand 4 s, 12 forward walking strides, stand 3 s), then a running bout of
25 strides of the recorded foot, then standing. The mounting is learned by
``calibrate_stream`` from the calibration part only, then the whole recording is analyzed and only
the running bout is scored. Sensor errors are on (noise, bias, scale, misalignment, 16-bit output,
+-16 g / +-2000 deg/s ranges).

Sweep: forward running at 2-5 m/s with rearfoot / midfoot / forefoot strikes, backward running at
2-5 m/s (forefoot landing), 100-1000 Hz (cycled). Then fast walking whose stance never rests
(0.1-0.4 rad/s through mid-stance) at 100 Hz with 5-10 % of the samples lost in bursts of 2-11.

Targets (issue 8): direction >= 99.5 %, stride length within 2 % (mean per case), contact time within
10 ms, strike pattern right for >= 95 % of strides; fast walking with packet loss: no merged stride,
stride length within 2 %. Matching: each true stride gets the computed stride that overlaps it most
(``match_by_overlap``); a computed stride spanning two true strides counts as merged.

Run: python3 benchmarks/validate_running_sim.py [--quick] [--seeds N] [--running-only]
(``--seeds N``: the running cases use seeds N, N+1, ... and the walking cases N+100, ...; the default
300 is the set the README quotes, 500 the second set)
"""

from __future__ import annotations

import sys
import time

import numpy as np
from scipy.spatial.transform import Rotation

from retrogait.analysis import analyze
from retrogait.analysis.calibration import calibrate_stream
from retrogait.analysis.evaluation import match_by_overlap
from retrogait.simulator import Scenario, SensorSpec, Stand, Walk, simulate

RATES = (100.0, 200.0, 500.0, 1000.0)


def score(res, truth, sel: np.ndarray) -> dict:
    """Errors of the analysis against the truth strides picked by ``sel``."""
    st = res.strides
    tt = truth.select(sel) if hasattr(truth, "select") else truth
    j = match_by_overlap(st.t_start, st.t_end, tt.t_start, tt.t_end)
    ok = j >= 0
    js = j[ok]
    # merged: a computed stride covering most of two true strides (two swings in one stride)
    ov = np.minimum(st.t_end[:, None], tt.t_end[None]) - np.maximum(st.t_start[:, None], tt.t_start[None])
    covers = ov > 0.5 * (tt.t_end - tt.t_start)[None]
    merged = int(np.sum(covers.sum(axis=1) > 1))
    steady = np.asarray(tt.steady)[ok]
    rel = (st.stride_length[js] - tt.stride_length[ok]) / tt.stride_length[ok]
    ic = st.t_ic[js] - tt.t_ic[ok]
    tc = st.t_tc[js] - tt.t_tc[ok]
    strike = np.asarray(getattr(tt, "strike", np.full(len(tt.t_start), "")))[ok]
    gait = np.asarray(getattr(tt, "gait", np.full(len(tt.t_start), "")))[ok]
    inner = steady & (np.arange(ok.sum()) > 0)
    return {
        "true": int(sel.sum()), "found": int(ok.sum()), "merged": merged,
        "dir_ok": int(np.sum(st.direction[js] == np.asarray(tt.direction)[ok])), "dir_n": int(ok.sum()),
        "len_mean": float(np.mean(rel[steady])) if steady.any() else float("nan"),
        "len_med": float(np.median(np.abs(rel[steady]))) if steady.any() else float("nan"),
        "ic_ms": float(np.median(np.abs(ic[inner]))) * 1000 if inner.any() else float("nan"),
        "tc_ms": float(np.median(np.abs(tc[inner]))) * 1000 if inner.any() else float("nan"),
        "contact_ms": float(np.median(np.abs((tc - ic)[inner]))) * 1000 if inner.any() else float("nan"),
        "swing_bias_ms": float(np.median((ic - tc)[inner])) * 1000 if inner.any() else float("nan"),
        "strike_ok": int(np.sum(st.strike[js][steady] == strike[steady])), "strike_n": int(steady.sum()),
        "gait_ok": int(np.sum(st.gait[js][steady] == gait[steady])),
        "bridged": int(st.bridged.sum()),
    }


def running_case(direction: str, speed: float, strike: str, rate: float, seed: int, treadmill: bool) -> dict:
    rng = np.random.default_rng(seed)
    mount = Rotation.random(random_state=int(rng.integers(1 << 31))).as_matrix()
    run = Walk(direction, n_strides=25, speed=speed, gait="run", treadmill=treadmill,
               strike=strike if direction == "forward" else None)
    sc = Scenario(segments=[Stand(4.0), Walk("forward", n_strides=12), Stand(3.0), run, Stand(2.0)],
                  sensor=SensorSpec(rate=rate, mount=mount, store_mount=False))
    sim = simulate(sc, seed=seed, trajectory=False)
    truth = sim.truth.strides
    stream = sim.recording.streams[0]
    n_cal = int(np.searchsorted(stream.t, float(truth.t_end[truth.bout == 0].max()) + 1.5))
    cal = calibrate_stream(stream.slice(0, n_cal), "calibration part")
    res = analyze(sim.recording, mount=cal.mount)
    out = score(res, truth, truth.bout == truth.bout.max())
    out["mount_deg"] = float(np.degrees(Rotation.from_matrix(cal.mount @ mount.T).magnitude()))
    return out


def walking_case(loss: float, roll: float, seed: int) -> dict:
    sc = Scenario(segments=[Stand(3.0), Walk("forward", duration=60.0, speed=1.65, stride_length=1.5,
                                             stance_roll=roll), Stand(2.0)],
                  sensor=SensorSpec(rate=100.0, packet_loss=loss))
    sim = simulate(sc, seed=seed, trajectory=False)
    truth = sim.truth.strides
    res = analyze(sim.recording)
    return score(res, truth, np.ones(len(truth.t_start), dtype=bool))


def main() -> int:
    quick = "--quick" in sys.argv
    base = int(sys.argv[sys.argv.index("--seeds") + 1]) if "--seeds" in sys.argv else 300
    speeds = (2.0, 3.5, 5.0) if quick else (2.0, 3.0, 4.0, 5.0)
    cases = [("forward", v, s) for v in speeds for s in ("rearfoot", "midfoot", "forefoot")]
    cases += [("backward", v, "forefoot") for v in speeds]
    t0 = time.perf_counter()
    rows = []
    print("case                          rate  true found merged  dir     len mean/med   IC ms  TC ms  contact ms"
          "  strike  gait")
    for i, (direction, speed, strike) in enumerate(cases):
        rate = RATES[i % len(RATES)]
        r = running_case(direction, speed, strike, rate, seed=base + i, treadmill=bool(i % 2))
        rows.append(r)
        print(f"{direction:8s} run {speed:.1f} m/s {strike:9s} {rate:5.0f} {r['true']:5d} {r['found']:5d} "
              f"{r['merged']:4d}  {r['dir_ok']:3d}/{r['dir_n']:<3d} "
              f"{r['len_mean'] * 100:+6.2f}%/{r['len_med'] * 100:5.2f}%"
              f"  {r['ic_ms']:5.1f}  {r['tc_ms']:5.1f}  {r['contact_ms']:5.1f} ({r['swing_bias_ms']:+.0f})"
              f"  {r['strike_ok']:2d}/{r['strike_n']:<2d}  {r['gait_ok']:2d}/{r['strike_n']:<2d}")
    dir_ok = sum(r["dir_ok"] for r in rows)
    dir_n = sum(r["dir_n"] for r in rows)
    lens = np.array([r["len_mean"] for r in rows])
    contact = np.array([r["contact_ms"] for r in rows])
    strike_ok = sum(r["strike_ok"] for r in rows)
    strike_n = sum(r["strike_n"] for r in rows)
    gait_ok = sum(r["gait_ok"] for r in rows)
    print(f"\n{len(rows)} running cases in {time.perf_counter() - t0:.1f} s")
    print(f"strides found: {sum(r['found'] for r in rows)} of {sum(r['true'] for r in rows)}; merged "
          f"{sum(r['merged'] for r in rows)}")
    print(f"direction correct: {dir_ok} of {dir_n} = {dir_ok / max(dir_n, 1):.2%}   (target >= 99.5 %)")
    print(f"stride length mean error per case: worst {np.nanmax(np.abs(lens)) * 100:.2f} %, cases within 2 %: "
          f"{np.mean(np.abs(lens) <= 0.02):.0%}   (target within 2 %)")
    print(f"contact time, median |error| per case: worst {np.nanmax(contact):.1f} ms, cases within 10 ms: "
          f"{np.mean(contact <= 10):.0%}   (target within 10 ms)")
    print(f"strike pattern right: {strike_ok} of {strike_n} = {strike_ok / max(strike_n, 1):.1%}   (target >= 95 %)")
    print(f"gait mode 'run': {gait_ok} of {strike_n} = {gait_ok / max(strike_n, 1):.1%}")

    if "--running-only" in sys.argv:
        return 0
    print("\nfast walking, stance never at rest, 100 Hz, packet loss in bursts of 2-11 samples")
    print("loss  roll rad/s  true found merged  len mean/med  bridged strides")
    for k, (loss, roll) in enumerate(((0.05, 0.1), (0.05, 0.4), (0.10, 0.25), (0.10, 0.4))):
        r = walking_case(loss, roll, seed=base + 100 + k)
        print(f"{loss:4.0%}  {roll:10.2f} {r['true']:5d} {r['found']:5d} {r['merged']:5d}  "
              f"{r['len_mean'] * 100:+5.2f}%/{r['len_med'] * 100:4.2f}%  {r['bridged']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
