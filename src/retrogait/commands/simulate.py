"""``retrogait simulate``: write a realistic, truth-labelled recording from the built-in gait simulator."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Optional

import typer

from retrogait.errors import UsageProblem

GRADE_PRESETS = ("backward-treadmill", "forward-treadmill", "two-feet", "mixed", "backward-running")
FEET_CHOICES = {"left": ("left",), "right": ("right",), "both": ("left", "right")}


def parse_duration(text: str) -> float:
    """Seconds from ``180``, ``90s``, ``3m``, ``1h``, ``1h30m``, ``2m30s``; UsageProblem otherwise."""
    s = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", s):
        return float(s)
    m = re.fullmatch(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?:in)?)?(?:(\d+(?:\.\d+)?)s)?", s)
    if not s or not m or not any(m.groups()):
        raise UsageProblem(f"--duration {text!r}: expected seconds or a time like 90s, 3m, 1h30m")
    h, mi, se = (float(x) if x else 0.0 for x in m.groups())
    return h * 3600 + mi * 60 + se


def _scenario_file(path: Path):
    """(scenario, stored seed or None) from a JSON scenario file or truth sidecar; InputFileError naming
    the file and the problem."""
    from retrogait.errors import InputFileError
    from retrogait.simulator import scenario_from_dict

    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such scenario file") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputFileError(f"{path}: not a readable JSON scenario ({exc})") from None
    seed = None
    if isinstance(data, dict) and "format" in data and "info" in data:  # a truth sidecar: reuse its scenario
        seed = data["info"].get("seed")
        data = data["info"].get("scenario_spec", data)
    try:
        return scenario_from_dict(data), seed
    except ValueError as exc:
        raise InputFileError(f"{path}: {exc}") from None


def _summary(path: Path, truth_file: Path, res) -> dict:
    rec, tot = res.recording, res.truth.totals
    return {
        "recording": str(path),
        "truth": str(truth_file),
        "duration_s": round(rec.duration, 3),
        "feet": rec.feet,
        "rate_hz": rec.streams[0].nominal_rate,
        "tags": rec.tags,
        "strides": tot.get("strides", 0),
        "by_direction": {d: v["strides"] for d, v in tot.get("by_direction", {}).items()},
        "cadence_steps_per_min": round(tot.get("cadence_steps_per_min", 0.0), 2),
        "mean_speed_m_s": round(tot.get("mean_speed_m_s", 0.0), 3),
        "distance_m": round(tot.get("distance_m", 0.0), 2),
        "gaps": {f: len(g) for f, g in res.truth.info.get("gaps", {}).items()},
        "by_gait": {str(g): int((res.truth.strides.gait == g).sum()) for g in dict.fromkeys(res.truth.strides.gait)},
    }


def register(app: typer.Typer) -> None:
    """Add ``simulate`` to ``app``."""
    from retrogait.simulator.presets import NAMED_MOUNTS, PRESETS, RUNNING_PRESETS

    preset_help = "; ".join(f"{k}: {v[2]}" for k, v in PRESETS.items())
    mount_help = "; ".join(f"{k}: {v}" for k, v in NAMED_MOUNTS.items())

    @app.command("simulate")
    def simulate_cmd(
        preset: str = typer.Argument(..., help=f"Scenario to simulate: a preset, or a JSON scenario file "
                                     f"(see docs/simulator.md; every truth sidecar holds one under "
                                     f"info.scenario_spec). Presets: {preset_help}."),
        output: Path = typer.Option(..., "--output", "-o", help="Recording file to write (.rgt). The ground "
                                    "truth goes next to it as NAME.truth.json."),
        duration: Optional[str] = typer.Option(None, "--duration", "-d", help="Session length: seconds or "
                                               "90s / 3m / 1h30m. The walking part is scaled to fit; "
                                               "default depends on the preset (3m for treadmill presets)."),
        speed: Optional[float] = typer.Option(None, help="Walking (belt) speed, m/s. Default: 0.6 backward, "
                                              "1.2 forward; cadence and stride length follow a realistic "
                                              "speed-cadence relation for the direction. Running presets: "
                                              "the running speed (default 3, backward 2.2; up to 6)."),
        grade: Optional[float] = typer.Option(None, help="Treadmill incline, percent (-10 to 20). A backward "
                                              "walker faces downhill and climbs the belt."),
        rate: Optional[float] = typer.Option(None, help="Sample rate, Hz (50-1000 typical; default 100, or "
                                             "the scenario file's)."),
        feet: str = typer.Option("", help="Which feet carry a sensor: left, right or both (default: left; "
                                 "both for the two-feet preset)."),
        mount: Optional[str] = typer.Option(None, help=f"How the IMU sits on the shoe: {mount_help}; or "
                                            "random, euler:xyz:a,b,c (degrees) or 9 numbers (3x3 with "
                                            "v_foot = M v_sensor). Default identity."),
        no_store_mount: bool = typer.Option(False, "--no-store-mount", help="Do not write the mount into "
                                            "the file (as an uncalibrated device would); the truth keeps it."),
        noise: Optional[float] = typer.Option(None, help="Sensor error level: 0 = ideal sensor, 1 = typical "
                                              "MEMS IMU (noise, bias, scale errors, 16-bit output; the "
                                              "default), 3 = poor."),
        dropouts: int = typer.Option(0, help="Number of gaps of dropped samples to put in each stream."),
        packet_loss: Optional[float] = typer.Option(None, "--packet-loss", help="Wireless packet loss: the "
                                                    "fraction of samples lost (e.g. 0.07) in bursts of 2-11 "
                                                    "samples; the streams then carry a 16-bit packet counter "
                                                    "(a 'packet' column in a CSV export)."),
        packet_counter: Optional[int] = typer.Option(None, "--packet-counter", help="Width of the sensor's "
                                                     "wrapping packet counter, 8 or 16 bits (default 16 with "
                                                     "--packet-loss, else none)."),
        device_id: Optional[str] = typer.Option(None, "--device-id", help="Simulate this physical sensor "
                                                "(kit): its scale, misalignment and constant accelerometer "
                                                "bias are the same in every session with this id, as for a "
                                                "real device (so 'retrogait calibrate' absorbs them); only "
                                                "a small turn-on bias, the gyro bias and the noise change. "
                                                "Default: an anonymous sensor, all errors drawn per session."),
        subject: str = typer.Option("sim-001", help="Subject id written into the recording."),
        start_time: Optional[str] = typer.Option(None, help="Recording start, ISO 8601 UTC (e.g. "
                                                 "2026-03-02T09:00:00Z); default fixed for reproducibility."),
        seed: Optional[int] = typer.Option(None, help="Random seed (default 0, or the seed stored in a truth "
                                           "sidecar given as the scenario); the same seed gives the same "
                                           "file, bit for bit."),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    ) -> None:
        """Simulate a foot-mounted IMU session and write it with its ground truth.

        Example: retrogait simulate backward-treadmill -o bw.rgt --duration 3m --grade 5 --speed 0.6

        \b
        Running and fast walking:
          retrogait simulate running -o run.rgt --speed 3.5 --rate 500
          retrogait simulate backward-running -o brun.rgt --speed 2.2
          retrogait simulate walk-run -o wr.rgt --duration 3m    (walk/run transitions, standing between)
          retrogait simulate fast-walking -o fw.rgt --packet-loss 0.07    (rolling stance, packet counter)

        Your own session: retrogait simulate my_session.json -o mine.rgt (format in docs/simulator.md).
        Again, bit for bit: retrogait simulate bw.truth.json -o bw_again.rgt

        The simulator moves a rigid foot (heel/toe rolling, swing) and derives the accelerometer and
        gyroscope signals from that motion, so the truth file's strides, events, lengths, clearance and
        grade are exactly what happened. Compare: retrogait analyze bw.rgt
        """
        from retrogait.io.fileformat import write_recording
        from retrogait.simulator import parse_mount, simulate, write_truth
        from retrogait.simulator import preset as make_preset
        from retrogait.simulator.walk_tests import WALK_TEST_PRESETS, simulate_walk_test

        from_file = preset.lower().endswith(".json")
        if not from_file and preset not in PRESETS:
            raise UsageProblem(f"unknown preset {preset!r}; choose one of: {', '.join(PRESETS)} "
                               "(or give a .json scenario file)")
        if from_file and (duration or speed is not None or grade is not None):
            raise UsageProblem("--duration, --speed and --grade apply to presets; a scenario file sets them "
                               "per segment")
        if feet and feet not in FEET_CHOICES:
            raise UsageProblem(f"--feet {feet!r}: expected left, right or both")
        if rate is not None and not 10 <= rate <= 4000:
            raise UsageProblem(f"--rate {rate:g}: expected 10 to 4000 Hz")
        if grade is not None and not -10 <= grade <= 20:
            raise UsageProblem(f"--grade {grade:g}: expected -10 to 20 (percent)")
        if grade is not None and not from_file and preset not in GRADE_PRESETS:
            raise UsageProblem(f"--grade applies to the treadmill presets ({', '.join(GRADE_PRESETS)}), "
                               f"not to {preset}")
        top = 6.0 if preset in RUNNING_PRESETS else 3.0
        if speed is not None and not 0.05 <= speed <= top:
            raise UsageProblem(f"--speed {speed:g}: expected 0.05 to {top:g} m/s"
                               + ("" if top > 3 else " (running presets: up to 6)"))
        if packet_loss is not None and not 0.0 <= packet_loss <= 0.5:
            raise UsageProblem(f"--packet-loss {packet_loss:g}: expected a fraction from 0 to 0.5")
        if packet_counter is not None and packet_counter not in (8, 16):
            raise UsageProblem(f"--packet-counter {packet_counter}: expected 8 or 16 (bits)")
        if (noise is not None and noise < 0) or dropouts < 0:
            raise UsageProblem("--noise and --dropouts must be >= 0")
        if device_id is not None and not device_id.strip():
            raise UsageProblem("--device-id must not be empty")
        try:
            m = parse_mount(mount, rng_seed=seed or 0)
        except ValueError as exc:
            raise UsageProblem(str(exc)) from None
        if not output.parent.exists():
            raise UsageProblem(f"-o {output}: folder {output.parent} does not exist")
        if start_time:
            try:
                datetime.fromisoformat(start_time.replace("Z", "+00:00"))
            except ValueError:
                raise UsageProblem(f"--start-time {start_time!r}: expected ISO 8601 such as "
                                   "2026-03-02T09:00:00Z") from None
        secs = parse_duration(duration) if duration else None
        if secs is not None and not 1 <= secs <= 48 * 3600:
            raise UsageProblem(f"--duration {duration}: expected 1 s to 48 h")
        if from_file:
            sc, stored_seed = _scenario_file(Path(preset))
            if seed is None:
                seed = stored_seed
            if rate is not None:
                sc.sensor.rate = rate
            if noise is not None:
                sc.sensor.noise = noise
            if no_store_mount:
                sc.sensor.store_mount = False
            if m is not None:
                sc.sensor.mount = m
                sc.sensor.stored_mount = None  # a stored (calibrated) mount belonged to the old mounting
            if feet:
                sc.feet = FEET_CHOICES[feet]
            if device_id is not None:
                sc.sensor.device_id = device_id
            if subject != "sim-001":
                sc.subject = subject
            if start_time:
                sc.start_time = start_time
        else:
            sc = make_preset(preset, duration=secs, speed=speed, grade_pct=grade, rate=rate,
                             feet=FEET_CHOICES[feet] if feet else None, mount=m, noise=noise,
                             store_mount=not no_store_mount, device_id=device_id, subject=subject,
                             start_time=start_time)
        if dropouts or not from_file:
            sc.sensor.dropouts = dropouts
        if packet_loss is not None:
            sc.sensor.packet_loss = packet_loss
        if packet_counter is not None:
            sc.sensor.packet_counter = packet_counter
        if sc.name in WALK_TEST_PRESETS:  # both feet simulated, the test's truth in the sidecar
            res = simulate_walk_test(sc, seed=0 if seed is None else seed)
        else:
            res = simulate(sc, seed=0 if seed is None else seed, trajectory=False)
        try:
            write_recording(output, res.recording)
            truth_file = write_truth(output, res.truth)
        except OSError as exc:
            raise UsageProblem(f"-o {output}: cannot write ({exc.strerror or exc})") from None
        summary = _summary(output, truth_file, res)
        if as_json:
            typer.echo(json.dumps(summary, indent=1))
            return
        dirs = ", ".join(f"{n} {d}" for d, n in summary["by_direction"].items()) or "none"
        if "run" in summary["by_gait"]:
            dirs += f" ({summary['by_gait']['run']} running)"
        typer.echo(
            f"wrote {output} ({summary['duration_s']:.1f} s, {'+'.join(summary['feet'])} foot, "
            f"{summary['rate_hz']:g} Hz; strides: {dirs}; cadence {summary['cadence_steps_per_min']:.1f} "
            f"steps/min, speed {summary['mean_speed_m_s']:.2f} m/s) and its truth {truth_file}"
        )
