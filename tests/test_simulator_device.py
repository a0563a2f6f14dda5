"""Simulated devices: a sensor's constant errors repeat across its sessions, so calibrating with the same
device absorbs them (the treadmill grade after calibration), and the sample data follows that workflow."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import SAMPLE_DATA

from retrogait.analysis.calibration import calibrate_recording
from retrogait.analysis.pipeline import analyze
from retrogait.io.fileformat import read_recording
from retrogait.simulator import (
    Scenario,
    SensorSpec,
    Stand,
    parse_mount,
    preset,
    read_truth,
    scenario_from_dict,
    simulate,
)
from retrogait.simulator.imu import _error_matrix, draw_errors, unit_name

TILTED = parse_mount("tilted")


def _errors(device_id, seed, feet=("left",), noise=1.0):
    sc = Scenario(segments=[Stand(2.0)], sensor=SensorSpec(device_id=device_id, noise=noise), feet=feet)
    return simulate(sc, seed=seed, trajectory=False).truth.info["sensor_errors"]


def test_a_device_keeps_its_constant_errors_and_redraws_the_session_ones():
    a, b = _errors("imu-7", 1)["left"], _errors("imu-7", 2)["left"]
    for key in ("acc_matrix", "gyr_matrix", "acc_bias_unit"):
        np.testing.assert_array_equal(a[key], b[key])
    for key in ("acc_bias_turnon", "gyr_bias"):
        assert not np.allclose(a[key], b[key])
    np.testing.assert_allclose(a["acc_bias"], np.add(a["acc_bias_unit"], a["acc_bias_turnon"]))
    assert a["unit"] == "imu-7:left"
    other = _errors("imu-8", 1)["left"]
    assert not np.allclose(a["acc_matrix"], other["acc_matrix"])
    # a kit has one unit per foot; the left unit is the same in a two-feet session
    both = _errors("imu-7", 5, feet=("left", "right"))
    np.testing.assert_array_equal(both["left"]["gyr_matrix"], a["gyr_matrix"])
    assert not np.allclose(both["right"]["gyr_matrix"], a["gyr_matrix"])
    # noise scales the device's errors too
    half = _errors("imu-7", 1, noise=0.5)["left"]
    np.testing.assert_allclose(np.subtract(half["acc_matrix"], np.eye(3)),
                               0.5 * np.subtract(a["acc_matrix"], np.eye(3)), atol=1e-15)


def test_anonymous_sensor_draws_everything_per_session_in_the_original_order():
    spec = SensorSpec()
    err = draw_errors(spec, np.random.default_rng(3))
    rng = np.random.default_rng(3)
    np.testing.assert_array_equal(err.acc_matrix, _error_matrix(rng, spec))
    np.testing.assert_array_equal(err.gyr_matrix, _error_matrix(rng, spec))
    np.testing.assert_array_equal(err.acc_bias, spec.acc_bias_sd * rng.standard_normal(3))
    np.testing.assert_array_equal(err.gyr_bias, spec.gyr_bias_sd * rng.standard_normal(3))
    assert err.unit is None and err.acc_bias_unit is None
    a, b = _errors(None, 1)["left"], _errors(None, 2)["left"]
    assert not np.allclose(a["acc_matrix"], b["acc_matrix"]) and "acc_bias_unit" not in a
    assert unit_name(None, "left") is None


def test_turn_on_bias_is_the_documented_size():
    spec = SensorSpec(device_id="x")
    turnon = np.array([draw_errors(spec, np.random.default_rng(s), "x:left").acc_bias_turnon for s in range(400)])
    assert turnon.std() == pytest.approx(spec.acc_turnon_bias_sd, rel=0.1)
    assert spec.acc_turnon_bias_sd < spec.acc_bias_sd / 2  # most of the bias is a constant of the unit


def test_device_id_and_stored_mount_round_trip_through_the_scenario_spec(tmp_path, run_cli):
    stored = parse_mount("euler:zy:21,29")
    sc = preset("backward-treadmill", duration=20, mount=TILTED, device_id="kit-3")
    sc.sensor.stored_mount = stored
    res = simulate(sc, seed=4)
    st = res.recording.streams[0]
    np.testing.assert_allclose(st.mount, stored)
    np.testing.assert_allclose(res.truth.mounts["left"], TILTED)  # the truth keeps the true mount
    assert st.device["id"] == "kit-3-left" and res.truth.info["device_id"] == "kit-3"
    again = simulate(scenario_from_dict(json.loads(json.dumps(res.truth.info["scenario_spec"]))), seed=4)
    np.testing.assert_array_equal(again.recording.streams[0].acc, st.acc)
    np.testing.assert_allclose(again.recording.streams[0].mount, stored)
    with pytest.raises(ValueError, match="device_id"):
        scenario_from_dict({"segments": [{"stand": 1}], "sensor": {"device_id": 7}})
    with pytest.raises(ValueError, match="stored_mount"):
        scenario_from_dict({"segments": [{"stand": 1}], "sensor": {"stored_mount": [[1, 0, 0], [0, 1, 0], [0, 0, 2]]}})
    # the command line: two sessions of one device share its constants
    for name, seed in (("a", "1"), ("b", "2")):
        code, _, err = run_cli("simulate", "standing", "-o", tmp_path / f"{name}.rgt", "--duration", "3s",
                               "--device-id", "imu-9", "--seed", seed)
        assert code == 0, err
    ta, tb = (read_truth(tmp_path / f"{n}.rgt").info for n in "ab")
    assert ta["device_id"] == tb["device_id"] == "imu-9"
    assert ta["sensor_errors"]["left"]["acc_matrix"] == tb["sensor_errors"]["left"]["acc_matrix"]
    assert ta["sensor_errors"]["left"]["gyr_bias"] != tb["sensor_errors"]["left"]["gyr_bias"]
    assert read_recording(tmp_path / "a.rgt").streams[0].device["id"] == "imu-9-left"


@pytest.mark.parametrize("seed, grade, mount", [(0, 5.0, "tilted"), (1, 10.0, "tilted"), (2, 5.0, "random"),
                                                (3, 10.0, "lateral")])
def test_grade_after_calibrating_with_the_same_device_is_within_one_point(seed, grade, mount):
    m = parse_mount(mount, rng_seed=seed)
    dev = f"test-device-{seed}"
    cal = simulate(preset("calibration", mount=m, store_mount=False, device_id=dev), seed=100 + seed,
                   trajectory=False).recording
    learned = calibrate_recording(cal)["left"].mount
    res = simulate(preset("backward-treadmill", duration=45, grade_pct=grade, mount=m, store_mount=False,
                          device_id=dev), seed=200 + seed, trajectory=False)
    got = analyze(res.recording, mount=learned).summary["grade_pct"]
    assert got == pytest.approx(res.truth.totals["grade_pct"], abs=1.0)


DEVICE_FILES = ["backward_treadmill_5pct.rgt", "mixed_session.rgt", "calibration_tilted_mount.rgt",
                *sorted(f"weekly/{p.name}" for p in (SAMPLE_DATA / "weekly").glob("*.rgt"))]


def test_sample_device_files_share_one_device_and_store_the_calibrated_mount():
    learned = calibrate_recording(read_recording(SAMPLE_DATA / "calibration_tilted_mount.rgt"))["left"].mount
    assert len(DEVICE_FILES) >= 11
    units = set()
    for name in DEVICE_FILES:
        truth = read_truth(SAMPLE_DATA / name)
        units.add(json.dumps({k: truth.info["sensor_errors"]["left"][k]
                              for k in ("unit", "acc_matrix", "gyr_matrix", "acc_bias_unit")}))
        np.testing.assert_allclose(truth.mounts["left"], TILTED, atol=1e-12)
        stream = read_recording(SAMPLE_DATA / name).streams[0]
        if name.startswith("calibration"):
            assert stream.mount is None
        else:
            np.testing.assert_allclose(stream.mount, learned, atol=1e-9)
            np.testing.assert_allclose(truth.info["stored_mount"], learned, atol=1e-9)
    assert len(units) == 1
    # the two-feet file is another (anonymous) sensor pair with its true mount stored
    two = read_truth(SAMPLE_DATA / "two_feet_treadmill.rgt")
    assert two.info["device_id"] is None


def test_sample_backward_treadmill_grade_matches_its_truth():
    truth = read_truth(SAMPLE_DATA / "backward_treadmill_5pct.rgt")
    res = analyze(read_recording(SAMPLE_DATA / "backward_treadmill_5pct.rgt"))
    assert res.summary["grade_pct"] == pytest.approx(truth.totals["grade_pct"], abs=1.0)
