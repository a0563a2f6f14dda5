"""Regenerate every file in sample_data/ exactly (seeded): ``python3 sample_data/make_sample_data.py``.

All recordings are simulated by ``retrogait.simulator`` at 100 Hz with a typical MEMS sensor error model
(noise, bias, scale errors, 16-bit output); each has its ground truth next to it (``NAME.truth.json``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from retrogait.fileformat import write_recording
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


def weekly_scenario(date: str, week: int, scale: float) -> Scenario:
    """One short training session: stand, 70 s of backward treadmill walking at 0.6 m/s, 5 %, stand."""
    return Scenario(
        segments=[Stand(3.0), Walk("backward", duration=70.0, speed=0.6), Stand(3.0)],
        environment=Environment(treadmill=True, grade_pct=5.0),
        sensor=SensorSpec(rate=100.0, mount=parse_mount(DEVICE_MOUNT)),
        person=Person(variability_scale=scale),
        subject=SUBJECT, start_time=f"{date}T17:30:00Z", name="weekly",
        notes=f"week {week} backward treadmill training, 0.6 m/s, 5% incline",
    )


def main() -> int:
    mount = parse_mount(DEVICE_MOUNT)
    _save(HERE / "backward_treadmill_5pct.rgt",
          preset("backward-treadmill", duration=180, grade_pct=5.0, speed=0.6, mount=mount, subject=DEMO), 101)
    _save(HERE / "mixed_session.rgt", preset("mixed", duration=200, mount=mount, subject=DEMO), 102)
    _save(HERE / "two_feet_treadmill.rgt", preset("two-feet", duration=100, subject=DEMO), 103)
    _save(HERE / "calibration_tilted_mount.rgt",
          preset("calibration", mount=mount, store_mount=False, subject=DEMO), 104)
    weekly = HERE / "weekly"
    weekly.mkdir(exist_ok=True)
    for i, (date, week, scale) in enumerate(WEEKLY):
        _save(weekly / f"{SUBJECT.lower()}_{date}.rgt", weekly_scenario(date, week, scale), 200 + i)
    return 0


if __name__ == "__main__":
    sys.exit(main())
