"""Regenerate the small CSV files in sample_data/import/ (seeded): ``python3 sample_data/make_import_samples.py``.

They show retrogait reading other tools' layouts, so the README's import examples run on bundled files.
Each is a short simulated session (``retrogait.simulator``, typical MEMS sensor errors, sensor mounted
as the foot frame: x toes, y left, z up) written in another tool's CSV layout:

- ``gaitmap_two_feet.csv``: gaitmap / NilsPod layout (two header rows ``sensor,left_sensor,...`` and
  ``axis,acc_x,...``; first column the sample index; 204.8 Hz; m/s^2 and deg/s), two feet walking
  backward on a treadmill.
- ``xio_short_walk.csv``: x-io NGIMU / x-IMU3 layout (``Time (s),Gyroscope X (deg/s),...,
  Accelerometer X (g),...``), 100 Hz, right foot, backward walking overground.
- ``generic_walk.csv``: a plain CSV with units in the column names (``t_s,acc_x_g,...,gyr_x_dps,...``),
  100 Hz, left foot, forward then backward walking.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from retrogait.simulator import Scenario, SensorSpec, Stand, Walk, simulate

HERE = Path(__file__).resolve().parent / "import"
G = 9.80665


def _sim(segments, rate: float, feet: tuple[str, ...], seed: int):
    sc = Scenario(segments=segments, sensor=SensorSpec(rate=rate), feet=feet, subject="demo")
    return simulate(sc, seed=seed, trajectory=False).recording


def _write(path: Path, header_lines: list[str], rows: np.ndarray, fmt: str) -> None:
    with open(path, "w", newline="") as fh:
        for line in header_lines:
            fh.write(line + "\n")
        np.savetxt(fh, rows, fmt=fmt, delimiter=",")


def gaitmap(path: Path) -> None:
    rec = _sim([Stand(3), Walk("backward", n_strides=10, speed=0.6, treadmill=True), Stand(2)], 204.8,
               ("left", "right"), seed=301)
    n = min(s.n for s in rec.streams)
    sensors, axes, cols = ["sensor"], ["axis"], [np.arange(n, dtype=float)]
    for kind in ("acc", "gyr"):
        for i, a in enumerate("xyz"):
            for s in rec.streams:
                sensors.append(f"{s.foot}_sensor")
                axes.append(f"{kind}_{a}")
                cols.append(s.acc[:n, i] if kind == "acc" else np.degrees(s.gyr[:n, i]))
    _write(path, [",".join(sensors), ",".join(axes)], np.column_stack(cols), "%.5g")


def xio(path: Path) -> None:
    rec = _sim([Stand(3), Walk("backward", n_strides=10, speed=0.6), Stand(2)], 100.0, ("right",), seed=302)
    s = rec.streams[0]
    header = "Time (s),Gyroscope X (deg/s),Gyroscope Y (deg/s),Gyroscope Z (deg/s)," \
             "Accelerometer X (g),Accelerometer Y (g),Accelerometer Z (g)"
    _write(path, [header], np.column_stack([s.t - s.t[0], np.degrees(s.gyr), s.acc / G]), "%.6g")


def generic(path: Path) -> None:
    rec = _sim([Stand(3), Walk("forward", n_strides=6), Stand(2), Walk("backward", n_strides=6, speed=0.6),
                Stand(2)], 100.0, ("left",), seed=303)
    s = rec.streams[0]
    header = "t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps"
    _write(path, [header], np.column_stack([s.t - s.t[0], s.acc / G, np.degrees(s.gyr)]), "%.6g")


def main() -> None:
    HERE.mkdir(exist_ok=True)
    gaitmap(HERE / "gaitmap_two_feet.csv")
    xio(HERE / "xio_short_walk.csv")
    generic(HERE / "generic_walk.csv")
    for p in sorted(HERE.glob("*.csv")):
        print(f"{p.relative_to(HERE.parent.parent)}: {p.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
