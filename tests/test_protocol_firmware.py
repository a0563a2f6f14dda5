"""The reference firmware and protocol.md agree with the Python decoder.

The firmware's protocol code (``firmware_notes/retrogait_imu/retrogait_protocol.h``) is plain C++: it
is compiled on the host (skipped without g++) and its frames are decoded by the Python decoder, and
Python's commands are parsed by it. The hex examples of ``protocol.md`` are checked too.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from retrogait.protocols import concat_batches
from retrogait.protocols import retrogait_binary as rb
from retrogait.protocols.framing import crc16

NOTES = Path(__file__).resolve().parents[1] / "firmware_notes"
HEADER = NOTES / "retrogait_imu" / "retrogait_protocol.h"

HARNESS = r"""
#include <cstdio>
#include "retrogait_protocol.h"
static void dump(const uint8_t* p, size_t n) { for (size_t i = 0; i < n; i++) printf("%02x", p[i]); printf("\n"); }
int main() {
  const uint8_t check[] = {'1','2','3','4','5','6','7','8','9'};
  printf("%04x\n", rg::crc16(check, 9));
  rg::FrameWriter fw; uint8_t wire[rg::MAX_WIRE];
  fw.begin(rg::T_INFO); fw.u8(rg::PROTOCOL_VERSION); fw.u16(200); fw.u8(1);
  fw.f32(0.488e-3f * 9.80665f); fw.f32(70.0e-3f * 3.14159265f / 180.0f); fw.u32(0x12345678u);
  fw.str("XIAO"); fw.str("1.0"); dump(wire, fw.finish(wire));
  int16_t v[6] = {0, 0, 2048, 100, -100, -16192};   /* -16192 = 0xc0c0: END bytes to stuff */
  fw.begin(rg::T_SAMPLES); fw.u32(7); fw.u8(2);
  fw.u32(0xdbc0dbc0u); for (int i = 0; i < 6; i++) fw.i16(v[i]);
  fw.u32(0xdbc0dbc0u + 5000u); for (int i = 0; i < 6; i++) fw.i16((int16_t)-v[i]);
  dump(wire, fw.finish(wire));
  rg::FrameReader fr; int c;
  while ((c = getchar()) != EOF) { if (fr.feed((uint8_t)c)) printf("cmd %02x arg %zu\n", fr.command(), fr.arg_len()); }
  return 0;
}
"""


@pytest.fixture(scope="module")
def firmware_run(tmp_path_factory):
    if shutil.which("g++") is None:
        pytest.skip("g++ not available to compile the firmware's protocol code")
    d = tmp_path_factory.mktemp("fw")
    (d / "main.cpp").write_text(HARNESS)
    exe = d / "harness"
    subprocess.run(["g++", "-std=c++11", "-Wall", "-Werror", "-I", str(HEADER.parent), str(d / "main.cpp"),
                    "-o", str(exe)], check=True, capture_output=True)
    cmds = (rb.command(rb.C_START) + b"\x00junk" + rb.command(rb.C_SET_RATE, (200).to_bytes(2, "little"))
            + rb.command(rb.C_IDENTIFY)[:-3] + b"\xc0" + rb.command(rb.C_STOP))
    out = subprocess.run([str(exe)], input=cmds, capture_output=True, check=True).stdout.decode().split("\n")
    return out


def test_firmware_crc_and_frames_decode_in_python(firmware_run):
    assert firmware_run[0] == "29b1"
    dec = rb.RetrogaitDecoder()
    batches = dec.feed(bytes.fromhex(firmware_run[1]) + bytes.fromhex(firmware_run[2]))
    assert dec.stats.bad_frames == 0
    assert dec.info["rate_hz"] == 200 and dec.info["model"] == "XIAO" and dec.info["id"] == "12345678"
    assert dec.info["acc_lsb"] == pytest.approx(0.488e-3 * 9.80665, rel=1e-6)
    acc, gyr, t = concat_batches(batches)
    raw = np.array([0, 0, 2048, 100, -100, -16192])
    np.testing.assert_allclose(acc, [raw[:3] * dec.acc_lsb, -raw[:3] * dec.acc_lsb])
    np.testing.assert_allclose(gyr, [raw[3:] * dec.gyr_lsb, -raw[3:] * dec.gyr_lsb])
    np.testing.assert_allclose(np.diff(t), 5000e-6)


def test_firmware_parses_python_commands(firmware_run):
    # START, SET_RATE(2 bytes), a truncated IDENTIFY (rejected: bad CRC), STOP
    assert firmware_run[3:6] == ["cmd 10 arg 0", "cmd 12 arg 2", "cmd 11 arg 0"]


def _const(text: str, name: str) -> int:
    m = re.search(rf"\b{name}\s*=\s*(0x[0-9A-Fa-f]+|\d+)", text)
    assert m, name
    return int(m.group(1), 0)


def test_constants_agree_between_firmware_decoder_and_spec():
    h = HEADER.read_text()
    for name in ("END", "T_INFO", "T_SAMPLES", "T_REPLY", "T_LOG", "C_START", "C_STOP", "C_SET_RATE",
                 "C_IDENTIFY", "PROTOCOL_VERSION"):
        assert _const(h, name) == getattr(rb, name), name
    assert _const(h, "CRC_POLY") == 0x1021 and _const(h, "CRC_INIT") == 0xFFFF
    spec = (NOTES / "protocol.md").read_text()
    assert "0x29B1" in spec and "`0x1021`" in spec
    for code, name in ((0x01, "INFO"), (0x02, "SAMPLES"), (0x03, "REPLY"), (0x10, "START"), (0x11, "STOP"),
                       (0x12, "SET_RATE"), (0x13, "IDENTIFY")):
        assert re.search(rf"`0x{code:02x}` \| {name}", spec), name
    sketch = (NOTES / "retrogait_imu" / "retrogait_imu.ino").read_text()
    assert "DEFAULT_RATE_HZ = 200" in sketch and "accelRange = 16" in sketch and "gyroRange = 2000" in sketch


def test_protocol_md_hex_examples():
    spec = (NOTES / "protocol.md").read_text()
    assert crc16(b"123456789") == 0x29B1
    body = rb.samples_body(7, np.array([1000]), np.array([[0, 0, 2048, 100, -100, 0]], dtype=np.int16))
    assert body.hex(" ") in spec and rb.frame(body).hex(" ") in spec
    assert rb.command(rb.C_START).hex(" ") in spec and rb.command(rb.C_IDENTIFY).hex(" ") in spec
    assert rb.command(rb.C_SET_RATE, (200).to_bytes(2, "little")).hex(" ") in spec
    info = rb.info_frame(200, 0x12345678, "XIAO", "1.0", 1)
    assert info.hex(" ") in spec
