"""emulator (simulated walking) -> record over a pty -> file -> analyze: the simulator's strides.

Devices with a clock (retrogait, x-IMU3, text with a time column) are emulated 20x faster than real
time (their clocks still say 200 Hz), so 30 s of a 70 s walk take about 2 s. WitMotion has no clock: the
recorder times its samples from the rate they arrive at, so it is recorded in real time (6.5 s). The
recorder joins a little late, so the truth is restricted to the strides that lie inside the recorded
window (known from which simulated samples reached the file).

Scheduling: an accelerated device sends 20x the bytes (text: ~240 kB/s), more than a busy machine is
sure to read in time, so it never drops data (``out_limit=None``, as with flow control), and the
session ends after a number of *samples* recorded, not of seconds: how fast the host keeps up changes
nothing in the file.
"""

from __future__ import annotations

import numpy as np
import pytest

from retrogait.analysis import analyze
from retrogait.device.emulator import Emulator
from retrogait.device.recorder import DeviceSpec, Recorder
from retrogait.io.fileformat import read_recording
from retrogait.simulator import preset, simulate

RATE = 200.0
SPEED = 20.0


@pytest.fixture(scope="module")
def walk():
    return simulate(preset("backward-treadmill", duration=70, rate=RATE), seed=3)


@pytest.mark.parametrize("protocol", ["retrogait", "ximu3", "text",
                                      pytest.param("witmotion", marks=pytest.mark.slow)])
def test_recorded_walk_analyzes_to_the_simulated_strides(protocol, walk, tmp_path):
    s0 = walk.recording.streams[0]
    speed, seconds = (1.0, 6.0) if protocol == "witmotion" else (SPEED, 30.0)
    skip = int(4.5 * RATE) if protocol == "witmotion" else 0  # real time: skip the standing start
    emu = Emulator(s0.acc[skip:], s0.gyr[skip:], RATE, protocol, speed=speed, autostart=False, out_limit=None)
    port = emu.start()
    out = tmp_path / "walk.rgt"
    rec = Recorder([DeviceSpec(port, "left")], str(out), rate=RATE, live_strides=False, sniff_seconds=20.0)
    rec.open()

    def enough(r: Recorder) -> None:  # called 4 times a second
        if r.states[0].samples >= seconds * RATE:
            r.stop("enough samples")

    rec.run(300.0, on_tick=enough)  # the limit only guards against a hang (coverage on a busy machine is slow)
    emu.stop()
    got = read_recording(out)
    s = got.streams[0]
    # which simulated samples were recorded: the session index of the first and last one
    sa, sg, _, _, glob = emu.sent()
    sent = np.hstack([sa, sg]).astype(np.float32)
    got_rows = np.hstack([s.acc, s.gyr]).astype(np.float32)
    n = len(got_rows)
    starts = [i for i in np.flatnonzero((sent == got_rows[0]).all(axis=1))
              if i + n <= len(sent) and np.array_equal(sent[i:i + n], got_rows)]
    assert starts, "the recorded samples are not a run of the samples sent"
    i0 = starts[0]  # every sample, in order, nothing lost
    np.testing.assert_array_equal(np.diff(glob[i0:i0 + n]), 1)
    assert n >= seconds * RATE and glob[i0 + n - 1] < len(s0.acc) - skip  # the walk did not start over
    t0, t1 = (glob[i0] + skip) / RATE, (glob[i0 + n - 1] + skip) / RATE
    np.testing.assert_allclose(np.diff(s.t), 1 / RATE, atol=2e-6)  # the device / nominal clock kept
    assert not [e for e in got.events if e["kind"] in ("gap", "rate_mismatch")]
    truth = walk.truth.strides
    inside = (truth.t_start >= t0) & (truth.t_end <= t1)
    result = analyze(got)
    found = result.strides
    assert abs(len(found.t_end) - int(inside.sum())) <= 1
    assert len(found.t_end) >= (3 if protocol == "witmotion" else 20)
    assert np.mean(np.asarray(found.direction) == "backward") > 0.9
    # the recording changed nothing: its strides are those of the simulated signals themselves
    # (analyzed directly, shifted onto the recorded clock), and lie within 0.2 s of the truth
    shift = s.t[0] - (t0 + s0.t[0])
    direct = np.asarray(analyze(walk.recording).strides.t_end) + shift
    te = np.asarray(found.t_end)
    assert np.median(np.abs(te[:, None] - direct[None, :]).min(axis=1)) < 0.005
    te_truth = truth.t_end[inside] + shift
    assert np.median(np.abs(te[:, None] - te_truth[None, :]).min(axis=1)) < 0.2
