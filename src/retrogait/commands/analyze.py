"""Analysis commands: ``retrogait analyze`` (strides, direction, cadence, length, incline, bouts) and
``retrogait calibrate`` (learn how the IMU is clipped to the shoe)."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import numpy as np
import typer

from retrogait.commands.option_help import COLUMNS_HELP
from retrogait.errors import UsageProblem
from retrogait.report.text_tables import Block, Column, Paragraph, Table, print_blocks

if TYPE_CHECKING:
    from retrogait.analysis.result import AnalysisResult, StrideTable


def parse_mount(value: str) -> np.ndarray:
    """``--mount`` value: a preset name (identity, z-down), a device-profile JSON path, or 9 numbers."""
    from retrogait.analysis.calibration import read_profile
    from retrogait.analysis.frames import PRESET_MOUNTS, check_rotation

    key = value.strip().lower()
    if key in PRESET_MOUNTS:
        return PRESET_MOUNTS[key]
    path = Path(value).expanduser()
    if path.suffix.lower() == ".json" or path.exists():
        return check_rotation(read_profile(path)["mount"], str(path))
    try:
        nums = [float(x) for x in value.replace(";", ",").split(",")]
    except ValueError:
        nums = []
    if len(nums) == 9:
        return check_rotation(np.array(nums).reshape(3, 3), "--mount")
    raise UsageProblem(
        f"--mount {value!r}: expected a device profile (.json from 'retrogait calibrate'), one of "
        f"{', '.join(PRESET_MOUNTS)}, or 9 comma-separated numbers (row-major, v_foot = M @ v_sensor)"
    )


def _load(path: Path, preset, acc_unit, gyr_unit, rate, foot, columns=None, digest=None):
    from retrogait.io.loading import load_recording

    if not path.exists():
        from retrogait.errors import InputFileError

        raise InputFileError(f"{path}: no such file")
    rec = load_recording(path, preset=preset, acc_unit=acc_unit, gyr_unit=gyr_unit, rate=rate, columns=columns,
                         digest=digest)
    if not rec.source:
        rec.source = str(path)
    if foot:
        if len(rec.streams) == 1 and rec.streams[0].foot == "unknown":
            rec.streams[0] = replace(rec.streams[0], foot=foot)
        else:
            keep = [s for s in rec.streams if s.foot == foot]
            if not keep:
                raise UsageProblem(f"--foot {foot}: {path} has streams for {rec.feet}")
            rec.streams = keep
    return rec


def _fmt(x: Any, unit: str = "", digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:.{digits}f}{unit}"


def _mean_sd(m: Any, sd: Any, unit: str, digits: int = 2) -> str:
    if m is None:
        return "-"
    return f"{m:.{digits}f}" + (f" ± {sd:.{digits}f}" if sd is not None else "") + unit


def _ms(x: Any) -> Any:
    """Seconds (SI, as in the summary) to the displayed milliseconds."""
    return None if x is None else 1000.0 * x


def _cm(x: Any) -> Any:
    """Metres (SI, as in the summary) to the displayed centimetres."""
    return None if x is None else 100.0 * x


def _cell(x: Any, digits: int = 1) -> str:
    return "-" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.{digits}f}"


def print_summary(result: Any) -> None:
    """A readable session summary on stdout: warnings first, then tables that fit 80 columns
    (cm, ms, deg, steps/min; hours and minutes for long durations)."""
    print_blocks(summary_blocks(result))


def summary_blocks(result: Any) -> list[Block]:
    """What :func:`print_summary` prints: warnings, tables and their notes."""
    from retrogait.report.session_tables import default_mount_warning, fmt_clock, fmt_duration

    s = result.summary
    out: list[Block] = []
    warn = default_mount_warning(s["mounting"])
    for w in ([warn] if warn else []) + list(result.warnings):
        out.append(Paragraph(str(w), "warning:", "yellow"))
    head = Table(f"retrogait analysis: {Path(s.get('source') or 'recording').name}",
                 [Column("what", style="bold"), Column("value")], show_header=False, simple_box=True)
    if s.get("subject") or s.get("start_time"):
        head.add_row("subject / start", f"{s.get('subject') or '-'} / {s.get('start_time') or '-'}")
    cond = s.get("tags", {}).get("condition")
    if cond:
        head.add_row("condition", str(cond))
    head.add_row("feet", ", ".join(s["feet"]))
    head.add_row("recording / walking", f"{fmt_duration(s['duration_s'])} / {fmt_duration(s['walking_time_s'])}")
    steps_note = " (2 x strides of one foot)" if s["steps_estimated"] else ""
    head.add_row("strides / steps", f"{s['strides']} / {s['steps']}{steps_note}")
    head.add_row("distance", f"{_cell(s['distance_m'])} m" + (" (belt frame)" if cond == "treadmill" else ""))
    inc = s["incline"]
    if inc["grade_pct"] is None:
        head.add_row("incline estimate", "-")
    else:
        head.add_row("incline estimate", f"{inc['grade_pct']:+.1f} % (95% CI {inc['ci95_low_pct']:+.1f} to "
                                         f"{inc['ci95_high_pct']:+.1f}; statistical only)")
    mnt = s["mounting"]["sources"]
    head.add_row("sensor mounting", "; ".join(f"{f}: {src}" for f, src in mnt.items()))
    head.add_row("walking bouts", str(s["bouts"]))
    energy = s.get("energy")
    if energy:
        from retrogait.analysis.energy import describe_short

        src = f" ({energy['mass_source']})" if energy.get("mass_source", "--mass") != "--mass" else ""
        head.add_row("energy (estimate)", describe_short(energy) + f" at {energy['mass_kg']:g} kg{src}")
    out.append(head)

    cols = ["direction", "gait", "n", "cadence", "stride", "stance", "length", "speed", "time"]
    t = Table("by direction and gait (steady strides)", _columns(cols, ("direction", "gait")), collapse_padding=True)
    for g in s["by_direction_gait"]:
        sd = _cm(g["stride_length_sd_m"])
        t.add_row(g["direction"].replace("sideways_", "side ").replace("_", " "), g["gait"], str(g["strides"]),
                  _cell(g["cadence_steps_per_min"]), _cell(_ms(g["stride_time_s"]), 0), _cell(g["stance_pct"]),
                  _cell(_cm(g["stride_length_m"]), 0) + ("" if sd is None else f" ± {sd:.0f}"),
                  _cell(g["speed_m_s"], 2), fmt_duration(g["time_s"]))
    out.append(t)
    out.append(Paragraph("cadence steps/min, stride ms (medians); stance % of stride; length cm (mean ± SD); "
                         "speed m/s"))

    if s["asymmetry"]:
        a = Table("left / right (two feet)", _columns(
            ("direction", "steps", "step L ms", "step R ms", "asym %", "len L cm", "len R cm", "asym %"),
            ("direction",)), collapse_padding=True)
        for d, v in s["asymmetry"].items():
            a.add_row(d, str(v["steps"]), _cell(_ms(v["step_time_left_s"]), 0), _cell(_ms(v["step_time_right_s"]), 0),
                      _cell(v["step_time_asymmetry_pct"]), _cell(_cm(v["step_length_left_m"])),
                      _cell(_cm(v["step_length_right_m"])), _cell(v["step_length_asymmetry_pct"]))
        out.append(a)
        out.append(Paragraph("asym % = 100 x (larger / smaller - 1); step length = stride length x step time / "
                             "stride time"))

    if "run" in s.get("by_gait", {}):
        g = Table("by gait: medians", _columns(
            ("gait", "n", "cadence", "contact", "duty", "flight", "length", "strike", "impact"), ("gait", "strike")),
            collapse_padding=True)
        for name, v in s["by_gait"].items():
            strike = max(v["strike"], key=v["strike"].get) if v["strike"] else "-"
            g.add_row(name, str(v["strides"]), _fmt(v["cadence_steps_per_min"], "", 0),
                      _fmt(_ms(v["contact_time_s"]), "", 0), _fmt(v["duty_factor"], "", 2),
                      _fmt(_ms(v["flight_time_s"]), "", 0),
                      _fmt(None if v["stride_length_m"] is None else 100 * v["stride_length_m"], "", 0),
                      f"{strike[:4]} {_fmt(v['strike_angle_deg'], '', 0)}" if name == "run" else "-",
                      _fmt(v["peak_impact_g"], "", 1))
        out.append(g)
        out.append(Paragraph("cadence steps/min; contact, flight ms; length cm; strike angle deg; impact g"))

    b = Table("bouts", _columns(("#", "foot", "start", "duration", "n", "dist", "speed", "direction", "gait"),
                                ("foot", "direction", "gait")), collapse_padding=True)
    for bout in result.bouts[:30]:
        b.add_row(str(bout["bout"]), bout["foot"], fmt_clock(bout["t_start"]), fmt_duration(bout["duration_s"]),
                  str(bout["strides"]), f"{bout['distance_m']:.1f}", _fmt(bout["speed_m_s"]),
                  bout["direction"].replace("sideways_", "side ").replace("_", " "), bout.get("gait", "walk"))
    out.append(b)
    more = f"; {len(result.bouts) - 30} more bouts in --json" if len(result.bouts) > 30 else ""
    out.append(Paragraph(f"start m:ss from the recording start; dist m; speed m/s{more}"))
    for note in (energy or {}).get("notes", []):
        out.append(Paragraph(f"note: {note}"))
    return out


def _columns(names: Any, left: Any) -> list[Column]:
    """Table columns that never wrap, left-justified when named in ``left``, else right-justified."""
    return [Column(n, "left" if n in left else "right", no_wrap=True) for n in names]


def _history_comparison(file: Path, baseline: Optional[str], db: Optional[Path]) -> tuple[Any, str]:
    """This file's session against its baseline, as `compare` judges it; (None, why) when it cannot be."""
    from retrogait.errors import RetrogaitError
    from retrogait.history import db as hdb
    from retrogait.history import queries, store
    from retrogait.history.compare import choose_periods, compare

    try:
        conn = hdb.connect(db, must_exist=True)
    except RetrogaitError:
        return None, "no history database: no comparison"
    try:
        sid = store.find_hash(conn, store.file_sha256(file))
        if sid is None:
            return None, "this file is not in the history (retrogait add): no comparison"
        subject = conn.execute("SELECT subject FROM sessions WHERE id = ?", (sid,)).fetchone()[0]
        found = queries.load_sessions(conn, subject)
    finally:
        conn.close()
    try:
        b, c = choose_periods(found, baseline, str(sid), subject)
        return compare(subject, b, c), f"compared with {len(b)} baseline sessions of {subject}"
    except RetrogaitError as exc:
        return None, f"no comparison: {exc}"


def run_analysis(rec: Any, mount: Any, show: bool, settings: Any = None) -> Any:
    """Analyze ``rec`` as the commands do: the ``--mount`` given, else the device profiles on this
    machine; a progress bar on stderr when ``show``."""
    from retrogait.analysis import analyze
    from retrogait.analysis.calibration import profile_mounts

    if mount is None:
        mount = profile_mounts(rec)
    if not show:
        return analyze(rec, mount=mount, settings=settings)
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as prog:
        task = prog.add_task("analyzing", total=1.0)
        return analyze(rec, mount=mount, settings=settings, progress=lambda f: prog.update(task, completed=f))


def add_energy(result: Any, mass: Optional[float], file: Optional[Path] = None, subject: Optional[str] = None,
               db: Optional[Path] = None) -> None:
    """The session's energy estimate as ``summary["energy"]``, with the body mass of ``--mass``, else
    the one the history stores for the recording's subject (``add --mass``; read-only, never needed:
    no history or no stored mass -> no estimate). ``summary["energy"]["mass_source"]`` says which."""
    source = "--mass"
    if mass is None:
        if file is None:
            return
        from retrogait.history.db import default_db_path

        if not (default_db_path() if db is None else Path(db).expanduser()).is_file():
            return  # no history (as lookup_body_mass says), without importing the store and its metrics
        from retrogait.history.store import lookup_body_mass

        found = lookup_body_mass(db, file, subject)
        if found is None:
            return
        mass, who = found
        source = f"stored for {who}"
    from retrogait.analysis.energy import energy_summary

    try:
        result.summary["energy"] = energy_summary(result.strides, mass, result.summary.get("grade_pct"))
    except ValueError as exc:
        raise UsageProblem(f"--mass {mass:g}: {exc}" if source == "--mass" else f"body mass {source}: {exc}") from None
    result.summary["energy"]["mass_source"] = source


def _read_settings(path: Optional[Path]) -> Any:
    """The settings of ``--settings FILE`` (None: the defaults)."""
    if path is None:
        return None
    from retrogait.io.settings_file import read_settings

    return read_settings(path)


def _print_settings(value: bool) -> None:
    if value:
        from retrogait.io.settings_file import settings_toml

        typer.echo(settings_toml(), nl=False)
        raise typer.Exit()


def register(app: typer.Typer) -> None:
    """Add ``analyze`` and ``calibrate`` to ``app``."""

    @app.command("analyze")
    def analyze_cmd(
        file: Path = typer.Argument(..., help="Recording to analyze: native .rgt, or CSV / .mat (see --preset)."),
        mount: Optional[str] = typer.Option(
            None, "--mount",
            help="Sensor-to-foot mounting to use instead of the one stored in the file or the device "
                 "profile: a profile .json written by 'retrogait calibrate', 'identity' (sensor x toes, "
                 "y left, z up), 'z-down' (x toes, y right, z down), or 9 numbers row-major."),
        as_json: bool = typer.Option(False, "--json", help="Print the summary, bouts and strides as JSON."),
        strides: Optional[Path] = typer.Option(
            None, "--strides", help="Also write the per-stride table as CSV to this path (units in the "
                                    "column names: m, s, deg; plain CSV, metadata in a .json sidecar)."),
        foot: Optional[str] = typer.Option(
            None, "--foot", help="Analyze only this foot (left/right), or say which foot a one-sensor "
                                 "file is from."),
        preset: Optional[str] = typer.Option(
            None, "--preset", help="CSV layout for imported files: retrogait, gaitmap, gaitmap-raw, "
                                   "gaitmap-single, xio, generic, openshoe (default: guess)."),
        acc_unit: Optional[str] = typer.Option(None, "--acc-unit", help="Accelerometer unit of a CSV: g, mg, m/s^2."),
        gyr_unit: Optional[str] = typer.Option(None, "--gyr-unit", help="Gyroscope unit of a CSV: deg/s, rad/s."),
        rate: Optional[float] = typer.Option(None, "--rate", help="Sample rate (Hz) of a CSV without timestamps."),
        columns: Optional[str] = typer.Option(None, "--columns", help=COLUMNS_HELP),
        plot: Optional[Path] = typer.Option(
            None, "--plot", help="Also draw the session as a PNG: each stride from above in the foot's frame, "
                                 "the stride-length histogram (treadmill) or the path (overground), stride "
                                 "length and cadence over time (per-minute summaries for long sessions)."),
        settings: Optional[Path] = typer.Option(
            None, "--settings", dir_okay=False,
            help="Analysis thresholds from a TOML file (only the ones you change; see --print-settings). "
                 "The settings used are in --json and the --strides sidecar."),
        mass: Optional[float] = typer.Option(
            None, "--mass", help="Body mass (kg): adds an energy estimate (kcal, MET, W/kg with its 95 % "
                                 "range; ACSM equations, backward walking x1.4; see docs/metrics.md). "
                                 "Default: the mass 'add --mass' stored for the recording's subject, if any."),
        print_settings: bool = typer.Option(
            False, "--print-settings", is_eager=True, callback=_print_settings,
            help="Print every analysis setting as TOML, with its unit and the reason for its default, and exit."),
    ) -> None:
        """Find every stride, its direction (forward/backward/sideways) and its parameters; print a summary.

        \b
        Examples:
          retrogait analyze sample_data/backward_treadmill_5pct.rgt --strides strides.csv
          retrogait analyze sample_data/mixed_session.rgt --plot session.png
        """
        if foot is not None and foot not in ("left", "right"):
            raise UsageProblem(f"--foot {foot!r}: expected left or right")
        m = parse_mount(mount) if mount else None
        chosen = _read_settings(settings)
        rec = _load(file, preset, acc_unit, gyr_unit, rate, foot, columns)
        long_file = sum(s.n for s in rec.streams) > 2_000_000 and not as_json
        result = run_analysis(rec, m, long_file, chosen)
        add_energy(result, mass, file, rec.subject)
        if strides is not None:
            from retrogait._version import __version__
            from retrogait.balance.catalog import json_ready
            from retrogait.io.stride_csv import write_strides

            if strides.suffix.lower() == ".json":
                raise UsageProblem(f"--strides {strides}: give a .csv path (the .json sidecar is written beside it)")
            sidecar = write_strides(result.strides, strides, {
                "source": str(file), "retrogait_version": __version__,
                "summary": json_ready(result.summary),
                "mounts": result.mounts, "settings": result.settings.to_dict(),
                "warnings": list(result.warnings)})
        if plot is not None:
            from retrogait.report.session_plot import save_session_plot

            save_session_plot(result, plot, title=f"retrogait: {file.name}")
        if as_json:
            typer.echo(dump_result_json(result))
        else:
            print_summary(result)
            if strides is not None:
                typer.echo(f"per-stride table: {strides} ({len(result.strides)} rows; metadata in {sidecar})")
            if plot is not None:
                typer.echo(f"session plot: {plot}")

    @app.command("report")
    def report_cmd(
        file: Path = typer.Argument(..., help="Recording to report on: native .rgt, or CSV (see --preset)."),
        output: Path = typer.Option(Path("session.html"), "--output", "-o", help="HTML file to write."),
        preset: Optional[str] = typer.Option(None, "--preset", help="CSV layout, as for 'analyze'."),
        mount: Optional[str] = typer.Option(None, "--mount", help="Sensor-to-foot mounting, as for 'analyze'."),
        baseline: Optional[str] = typer.Option(
            None, "--baseline", "-b", help="Baseline period for the comparison when the history holds this "
            "session (as for 'compare'; default: the first two ISO weeks, at least 3 sessions)."),
        db: Optional[Path] = typer.Option(None, "--db", help="History database (as for 'compare').", dir_okay=False),
        settings: Optional[Path] = typer.Option(
            None, "--settings", dir_okay=False, help="Analysis thresholds from a TOML file (as for 'analyze')."),
        mass: Optional[float] = typer.Option(
            None, "--mass", help="Body mass (kg): adds the energy estimate. Default: the mass 'add --mass' "
                                 "stored in the history (--db) for the recording's subject, if any."),
    ) -> None:
        """Write a self-contained one-page HTML report of a session (images embedded, no network):
        who / when / condition, warnings, direction split, session plot, per-direction tables, left/right
        asymmetry, balance metrics with typical values and, when the history holds this session, the
        verdicts of 'compare' against the baseline.

        Example: retrogait report sample_data/mixed_session.rgt -o session.html
        """
        from retrogait.report.session_report import session_report_html

        m = parse_mount(mount) if mount else None
        chosen = _read_settings(settings)
        rec = _load(file, preset, None, None, None, None)
        result = run_analysis(rec, m, False, chosen)
        add_energy(result, mass, file, rec.subject, db)
        comparison, note = _history_comparison(file, baseline, db)
        page = session_report_html(result, rec, file.name, comparison)
        try:
            output.write_text(page)
        except OSError as exc:
            raise UsageProblem(f"{output}: cannot write ({exc.strerror})") from None
        typer.echo(f"wrote {output}" + (f" ({note})" if note else ""))

    @app.command("calibrate")
    def calibrate_cmd(
        file: Path = typer.Argument(
            ..., help="A calibration recording: stand still 2-3 s, then walk FORWARD at least 10 strides."),
        device_id: Optional[str] = typer.Option(
            None, "--device-id",
            help="Save the mounting as this device's profile (default: the device id stored in the file)."),
        apply: list[Path] = typer.Option(
            [], "--apply", help="Store the mounting into these native .rgt recordings too (repeatable)."),
        no_profile: bool = typer.Option(False, "--no-profile", help="Do not write a device profile."),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
        foot: Optional[str] = typer.Option(None, "--foot", help="Which foot a one-sensor file is from."),
        preset: Optional[str] = typer.Option(None, "--preset", help="CSV layout (see 'retrogait analyze --help')."),
        acc_unit: Optional[str] = typer.Option(None, "--acc-unit", help="Accelerometer unit of a CSV."),
        gyr_unit: Optional[str] = typer.Option(None, "--gyr-unit", help="Gyroscope unit of a CSV."),
        rate: Optional[float] = typer.Option(None, "--rate", help="Sample rate (Hz) of a CSV without timestamps."),
        columns: Optional[str] = typer.Option(None, "--columns", help=COLUMNS_HELP),
    ) -> None:
        """Learn how the IMU is clipped to the shoe, from standing still then walking forward.

        Gravity while standing gives the foot's up axis, the swing rotation its left-right axis, and the
        known forward walking which way the toes point. The result is saved as a device profile
        (used by 'retrogait analyze' for later sessions of that device) and/or stored into recordings.

        Example: retrogait calibrate calib_walk.rgt --device-id imu-7 --apply monday.rgt
        """
        from retrogait.analysis.calibration import calibrate_recording, save_profile
        from retrogait.analysis.calibration import device_id as dev_of

        rec = _load(file, preset, acc_unit, gyr_unit, rate, foot, columns)
        cals = calibrate_recording(rec)
        saved: dict[str, str] = {}
        if not no_profile:
            for (key, cal), stream in zip(cals.items(), rec.streams):
                dev = device_id or dev_of(stream)
                if dev is None:
                    continue
                if device_id and len(cals) > 1:
                    dev = f"{device_id}-{key}"
                saved[key] = str(save_profile(dev, cal, str(file)))
        applied = [_apply(path, cals) for path in apply]
        out: dict[str, Any] = {
            key: {**cal.to_json(None, str(file)), "profile": saved.get(key)} for key, cal in cals.items()
        }
        out["applied_to"] = applied
        if as_json:
            typer.echo(json.dumps(out, indent=1, default=_json_default))
            return
        for key, cal in cals.items():
            typer.echo(f"{key}: mounting (v_foot = M @ v_sensor), from {cal.strides} strides:")
            for row in cal.mount:
                typer.echo("   " + "  ".join(f"{v:+.4f}" for v in row))
            agree = ", ".join(f"{k} {v:.0%}" for k, v in cal.agreement.items())
            typer.echo(f"   checks: {agree} -> {'consistent' if cal.consistent else 'INCONSISTENT'}")
            for w in cal.warnings:
                typer.echo(f"   warning: {w}")
            if key in saved:
                typer.echo(f"   saved device profile: {saved[key]}")
        if not saved and not applied and not no_profile:
            typer.echo("no device id in the file: nothing saved (use --device-id ID or --apply FILE)")
        for path in applied:
            typer.echo(f"stored the mounting into {path}")


def _apply(path: Path, cals: dict[str, Any]) -> str:
    """Store the calibrated mounting(s) into a native recording, matching streams by foot."""
    from retrogait.io.fileformat import write_recording
    from retrogait.io.loading import NATIVE_SUFFIX, load_recording

    if path.suffix.lower() != NATIVE_SUFFIX:
        raise UsageProblem(f"--apply {path}: only native {NATIVE_SUFFIX} recordings can store a mounting "
                           "(convert it first with 'retrogait convert')")
    rec = load_recording(path)
    for i, s in enumerate(rec.streams):
        cal = cals.get(s.foot) or (next(iter(cals.values())) if len(cals) == 1 else None)
        if cal is None:
            raise UsageProblem(f"--apply {path}: no calibration for its {s.foot} foot stream")
        rec.streams[i] = replace(s, mount=cal.mount)
    write_recording(path, rec)
    return str(path)


def dump_json(data: Any) -> str:
    """``--json`` output: indented for a person at a terminal, compact (one line) when piped or
    redirected for a program. orjson writes it (a 24-hour file's 60,000 strides in about half a second,
    three times faster than the standard library); NaN and infinity become null."""
    import sys

    import orjson

    option = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
    if sys.stdout.isatty():
        option |= orjson.OPT_INDENT_2
    return orjson.dumps(data, default=_json_default, option=option).decode()


def dump_result_json(result: AnalysisResult) -> str:
    """``--json`` of an analysis: :func:`dump_json` of ``result.to_dict()``, the same text, but when it is
    compact (piped) the stride rows are written column by column: a day's 60,000 rows are never built as
    Python dicts."""
    import sys

    import orjson

    if sys.stdout.isatty():
        return dump_json(result.to_dict())
    option = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
    head = orjson.dumps(result.to_dict(strides=False), default=_json_default, option=option)
    return b"".join([head[:-1], b',"strides":[', _rows_json(result.strides), b"]}"]).decode()


def _rows_json(table: StrideTable) -> bytes:
    """``orjson.dumps(table.to_records())`` (compact) between its brackets, from the columns: each
    column serialised at once and cut into its values (numbers and null hold no comma; text values
    are serialised once per distinct value), then each row filled into one template."""
    import orjson

    cols = table.columns()
    tokens = []
    for v in cols.values():
        if v.dtype.kind in "US":
            known = {u: orjson.dumps(u) for u in set(v.tolist())}
            tokens.append([known[x] for x in v.tolist()])
            continue
        values = (np.round(v, 6) if v.dtype.kind == "f" else v).tolist()  # as StrideTable.to_records
        if v.dtype.kind == "f" and not np.isfinite(v).all():
            values = [x if math.isfinite(x) else None for x in values]
        tokens.append(orjson.dumps(values)[1:-1].split(b",") if values else [])
    template = b"{" + b",".join(orjson.dumps(k) + b":%s" for k in cols) + b"}"
    return b",".join([template % row for row in zip(*tokens)])


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")
