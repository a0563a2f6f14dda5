"""Decoders: test vectors, exact round trips, resynchronisation and counters, sniffing."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrogait.io.recording import GRAVITY
from retrogait.protocols import PRESETS, concat_batches, make_decoder, text, witmotion, ximu3
from retrogait.protocols import retrogait_binary as rb
from retrogait.protocols.framing import crc16, stuff, unstuff
from retrogait.protocols.sniff import sniff


def _signals(n=200, seed=0):
    """Distinct samples of a smooth motion (a few Hz at 100-400 Hz, with sensor noise), as a body moves:
    the decoders judge an angular rate that jumps alone for one sample as corrupt."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None] / 100.0
    f, ph = rng.uniform(0.5, 3.0, (2, 3)), rng.uniform(0, 2 * np.pi, (2, 3))
    acc = 15 * np.sin(2 * np.pi * f[0] * t + ph[0]) + rng.normal(0, 0.05, (n, 3)) + [0, 0, GRAVITY]
    gyr = 4 * np.sin(2 * np.pi * f[1] * t + ph[1]) + rng.normal(0, 0.01, (n, 3))
    return acc, gyr


def _decode(dec, data, step):
    out = []
    for i in range(0, len(data), step):
        out += dec.feed(data[i:i + step])
    return out + dec.flush()  # the stream ended: samples held for a verdict on their time


# -- framing -------------------------------------------------------------------------------------
def test_crc16_ccitt_false_check_value():
    assert crc16(b"123456789") == 0x29B1
    assert crc16(b"") == 0xFFFF


@pytest.mark.parametrize("end", [0xC0, 0x0A])
def test_stuffing_round_trip_and_no_end_byte(end):
    body = bytes([end, 0xDB, 0xDC, 0xDD, end, 0xDB, 0xDB, 1, 2])
    s = stuff(body, end)
    assert end not in s
    assert unstuff(s, end) == body
    assert unstuff(b"\xdb\x01", end) is None  # invalid escape
    assert unstuff(b"\x01\xdb", end) is None


# -- WitMotion -----------------------------------------------------------------------------------
def test_witmotion_test_vectors():
    """The vectors of ../shared/research/protocols.md: 1 g on z at 25 degC; +100/-100 deg/s."""
    acc_frame = bytes.fromhex("55 51 00 00 00 00 00 08 C4 09 7B")
    gyr_frame = bytes.fromhex("55 52 66 06 00 00 9A F9 00 00 A6")
    assert witmotion.make_frame(0x51, [0, 0, 2048, 2500]) == acc_frame
    dec = witmotion.WitMotionDecoder()
    acc, gyr, t = concat_batches(dec.feed(acc_frame + gyr_frame + acc_frame))
    assert t is None
    np.testing.assert_allclose(acc, [[0, 0, GRAVITY]])
    np.testing.assert_allclose(np.degrees(gyr), [[1638 / 32768 * 2000, 0, -1638 / 32768 * 2000]])
    assert abs(np.degrees(gyr[0, 0]) - 100) < 0.1
    assert dec.stats.samples == 1 and dec.stats.bad_frames == 0


def test_witmotion_counts_corrupt_frames_and_lost_samples():
    acc, gyr = _signals(50)
    enc = witmotion.encode(acc, gyr)
    data = bytearray(b"\x55\x51\x00garbage" + enc.data)
    off = 10
    data[off + 33 * 5 + 4] ^= 0x10  # acc frame of sample 5: data byte
    data[off + 33 * 9 + 11 + 3] ^= 0x01  # gyro frame of sample 9
    data[off + 33 * 20 + 22 + 5] ^= 0x80  # angle frame of sample 20: no sample lost
    for step in (1, 13, 10_000):
        dec = witmotion.WitMotionDecoder()
        out = _decode(dec, bytes(data), step)
        a, g, _ = concat_batches(out)
        keep = np.setdiff1d(np.arange(50), [5, 9])
        np.testing.assert_array_equal(a, enc.acc[keep])
        np.testing.assert_array_equal(g, enc.gyr[keep])
        assert dec.stats.bad_frames == 3
        assert dec.stats.dropped == 2 and dec.stats.gaps == 2
        assert [b.gap_before for b in out if b.gap_before] == [1, 1]
        assert dec.stats.bytes_skipped == 10 + 3 * 11


def test_witmotion_rate_command():
    cmd = witmotion.rate_command(200)
    assert cmd == bytes.fromhex("FF AA 69 88 B5 FF AA 03 0B 00 FF AA 00 00 00")
    assert witmotion.parse_rate_command(cmd) == 200


# -- retrogait binary ----------------------------------------------------------------------------
def test_retrogait_frame_layout():
    body = rb.samples_body(7, np.array([1000]), np.array([[1, -1, 2, -2, 3, -3]], dtype=np.int16))
    assert body == bytes([0x02]) + struct.pack("<IB", 7, 1) + struct.pack("<I6h", 1000, 1, -1, 2, -2, 3, -3)
    fr = rb.frame(body)
    assert fr[0] == 0xC0 and fr[-1] == 0xC0
    assert unstuff(fr[1:-1], 0xC0)[-2:] == struct.pack("<H", crc16(body))
    assert rb.command(rb.C_START) == rb.frame(b"\x10")


@pytest.mark.parametrize("step", [1, 7, 64, 1 << 20])
def test_retrogait_round_trip_any_chunking(step):
    acc, gyr = _signals()
    enc = rb.encode(acc, gyr, 200.0, per_frame=3)
    dec = rb.RetrogaitDecoder()
    a, g, t = concat_batches(_decode(dec, b"\x01\x02junk" + enc.data, step))
    np.testing.assert_array_equal(a, enc.acc)
    np.testing.assert_array_equal(g, enc.gyr)
    np.testing.assert_allclose(t, enc.t, atol=1e-9)
    np.testing.assert_allclose(a, acc, atol=rb.DEFAULT_ACC_LSB)
    assert dec.info["rate_hz"] == 200 and dec.info["model"] == "retrogait-emulator"
    assert dec.stats.bad_frames == 0 and dec.stats.dropped == 0
    assert dec.stats.bytes_skipped == 6


def test_retrogait_drops_flips_and_clock_wrap():
    acc, gyr = _signals(100)
    enc = rb.encode(acc, gyr, 1000.0, per_frame=2, t0_us=(1 << 32) - 30_000)  # wraps after 30 samples
    frames = list(enc.frames)  # frames[0] is INFO, frame k+1 holds samples 2k, 2k+1
    bad = bytearray(frames[30])
    bad[5] ^= 0x04  # payload bit flip (not an END byte): CRC catches it
    frames[30] = bytes(bad)  # samples 58, 59
    del frames[11]  # samples 20, 21 dropped
    dec = rb.RetrogaitDecoder()
    out = _decode(dec, b"".join(frames), 5)
    a, _, t = concat_batches(out)
    keep = np.setdiff1d(np.arange(100), [20, 21, 58, 59])
    np.testing.assert_array_equal(a, enc.acc[keep])
    assert dec.stats.bad_frames == 1
    assert dec.stats.dropped == 4 and dec.stats.gaps == 2
    np.testing.assert_allclose(np.diff(t)[np.diff(keep) == 1], 1e-3, atol=1e-9)  # unwrapped clock
    assert t[-1] - t[0] == pytest.approx(0.099, abs=1e-9)


def test_retrogait_device_reset_is_flagged():
    acc, gyr = _signals(10)
    a = rb.encode(acc, gyr, 100.0, per_frame=1, seq0=1000, t0_us=5_000_000)
    b = rb.encode(acc, gyr, 100.0, per_frame=1, seq0=0, t0_us=0)
    dec = rb.RetrogaitDecoder()
    out = dec.feed(a.data + b.data)
    assert any(bt.reset for bt in out)
    assert sum(bt.n for bt in out) == 20


# -- text ----------------------------------------------------------------------------------------
def test_text_presets_and_labels():
    dec = make_decoder("text", PRESETS["arduino-lsm6ds3"])
    data = (b"LSM6DS3 found!\r\nAccelerometer sample rate = 104 Hz\r\n0.01\t-0.02\t1.00\t10.5\t0\t-90\r\n"
            b"0.5,0.5\r\n1.0 2.0 3.0 4.0 5.0 6.0.0\r\n")
    acc, gyr, t = concat_batches(dec.feed(b"\n" + data) + dec.flush())
    assert t is None
    np.testing.assert_allclose(acc, [[0.01 * GRAVITY, -0.02 * GRAVITY, GRAVITY]])
    np.testing.assert_allclose(gyr, [np.radians([10.5, 0, -90])])
    assert dec.stats.bad_frames == 2  # banners are ignored; 2 numbers or "6.0.0" are bad lines
    lab = text.TextDecoder(PRESETS["adafruit"])
    acc, gyr, _ = concat_batches(lab.feed(b"\nAccelX:1.5,AccelY:-2,AccelZ:9.8, GyroX:0.1,GyroY:0,GyroZ:-0.2\n"))
    np.testing.assert_allclose(acc, [[1.5, -2, 9.8]])
    np.testing.assert_allclose(gyr, [[0.1, 0, -0.2]])


def test_text_gaps_from_time_column_and_micros_wrap():
    acc, gyr = _signals(40)
    enc = text.encode(acc, gyr, 100.0, t0=2 ** 32 * 1e-6 - 0.2)  # micros() wraps after 20 samples
    lines = enc.frames[:10] + enc.frames[13:]  # 3 lines lost
    dec = text.TextDecoder()
    out = dec.feed(b"\n" + b"".join(lines)) + dec.flush()
    a, _, t = concat_batches(out)
    assert len(a) == 37
    assert dec.stats.gaps == 1 and dec.stats.dropped == 3
    assert np.all(np.diff(t) > 0)


def test_text_bad_units_are_usage_errors():
    from retrogait.errors import UsageProblem

    with pytest.raises(UsageProblem):
        text.TextFormat(acc_unit="furlongs")
    with pytest.raises(UsageProblem):
        text.TextFormat(columns=("ax", "ay"))


# -- x-IMU3 --------------------------------------------------------------------------------------
def test_ximu3_manual_test_vector():
    """x-IMU3 user manual: t = 1 s, az = 1 g."""
    vec = bytes.fromhex("C9 40 42 0F 00 00 00 00 00") + bytes(20) + bytes.fromhex("00 00 80 3F 0A")
    dec = ximu3.XIMU3Decoder()
    acc, gyr, t = concat_batches(dec.feed(b"\n" + vec) + dec.flush())
    np.testing.assert_allclose(t, [1.0])
    np.testing.assert_allclose(acc, [[0, 0, GRAVITY]])
    np.testing.assert_allclose(gyr, [[0, 0, 0]])


def test_ximu3_ascii_binary_mixed_and_stuffing():
    acc, gyr = _signals(30)
    # samples whose float32 bytes hold an LF (0x0A) and an ESC (0xDB): both escapes must be used
    acc[4, 0] = float(np.frombuffer(bytes([0x0A, 0xDB, 0x20, 0x41]), "<f4")[0]) * GRAVITY
    gyr[8:11, 2] = float(np.frombuffer(bytes([0xDB, 0x0A, 0x40, 0x42]), "<f4")[0]) * ximu3.DEG  # (a plateau:
    # one sample alone would be an angular rate that jumps for one sample, judged corrupt)
    b = ximu3.encode(acc, gyr, 400.0, binary=True)
    a = ximu3.encode(acc, gyr, 400.0, binary=False, t0_us=75_000)
    assert all(f.count(b"\n") == 1 and f.endswith(b"\n") for f in b.frames)  # the body never holds its LF
    assert b"\xdb\xdc" in b.frames[4] and b"\xdb\xdd" in b.frames[4]
    assert b"\xdb\xdc" in b.frames[9] and b"\xdb\xdd" in b.frames[9]
    stream = b"\n" + b.data + b'{"ping":{"deviceName":"x"}}\r\n' + b"M,1,2,3,4\r\n" + a.data
    dec = ximu3.XIMU3Decoder()
    out = _decode(dec, stream, 3)
    acc_d, gyr_d, t = concat_batches(out)
    np.testing.assert_array_equal(acc_d, np.vstack([b.acc, a.acc]))
    np.testing.assert_array_equal(gyr_d, np.vstack([b.gyr, a.gyr]))
    assert dec.replies and "ping" in dec.replies[0]
    assert dec.stats.bad_frames == 0 and dec.stats.gaps == 0


def test_ximu3_stuffed_timestamp():
    """A timestamp holding 0x0A and 0xDB bytes must be escaped and come back exact."""
    enc = ximu3.encode(np.zeros((1, 3)), np.zeros((1, 3)), 1.0, t0_us=0x0ADB0A)
    assert enc.data.count(b"\n") == 1
    dec = ximu3.XIMU3Decoder()
    _, _, t = concat_batches(dec.feed(b"\n" + enc.data) + dec.flush())
    assert t[0] == 0x0ADB0A * 1e-6


# -- sniffing ------------------------------------------------------------------------------------
@pytest.mark.parametrize("proto", ["retrogait", "witmotion", "ximu3", "text-g", "text-si"])
def test_sniff_recognises_each_protocol(proto):
    acc, gyr = _signals(200)
    acc[:, 2] = GRAVITY + acc[:, 2] * 0.05  # a quiet foot: |a| near 1 g
    acc[:, :2] *= 0.05
    data = {
        "retrogait": lambda: rb.encode(acc, gyr, 200.0).data,
        "witmotion": lambda: witmotion.encode(acc, gyr).data,
        "ximu3": lambda: ximu3.encode(acc, gyr, 400.0).data,
        "text-g": lambda: text.encode(acc, gyr, 104.0, PRESETS["arduino-lsm6ds3"], decimals=3).data,
        "text-si": lambda: text.encode(acc, gyr, 200.0).data,
    }[proto]()
    res = sniff(data[5:])
    assert res.protocol == proto.split("-")[0], res.reason
    if proto == "text-g":
        assert res.text_format.acc_unit == "g" and res.text_format.gyr_unit == "deg/s"
        assert res.text_format.columns[0] == "ax"
    if proto == "text-si":
        assert res.text_format.acc_unit == "m/s^2" and res.text_format.time_unit == "us"


def test_sniff_says_nothing_for_noise():
    rng = np.random.default_rng(3)
    res = sniff(rng.integers(0, 256, 4000, dtype=np.uint8).tobytes())
    assert res.protocol is None
    assert "nothing recognisable" in res.reason


# -- plausibility: values beyond the sensor range, timestamps out of line (issue 13) -----------------
def _ximu3_with_bad_times(n: int, corrupt: dict[int, int], lost: tuple[int, ...] = (), rate: float = 200.0):
    """x-IMU3 binary frames of ``n`` quiet samples; ``corrupt``: sample -> xor mask on its u64 timestamp
    (a flipped bit); ``lost``: samples never sent."""
    acc, gyr = _signals(n)
    acc *= 0.3
    enc = ximu3.encode(acc, gyr, rate)
    frames = []
    for i, f in enumerate(enc.frames):
        if i in lost:
            continue
        if i in corrupt:
            body = bytearray(ximu3.unstuff(f[:-1], ximu3.END))
            t = int.from_bytes(body[1:9], "little") ^ corrupt[i]
            body[1:9] = t.to_bytes(8, "little")
            f = ximu3.stuff(bytes(body), ximu3.END) + b"\n"
        frames.append(f)
    return enc, frames


@pytest.mark.parametrize("step", [1, 40, 1 << 20])
def test_ximu3_flipped_timestamps_are_repaired_or_dropped_and_counted(step):
    """A flipped timestamp bit far ahead or behind: put back between its neighbours when one interval
    is missing from them, dropped (and its place a gap) when the next sample was lost too. The session
    never jumps (issue 13: one flipped bit made a 30 s recording span 362 s)."""
    enc, frames = _ximu3_with_bad_times(120, {30: 1 << 41, 60: 1 << 20, 0: 1 << 33, 91: 1 << 13},
                                        lost=(92,))
    dec = ximu3.XIMU3Decoder()
    a, _, t = concat_batches(_decode(dec, b"\n" + b"".join(frames), step))
    keep = np.setdiff1d(np.arange(120), [0, 91, 92])  # the first sample (judged by the two after it)
    np.testing.assert_array_equal(a, enc.acc[keep])    # and 91 (its neighbours 3 intervals apart)
    np.testing.assert_allclose(t, enc.t[keep], atol=1e-9)  # 30 and 60 put back exactly
    assert dec.stats.implausible == 4 and dec.stats.repaired == 2
    assert dec.stats.gaps == 1 and dec.stats.dropped == 2  # 91 and 92, one gap


def test_values_beyond_the_sensor_range_are_dropped_and_their_place_is_a_gap():
    acc, gyr = _signals(50)
    acc *= 0.3
    enc = text.encode(acc, gyr, 100.0)
    lines = list(enc.frames)
    f10 = lines[10].split(b",")
    lines[10] = b",".join([f10[0], b"999.000000", *f10[2:]])  # ax of 999 m/s^2 (102 g)
    lines[20] = lines[20].rsplit(b",", 1)[0] + b",70.0\r\n"  # gz of 70 rad/s (4000 deg/s)
    dec = text.TextDecoder()
    a, g, t = concat_batches(dec.feed(b"\n" + b"".join(lines)) + dec.flush())
    keep = np.setdiff1d(np.arange(50), [10, 20])
    np.testing.assert_array_equal(a, enc.acc[keep])
    assert dec.stats.implausible == 2 and dec.stats.dropped == 2 and dec.stats.gaps == 2
    # without a time column: the same, the gap is told by the batches
    fmt = PRESETS["adafruit"]
    enc = text.encode(acc, gyr, 100.0, fmt)
    lines = list(enc.frames)
    lines[7] = b"-9999" + lines[7].lstrip(b"-")  # leading digits: ax in the thousands of m/s^2
    dec = text.TextDecoder(fmt)
    out = dec.feed(b"\n" + b"".join(lines))
    a, _, _ = concat_batches(out)
    np.testing.assert_array_equal(a, enc.acc[np.setdiff1d(np.arange(50), [7])])
    assert [b.gap_before for b in out] == [0, 1] and dec.stats.dropped == 1


def test_text_micros_wrap_is_not_faked_by_a_corrupt_digit():
    acc, gyr = _signals(40)
    acc *= 0.3
    enc = text.encode(acc, gyr, 100.0, t0=2 ** 32 * 1e-6 - 0.2)
    lines = [(b"%d" % (int(ln.split(b",")[0]) % 2 ** 32)) + ln[ln.index(b","):] for ln in enc.frames]
    assert int(lines[20].split(b",")[0]) < int(lines[19].split(b",")[0])  # micros() wraps after 20 samples
    lines[30] = b"9" + lines[30]  # a digit more on the time: 9e9 us ahead (then "back" by > 2^31)
    dec = text.TextDecoder()
    a, _, t = concat_batches(dec.feed(b"\n" + b"".join(lines)) + dec.flush())
    np.testing.assert_array_equal(a, enc.acc)  # sample 30 put back between its neighbours
    np.testing.assert_allclose(np.diff(t), 0.01, atol=1e-6)
    assert dec.stats.implausible == dec.stats.repaired == 1 and dec.stats.gaps == 0


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cuts=st.lists(st.integers(1, 80), min_size=1, max_size=6))
def test_timestamp_verdicts_do_not_depend_on_how_the_bytes_arrive(seed, cuts):
    """Also: every timestamp that comes out is the true one (put back exactly, or the sample dropped),
    for up to two corrupt timestamps in a row and lost samples anywhere, when the corruption moves it
    by two intervals or more (bit 14 and up: 16 ms at 200 Hz). A timestamp moved by less than that
    can pass for clock jitter and a missing sample (the limit of judging by neighbours)."""
    rng = np.random.default_rng(seed)
    at = np.sort(rng.choice(np.arange(1, 16), 4, replace=False)) * 5 + rng.integers(0, 2, 4)
    corrupt = {int(i): 1 << int(b) for i, b in zip(at, rng.integers(14, 50, 4))}
    lost = tuple(int(i) for i in rng.integers(0, 80, 3))
    enc, frames = _ximu3_with_bad_times(80, corrupt, lost)
    data = b"\n" + b"".join(frames)
    whole = ximu3.XIMU3Decoder()
    ref = whole.feed(data) + whole.flush()
    dec = ximu3.XIMU3Decoder()
    out, i, k = [], 0, 0
    while i < len(data):
        out += dec.feed(data[i:i + cuts[k % len(cuts)]])
        i += cuts[k % len(cuts)]
        k += 1
    out += dec.flush()
    for x, y in zip(concat_batches(ref), concat_batches(out)):
        np.testing.assert_array_equal(x, y)
    assert whole.stats == dec.stats
    a, _, t = concat_batches(out)
    truth = {tuple(r): ti for r, ti in zip(enc.acc, enc.t)}
    np.testing.assert_allclose(t, [truth[tuple(r)] for r in a], rtol=0, atol=1e-9)  # (a midpoint)
