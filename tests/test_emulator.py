"""The emulator on its own: faults parsing, commands answered, the `emulate` and `ports` commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
import serial

from retrogait.device.emulator import Emulator, parse_faults
from retrogait.device.ports import recognise
from retrogait.io.fileformat import write_recording
from retrogait.io.recording import Recording, Stream
from retrogait.protocols import concat_batches, make_decoder, witmotion, ximu3
from retrogait.protocols import retrogait_binary as rb


def _signals(n=4000, rate=200.0):
    t = np.arange(n) / rate
    acc = np.column_stack([np.sin(2 * np.pi * t), np.cos(2 * np.pi * t), 9.81 + 0 * t])
    gyr = np.column_stack([0.5 * np.sin(3 * t), 0 * t, -0.2 + 0 * t])
    return acc, gyr


def _talk(port: str, send: bytes, seconds: float, proto: str, samples: int | None = None):
    """Send ``send``, then decode what comes back for ``seconds`` (or, given ``samples``, until that many
    samples came, however long a busy machine takes: ``seconds`` is then only a guard against a hang)."""
    dec = make_decoder(proto)
    with serial.Serial(port, 115200, timeout=0.05) as s:
        s.reset_input_buffer()
        s.write(send)
        out, t0 = [], time.monotonic()
        while time.monotonic() - t0 < seconds:
            out += dec.feed(s.read(4096))
            if samples is not None and sum(b.n for b in out) >= samples:
                break
    return dec, out


def test_parse_faults():
    f = parse_faults("garbage=0.01, flip=0.001,drop=0.5,stall=3:0.5,stall=8:1,disconnect=5:1.5")
    assert (f.garbage, f.flip, f.drop) == (0.01, 0.001, 0.5)
    assert f.stalls == [(3.0, 0.5), (8.0, 1.0)] and f.disconnects == [(5.0, 1.5)]
    assert parse_faults(None).stalls == []


def test_retrogait_commands_stop_start_rate_identify():
    acc, gyr = _signals()
    with Emulator(acc, gyr, 200.0, "retrogait", autostart=False) as emu:
        dec, out = _talk(emu.link, rb.command(rb.C_IDENTIFY), 0.3, "retrogait")
        assert sum(b.n for b in out) == 0  # waits for START
        assert dec.info["rate_hz"] == 200 and {"command": rb.C_IDENTIFY, "status": 0} in dec.replies
        dec, out = _talk(emu.link, rb.command(rb.C_SET_RATE, (100).to_bytes(2, "little"))
                         + rb.command(rb.C_START), 0.6, "retrogait")
        _, _, t = concat_batches(out)
        assert dec.info["rate_hz"] == 100
        assert np.median(np.diff(t)) == pytest.approx(0.01, abs=1e-6)
        assert 0 < len(t) <= 70  # real-time pacing: at most 0.6 s at 100 Hz (fewer if the machine is busy)
        dec, out = _talk(emu.link, rb.command(rb.C_STOP) + rb.command(0x7F), 0.3, "retrogait")
        assert {"command": 0x7F, "status": rb.STATUS_UNKNOWN} in dec.replies
        assert emu.stats.commands[:2] == ["0x13", "0x12"]


def test_witmotion_and_ximu3_rate_commands():
    acc, gyr = _signals()
    with Emulator(acc, gyr, 200.0, "witmotion") as emu:
        _, out = _talk(emu.link, witmotion.rate_command(50), 0.5, "witmotion")
        assert emu.rate == 50 and "rate=50" in emu.stats.commands
    with Emulator(acc, gyr, 400.0, "ximu3") as emu:
        dec, out = _talk(emu.link, ximu3.command("ping") + ximu3.command("inertialMessageRateDivisor", 4), 0.5,
                         "ximu3")
        assert any("ping" in r for r in dec.replies) and emu.rate == 100


def test_emulate_command_plays_a_file(tmp_path):
    acc, gyr = _signals()
    src = tmp_path / "src.rgt"
    write_recording(src, Recording([Stream(np.arange(len(acc)) / 200.0, acc, gyr, foot="left")]))
    proc = subprocess.Popen([sys.executable, "-m", "retrogait", "emulate", "--from", str(src), "--protocol",
                             "witmotion", "--duration", "4"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        port = proc.stdout.readline().decode().strip()
        dec, out = _talk(port, b"", 60.0, "witmotion", samples=150)
    finally:
        proc.terminate()
        proc.wait(timeout=5)
    a, g, _ = concat_batches(out)
    assert len(a) >= 150
    # the values are the file's samples (within WitMotion's quantisation)
    q = witmotion.ACC_SCALE
    i0 = int(np.argmin(np.abs(acc[:400, 0] - a[0, 0]) + np.abs(acc[:400, 1] - a[0, 1])))
    np.testing.assert_allclose(a[:50], acc[i0:i0 + 50], atol=q)


def test_emulate_rejects_bad_sources(run_cli, tmp_path):
    code, _, err = run_cli("emulate", "--from", tmp_path / "missing.rgt")
    assert code == 3
    code, _, err = run_cli("emulate")
    assert code == 2 and "--from FILE or --simulate" in err
    code, _, err = run_cli("emulate", "--from", "x", "--faults", "flip=lots")
    assert code in (2, 3)


def test_ports_command_and_recognition(run_cli):
    code, out, _ = run_cli("ports", "--json")
    assert code == 0 and isinstance(json.loads(out), list)
    assert "WitMotion" in recognise(0x1A86, 0x7523)
    assert "Nano 33 BLE" in recognise(0x2341, 0x805A)
    assert "XIAO" in recognise(0x2886, 0x8045)
    assert recognise(None, None, "x-IMU3 Thermal") == "x-io x-IMU3"
    assert recognise(0x1234, 0x5678) is None


def test_emulate_link_never_replaces_what_it_did_not_make(run_cli, tmp_path):
    """`emulate --link` over an existing file, folder or foreign link: one line, exit 2, untouched
    (issue 13: it deleted the file). A link to a pseudo-terminal (an emulator's port, perhaps left by
    a killed one) is replaced, and only the emulator's own link is removed when it stops."""
    precious = tmp_path / "session.rgt"
    precious.write_bytes(b"a recording")
    foreign = tmp_path / "foreign"
    foreign.symlink_to(precious)
    for path in (precious, foreign, tmp_path):
        code, _, err = run_cli("emulate", "--simulate", "backward", "--link", path, "--duration", "1")
        assert code == 2 and err.count("\n") == 1 and "refusing to replace it" in err, err
    assert precious.read_bytes() == b"a recording" and foreign.readlink() == precious
    code, _, err = run_cli("emulate", "--simulate", "backward", "--link", tmp_path / "no" / "port")
    assert code == 2 and "does not exist" in err
    stale = tmp_path / "stale"
    stale.symlink_to("/dev/pts/999999")  # an emulator's link left behind
    (tmp_path / "stale.tmp").write_bytes(b"not ours either")  # a neighbour named like a temporary link
    acc, gyr = _signals(400)
    emu = Emulator(acc, gyr, 200.0, "witmotion", link=str(stale))
    emu.open()
    try:
        assert os.readlink(stale).startswith("/dev/pts/") and os.readlink(stale) != "/dev/pts/999999"
    finally:
        emu.stop()
    assert not os.path.lexists(stale)
    assert (tmp_path / "stale.tmp").read_bytes() == b"not ours either"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foreign", "session.rgt", "stale.tmp"]
