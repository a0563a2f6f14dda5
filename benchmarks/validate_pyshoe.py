"""Validate strides and stride length on the PyShoe Vicon trials: walking AND running (real, mocap).

Data: ../shared/data/pyshoe_vicon (one foot-mounted IMU, 200 Hz, raw sensor axes; motion-capture foot
positions once per stance). Source: Wagstaff, Peretroukhin & Kelly, IEEE Sensors J. 2020, via the
LLIO-aided-iPyShoe repository (MIT).

Rules (printed too):
* Mounting: each trial is calibrated from its own standing start and first strides (they are forward
  walks or runs, so they are legitimate calibration walks), except 2018-02-09-11-29-43, which is
  sideways shuffling and small steps (its own calibration fails its direction checks): it uses the
  calibration of the same day's walk 2018-02-09-11-32-01 (same shoe, same sensor).
* Reference strides: consecutive ``vicon_xy_m_at_stride_end`` points; their length is the reference.
* Matching: each computed stride is matched to the reference stride it overlaps most in time; a
  reference stride is *found* when at least one computed stride is matched to it (a merged stride
  leaves a reference stride without its own). The error of a reference stride is that of the matched
  computed stride that overlaps it most.
* Figures: per trial and pooled per gait (walk / run, from the trial table of the data's README):
  reference strides not found, stride-length error median / 95th percentile (relative), in cm too.

Run: python3 benchmarks/validate_pyshoe.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from retrogait.analysis import analyze
from retrogait.analysis.calibration import calibrate_stream
from retrogait.analysis.evaluation import match_by_overlap
from retrogait.io.loading import load_recording

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "pyshoe_vicon"
RUNNING = {"2017-12-15-18-01-18", "2017-12-15-18-01-51", "2017-12-15-18-02-28", "2017-12-15-18-03-05"}
CALIBRATE_FROM = {"2018-02-09-11-29-43": "2018-02-09-11-32-01"}


def load(trial: str):
    """A trial as a Recording (SI units, sensor axes)."""
    return load_recording(DATA / f"{trial}.csv", preset="generic", acc_unit="m/s^2", gyr_unit="rad/s")


def evaluate(trial: str) -> dict:
    """Analyse one trial and compare its strides with the motion-capture reference."""
    cal = calibrate_stream(load(CALIBRATE_FROM.get(trial, trial)).streams[0], trial)
    rec = load(trial)
    t0 = time.perf_counter()
    res = analyze(rec, mount=cal.mount)
    elapsed = time.perf_counter() - t0
    st = res.strides
    ref = json.loads((DATA / f"{trial}.reference.json").read_text())
    te = np.asarray(ref["stride_end_time_s"])
    xy = np.asarray(ref["vicon_xy_m_at_stride_end"])
    ref_len = np.linalg.norm(np.diff(xy, axis=0), axis=1)
    j = match_by_overlap(st.t_start, st.t_end, te[:-1], te[1:])
    err = np.where(j >= 0, st.stride_length[j] - ref_len, np.nan)
    return {"trial": trial, "gait": "run" if trial in RUNNING else "walk", "ref": ref_len, "err": err,
            "computed": len(st), "gait_modes": [str(g) for g in st.gait],
            "elapsed": elapsed}


def describe(ref: np.ndarray, err: np.ndarray) -> str:
    found = np.isfinite(err)
    rel = np.abs(err[found] / ref[found]) * 100
    cm = np.abs(err[found]) * 100
    return (f"{found.sum()}/{len(ref)} found, median |err| {np.median(rel):.1f} % ({np.median(cm):.1f} cm), "
            f"p95 {np.percentile(rel, 95):.1f} % ({np.percentile(cm, 95):.1f} cm), "
            f"bias {np.median(err[found] / ref[found]) * 100:+.1f} %")


def main() -> int:
    if not DATA.is_dir():
        print(f"no data at {DATA}")
        return 1
    print(__doc__.split("Rules (printed too):")[1].split("Run:")[0].rstrip())
    results = [evaluate(p.stem) for p in sorted(DATA.glob("*.csv"))]
    for r in results:
        modes = {m: r["gait_modes"].count(m) for m in sorted(set(r["gait_modes"]))}
        print(f"{r['trial']} ({r['gait']}): {r['computed']} computed, {describe(r['ref'], r['err'])}"
              f"{'; gait modes ' + str(modes) if modes else ''}; {r['elapsed'] * 1000:.0f} ms")
    for gait, target in (("run", "every reference stride found, median <= 2.5 %, p95 <= 6 %"),
                         ("walk", "median <= 2 %")):
        sel = [r for r in results if r["gait"] == gait and r["trial"] not in CALIBRATE_FROM]
        ref = np.concatenate([r["ref"] for r in sel])
        err = np.concatenate([r["err"] for r in sel])
        print(f"pooled {gait} ({len(sel)} trials): {describe(ref, err)}   (target: {target})")
    print("2018-02-09-11-29-43 (sideways shuffling, strides 0.1-1 m) is reported apart, in cm above.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
