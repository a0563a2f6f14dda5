"""Opening a serial port, recognising what speaks on it and waking the device up.

:func:`connect` returns a :class:`Connection`: the open port, the protocol (given or sniffed, with the
reason), a fresh decoder, and the bytes read while identifying (with their host receive times) so the
recorder decodes them too: nothing received is thrown away.
"""

from __future__ import annotations

import errno
import os
import time
from dataclasses import dataclass, field

import serial

from retrogait.errors import DeviceError
from retrogait.protocols import PROTOCOLS, Decoder, TextFormat, make_decoder
from retrogait.protocols import retrogait_binary as rb
from retrogait.protocols.sniff import sniff

SNIFF_SECONDS = 2.0
READ_TIMEOUT = 0.02  # s: a read waits at most this long for its first byte
RATE_PREAMBLE = 0.5  # s: arrivals read to measure the rate of a device without a clock (see _measure_rate)


@dataclass
class Connection:
    """An open, identified device."""

    port: str
    serial: serial.Serial
    protocol: str
    decoder: Decoder
    reason: str
    baud: int
    preamble: list[tuple[float, bytes]] = field(default_factory=list)
    info: dict = field(default_factory=dict)

    def device_info(self) -> dict:
        """What the header says about the device."""
        info = {k: v for k, v in self.info.items() if isinstance(v, (str, int, float, bool))}
        info.update(protocol=self.protocol, port=self.port, baud=self.baud, detected=self.reason)
        return info


def open_serial(port: str, baud: int) -> serial.Serial:
    """Open ``port`` (raw, 8N1, exclusive); one-line DeviceErrors for the usual problems."""
    if not os.path.exists(port):
        raise DeviceError(f"{port}: no such serial port (list them with: retrogait ports)")
    try:
        return serial.Serial(port, baud, timeout=READ_TIMEOUT, write_timeout=1.0, exclusive=True)
    except serial.SerialException as exc:
        err = getattr(exc, "errno", None)
        msg = str(exc)
        if err in (errno.EACCES, errno.EPERM) or "Permission denied" in msg:
            raise DeviceError(f"{port}: permission denied; on Linux add yourself to the dialout group "
                              "(sudo usermod -aG dialout $USER) and log in again") from None
        if err == errno.EBUSY or "lock" in msg.lower() or "busy" in msg.lower():
            raise DeviceError(f"{port}: port is busy; close the other program using it "
                              "(serial monitor, another recorder)") from None
        if err == errno.ENOENT:
            raise DeviceError(f"{port}: no such serial port (list them with: retrogait ports)") from None
        raise DeviceError(f"{port}: cannot open: {msg}") from None


def wake_commands(decoder: Decoder, rate: float | None) -> bytes:
    """Commands sent after opening: identify, set the rate (if asked) and start."""
    out = b""
    for cmd in (decoder.cmd_identify(), decoder.cmd_set_rate(rate) if rate else None, decoder.cmd_start()):
        if cmd:
            out += cmd
    return out


def _write(ser: serial.Serial, data: bytes) -> None:
    if data:
        try:
            ser.write(data)
        except (serial.SerialException, OSError):
            pass  # a read-only device or a port going away: the read loop will notice


def connect(port: str, baud: int = 115200, protocol: str = "auto", *, text_format: TextFormat | None = None,
            rate: float | None = None, sniff_seconds: float = SNIFF_SECONDS, clock=time.monotonic,
            ser: serial.Serial | None = None) -> Connection:
    """Open ``port`` and identify the device; raise DeviceError if nothing usable arrives."""
    if protocol != "auto" and protocol not in PROTOCOLS:
        raise DeviceError(f"unknown protocol {protocol!r}; use auto, {', '.join(PROTOCOLS)}")
    ser = ser or open_serial(port, baud)
    try:
        ser.reset_input_buffer()
    except (serial.SerialException, OSError):
        pass
    chunks: list[tuple[float, bytes]] = []
    start = clock()
    woke = False
    if protocol != "auto":
        dec = make_decoder(protocol, text_format)
        _write(ser, wake_commands(dec, rate))
        probe = make_decoder(protocol, text_format)
        first = None  # when the first sample arrived
        while clock() - start < sniff_seconds:
            data = _read(ser, port)
            if data:
                chunks.append((clock(), data))
                probe.feed(data)
                if probe.stats.samples and first is None:
                    first = chunks[-1][0]
                # the retrogait protocol: wait for INFO (scale factors, device id) briefly; a device
                # without a clock and no --rate: read long enough to measure its rate from the arrivals
                if (probe.stats.samples and (protocol != "retrogait" or probe.info or clock() - start > 1.0)
                        and (probe.has_device_time or rate
                             or (first is not None and chunks[-1][0] - first >= RATE_PREAMBLE))):
                    break
        if probe.stats.samples:
            return Connection(port, ser, protocol, dec, f"{protocol} (as asked)", baud, chunks, dict(probe.info))
        n = sum(len(c) for _, c in chunks)
        ser.close()
        hint = "--protocol, --baud and --columns/--units" if protocol == "text" else "--protocol and --baud"
        raise DeviceError(f"{port}: no {dec.title} data in {sniff_seconds:g} s ({n} bytes received at "
                          f"{baud} baud); check {hint}")
    result = None
    while clock() - start < sniff_seconds:
        data = _read(ser, port)
        if data:
            chunks.append((clock(), data))
        el = clock() - start
        total = b"".join(c for _, c in chunks)
        if el > 0.3 and len(total) > 64:
            result = sniff(total, text_format)
            if result.protocol and (el > 0.6 or len(total) > 4096):
                break
        if not woke and el > 0.4 and (result is None or result.protocol is None):
            _write(ser, rb.command(rb.C_IDENTIFY) + rb.command(rb.C_START))  # a stopped reference firmware
            woke = True
    total = b"".join(c for _, c in chunks)
    result = sniff(total, text_format) if total else None
    if result is None or result.protocol is None:
        ser.close()
        if not total:
            raise DeviceError(f"{port}: received nothing in {sniff_seconds:g} s at {baud} baud; is the device "
                              "on and streaming? (check --baud)")
        why = f" ({result.reason})" if result is not None else ""
        raise DeviceError(f"{port}: no retrogait, WitMotion, x-IMU3 or text IMU data in {sniff_seconds:g} s of "
                          f"bytes at {baud} baud; check --baud{why}")
    dec = make_decoder(result.protocol, result.text_format)
    probe = make_decoder(result.protocol, result.text_format)
    for _, data in chunks:
        probe.feed(data)
    if result.protocol == "retrogait":
        _write(ser, rb.command(rb.C_IDENTIFY) + ((dec.cmd_set_rate(rate) or b"") if rate else b""))
        until = clock() + 1.0
        while "model" not in probe.info and clock() < until:  # the INFO frame answering IDENTIFY
            data = _read(ser, port)
            if data:
                chunks.append((clock(), data))
                probe.feed(data)
    elif rate and (set_rate := dec.cmd_set_rate(rate)):
        _write(ser, set_rate)
    elif not rate and not dec.has_device_time:  # no clock, no --rate: read long enough to measure the rate
        until = clock() + RATE_PREAMBLE
        while chunks[-1][0] - chunks[0][0] < RATE_PREAMBLE and clock() < until:
            data = _read(ser, port)
            if data:
                chunks.append((clock(), data))
    return Connection(port, ser, result.protocol, dec, result.reason, baud, chunks, dict(probe.info))


def _read(ser: serial.Serial, port: str) -> bytes:
    try:
        return ser.read(max(1, ser.in_waiting))
    except (serial.SerialException, OSError) as exc:
        raise DeviceError(f"{port}: device went away while identifying it ({exc})") from None
