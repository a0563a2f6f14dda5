"""Serial ports: list them with USB ids and name the devices retrogait recognises."""

from __future__ import annotations

from dataclasses import asdict, dataclass

#: USB VID:PID -> what is usually behind it (the first match wins; None PID = any product of the vendor).
KNOWN_DEVICES: list[tuple[int, int | None, str]] = [
    (0x1A86, 0x7523, "CH340 USB-serial (WitMotion WT901/HWT901B USB, many Arduino clones)"),
    (0x1A86, 0x55D4, "CH9102 USB-serial (WitMotion USB-C modules)"),
    (0x10C4, 0xEA60, "CP210x USB-serial (WitMotion HWT901B / WT901C, ESP32 boards)"),
    (0x0403, 0x6001, "FTDI FT232 USB-serial"),
    (0x0403, 0x6015, "FTDI FT-X USB-serial"),
    (0x2341, 0x805A, "Arduino Nano 33 BLE / BLE Sense (retrogait reference firmware)"),
    (0x2341, 0x8057, "Arduino Nano 33 IoT (LSM6DS3 sketches)"),
    (0x2341, 0x005A, "Arduino Nano 33 BLE (bootloader)"),
    (0x2341, None, "Arduino board"),
    (0x2886, 0x8045, "Seeed XIAO nRF52840 (Sense) (retrogait reference firmware)"),
    (0x2886, 0x0045, "Seeed XIAO nRF52840 (bootloader)"),
    (0x2886, None, "Seeed Studio board"),
    (0x239A, None, "Adafruit board"),
    (0x2E8A, None, "Raspberry Pi Pico / RP2040 board"),
    (0x303A, None, "Espressif ESP32-S2/S3/C3 board"),
    (0x1915, 0xD978, "MbientLab MetaMotionS (not supported over serial)"),
]


@dataclass
class PortInfo:
    """One serial port."""

    device: str
    vid_pid: str | None
    description: str
    manufacturer: str | None
    serial_number: str | None
    recognised: str | None


def recognise(vid: int | None, pid: int | None, description: str = "", manufacturer: str = "") -> str | None:
    """The name of a known device for a USB VID:PID (or its description), None when unknown."""
    text = f"{description} {manufacturer}".lower()
    if "x-imu3" in text or "x-io" in text:
        return "x-io x-IMU3"
    if "witmotion" in text:
        return "WitMotion sensor"
    if vid is None:
        return None
    for v, p, name in KNOWN_DEVICES:
        if v == vid and (p is None or p == pid):
            return name
    return None


def list_ports() -> list[PortInfo]:
    """All serial ports pyserial can see, sorted by device path."""
    from serial.tools import list_ports as lp

    out = []
    for p in sorted(lp.comports(), key=lambda p: p.device):
        vp = f"{p.vid:04x}:{p.pid:04x}" if p.vid is not None and p.pid is not None else None
        desc = p.description if p.description and p.description != "n/a" else ""
        out.append(PortInfo(p.device, vp, desc, p.manufacturer, p.serial_number,
                            recognise(p.vid, p.pid, desc, p.manufacturer or "")))
    return out


def port_dicts() -> list[dict]:
    """:func:`list_ports` as JSON-ready dicts."""
    return [asdict(p) for p in list_ports()]
