"""Commands ``ports``, ``record`` and ``emulate``: capture a shoe IMU over USB, or pretend to be one."""

from __future__ import annotations

import json
import re
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, Optional

import typer

from retrogait.errors import UsageProblem

DURATION_RE = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$")


def parse_duration(text: str | None) -> float | None:
    """``"20m"``, ``"90s"``, ``"1h30m"``, ``"45"`` (seconds) -> seconds; None for None."""
    if text is None:
        return None
    m = DURATION_RE.match(text.strip().lower())
    if not text.strip() or not m or not any(m.groups()):
        raise UsageProblem(f"--duration {text!r}: expected e.g. 20m, 90s, 1h30m or a number of seconds")
    h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    total = h * 3600 + mi * 60 + s
    if total <= 0:
        raise UsageProblem(f"--duration {text!r}: must be more than 0")
    return total


def parse_tags(items: list[str] | None) -> dict[str, Any]:
    """``["belt_speed_m_s=0.8", "condition=treadmill"]`` -> dict (numbers and booleans typed)."""
    tags: dict[str, Any] = {}
    for item in items or []:
        key, sep, val = item.partition("=")
        if not sep or not key.strip():
            raise UsageProblem(f"--tag {item!r}: expected key=value, e.g. --tag incline_pct=5")
        try:
            v: Any = json.loads(val)
            if not isinstance(v, (int, float, bool, str)) or v is None:
                v = val
        except ValueError:
            v = val
        tags[key.strip()] = v
    return tags


def text_format_from(preset: str | None, columns: str | None, units: str | None,
                     time_unit: str | None):
    """The text-line format from ``--text-preset`` / ``--columns`` / ``--units`` (None: auto)."""
    from retrogait.protocols.text import PRESETS, TextFormat, parse_columns

    if preset is None and columns is None and units is None and time_unit is None:
        return None
    if preset is not None and preset not in PRESETS:
        raise UsageProblem(f"--text-preset {preset!r}: use one of {', '.join(PRESETS)}")
    base = PRESETS[preset or "retrogait-csv"]
    acc_unit, gyr_unit = base.acc_unit, base.gyr_unit
    if units:
        parts = [u.strip() for u in units.split(",")]
        if len(parts) != 2:
            raise UsageProblem(f"--units {units!r}: expected ACC,GYR, e.g. g,deg/s")
        acc_unit, gyr_unit = parts
    return TextFormat(parse_columns(columns) if columns else base.columns, acc_unit, gyr_unit,
                      time_unit or base.time_unit)


def _install_sigterm(stop) -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop())


def register(app: typer.Typer) -> None:
    """Add ``ports``, ``record`` and ``emulate`` to ``app``."""

    @app.command("ports")
    def ports_cmd(
        as_json: bool = typer.Option(False, "--json", help="Print the list as JSON (device, vid_pid, description ...)."),
    ) -> None:
        """List serial ports with their USB vendor:product id, and name the devices retrogait knows.

        Example: retrogait ports --json
        """
        from retrogait.device.ports import port_dicts

        ports = port_dicts()
        if as_json:
            typer.echo(json.dumps(ports, indent=2))
            return
        if not ports:
            typer.echo("no serial ports found (is the device plugged in? try another USB cable: some only charge)")
            return
        typer.echo(f"{'port':<22} {'vid:pid':<10} description")
        for p in ports:
            extra = f"  <- {p['recognised']}" if p["recognised"] else ""
            typer.echo(f"{p['device']:<22} {p['vid_pid'] or '-':<10} {p['description'] or ''}{extra}")

    @app.command("record")
    def record_cmd(
        output: str = typer.Option(..., "--output", "-o", help="The .rgt file to write (created; data reaches it every second)."),
        port: list[str] = typer.Option(..., "--port", "-p", help="Serial port of the IMU (see `retrogait ports`). Give it twice for two feet: the first is --foot (default left), the second the other foot."),
        port_right: Optional[str] = typer.Option(None, "--port-right", help="Port of the right-foot IMU (then --port is the left one)."),
        foot: Optional[str] = typer.Option(None, "--foot", help="Which foot the (first) IMU is on: left or right."),
        protocol: str = typer.Option("auto", "--protocol", help="auto (sniff ~1 s of bytes and say which), retrogait, witmotion, ximu3 or text."),
        baud: int = typer.Option(115200, "--baud", help="Serial speed. WitMotion: 9600 by default, USB models often 115200. Ignored by native USB devices."),
        rate: Optional[float] = typer.Option(None, "--rate", help="Ask the device for this output rate, Hz (retrogait, WitMotion <= 200, x-IMU3). 100-200 Hz suits walking."),
        duration: Optional[str] = typer.Option(None, "--duration", help="Stop after this long: 20m, 90s, 1h30m. Default: until Ctrl-C."),
        subject: str = typer.Option("", "--subject", help="Subject id stored in the header."),
        tag: Optional[list[str]] = typer.Option(None, "--tag", help="key=value stored in the header, repeatable: --tag condition=treadmill --tag belt_speed_m_s=0.8 --tag incline_pct=5"),
        reconnect_timeout: float = typer.Option(30.0, "--reconnect-timeout", help="Seconds to wait for an unplugged device to come back (the gap is marked)."),
        text_preset: Optional[str] = typer.Option(None, "--text-preset", help="Text lines layout: retrogait-csv, retrogait-csv-sum (with a *hh checksum), arduino-lsm6ds3, arduino-lsm6ds3-t, adafruit."),
        columns: Optional[str] = typer.Option(None, "--columns", help="Text column map, e.g. t,ax,ay,az,gx,gy,gz (- skips a column)."),
        units: Optional[str] = typer.Option(None, "--units", help="Text units ACC,GYR, e.g. g,deg/s or m/s^2,rad/s."),
        time_unit: Optional[str] = typer.Option(None, "--time-unit", help="Unit of the text time column: us, ms or s."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No live view."),
        overwrite: bool = typer.Option(False, "--overwrite", help="Replace OUTPUT if it exists (default: refuse, so no session is lost)."),
        as_json: bool = typer.Option(False, "--json", help="Print the final summary as JSON."),
    ) -> None:
        """Record one or two shoe IMUs over USB into a crash-safe .rgt file, with a live view.

        The protocol is recognised from the first second of bytes (and said); data reaches the file every
        second; Ctrl-C stops cleanly; an unplugged device is waited for (--reconnect-timeout) and the gap
        is marked.

        \b
        Examples:
          retrogait record --port /dev/ttyACM0 --foot left --duration 20m --subject P01 --tag condition=treadmill -o walk.rgt
          retrogait record --port /dev/ttyACM0 --port-right /dev/ttyACM1 -o both.rgt
        """
        from retrogait.device.recorder import DeviceSpec, Recorder

        if foot is not None and foot not in ("left", "right"):
            raise UsageProblem(f"--foot {foot!r}: use left or right")
        ports = list(port) + ([port_right] if port_right else [])
        if len(ports) > 2:
            raise UsageProblem("at most two IMUs (one per foot): give --port once or twice")
        if len(ports) == 1:
            specs = [DeviceSpec(ports[0], foot or "unknown")]
        else:
            first = foot or "left"
            specs = [DeviceSpec(ports[0], first), DeviceSpec(ports[1], "right" if first == "left" else "left")]
            if port_right and foot == "right":
                raise UsageProblem("--port-right is the right foot; --foot right for the other port contradicts it")
        if len({s.port for s in specs}) != len(specs):
            raise UsageProblem("the two --port values are the same port")
        out_path = Path(output)
        if out_path.exists() and not overwrite:
            raise UsageProblem(f"{output} exists; choose another name or add --overwrite")
        if not out_path.parent.is_dir():
            raise UsageProblem(f"{output}: folder {out_path.parent} does not exist")
        fmt = text_format_from(text_preset, columns, units, time_unit)
        seconds = parse_duration(duration)
        rec = Recorder(specs, output, protocol=protocol, baud=baud, rate=rate, text_format=fmt, subject=subject,
                       tags=parse_tags(tag), reconnect_timeout=reconnect_timeout)
        rec.open()
        for st in rec.states:
            typer.echo(f"{st.spec.port} ({st.spec.foot}): {st.conn.reason}", err=True)
        _install_sigterm(lambda: rec.stop("terminated (SIGTERM)"))
        if quiet:
            summary = rec.run(seconds)
        else:
            from retrogait.device.liveview import run_with_live_view

            summary = run_with_live_view(rec, seconds)
        if as_json:
            typer.echo(json.dumps(summary, indent=2))
        else:
            for s in summary["streams"]:
                rate_txt = f"{s['measured_rate_hz']:.1f} Hz" if s["measured_rate_hz"] else "-"
                typer.echo(f"{s['port']} ({s['foot']}): {s['samples']} samples in {s['duration_s']:.1f} s at "
                           f"{rate_txt}, {s['dropped']} dropped in {s['gaps']} gaps, {s['bad_frames']} bad frames"
                           + (f", {s['implausible']} implausible samples" if s["implausible"] else "")
                           + f", {s['disconnects']} disconnects")
            # the recording's duration as `retrogait info` reads it: first to last sample
            typer.echo(f"wrote {summary['file']} ({summary['duration_s']:.1f} s, {summary['stop_reason']})")

    @app.command("emulate")
    def emulate_cmd(
        protocol: str = typer.Option("retrogait", "--protocol", help="What the emulated device speaks: retrogait, witmotion, ximu3 (binary), ximu3-ascii, text."),
        from_file: Optional[str] = typer.Option(None, "--from", help="Play this recording (any file `retrogait info` reads)."),
        simulate_preset: Optional[str] = typer.Option(None, "--simulate", help="Play a simulated session: a simulator preset (backward-treadmill, forward-treadmill, mixed, two-feet ...; backward = backward-treadmill)."),
        foot: Optional[str] = typer.Option(None, "--foot", help="Which stream of a two-foot source to play: left or right."),
        rate: Optional[float] = typer.Option(None, "--rate", help="Output rate, Hz (a file is resampled; --simulate defaults to 200 Hz)."),
        faults: Optional[str] = typer.Option(None, "--faults", help="Inject faults: garbage=P,flip=P,drop=P (per frame), stall=AT:DUR, disconnect=AT:DOWN (s)."),
        link: Optional[str] = typer.Option(None, "--link", help="Port path to create (a symlink to the pty); default /tmp/retrogait-emu-PID-..."),
        speed: float = typer.Option(1.0, "--speed", help="Device seconds per real second (>1: accelerated session)."),
        duration: Optional[str] = typer.Option(None, "--duration", help="Stop after this long (default: until Ctrl-C)."),
        seed: int = typer.Option(0, "--seed", help="Seed of the fault injection and the simulator."),
        text_preset: Optional[str] = typer.Option(None, "--text-preset", help="Layout of --protocol text lines (default retrogait-csv)."),
    ) -> None:
        """Pretend to be a shoe IMU on a pseudo-terminal, so `record` can be tried without hardware.

        Prints the port path, then streams in real time (answering the protocol's commands) until
        Ctrl-C or --duration.

        \b
        Examples:
          retrogait emulate --simulate backward --link /tmp/shoe
          retrogait record --port /tmp/shoe -o try.rgt          (in another terminal)
          retrogait emulate --from walk.rgt --protocol witmotion --faults drop=0.01,disconnect=20:3
        """
        from retrogait.device.emulator import Emulator, parse_faults
        from retrogait.device.sources import load_source, resample

        if speed <= 0:
            raise UsageProblem("--speed must be more than 0")
        fmt = text_format_from(text_preset, None, None, None)
        sim_rate = rate or 200.0  # the reference firmware's rate when simulating
        acc, gyr, src_rate, desc = load_source(from_file, simulate_preset, foot, seed, sim_rate)
        if rate and abs(rate - src_rate) > 1e-6 * rate:
            acc, gyr, src_rate = resample(acc, gyr, src_rate, rate)
        emu = Emulator(acc, gyr, src_rate, protocol, faults=parse_faults(faults), link=link, seed=seed,
                       speed=speed, text_format=fmt, keep_log=False)
        path = emu.open()
        typer.echo(path)
        typer.echo(f"emulating a {protocol} device at {emu.src_rate:g} Hz from {desc}; Ctrl-C to stop", err=True)
        stop_at = parse_duration(duration)
        _install_sigterm(lambda: emu._stop.set())
        emu.start()
        t0 = time.monotonic()
        try:
            while emu._thread is not None and emu._thread.is_alive():
                time.sleep(0.2)
                if stop_at is not None and time.monotonic() - t0 >= stop_at:
                    break
        except KeyboardInterrupt:
            pass
        finally:
            emu.stop()
            s = emu.stats
            typer.echo(f"sent {s.samples_sent} samples in {s.frames_sent} frames; faults: {s.frames_dropped} "
                       f"dropped, {s.frames_flipped} flipped, {s.garbage_bursts} garbage bursts, "
                       f"{s.disconnects} disconnects", err=True)
        sys.stdout.flush()

