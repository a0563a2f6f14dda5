"""gaitmap's side of compare_gaitmap.py; executed by it INSIDE ITS OWN VENV (one fresh process per run).

Never imported by retrogait (gaitmap-mad is AGPL; it is not a dependency). Two pipelines:

* ``default``: gaitmap's documented full pipeline ("MaD DiGait Pipeline", gaitmap's
  examples/full_pipelines/mad_gait_pipeline.py), every algorithm with its default settings:
  BarthDtw stride segmentation -> RamppEventDetection -> StrideLevelTrajectory() (its defaults:
  SimpleGyroIntegration orientation + ForwardBackwardIntegration position, each stride integrated on its
  own from its min_vel mid-stance) -> TemporalParameterCalculation + SpatialParameterCalculation.
* ``rts``: the same segmentation and events, then RegionLevelTrajectory(RtsKalman()) over the whole
  recording as one region of interest (the Kalman/ZUPT variant), then the same parameters.

The input CSV is gaitmap's own layout, already in gaitmap's sensor frame (x toes, y left, z up), so the
preprocessing step of the documented pipeline (sensor alignment) is not needed and not timed.

Timing: the first call is the cold one (this process is fresh: its figure adds interpreter start-up and
the imports, and numba compiles or loads its cache on first use); the later calls are warm. CSV reading
is timed apart and left out of both. Prints one JSON object (see ``main``).

usage: python gaitmap_side.py DATA.csv RATE_HZ [--variant default|rts] [--calls N] [--launched EPOCH_S]
"""

import time

T_TOP, C_TOP = time.perf_counter(), time.process_time()

import json
import math
import os
import sys

import pandas as pd
from gaitmap.event_detection import RamppEventDetection
from gaitmap.parameters import SpatialParameterCalculation, TemporalParameterCalculation
from gaitmap.stride_segmentation import BarthDtw
from gaitmap.trajectory_reconstruction import (
    RegionLevelTrajectory,
    RtsKalman,
    StrideLevelTrajectory,
)
from gaitmap.utils.coordinate_conversion import convert_to_fbf

T_IMP, C_IMP = time.perf_counter(), time.process_time()


def status_mb(key: str) -> float:
    """VmRSS / VmHWM of this process (ru_maxrss would carry the parent's peak across fork/exec)."""
    return int(open("/proc/self/status").read().split(key + ":")[1].split()[0]) / 1024


def run(data: pd.DataFrame, rate: float, variant: str):
    """One pipeline call on one data frame; returns (min_vel stride lists, spatial parameters)."""
    body = convert_to_fbf(data, left_like="left_", right_like="right_")
    dtw = BarthDtw().segment(data=body, sampling_rate_hz=rate)
    events = RamppEventDetection().detect(data=body, stride_list=dtw.stride_list_, sampling_rate_hz=rate)
    strides = events.min_vel_event_list_
    if variant == "default":
        traj = StrideLevelTrajectory().estimate(data=data, stride_event_list=strides, sampling_rate_hz=rate)
    else:
        regions = {
            foot: pd.DataFrame({"start": [0], "end": [len(data)], "roi_id": [0]}).set_index("roi_id")
            for foot in strides
        }
        traj = RegionLevelTrajectory(trajectory_method=RtsKalman()).estimate_intersect(
            data=data, regions_of_interest=regions, stride_event_list=strides, sampling_rate_hz=rate
        )
    TemporalParameterCalculation().calculate(stride_event_list=strides, sampling_rate_hz=rate)
    params = SpatialParameterCalculation().calculate(
        stride_event_list=strides, positions=traj.position_, orientations=traj.orientation_,
        sampling_rate_hz=rate,
    )
    return strides, params


def arg(name: str, default: str) -> str:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def main() -> None:
    from importlib.metadata import version

    path, rate = sys.argv[1], float(sys.argv[2])
    variant, calls = arg("--variant", "default"), int(arg("--calls", "2"))
    launched = float(arg("--launched", "nan"))
    known_launch = not math.isnan(launched)
    rss_imports = status_mb("VmRSS")
    t0, c0 = time.perf_counter(), time.process_time()
    data = pd.read_csv(path, header=[0, 1], index_col=0)
    data.index = pd.RangeIndex(len(data))
    load = {"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}
    rss_loaded = status_mb("VmRSS")
    runs = []
    for i in range(calls):
        t0, c0 = time.perf_counter(), time.process_time()
        strides, params = run(data, rate, variant)
        t1, c1 = time.perf_counter(), time.process_time()
        runs.append({"wall_s": t1 - t0, "cpu_s": c1 - c0, "hwm_mb": status_mb("VmHWM"),
                     "load1": os.getloadavg()[0]})
        if i == 0:  # cold: from the parent's launch (else this script's first line) to the first result
            wall0 = (time.time() - launched) if known_launch else (t1 - T_TOP)
            cold = {"wall_s": wall0 - load["wall_s"], "cpu_s": c1 - load["cpu_s"]}
    out = {"tool": f"gaitmap {version('gaitmap')} + gaitmap-mad {version('gaitmap-mad')}", "variant": variant,
           "imports": {"wall_s": T_IMP - T_TOP, "cpu_s": C_IMP - C_TOP, "cpu_before_s": C_TOP},
           "load": load, "cold": cold, "calls": runs, "rss_imports_mb": rss_imports,
           "rss_loaded_mb": rss_loaded, "peak_rss_mb": status_mb("VmHWM"), "feet": {}}
    for sensor, table in strides.items():
        p = params.parameters_[sensor]
        out["feet"][sensor.split("_")[0]] = {
            "start": table["start"].tolist(), "end": table["end"].tolist(),
            "ic": table["ic"].tolist(), "tc": table["tc"].tolist(),
            "stride_length": p.loc[table.index, "stride_length"].tolist(),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
