"""File commands: ``retrogait info`` (what is in a recording, and what is wrong with it) and
``retrogait convert`` (native .rgt <-> CSV, importing the gaitmap / x-io / OpenShoe layouts)."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

import numpy as np
import typer

from retrogait.commands.option_help import COLUMNS_HELP, PRESET_HELP
from retrogait.definitions import gap_indices, missing_samples
from retrogait.errors import InputFileError, UsageProblem
from retrogait.io.csvio import write_csv
from retrogait.io.fileformat import MAGIC, FileReport, read_report, write_recording
from retrogait.io.loading import CSV_SUFFIXES, LOAD_PRESETS, NATIVE_SUFFIX, load_recording
from retrogait.io.plain_csv import sidecar_path, write_plain_csv
from retrogait.io.recording import FEET, Recording, Stream


def find_gaps(t: np.ndarray, rate: float | None) -> tuple[list[tuple[float, float]], int]:
    """Gaps in timestamps ``t`` at ``rate`` Hz (:func:`retrogait.definitions.gap_indices`):
    ([(t_start, t_end), ...], estimated dropped samples)."""
    if t.size < 2 or not rate:
        return [], 0
    period = 1.0 / rate
    idx = gap_indices(t, period)
    dropped = int(np.sum(missing_samples(t[idx + 1] - t[idx], period))) if idx.size else 0
    return [(float(t[i]), float(t[i + 1])) for i in idx], dropped


def _count(v: Any) -> bool:
    """A whole number >= 0 (not a bool), as the recorder writes counts."""
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def stream_summary(s: Stream, events: list[dict[str, Any]], index: int) -> dict[str, Any]:
    """Per-stream facts for ``info``: samples, duration, rates, gaps (timestamps and gap events)."""
    measured = s.measured_rate
    gaps, dropped = find_gaps(s.t, s.nominal_rate or measured)
    gap_events = [e for e in events if e.get("kind") == "gap" and e.get("stream", index) == index]
    gap_s = float(sum(float(e.get("t_end", e.get("t", 0))) - float(e.get("t", 0)) for e in gap_events))
    rate = s.nominal_rate or measured or 0.0
    # a gap event spans from the last sample before to the first after: missing + 1 intervals; the
    # recorder says how many were missing when the device's own data tell it
    gap_samples = sum(int(e["missing_estimate"]) if _count(e.get("missing_estimate"))
                      else max(int(round((float(e.get("t_end", e.get("t", 0))) - float(e.get("t", 0))) * rate)) - 1, 0)
                      for e in gap_events)
    stats = [e for e in events if e.get("kind") == "recorder_stats" and e.get("stream", index) == index]
    recorded_drops = stats[-1].get("dropped") if stats and _count(stats[-1].get("dropped")) else None
    backwards = int(np.sum(np.diff(s.t) <= 0)) if s.n > 1 else 0
    return {
        "index": index, "foot": s.foot, "samples": s.n, "duration_s": s.duration,
        "t_first": float(s.t[0]) if s.n else None, "t_last": float(s.t[-1]) if s.n else None,
        "nominal_rate_hz": s.nominal_rate, "measured_rate_hz": measured,
        "device": s.device, "mount": None if s.mount is None else s.mount.tolist(),
        "channels": ["t"] + (["t_host"] if s.t_host is not None else []) + ["acc", "gyr"]
        + (["mag"] if s.mag is not None else []),
        "gaps": len(gaps), "dropped_samples": dropped,
        "longest_gap_s": max((b - a for a, b in gaps), default=0.0),
        "gap_list": [{"t": a, "t_end": b} for a, b in gaps[:20]],
        "gap_events": len(gap_events), "gap_event_seconds": gap_s,
        "gap_event_samples": int(gap_samples),
        "recorder_dropped": recorded_drops,
        "non_increasing_timestamps": backwards,
    }


def summarize(rec: Recording, report: FileReport | None) -> dict[str, Any]:
    """A JSON-ready description of a recording (and of the native file's integrity, when known)."""
    out: dict[str, Any] = {
        "file": rec.source, "format": "retrogait native" if report else "imported",
        "start_time": rec.start_time, "subject": rec.subject, "tags": rec.tags, "feet": rec.feet,
        "duration_s": rec.duration, "streams": [stream_summary(s, rec.events, i) for i, s in enumerate(rec.streams)],
        "events": len(rec.events), "event_kinds": sorted({str(e.get("kind")) for e in rec.events}),
        "warnings": rec.warnings,
    }
    if report is not None:
        out.update({
            "format_version": report.format_version, "file_size_bytes": report.size, "blocks": report.n_blocks,
            "sample_blocks": report.n_sample_blocks, "closed_cleanly": report.closed_cleanly,
            "checksum_problems": [{"block": p.block, "byte_offset": p.offset, "problem": p.reason}
                                  for p in report.problems],
            "truncated_tail": None if report.truncated_tail is None else
            {"byte_offset": report.truncated_tail[0], "bytes": report.truncated_tail[1]},
            "created_by": report.header.get("created_by"),
        })
    return out


def _fmt_rate(x: float | None) -> str:
    return "unknown" if not x else f"{x:.6g} Hz"


def _print_summary(d: dict[str, Any]) -> None:
    echo = typer.echo
    echo(f"file:        {d['file']}")
    if "format_version" in d:
        echo(f"format:      retrogait native v{d['format_version']}, {d['file_size_bytes']:,} bytes, "
             f"{d['blocks']:,} blocks ({d['sample_blocks']:,} of samples), "
             f"{'closed cleanly' if d['closed_cleanly'] else 'NOT closed cleanly (interrupted?)'}")
    else:
        echo("format:      imported (not a native recording)")
    echo(f"start time:  {d['start_time'] or 'unknown'}")
    echo(f"subject:     {d['subject'] or '-'}")
    if d["tags"]:
        echo("tags:        " + ", ".join(f"{k}={v}" for k, v in d["tags"].items()))
    echo(f"duration:    {d['duration_s']:.3f} s")
    for s in d["streams"]:
        dev = ", ".join(f"{k}={v}" for k, v in s["device"].items()) or "-"
        echo(f"stream {s['index']} ({s['foot']} foot): {s['samples']:,} samples, {s['duration_s']:.3f} s, "
             f"rate nominal {_fmt_rate(s['nominal_rate_hz'])} / measured {_fmt_rate(s['measured_rate_hz'])}")
        echo(f"  device: {dev}; channels: {' '.join(s['channels'])}; "
             f"mount: {'known' if s['mount'] is not None else 'unknown'}")
        echo(f"  gaps in timestamps: {s['gaps']} (about {s['dropped_samples']:,} dropped samples, longest "
             f"{s['longest_gap_s']:.3f} s); gap events: {s['gap_events']} ({s['gap_event_seconds']:.3f} s, about "
             f"{s['gap_event_samples']:,} samples)"
             + (f"; the recorder counted {r:,} dropped" if (r := s["recorder_dropped"]) is not None else "")
             + (f"; {n} non-increasing timestamps" if (n := s["non_increasing_timestamps"]) else ""))
    echo(f"events:      {d['events']}" + (f" ({', '.join(d['event_kinds'])})" if d["events"] else ""))
    if "checksum_problems" in d:
        probs = d["checksum_problems"]
        echo(f"checksums:   {'all blocks OK' if not probs else f'{len(probs)} bad block(s)'}")
        for p in probs:
            echo(f"  block {p['block']} at byte {p['byte_offset']}: {p['problem']}")
        if d["truncated_tail"]:
            echo(f"truncated:   last {d['truncated_tail']['bytes']} bytes from byte "
                 f"{d['truncated_tail']['byte_offset']} are an incomplete block (ignored)")
    for w in d["warnings"]:
        if "checksum" not in w and "truncated" not in w:
            echo(f"warning:     {w}")


def _open(path: Path, preset, acc_unit, gyr_unit, rate, foot, columns=None) -> tuple[Recording, FileReport | None]:
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    try:
        with open(path, "rb") as f:
            native = f.read(5) == MAGIC[:5]
    except OSError:
        native = False
    if native or (path.suffix.lower() == NATIVE_SUFFIX and not preset):
        return read_report(path)
    rec = load_recording(path, preset=preset, acc_unit=acc_unit, gyr_unit=gyr_unit, rate=rate, foot=foot,
                         columns=columns)
    return rec, None


def _parse_tag(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise UsageProblem(f"--tag {text!r}: expected KEY=VALUE, e.g. --tag incline_pct=5")
    key, value = text.split("=", 1)
    try:
        parsed = json.loads(value)
        if isinstance(parsed, (list, dict)) or (isinstance(parsed, float) and not math.isfinite(parsed)):
            parsed = value  # tags are JSON scalars; NaN / Infinity stay text
    except json.JSONDecodeError:
        parsed = value
    if not key.strip():
        raise UsageProblem(f"--tag {text!r}: the key is empty; expected KEY=VALUE")
    return key.strip(), parsed


def _check_rate(rate: float | None) -> None:
    """--rate must be a finite number of Hz > 0."""
    if rate is not None and not (math.isfinite(rate) and rate > 0):
        raise UsageProblem(f"--rate {rate}: expected a sample rate in Hz > 0")


def _check_start_time(text: str | None) -> None:
    """--start-time must be an ISO 8601 time (or empty for unknown)."""
    if not text:
        return
    try:
        datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageProblem(f"--start-time {text!r}: expected an ISO 8601 time such as 2026-01-31T09:30:00Z") from None


def register(app: typer.Typer) -> None:
    """Add ``info`` and ``convert`` to ``app``."""

    @app.command()
    def info(
        file: Path = typer.Argument(..., help="A recording: native .rgt, or any file convert can import."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON object instead of text."),
        preset: Optional[str] = typer.Option(None, "--preset", help=PRESET_HELP),
        rate: Optional[float] = typer.Option(
            None, "--rate", help="Sample rate (Hz) for imports without a time column."),
    ) -> None:
        """Show what a recording holds and what is wrong with it: header (device, feet, subject, tags),
        duration, sample rate nominal vs measured, gaps and dropped samples (from the timestamps and
        from gap events), checksum problems (block number and byte offset) and a truncated tail.

        \b
        Examples:
          retrogait info sample_data/backward_treadmill_5pct.rgt
          retrogait info walk.rgt --json
          retrogait info ../shared/data/xio_loop/short_walk.csv
        """
        _check_rate(rate)
        rec, report = _open(file, preset, None, None, rate, None)
        summary = summarize(rec, report)
        if json_out:
            typer.echo(json.dumps(summary, indent=2, default=str))
        else:
            _print_summary(summary)

    @app.command()
    def convert(
        src: Path = typer.Argument(..., metavar="IN", help="Input: native .rgt, CSV (see --preset) or OpenShoe .mat."),
        dst: Path = typer.Argument(..., metavar="OUT", help="Output: .rgt (native) or .csv (retrogait CSV)."),
        preset: Optional[str] = typer.Option(None, "--preset", help=PRESET_HELP),
        acc_unit: Optional[str] = typer.Option(
            None, "--acc-unit", help="Accelerometer unit of the CSV side: for a CSV input, what its values are "
            "in (g, mg, m/s^2), overriding the preset; for a CSV output, what to write (default m/s^2)."),
        gyr_unit: Optional[str] = typer.Option(
            None, "--gyr-unit", help="Gyroscope unit of the CSV side (deg/s, rad/s), like --acc-unit."),
        rate: Optional[float] = typer.Option(
            None, "--rate", help="Sample rate in Hz: for files without a time column (gaitmap index, "
            "OpenShoe) this sets the time axis; otherwise it sets the nominal rate in the header."),
        foot: Optional[str] = typer.Option(None, "--foot", help="Foot of a one-foot input: left or right."),
        columns: Optional[str] = typer.Option(None, "--columns", help=COLUMNS_HELP),
        subject: Optional[str] = typer.Option(None, "--subject", help="Subject id to store in the header."),
        tag: Optional[list[str]] = typer.Option(
            None, "--tag", help="KEY=VALUE tag to add (repeatable), e.g. --tag condition=treadmill "
            "--tag incline_pct=5 --tag belt_speed_m_s=0.8"),
        start_time: Optional[str] = typer.Option(
            None, "--start-time", help="Start time to store (ISO 8601 UTC, e.g. 2026-01-31T09:30:00Z)."),
        mount: Optional[str] = typer.Option(
            None, "--mount", help="identity: the data are already in the foot frame (x toes, y left, z up); "
            "unknown: raw sensor axes, let the analysis find the mounting. Default: what the input says."),
        force: bool = typer.Option(False, "--force", "-f", help="Overwrite OUT if it exists."),
        plain: bool = typer.Option(
            False, "--plain", help="CSV output for other tools (Excel, pandas): no '#' lines, units in the "
            "column names, the header and events in OUT.json. Without it the CSV keeps them in '#' lines, "
            "which retrogait reads back exactly."),
    ) -> None:
        """Convert between the native format and CSV; import gaitmap, x-io and OpenShoe files.

        The direction follows the extensions (.rgt native, .csv CSV). native -> CSV -> native is exact
        to the stored precision (use the default SI units for that).

        \b
        Examples:
          retrogait convert imu_sample.csv walk.rgt --preset gaitmap --subject S01 --tag condition=overground
          retrogait convert short_walk.csv walk.rgt --preset xio --foot right
          retrogait convert walk.rgt walk.csv --acc-unit g --gyr-unit deg/s
          retrogait convert walk.rgt walk.csv --plain        # for Excel / pandas (+ walk.json)
          retrogait convert arduino.csv walk.rgt --columns 't[ms],ax,ay,az,gx,gy,gz' --acc-unit g --gyr-unit deg/s
        """
        if foot is not None and foot not in FEET:
            raise UsageProblem(f"--foot {foot!r}: expected one of {', '.join(FEET)}")
        if preset is not None and preset.lower() not in LOAD_PRESETS:
            raise UsageProblem(f"--preset {preset!r}: expected one of {', '.join(LOAD_PRESETS)}")
        if mount not in (None, "identity", "unknown"):
            raise UsageProblem(f"--mount {mount!r}: expected identity or unknown")
        _check_rate(rate)
        _check_start_time(start_time)
        out_suffix = dst.suffix.lower()
        if out_suffix not in (NATIVE_SUFFIX,) + CSV_SUFFIXES:
            raise UsageProblem(f"{dst}: unknown output type {dst.suffix or '(none)'!r}: use .rgt (native) or .csv")
        if plain and out_suffix == NATIVE_SUFFIX:
            raise UsageProblem("--plain is for a .csv output")
        if dst.exists() and not force:
            raise UsageProblem(f"{dst}: exists; add --force to overwrite")
        if dst.resolve() == src.resolve():
            raise UsageProblem(f"{dst}: output is the input file")
        imported = _is_text(src)  # units then describe the input; for a native input, the CSV output
        rec, _ = _open(src, preset, acc_unit if imported else None, gyr_unit if imported else None, rate, foot,
                       columns)
        _apply_overrides(rec, rate=rate, foot=foot, subject=subject, tags=tag or [], start_time=start_time, mount=mount)
        for w in rec.warnings:
            typer.echo(f"retrogait: warning: {w}", err=True)
        if out_suffix == NATIVE_SUFFIX:
            write_recording(dst, rec)
        else:
            writer = write_plain_csv if plain else write_csv
            writer(dst, rec, acc_unit=(acc_unit if not imported and acc_unit else "m/s^2"),
                   gyr_unit=(gyr_unit if not imported and gyr_unit else "rad/s"))
        n = sum(s.n for s in rec.streams)
        typer.echo(f"wrote {dst}: {len(rec.streams)} stream(s) ({', '.join(rec.feet)}), {n:,} samples, "
                   f"{rec.duration:.2f} s")
        if out_suffix != NATIVE_SUFFIX:
            typer.echo(f"metadata: {sidecar_path(dst)} (plain CSV for Excel / pandas)" if plain else
                       "retrogait CSV: the header is in '#' lines (retrogait reads it back exactly); for "
                       "Excel / pandas use --plain")


def _is_text(path: Path) -> bool:
    """True for an input that is imported (CSV/.mat), False for a native recording."""
    try:
        with open(path, "rb") as f:
            return f.read(5) != MAGIC[:5]
    except OSError:
        return True


def _apply_overrides(rec: Recording, *, rate, foot, subject, tags, start_time, mount) -> None:
    if foot:
        if len(rec.streams) != 1:
            raise UsageProblem(f"--foot applies to one-foot files; this one has {len(rec.streams)} streams "
                               f"({', '.join(rec.feet)})")
        rec.streams[0].foot = foot
    if rate:
        for s in rec.streams:
            s.nominal_rate = rate
    if subject is not None:
        rec.subject = subject
    for text in tags:
        key, value = _parse_tag(text)
        rec.tags[key] = value
    if start_time is not None:
        rec.start_time = start_time
    if mount == "identity":
        for s in rec.streams:
            s.mount = np.eye(3)
    elif mount == "unknown":
        for s in rec.streams:
            s.mount = None
