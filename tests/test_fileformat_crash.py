"""A live writer killed with SIGKILL (a real subprocess) leaves a file that reads back every block."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrogait.io.fileformat import read_recording, read_report

WRITER = r"""
import sys
import numpy as np
from retrogait.io.fileformat import RecordingWriter, empty_template

path = sys.argv[1]
rate = 100.0
with RecordingWriter(path, empty_template(["left", "right"], rate), block_seconds=0.25) as w:
    k = 0
    while True:
        for chunk in range(4):
            idx = np.arange(k, k + 7)
            t = idx / rate
            acc = np.stack([idx, -idx, idx * 0.5], axis=1)
            w.append(0, t, acc, acc * 0.01)
            w.append(1, t, -acc, acc * 0.02)
            k += 7
        w.flush()
        print(k, flush=True)
"""


def expected(n: int, sign: float):
    idx = np.arange(n, dtype=np.float64)
    acc = np.stack([idx, -idx, idx * 0.5], axis=1)
    return idx / 100.0, sign * acc


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_mid_write_keeps_every_flushed_block(tmp_path):
    path = tmp_path / "killed.rgt"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    flushed = 0
    deadline = time.monotonic() + 30
    try:
        while flushed < 3000 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            flushed = int(line)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    assert flushed >= 3000, "writer subprocess did not make progress"
    rec, report = read_report(path)  # must not raise
    assert not report.closed_cleanly
    assert report.problems == []
    assert all("truncated" in w for w in rec.warnings)
    for i, sign in ((0, 1.0), (1, -1.0)):
        s = rec.streams[i]
        assert s.n >= flushed
        t, acc = expected(s.n, sign)
        assert np.array_equal(s.t, t)
        assert np.array_equal(s.acc, acc.astype(np.float32))


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_random_damage_never_crashes_and_keeps_untouched_blocks(data):
    """Flip, cut or insert bytes anywhere after the header: the reader warns, never raises, returns only
    genuine samples in order, and keeps every block whose bytes were not touched."""
    from retrogait.io.fileformat import BLOCK_HEADER_SIZE, RecordingWriter, empty_template

    rng_seed = data.draw(st.integers(0, 2**16))
    rng = np.random.default_rng(rng_seed)

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "f.rgt"
        t = np.arange(400) / 50.0
        acc = rng.normal(size=(400, 3)).astype(np.float32)
        with RecordingWriter(path, empty_template(["left"], 50.0), block_seconds=0.2) as w:  # 10-sample blocks
            for k in range(0, 400, 7):
                w.append(0, t[k:k + 7], acc[k:k + 7], acc[k:k + 7])
        raw = bytearray(path.read_bytes())
        first_block = raw.index(b"\xd3RGB")
        blocks = []  # (start, end, first sample index)
        pos, sample = first_block, 0
        while pos < len(raw):
            n, plen = struct.unpack_from("<II", raw, pos + 8)
            blocks.append((pos, pos + BLOCK_HEADER_SIZE + plen, sample, n))
            sample += n
            pos += BLOCK_HEADER_SIZE + plen
        kind = data.draw(st.sampled_from(["flip", "cut", "insert", "zero"]))
        at = data.draw(st.integers(first_block, len(raw) - 1))
        length = data.draw(st.integers(1, 300))
        if kind == "flip":
            raw[at] ^= data.draw(st.integers(1, 255))
            touched = (at, at + 1)
        elif kind == "zero":
            raw[at:at + length] = bytes(len(raw[at:at + length]))
            touched = (at, at + length)
        elif kind == "cut":
            del raw[at:]
            touched = (at, 10**12)
        else:
            raw[at:at] = bytes(rng.integers(0, 256, length, dtype=np.uint8))
            touched = (at, at + 1)
        path.write_bytes(bytes(raw))
        rec = read_recording(path)  # must not raise
        s = rec.streams[0]
        idx = np.searchsorted(t, s.t)
        assert np.all(idx < t.size) and np.array_equal(t[np.minimum(idx, t.size - 1)], s.t)
        assert np.all(np.diff(idx) > 0)
        assert np.array_equal(s.acc, acc[idx])
        for b0, b1, first, n in blocks:
            intact = b1 <= touched[0] or (b0 >= touched[1] and kind not in ("cut",))
            if intact and n:
                assert np.isin(t[first:first + n], s.t).all(), (kind, at, b0, b1)
        if rec.warnings:
            assert all(w.startswith("f.rgt: ") and "\n" not in w for w in rec.warnings)


def test_any_damage_to_preamble_or_header_is_a_clear_error(tmp_path):
    from retrogait.errors import InputFileError
    from retrogait.io.fileformat import PREAMBLE, empty_template, write_recording

    good = tmp_path / "g.rgt"
    write_recording(good, empty_template(["left"], 100.0, subject="s"))
    raw = good.read_bytes()
    hlen = PREAMBLE.unpack_from(raw, 0)[2]
    for at in range(PREAMBLE.size + hlen):
        bad = bytearray(raw)
        bad[at] ^= 0x41
        path = tmp_path / "b.rgt"
        path.write_bytes(bytes(bad))
        with pytest.raises(InputFileError) as info:
            read_recording(path)
        assert str(info.value).startswith("b.rgt: byte ") and "\n" not in str(info.value)
