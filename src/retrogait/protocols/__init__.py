"""Incremental decoders of the serial protocols of shoe IMUs (see :mod:`retrogait.protocols.base`).

``make_decoder(name)`` builds one by name: ``retrogait`` (our binary protocol), ``witmotion``,
``ximu3`` or ``text`` (with a :class:`~retrogait.protocols.text.TextFormat`).
"""

from __future__ import annotations

from retrogait.errors import UsageProblem
from retrogait.protocols.base import Decoder, SampleBatch, concat_batches
from retrogait.protocols.retrogait_binary import RetrogaitDecoder
from retrogait.protocols.text import PRESETS, TextDecoder, TextFormat
from retrogait.protocols.witmotion import WitMotionDecoder
from retrogait.protocols.ximu3 import XIMU3Decoder

PROTOCOLS = {
    "retrogait": "retrogait binary protocol (reference firmware; SLIP + CRC-16, device clock, sequence counter)",
    "witmotion": "WitMotion WT901/JY901/HWT901B 11-byte 0x55 frames (acc 0x51 + gyro 0x52)",
    "ximu3": "x-io x-IMU3 inertial messages (ASCII 'I,...' or binary 0xC9)",
    "text": "numeric text lines (CSV/whitespace) with a column map and units (--columns, --units)",
}


def make_decoder(name: str, text_format: TextFormat | None = None) -> Decoder:
    """A fresh decoder for protocol ``name`` (one of :data:`PROTOCOLS`)."""
    if name == "retrogait":
        return RetrogaitDecoder()
    if name == "witmotion":
        return WitMotionDecoder()
    if name == "ximu3":
        return XIMU3Decoder()
    if name == "text":
        return TextDecoder(text_format)
    raise UsageProblem(f"unknown protocol {name!r}; use one of auto, {', '.join(PROTOCOLS)}")


__all__ = ["Decoder", "SampleBatch", "concat_batches", "make_decoder", "PROTOCOLS", "PRESETS", "TextFormat",
           "RetrogaitDecoder", "WitMotionDecoder", "XIMU3Decoder", "TextDecoder"]
