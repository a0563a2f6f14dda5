"""The plausibility checks of the protocols without a checksum (text lines, x-IMU3), issue 13.

A text line must keep the shape the device prints (separators, line end, decimals); an angular rate
must not jump alone for one sample (a body needs a torque, hence a force the accelerometer feels).
Real motion is never dropped: the simulator's running presets (impacts of up to ~14 g in one sample)
and the bundled real recordings (walking, running, stairs at 100-400 Hz) come through whole.
"""

from __future__ import annotations

import glob

import numpy as np
import pytest

from retrogait import simulator
from retrogait.protocols import PRESETS, concat_batches, text, ximu3
from retrogait.protocols.base import SPIKE_LEVER, SPIKE_MIN

G = 9.80665


def _decode(dec, frames, step=None):
    out = dec.feed(b"\n")
    data = b"".join(frames)
    step = step or len(data)
    for i in range(0, len(data), step):
        out += dec.feed(data[i:i + step])
    return concat_batches(out + dec.flush()), dec.stats


def _sim(name: str, rate: float, seconds: float | None = None):
    s = simulator.simulate(simulator.preset(name, rate=rate), seed=0).recording.streams[0]
    n = s.n if seconds is None else int(seconds * rate)
    return s.acc[:n], s.gyr[:n]


def _encode(proto: str, acc, gyr, rate):
    if proto == "text":
        return text.encode(acc, gyr, rate), text.TextDecoder()
    if proto == "text-clockless":
        dec = text.TextDecoder(PRESETS["adafruit"])
        dec.sample_rate = rate  # (the recorder's measured rate)
        return text.encode(acc, gyr, rate, PRESETS["adafruit"]), dec
    return ximu3.encode(acc, gyr, rate, binary=proto == "ximu3"), ximu3.XIMU3Decoder()


# -- real motion is never dropped ------------------------------------------------------------------
@pytest.mark.parametrize("name", ["running", "walk-run"])
@pytest.mark.parametrize("proto,rate", [("text", 100.0), ("text", 200.0), ("text", 500.0),
                                        ("text-clockless", 200.0), ("ximu3", 400.0), ("ximu3-ascii", 400.0)])
def test_running_impacts_come_through_whole(name, proto, rate):
    """Heel strikes of running: single-sample acceleration spikes of up to ~14 g on one axis; none dropped."""
    acc, gyr = _sim(name, rate, 30.0)
    enc, dec = _encode(proto, acc, gyr, rate)
    (a, g, t), st = _decode(dec, enc.frames)
    assert np.abs(enc.acc).max() > 8 * G  # (the impacts are there)
    np.testing.assert_array_equal(a, enc.acc)
    np.testing.assert_array_equal(g, enc.gyr)
    assert st.implausible == 0 and st.gaps == 0 and st.dropped == 0


def _real_recordings(root):
    """(name, rate, acc m/s^2, gyr rad/s) of every bundled real recording."""
    out = []
    for f in sorted(glob.glob(str(root / "pyshoe_vicon" / "*.csv"))):
        d = np.loadtxt(f, delimiter=",", skiprows=1)
        out.append((f, 200.0, d[:, 1:4], d[:, 4:7]))
    for f in sorted(glob.glob(str(root / "xio_loop" / "*.csv"))):
        d = np.loadtxt(f, delimiter=",", skiprows=1)
        d = d[np.r_[True, np.diff(d[:, 0]) > 0]]  # (repeated rows)
        out.append((f, 400.0, d[:, 4:7] * G, np.radians(d[:, 1:4])))
    gm = root / "gaitmap_example"
    axes = ("acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z")
    for f in ("imu_sample.csv", "imu_sample_healthy_stair_down.csv", "imu_sample_healthy_stair_up.csv"):
        with open(gm / f) as fh:  # two header rows: sensor, axis
            sensor, axis = (fh.readline().strip().split(",") for _ in range(2))
        d = np.loadtxt(gm / f, delimiter=",", skiprows=2)
        for side in ("left_sensor", "right_sensor"):
            cols = [next(i for i, (s, a) in enumerate(zip(sensor, axis)) if s == side and a == ax) for ax in axes]
            out.append((f"{f}:{side}", 204.8, d[:, cols[:3]], np.radians(d[:, cols[3:]])))
    for f in ("imu_sample_ms_left.csv", "imu_sample_ms_right.csv"):
        d = np.loadtxt(gm / f, delimiter=",", skiprows=1)
        out.append((f, 102.4, d[:, 2:5], np.radians(d[:, 5:8])))
    return out


def test_real_recordings_come_through_whole(shared_data):
    """Every bundled real recording (walking, running, stairs; impacts up to 16 g and 17 rad/s; single-
    sample acceleration excursions up to 16 g and angular-rate ones up to 13 rad/s), printed as text
    lines at its rate: not one sample judged implausible."""
    recs = _real_recordings(shared_data)
    assert len(recs) >= 20
    for name, rate, acc, gyr in recs:
        enc, dec = _encode("text", acc, gyr, rate)
        (a, _, _), st = _decode(dec, enc.frames)
        assert st.implausible == 0 and a.shape[0] == acc.shape[0], name


# -- an angular rate that jumps alone --------------------------------------------------------------
@pytest.mark.parametrize("proto", ["text", "text-clockless", "ximu3"])
@pytest.mark.parametrize("step", [1, 97, None])
def test_an_angular_rate_that_jumps_alone_is_dropped_and_its_place_is_a_gap(proto, step):
    rate = 400.0 if proto == "ximu3" else 200.0
    acc, gyr = _sim("forward-treadmill", rate, 4.0)
    gyr = gyr.copy()
    gyr[300, 1] += 2.0  # what a flipped digit or bit does: one value, one sample
    gyr[500, 2] -= 8.0
    gyr[700, 0] += 0.5 * SPIKE_MIN  # too small to judge: kept
    enc, dec = _encode(proto, acc, gyr, rate)
    (a, g, t), st = _decode(dec, enc.frames, step)
    keep = np.setdiff1d(np.arange(len(acc)), [300, 500])
    np.testing.assert_array_equal(g, enc.gyr[keep])
    assert st.implausible == 2 and st.dropped == 2 and st.gaps == 2
    if t is not None:
        assert np.count_nonzero(np.diff(t) > 1.5 / rate) == 2


def test_an_angular_rate_excursion_with_an_impact_is_kept():
    """The same jump with the acceleration moving as a torque would make it: real motion, kept."""
    rate = 200.0
    acc, gyr = _sim("forward-treadmill", rate, 2.0)
    acc, gyr = acc.copy(), gyr.copy()
    e = 3.0
    gyr[150, 0] += e
    acc[150, 2] += 2 * SPIKE_LEVER * e * rate  # the acceleration change of a real angular excursion
    enc, dec = _encode("text", acc, gyr, rate)
    (a, g, _), st = _decode(dec, enc.frames)
    assert st.implausible == 0 and a.shape[0] == len(acc)


def test_an_acceleration_spike_alone_is_kept_as_an_impact_may_be_one():
    """A flipped digit in an acceleration cannot be told from an impact (one axis, one sample, up to the
    full scale): kept. The limit of the check, stated."""
    rate = 200.0
    acc, gyr = _sim("forward-treadmill", rate, 2.0)
    acc = acc.copy()
    acc[150, 2] += 14 * G
    enc, dec = _encode("text", acc, gyr, rate)
    (a, _, _), st = _decode(dec, enc.frames)
    assert st.implausible == 0 and a.shape[0] == len(acc)


# -- the shape of a text line ----------------------------------------------------------------------
def test_line_shape():
    assert text.line_shape(b"12,-0.25,3.50\r") == b"d,d.dd,d.dd\r"
    assert text.line_shape(b"12,-0.25,3.50\r", decimals=False) == b"d,d.d,d.d\r"
    assert text.line_shape(b"AccelX:1.5, AccelY:+107.25") == b"AccelX:d.d, AccelY:+d.dd"
    assert text.line_shape(b"I,1000,1e-3") == b"I,d,ded"
    shape = text.LineShape()
    ok = shape.check([b"12,-0.25,3.50\r", b"02,1.5\r", b"1,.5", b"-.5,1", b"0,0.0,-0.5", b"1,-05.1"])
    assert ok.tolist() == [True, False, False, False, True, False]  # a leading zero, no integer digit


def _lines(n=120, rate=200.0):
    acc, gyr = _sim("forward-treadmill", rate, n / rate)
    return text.encode(acc, gyr, rate)


@pytest.mark.parametrize("bad,what", [
    (lambda ln: ln.replace(b",-", b",,", 1), "a minus sign turned into a comma: the value's sign lost"),
    (lambda ln: ln.replace(b",-", b",\r", 1), "a minus sign turned into a carriage return"),
    (lambda ln: ln[:-3] + b";" + ln[-2:], "the last digit turned into a separator: a number cut short"),
    (lambda ln: ln[:-2] + b"\t\n", "the carriage return turned into a tab"),
    (lambda ln: ln.replace(b",", b",0", 1), "a leading zero"),
])
def test_a_line_not_in_the_device_format_is_dropped(bad, what):
    enc = _lines()
    frames = list(enc.frames)
    i = 100
    assert b",-" in frames[i]
    frames[i] = bad(frames[i])
    dec = text.TextDecoder()
    (a, _, t), st = _decode(dec, frames)
    keep = np.setdiff1d(np.arange(len(frames)), [i])
    np.testing.assert_array_equal(a, enc.acc[keep]), what
    assert st.implausible == 1 and st.gaps == 1 and st.dropped == 1, what


def test_a_format_that_trims_zeros_is_learned_without_its_decimals():
    """A firmware printing the shortest form (``%g``, Python's ``repr``): decimals vary, nothing dropped;
    its separators still learned (a sign turned into a comma is dropped)."""
    acc, gyr = _sim("forward-treadmill", 200.0, 1.0)
    frames = [(f"{int(i * 5000)}," + ",".join(repr(round(float(x), 4)) for x in (*a, *g)) + "\r\n").encode()
              for i, (a, g) in enumerate(zip(acc, gyr))]
    dec = text.TextDecoder()
    (a, _, _), st = _decode(dec, frames)
    assert st.implausible == 0 and a.shape[0] == len(frames)
    assert dec.shape.full is None and dec.shape.loose is not None
    j = next(k for k in range(100, len(frames)) if b",-" in frames[k])
    frames[j] = frames[j].replace(b",-", b",,", 1)
    dec = text.TextDecoder()
    (a, _, _), st = _decode(dec, frames)
    assert st.implausible == 1 and a.shape[0] == len(frames) - 1


def test_the_shape_learned_from_the_first_lines_tolerates_one_corrupt_line_among_them():
    enc = _lines()
    frames = list(enc.frames)
    frames[10] = frames[10][:-3] + b";" + frames[10][-2:]  # read while learning: kept (canonical)
    frames[100] = frames[100][:-3] + b";" + frames[100][-2:]  # after: dropped
    dec = text.TextDecoder()
    (a, _, _), st = _decode(dec, frames)
    assert dec.shape.full == text.line_shape(enc.frames[0][:-1])
    assert st.implausible == 1 and a.shape[0] == len(frames) - 1


# -- the one-sample wait ---------------------------------------------------------------------------
def test_a_sample_held_for_its_successor_keeps_the_number_of_its_read():
    """The last sample of a read waits for the next read to be judged: it comes out with the number of
    the read it came with (the recorder stamps it with that read's receive time, so a stall after it is
    not shortened)."""
    enc = _lines(100)
    dec = text.TextDecoder()
    first = dec.feed(b"\n" + b"".join(enc.frames[:80]))
    assert dec.reads == 1 and not any(b.read for b in first)
    second = dec.feed(b"".join(enc.frames[80:]))
    assert second[0].read == 1 and second[0].n == 1 and not any(b.read for b in second[1:])
    rest = dec.flush()
    assert len(rest) == 1 and rest[0].read == 2 and rest[0].n == 1
    a, _, _ = concat_batches(first + second + rest)
    np.testing.assert_array_equal(a, enc.acc)


# -- the optional checksum of our own text format -------------------------------------------------
def test_every_single_bit_flip_of_a_checksummed_line_is_caught():
    """``retrogait-csv-sum`` lines end with ``*hh`` (XOR of the line): of every single-bit flip of a line
    (as the emulator makes them: any byte but the LF), none is stored with a changed value or time."""
    import copy

    rate = 200.0
    acc, gyr = _sim("forward-treadmill", rate, 1.0)
    enc = text.encode(acc, gyr, rate, PRESETS["retrogait-csv-sum"])
    warm = text.TextDecoder()
    warm.feed(b"\n" + b"".join(enc.frames[:100]))
    assert warm.checksum_required
    line = enc.frames[100]
    stored_wrong = caught = 0
    for j in range(len(line) - 1):
        for bit in range(8):
            flipped = bytearray(line)
            flipped[j] ^= 1 << bit
            if flipped[j] == 0x0A:
                continue
            dec = copy.deepcopy(warm)
            a, g, t = concat_batches(dec.feed(bytes(flipped) + b"".join(enc.frames[101:104])) + dec.flush())
            i = np.flatnonzero(np.isclose(t, enc.t[100], atol=0.5 / rate))
            if i.size == 0:
                caught += 1
            elif not (np.array_equal(a[i[0]], enc.acc[100]) and np.array_equal(g[i[0]], enc.gyr[100])
                      and t[i[0]] == enc.t[100]):
                stored_wrong += 1
    assert stored_wrong == 0 and caught > 0.95 * 8 * (len(line) - 1)
