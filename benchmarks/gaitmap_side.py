"""Run gaitmap's standard pipeline on a gaitmap-layout CSV; executed by compare_gaitmap.py INSIDE ITS OWN VENV.

Never imported by retrogait (gaitmap-mad is AGPL; it is not a dependency). Pipeline: BarthDtw stride
segmentation -> RamppEventDetection -> RtsKalman trajectory over the whole walking region (or the
per-stride integration with --stride-level) -> SpatialParameterCalculation. Prints one JSON object:
elapsed seconds, peak RSS and, per foot, the min_vel-to-min_vel strides with their events (sample
indices) and stride lengths (m).

usage: python gaitmap_side.py DATA.csv RATE_HZ [--stride-level]
"""

import json
import sys
import time

import pandas as pd
from gaitmap.event_detection import RamppEventDetection
from gaitmap.parameters import SpatialParameterCalculation
from gaitmap.stride_segmentation import BarthDtw
from gaitmap.trajectory_reconstruction import RegionLevelTrajectory, RtsKalman, StrideLevelTrajectory
from gaitmap.utils.coordinate_conversion import convert_to_fbf


def run(data: pd.DataFrame, rate: float, stride_level: bool):
    """gaitmap's pipeline on one data frame; returns (min_vel stride lists, spatial parameters)."""
    body = convert_to_fbf(data, left_like="left_", right_like="right_")
    dtw = BarthDtw().segment(data=body, sampling_rate_hz=rate)
    events = RamppEventDetection().detect(data=body, stride_list=dtw.stride_list_, sampling_rate_hz=rate)
    strides = events.min_vel_event_list_
    if stride_level:
        traj = StrideLevelTrajectory().estimate(data=data, stride_event_list=strides, sampling_rate_hz=rate)
    else:
        regions = {
            foot: pd.DataFrame({"start": [0], "end": [len(data)], "roi_id": [0]}).set_index("roi_id")
            for foot in strides
        }
        traj = RegionLevelTrajectory(trajectory_method=RtsKalman()).estimate_intersect(
            data=data, regions_of_interest=regions, stride_event_list=strides, sampling_rate_hz=rate
        )
    params = SpatialParameterCalculation().calculate(
        stride_event_list=strides, positions=traj.position_, orientations=traj.orientation_,
        sampling_rate_hz=rate,
    )
    return strides, params


def main() -> None:
    path, rate = sys.argv[1], float(sys.argv[2])
    stride_level = "--stride-level" in sys.argv
    data = pd.read_csv(path, header=[0, 1], index_col=0)
    data.index = pd.RangeIndex(len(data))
    run(data.iloc[:8000].copy(), rate, stride_level)  # warm-up: numba compiles on first use
    t0 = time.perf_counter()
    strides, params = run(data, rate, stride_level)
    elapsed = time.perf_counter() - t0
    # VmHWM (this process's own peak): ru_maxrss would include the parent's, carried over fork/exec
    peak_kb = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
    out = {"elapsed_s": elapsed, "peak_rss_mb": peak_kb / 1024, "feet": {}}
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
