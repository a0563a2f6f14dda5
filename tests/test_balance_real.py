"""Balance metrics on a real two-foot recording (gaitmap example) against motion-capture references."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from retrogait.analysis import analyze
from retrogait.balance import session_metrics
from retrogait.io.loading import load_recording

RATE = 204.8


def _reference_table(folder):
    """Stride table from the motion-capture events (mid-stance borders, IC, TC) and heel positions."""
    events = list(csv.DictReader(open(folder / "stride_events_sample.csv")))
    final = {}
    for row in csv.reader(open(folder / "position_sample.csv")):
        if row[0].endswith("_sensor"):
            final[(row[0].replace("_sensor", ""), row[1])] = (float(row[3]), float(row[4]))
    foot = np.array([e["foot"] for e in events])
    t = {k: np.array([float(e[k]) for e in events]) / RATE for k in ("start", "end", "ic", "tc")}
    length = np.array([np.hypot(*final[(e["foot"], e["s_id"])]) for e in events])
    return {
        "foot": foot, "t_start": t["start"], "t_end": t["end"], "t_ic": t["ic"], "t_tc": t["tc"],
        "stride_time": t["end"] - t["start"], "swing_time": t["ic"] - t["tc"],
        "stance_time": t["end"] - t["start"] - (t["ic"] - t["tc"]), "stride_length": length,
        "direction": np.full(foot.size, "forward"), "steady": length > 0.9,  # turn strides are short
    }


@pytest.mark.shared_data
def test_gaitmap_example_matches_motion_capture(shared_data):
    folder = shared_data / "gaitmap_example"
    ref = session_metrics(_reference_table(folder)).directions["forward"].metrics
    rec = load_recording(folder / "imu_sample.csv", preset="gaitmap")
    got = session_metrics(analyze(rec).strides, rec).directions["forward"].metrics
    assert got["stride_time_cv"].n >= 40  # both feet, turns and bout edges left out
    assert got["stride_time_cv"].value == pytest.approx(ref["stride_time_cv"].value, abs=0.6)  # 2.7%
    assert got["cadence"].value == pytest.approx(ref["cadence"].value, abs=1.0)
    assert got["stride_length_mean"].value == pytest.approx(ref["stride_length_mean"].value, abs=0.03)
    assert got["swing_time_sr"].value == pytest.approx(ref["swing_time_sr"].value, abs=0.02)
    assert got["step_time_sr"].value == pytest.approx(ref["step_time_sr"].value, abs=0.03)
    assert 0.9 < got["stride_regularity"].value <= 1.0  # a healthy, steady walker
    assert got["corrective_per_100"].value == 0.0


@pytest.mark.shared_data
def test_add_a_csv_from_another_tool(shared_data, run_cli, tmp_path):
    csv_file = shared_data / "gaitmap_example" / "imu_sample.csv"
    code, out, err = run_cli("add", csv_file, "--preset", "gaitmap", "--subject", "gm", "--db", tmp_path / "h.sqlite")
    assert code == 0, err
    assert "added as session 1 (gm, " in out and "forward" in out  # dated by the file (CSV has no start time)
