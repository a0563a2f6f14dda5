"""Fuzzing the decoders (hypothesis): any chunking gives exactly the encoded samples; random bytes never
raise; corrupted streams never yield a sample that was not encoded."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrogait.protocols import PRESETS, concat_batches, text, witmotion, ximu3
from retrogait.protocols import retrogait_binary as rb
from retrogait.protocols.sniff import sniff

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ENCODERS = {
    "retrogait": (lambda a, g: rb.encode(a, g, 500.0, per_frame=3), rb.RetrogaitDecoder),
    "witmotion": (lambda a, g: witmotion.encode(a, g), witmotion.WitMotionDecoder),
    "ximu3-bin": (lambda a, g: ximu3.encode(a, g, 400.0, t0_us=0x0A0ADB), ximu3.XIMU3Decoder),
    "ximu3-ascii": (lambda a, g: ximu3.encode(a, g, 400.0, binary=False), ximu3.XIMU3Decoder),
    "text": (lambda a, g: text.encode(a, g, 200.0), text.TextDecoder),
    "text-g": (lambda a, g: text.encode(a, g, 104.0, PRESETS["arduino-lsm6ds3"], decimals=4),
               lambda: text.TextDecoder(PRESETS["arduino-lsm6ds3"])),
}
NAMES = sorted(ENCODERS)
SYNC = {name: b"" if name == "witmotion" else (b"\xc0" if name == "retrogait" else b"\n") for name in NAMES}


def _signals(seed: int, n: int):
    rng = np.random.default_rng(seed)
    # include values whose bytes are END/ESC/header bytes of the protocols
    acc = rng.normal(0, 30, (n, 3))
    gyr = rng.normal(0, 6, (n, 3))
    return acc, gyr


def _feed(dec, data: bytes, cuts: list[int]):
    out, i, k = [], 0, 0
    while i < len(data):
        step = cuts[k % len(cuts)] if cuts else len(data)
        out += dec.feed(data[i:i + step])
        i += step
        k += 1
    return out + dec.flush()


def _rows(acc, gyr, t):
    cols = [acc, gyr] + ([t[:, None]] if t is not None else [])
    return {tuple(r) for r in np.hstack(cols).round(9)}


@FUZZ
@given(name=st.sampled_from(NAMES), seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40),
       cuts=st.lists(st.integers(1, 40), max_size=8))
def test_any_chunking_gives_exactly_the_samples(name, seed, n, cuts):
    enc_fn, dec_fn = ENCODERS[name]
    enc = enc_fn(*_signals(seed, n))
    dec = dec_fn()
    out = _feed(dec, SYNC[name] + enc.data, cuts)  # a leading terminator: starting in sync
    acc, gyr, t = concat_batches(out)
    np.testing.assert_array_equal(acc, enc.acc)
    np.testing.assert_array_equal(gyr, enc.gyr)
    if enc.t is not None:
        np.testing.assert_allclose(t, enc.t, rtol=0, atol=1e-9)
    assert dec.stats.bad_frames == 0 and dec.stats.dropped == 0


@FUZZ
@given(name=st.sampled_from(NAMES), data=st.binary(max_size=3000), cuts=st.lists(st.integers(1, 300), max_size=5))
def test_random_bytes_never_raise(name, data, cuts):
    dec = ENCODERS[name][1]()
    out = _feed(dec, data, cuts)
    for b in out:
        assert b.acc.shape == (b.n, 3) and b.gyr.shape == (b.n, 3)
        assert np.isfinite(b.acc).all() and np.isfinite(b.gyr).all()
    sniff(data)


@FUZZ
@given(name=st.sampled_from(NAMES), seed=st.integers(0, 2**32 - 1), n=st.integers(2, 40),
       garbage=st.lists(st.tuples(st.integers(0, 10**6), st.binary(min_size=1, max_size=20)), max_size=4),
       flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 7)), max_size=4),
       cuts=st.lists(st.integers(1, 60), max_size=5))
def test_corruption_never_yields_a_sample_not_in_the_stream(name, seed, n, garbage, flips, cuts):
    """Garbage bursts between frames and bit flips inside frames. For protocols without a checksum
    (text, x-IMU3) a flipped digit cannot be detected, so they get garbage only (without digits for
    text); WitMotion's 8-bit sum detects any single-bit error, so at most one flip per frame."""
    enc_fn, dec_fn = ENCODERS[name]
    enc = enc_fn(*_signals(seed, n))
    frames = [bytearray(f) for f in enc.frames]
    checksummed = name in ("retrogait", "witmotion")
    hit: set[int] = set()
    if checksummed:
        for pos, bit in flips:
            k = pos % len(frames)
            if k in hit:
                continue
            hit.add(k)
            f = frames[k]
            if name == "retrogait":  # flip inside the body, keeping the END bytes (a flipped END = garbage)
                j = 1 + pos % (len(f) - 2)
            else:  # a WitMotion sample is 3 frames of 11 bytes: one flip per sample is one per frame at most
                j = pos % len(f)
            f[j] ^= 1 << bit
    for pos, junk in garbage:
        if name.startswith("text"):
            junk = bytes(b for b in junk if not (48 <= b <= 57 or b in b"+-.")) or b"x"
        k = pos % len(frames)
        frames[k] = bytearray(junk) + frames[k]
    data = SYNC[name] + b"".join(bytes(f) for f in frames)
    dec = dec_fn()
    acc, gyr, t = concat_batches(_feed(dec, data, cuts))
    truth = _rows(enc.acc, enc.gyr, enc.t)
    got = _rows(acc, gyr, t)
    assert got <= truth
    if not garbage:  # resynchronised: only the flipped frames' samples are lost
        per_frame = {"retrogait": 3}.get(name, 1)
        lost = sum(min(per_frame, n - (k - 1) * per_frame) for k in hit if k > 0) if name == "retrogait" \
            else len(hit)
        assert len(acc) >= n - lost
