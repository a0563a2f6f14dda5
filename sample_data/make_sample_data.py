"""Regenerate every file in sample_data/ exactly (seeded): ``python3 sample_data/make_sample_data.py``.

All recordings are simulated by ``retrogait.simulator`` at 100 Hz with a typical MEMS sensor error model
(noise, bias, scale errors, 16-bit output); each has its ground truth next to it (``NAME.truth.json``).

The sample device (``DEVICE_ID``, mounted ``tilted``) is one physical sensor: its calibration session,
the demo sessions and the weekly series share its constant errors (scale, misalignment, constant
accelerometer bias); each session adds its own turn-on bias, gyro bias and noise. As in a user's
workflow, the mount stored in the device's sessions is the one ``retrogait calibrate`` learns from
``calibration_tilted_mount.rgt`` (computed here through ``retrogait.analysis.calibration``); the truth
sidecars keep the true mount.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

from retrogait.analysis.calibration import calibrate_recording
from retrogait.io.fileformat import read_recording, write_recording
from retrogait.simulator import (
    Environment,
    Person,
    Scenario,
    SensorSpec,
    Stand,
    Walk,
    parse_mount,
    preset,
    simulate,
    write_truth,
)

HERE = Path(__file__).resolve().parent
DEVICE_MOUNT = "tilted"  # the sample device sits on the laces, pitched 30 deg toe-down, yawed 20 deg
DEVICE_ID = "sample-imu"  # the sample device (its left-foot unit records every tilted-mount file)
CALIBRATION = "calibration_tilted_mount.rgt"
CALIBRATION_SEED = 104
SUBJECT = "P01"  # the person of the weekly series
DEMO = "demo"  # the stand-alone sessions

#: The weekly series: (ISO date, week number, variability scale). Stride-to-stride variability drops by
#: 30% from week 5 on (the person's balance training pays off); speed and incline stay the same.
WEEKLY = [
    ("2026-01-05", 1, 1.0), ("2026-01-08", 1, 1.0),
    ("2026-01-12", 2, 1.0),
    ("2026-01-19", 3, 1.0),
    ("2026-01-26", 4, 1.0),
    ("2026-02-02", 5, 0.7), ("2026-02-05", 5, 0.7),
    ("2026-02-09", 6, 0.7),
    ("2026-02-16", 7, 0.7),
]


def _save(path: Path, scenario: Scenario, seed: int) -> None:
    res = simulate(scenario, seed=seed, trajectory=False)
    write_recording(path, res.recording)
    write_truth(path, res.truth)
    print(f"{path.relative_to(HERE)}: {res.recording.duration:.0f} s, {len(res.truth.strides)} strides")


def calibration_scenario() -> Scenario:
    """The sample device's calibration session: stand 5 s, walk forward, mount not stored."""
    return preset("calibration", mount=parse_mount(DEVICE_MOUNT), store_mount=False, device_id=DEVICE_ID,
                  subject=DEMO)


@lru_cache(maxsize=1)
def device_mount() -> np.ndarray:
    """The mount ``retrogait calibrate`` learns from the sample calibration recording (written to a
    temporary file and read back, exactly what the command reads)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / CALIBRATION
        write_recording(path, simulate(calibration_scenario(), seed=CALIBRATION_SEED, trajectory=False).recording)
        rec = read_recording(path)
    return calibrate_recording(rec)["left"].mount


def device_sensor(mount: np.ndarray | None = None) -> SensorSpec:
    """The sample device: true mount ``tilted``, the calibrated mount stored in the file."""
    return SensorSpec(rate=100.0, mount=parse_mount(DEVICE_MOUNT), device_id=DEVICE_ID,
                      stored_mount=device_mount() if mount is None else mount)


def weekly_scenario(date: str, week: int, scale: float, mount: np.ndarray | None = None) -> Scenario:
    """One short training session: stand, 70 s of backward treadmill walking at 0.6 m/s, 5 %, stand."""
    return Scenario(
        segments=[Stand(3.0), Walk("backward", duration=70.0, speed=0.6), Stand(3.0)],
        environment=Environment(treadmill=True, grade_pct=5.0),
        sensor=device_sensor(mount),
        person=Person(variability_scale=scale),
        subject=SUBJECT, start_time=f"{date}T17:30:00Z", name="weekly",
        notes=f"week {week} backward treadmill training, 0.6 m/s, 5% incline",
    )


def _on_device(sc: Scenario, mount: np.ndarray) -> Scenario:
    sc.sensor = device_sensor(mount)
    return sc


def main() -> int:
    _save(HERE / CALIBRATION, calibration_scenario(), CALIBRATION_SEED)
    learned = calibrate_recording(read_recording(HERE / CALIBRATION))["left"].mount
    if not np.allclose(learned, device_mount(), atol=1e-12):
        raise RuntimeError("the calibration file does not read back as simulated")
    true = parse_mount(DEVICE_MOUNT)
    err = np.degrees(np.arccos(np.clip((np.trace(learned @ true.T) - 1.0) / 2.0, -1.0, 1.0)))
    print(f"{CALIBRATION}: learned mount {err:.2f} deg from the true one")
    _save(HERE / "backward_treadmill_5pct.rgt",
          _on_device(preset("backward-treadmill", duration=180, grade_pct=5.0, speed=0.6, subject=DEMO), learned),
          101)
    _save(HERE / "mixed_session.rgt", _on_device(preset("mixed", duration=200, subject=DEMO), learned), 102)
    _save(HERE / "two_feet_treadmill.rgt", preset("two-feet", duration=100, subject=DEMO), 103)
    weekly = HERE / "weekly"
    weekly.mkdir(exist_ok=True)
    for i, (date, week, scale) in enumerate(WEEKLY):
        _save(weekly / f"{SUBJECT.lower()}_{date}.rgt", weekly_scenario(date, week, scale, learned), 200 + i)
    return 0


if __name__ == "__main__":
    sys.exit(main())
