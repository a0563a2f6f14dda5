"""Byte framing shared by the binary protocols: SLIP-style byte stuffing and CRC-16/CCITT-FALSE.

SLIP (RFC 1055) ends every frame with an END byte and escapes END and ESC inside it:
``END -> ESC ESC_END``, ``ESC -> ESC ESC_ESC``. retrogait's protocol uses END = 0xC0 (classic SLIP);
x-IMU3 uses the same escapes with END = 0x0A (line feed). Because END never occurs inside a frame, a
receiver that lost bytes resynchronises at the next END.
"""

from __future__ import annotations

import binascii

ESC = 0xDB
ESC_END = 0xDC
ESC_ESC = 0xDD
_ESC_B = bytes([ESC])
_ESC_END_PAIR = bytes([ESC, ESC_END])
_ESC_ESC_PAIR = bytes([ESC, ESC_ESC])


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, not reflected, no final xor.

    Check value: ``crc16(b"123456789") == 0x29B1``.
    """
    return binascii.crc_hqx(data, 0xFFFF)


def stuff(body: bytes, end: int) -> bytes:
    """Escape ``body`` for a frame terminated by ``end`` (the END byte itself is not appended)."""
    end_b = bytes([end])
    return body.replace(_ESC_B, _ESC_ESC_PAIR).replace(end_b, _ESC_END_PAIR)


def unstuff(body: bytes, end: int) -> bytes | None:
    """Undo :func:`stuff`; None when ``body`` holds an invalid escape (a corrupt frame)."""
    n_esc = body.count(_ESC_B)
    if n_esc == 0:
        return body
    if n_esc != body.count(_ESC_END_PAIR) + body.count(_ESC_ESC_PAIR) or body.endswith(_ESC_B):
        return None
    return body.replace(_ESC_END_PAIR, bytes([end])).replace(_ESC_ESC_PAIR, _ESC_B)
