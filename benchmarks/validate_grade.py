"""Treadmill grade after calibration with the same device: ``python3 benchmarks/validate_grade.py``.

The user's workflow, simulated: ``retrogait calibrate`` on a level calibration session (stand, walk
forward) of device D, then ``retrogait analyze`` of a backward treadmill session of the same device D
(another day: other session seed, same unit constants, new turn-on bias and gyro bias). Prints the
grade error (analysis minus truth, percentage points) over ``--seeds`` devices for each grade, once
with a device identity (calibration and session share the unit's constant errors) and once with
anonymous sensors (all errors drawn per session: calibration cannot absorb them). Then the sample data:
the grade ``analyze`` reports for each sample treadmill file against its truth.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np

os.environ.setdefault("RETROGAIT_DEVICES_DIR", tempfile.mkdtemp(prefix="rg-devices-"))  # no user profiles

from retrogait.analysis.calibration import calibrate_recording  # noqa: E402
from retrogait.analysis.incline import session_grade  # noqa: E402
from retrogait.analysis.pipeline import analyze  # noqa: E402
from retrogait.io.fileformat import read_recording  # noqa: E402
from retrogait.simulator import parse_mount, preset, read_truth, simulate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MOUNT = "tilted"


def grade_error(seed: int, grade: float, device: bool, mount: str = MOUNT, duration: float = 60.0) -> float:
    """Analysed minus true session grade (percentage points): calibrate on a level calibration session
    (seed ``2 * seed``), analyze a backward treadmill session (seed ``2 * seed + 1``) with that mount."""
    m = parse_mount(mount, rng_seed=seed)
    dev = f"bench-{seed}" if device else None
    cal_rec = simulate(preset("calibration", mount=m, store_mount=False, device_id=dev), seed=2 * seed,
                       trajectory=False).recording
    learned = calibrate_recording(cal_rec)["left"].mount
    res = simulate(preset("backward-treadmill", duration=duration, grade_pct=grade, mount=m, store_mount=False,
                          device_id=dev), seed=2 * seed + 1, trajectory=False)
    got = analyze(res.recording, mount=learned).summary["grade_pct"]
    return float(got - res.truth.totals["grade_pct"])


def _stats(e: np.ndarray) -> str:
    return (f"mean {e.mean():+.2f}  sd {e.std(ddof=1):.2f}  median {np.median(e):+.2f}  "
            f"max |err| {np.abs(e).max():.2f}  within 1 pp {np.mean(np.abs(e) <= 1.0):.0%}")


def sweep(seeds: int, grades: tuple[float, ...], mount: str) -> None:
    print(f"calibrate on device D's level calibration session, then analyze a 60 s backward treadmill "
          f"session of D ({seeds} seeds, mount {mount}); grade error = analysis - truth, percentage points")
    for grade in grades:
        for device in (True, False):
            e = np.array([grade_error(s, grade, device, mount) for s in range(seeds)])
            label = "same device  " if device else "anonymous    "
            print(f"  {grade:4.0f} %  {label} {_stats(e)}")


def sample_data() -> None:
    print("sample data: grade of the backward strides from 'retrogait analyze' (the file's stored mount; "
          "the median over steady strides, as the summary) vs truth")
    files = [ROOT / "sample_data" / "backward_treadmill_5pct.rgt", ROOT / "sample_data" / "mixed_session.rgt",
             *sorted((ROOT / "sample_data" / "weekly").glob("*.rgt"))]
    errs = []
    for f in files:
        truth = read_truth(f)
        bw = truth.strides.select(truth.strides.direction == "backward")
        true = float(np.average(bw.grade_pct, weights=bw.stride_time))
        table = analyze(read_recording(f)).strides
        back = table.direction == "backward"
        got = session_grade(table.grade_pct[back], table.steady[back])
        errs.append(got - true)
        print(f"  {f.relative_to(ROOT)!s:42s} truth {true:+5.2f} %  analysis {got:+5.2f} %  error {got - true:+5.2f}")
    print(f"  all: {_stats(np.array(errs))}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--mount", default=MOUNT)
    ap.add_argument("--no-sweep", action="store_true")
    args = ap.parse_args()
    sample_data()
    if not args.no_sweep:
        sweep(args.seeds, (5.0, 10.0), args.mount)


if __name__ == "__main__":
    main()
