"""The native .rgt format: exact round trip, live writer, integrity checks, clear errors."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrogait.errors import InputFileError
from retrogait.io.fileformat import (
    BLOCK_HEADER_SIZE,
    MAGIC,
    PREAMBLE,
    RecordingWriter,
    empty_template,
    read_recording,
    read_report,
    write_recording,
)
from retrogait.io.recording import Recording, Stream


def make_stream(n: int, foot: str, rate: float = 200.0, *, mag: bool = False, t_host: bool = False,
                seed: int = 0) -> Stream:
    rng = np.random.default_rng(seed)
    t = 0.5 + np.arange(n) / rate + rng.normal(0, 1e-5, n)
    acc = rng.normal(0, 3, (n, 3))
    acc[:, 2] += 9.80665
    return Stream(
        t=t, acc=acc, gyr=rng.normal(0, 2, (n, 3)),
        mag=rng.normal(0, 40, (n, 3)) if mag else None,
        t_host=t + 0.012 + rng.random(n) * 1e-3 if t_host else None,
        foot=foot, nominal_rate=rate,
        mount=np.array([[0.0, 0, 1], [0, 1, 0], [-1, 0, 0]]) if foot == "left" else None,
        device={"model": "TestIMU", "id": f"SN-{foot}", "firmware": "1.2.3", "protocol": "test"},
    )


def make_recording() -> Recording:
    return Recording(
        streams=[make_stream(1234, "left", mag=True, t_host=True, seed=1), make_stream(987, "right", seed=2)],
        start_time="2026-11-25T10:00:00Z", subject="P07",
        tags={"condition": "treadmill", "belt_speed_m_s": 0.8, "incline_pct": 5.0, "notes": "ünïcode ok"},
        events=[{"kind": "gap", "t": 2.0, "t_end": 2.25, "stream": 1}, {"kind": "note", "t": 3.5}],
    )


def assert_same(a: Recording, b: Recording) -> None:
    """b equals a to the stored precision (times float64 exact, sensor values float32 exact)."""
    assert (b.start_time, b.subject, b.tags, b.events) == (a.start_time, a.subject, a.tags, a.events)
    assert len(a.streams) == len(b.streams)
    for sa, sb in zip(a.streams, b.streams):
        assert (sb.foot, sb.nominal_rate, sb.device) == (sa.foot, sa.nominal_rate, sa.device)
        assert np.array_equal(sb.t, sa.t)
        for name in ("acc", "gyr", "mag"):
            va, vb = getattr(sa, name), getattr(sb, name)
            assert (va is None) == (vb is None)
            if va is not None:
                assert np.array_equal(vb, np.asarray(va, np.float32).astype(np.float64))
        assert (sa.t_host is None) == (sb.t_host is None)
        if sa.t_host is not None:
            assert np.array_equal(sb.t_host, sa.t_host)
        assert (sa.mount is None) == (sb.mount is None)
        if sa.mount is not None:
            assert np.array_equal(sb.mount, sa.mount)


def test_round_trip_is_exact(tmp_path):
    rec = make_recording()
    path = tmp_path / "walk.rgt"
    write_recording(path, rec)
    back = read_recording(path)
    assert back.warnings == []
    assert_same(rec, back)
    # writing what was read gives the same samples again (float32 values are stable)
    write_recording(tmp_path / "again.rgt", back)
    assert_same(back, read_recording(tmp_path / "again.rgt"))


def test_float32_option_keeps_stored_precision(tmp_path):
    rec = make_recording()
    write_recording(tmp_path / "w.rgt", rec)
    back = read_recording(tmp_path / "w.rgt", float_dtype=np.float32)
    assert back.streams[0].acc.dtype == np.float32
    assert np.array_equal(back.streams[0].acc, rec.streams[0].acc.astype(np.float32))


def test_zero_samples(tmp_path):
    rec = Recording(streams=[make_stream(0, "left"), make_stream(0, "right", mag=True)], subject="nobody")
    write_recording(tmp_path / "empty.rgt", rec)
    back = read_recording(tmp_path / "empty.rgt")
    assert [s.n for s in back.streams] == [0, 0]
    assert back.streams[1].mag.shape == (0, 3)
    assert back.warnings == [] and back.subject == "nobody"
    back = read_recording(tmp_path / "empty.rgt")
    with RecordingWriter(tmp_path / "live_empty.rgt", empty_template(["left"], 100.0)):
        pass
    assert read_recording(tmp_path / "live_empty.rgt").streams[0].n == 0


def test_live_writer_matches_bulk(tmp_path):
    rec = make_recording()
    template = Recording(streams=[s.slice(0, 0) for s in rec.streams], start_time=rec.start_time,
                         subject=rec.subject, tags=rec.tags)
    path = tmp_path / "live.rgt"
    rng = np.random.default_rng(5)
    with RecordingWriter(path, template, block_seconds=0.5) as w:
        pos = [0, 0]
        while pos[0] < rec.streams[0].n or pos[1] < rec.streams[1].n:
            i = int(rng.integers(0, 2))
            s = rec.streams[i]
            k = int(rng.integers(1, 60))
            a, b = pos[i], min(pos[i] + k, s.n)
            w.append(i, s.t[a:b], s.acc[a:b], s.gyr[a:b], None if s.mag is None else s.mag[a:b],
                     None if s.t_host is None else s.t_host[a:b])
            pos[i] = b
            if rng.random() < 0.05:
                w.flush()
        for ev in rec.events:
            w.add_event(ev)
    back, report = read_report(path)
    assert report.closed_cleanly and back.warnings == []
    assert report.n_sample_blocks > 10
    assert_same(rec, back)


def test_writer_checks_channels(tmp_path):
    with RecordingWriter(tmp_path / "x.rgt", empty_template(["left"], 100.0)) as w:
        with pytest.raises(ValueError):
            w.append(0, [0.0], [[0, 0, 9.8]], [[0, 0, 0]], mag=[[1, 2, 3]])
        with pytest.raises(ValueError):
            w.append(1, [0.0], [[0, 0, 9.8]], [[0, 0, 0]])


def _block_offsets(path) -> list[int]:
    data = path.read_bytes()
    _, _, hlen, _ = PREAMBLE.unpack_from(data, 0)
    pos, offs = PREAMBLE.size + hlen, []
    while pos < len(data):
        offs.append(pos)
        plen = struct.unpack_from("<I", data, pos + 12)[0]
        pos += BLOCK_HEADER_SIZE + plen
    return offs


def _live_file(tmp_path, n_seconds: int = 10) -> tuple:
    s = make_stream(100 * n_seconds, "left", rate=100.0, seed=3)
    path = tmp_path / "live.rgt"
    with RecordingWriter(path, empty_template(["left"], 100.0), block_seconds=1.0) as w:
        w.append(0, s.t, s.acc, s.gyr)
    return path, s


@pytest.mark.parametrize("where", ["payload", "header"])
def test_flipped_byte_in_middle_block_is_reported_and_rest_reads(tmp_path, where):
    path, s = _live_file(tmp_path)
    offs = _block_offsets(path)
    bad = 4
    data = bytearray(path.read_bytes())
    flip_at = offs[bad] + (BLOCK_HEADER_SIZE + 333 if where == "payload" else 9)
    data[flip_at] ^= 0x10
    path.write_bytes(bytes(data))
    back, report = read_report(path)
    assert len(report.problems) == 1
    assert (report.problems[0].block, report.problems[0].offset) == (bad, offs[bad])
    assert len(back.warnings) == 1
    assert f"block {bad} at byte {offs[bad]}" in back.warnings[0]
    keep = np.r_[0:bad * 100, (bad + 1) * 100:s.n]
    assert np.array_equal(back.streams[0].t, s.t[keep])
    assert np.array_equal(back.streams[0].gyr, s.gyr[keep].astype(np.float32))


def test_truncated_tail_is_a_warning(tmp_path):
    path, s = _live_file(tmp_path)
    offs = _block_offsets(path)
    data = path.read_bytes()
    # cut inside the 8th samples block: blocks 0..6 are complete
    path.write_bytes(data[: offs[7] + 100])
    back, report = read_report(path)
    assert report.problems == [] and report.truncated_tail == (offs[7], 100)
    assert len(back.warnings) == 1 and "truncated" in back.warnings[0] and str(offs[7]) in back.warnings[0]
    assert np.array_equal(back.streams[0].t, s.t[:700])
    assert not report.closed_cleanly


def test_garbage_empty_truncated_files_raise_one_line_errors(tmp_path):
    cases = {
        "zip.rgt": b"PK\x03\x04" + bytes(100),
        "empty.rgt": b"",
        "text.rgt": b"RGAIT\n\x1a\n" + bytes(40),
        "short.rgt": MAGIC + b"\x01\x00",
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
    good = tmp_path / "good.rgt"
    write_recording(good, make_recording())
    (tmp_path / "cut_header.rgt").write_bytes(good.read_bytes()[:60])
    damaged = bytearray(good.read_bytes())
    damaged[PREAMBLE.size + 5] ^= 1
    (tmp_path / "bad_header.rgt").write_bytes(bytes(damaged))
    expect = {
        "zip.rgt": "byte 0: not a retrogait recording (expected magic 'RGAIT', found b'PK\\x03\\x04\\x00')",
        "empty.rgt": "empty file",
        "text.rgt": "text mode",
        "short.rgt": "truncated",
        "cut_header.rgt": "truncated",
        "bad_header.rgt": "header checksum mismatch",
        "missing.rgt": "no such file",
    }
    for name, fragment in expect.items():
        with pytest.raises(InputFileError) as info:
            read_recording(tmp_path / name)
        msg = str(info.value)
        assert "\n" not in msg and msg.startswith(name + ":") and fragment in msg, msg


def _write_interleaved(path, rec, seed: int) -> None:
    """Live-write ``rec`` in random packet sizes, with random flushes and events in between."""
    template = Recording(streams=[s.slice(0, 0) for s in rec.streams], start_time=rec.start_time,
                         subject=rec.subject, tags=rec.tags)
    rng = np.random.default_rng(seed)
    events = list(rec.events)
    with RecordingWriter(path, template, block_seconds=0.1) as w:
        pos = [0] * len(rec.streams)
        while any(p < s.n for p, s in zip(pos, rec.streams)):
            i = int(rng.integers(0, len(rec.streams)))
            s, a = rec.streams[i], pos[i]
            b = min(a + int(rng.integers(1, 45)), s.n)
            w.append(i, s.t[a:b], s.acc[a:b], s.gyr[a:b], None if s.mag is None else s.mag[a:b],
                     None if s.t_host is None else s.t_host[a:b])
            pos[i] = b
            if rng.random() < 0.03:
                w.flush()
            if events and rng.random() < 0.02:
                w.add_event(events.pop(0))
        for ev in events:
            w.add_event(ev)


@pytest.mark.parametrize("min_run", [1, 8, 10**9])
def test_both_copy_paths_agree(tmp_path, monkeypatch, min_run):
    import retrogait.io.fileformat as ff

    rec = make_recording()
    _write_interleaved(tmp_path / "x.rgt", rec, seed=min_run % 97)
    monkeypatch.setattr(ff, "_MIN_RUN", min_run)
    back = read_recording(tmp_path / "x.rgt")
    assert back.warnings == []
    assert_same(rec, back)


def test_unaligned_blocks_from_other_writers_read(tmp_path, monkeypatch):
    """Another writer need not pad JSON blocks to 8 bytes; the reader copes with unaligned blocks."""
    import json

    import retrogait.io.fileformat as ff

    monkeypatch.setattr(ff, "_json_bytes", lambda obj: json.dumps(obj).encode() + b"x"[:0])
    rec = make_recording()
    rec.events = [{"kind": "note", "t": 0.1 * k, "text": "a" * k} for k in range(30)]
    _write_interleaved(tmp_path / "u.rgt", rec, seed=11)
    monkeypatch.undo()
    back = read_recording(tmp_path / "u.rgt")
    assert back.warnings == []
    assert_same(rec, back)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sizes=st.lists(st.integers(0, 300), min_size=1, max_size=2),
    mag=st.booleans(), t_host=st.booleans(), block_samples=st.integers(1, 128), seed=st.integers(0, 2**31),
)
def test_round_trip_property(tmp_path, sizes, mag, t_host, block_samples, seed):
    """Any stream sizes, channels and block sizes: native and CSV round trips are exact."""
    from retrogait.io.csvio import read_csv, write_csv

    rng = np.random.default_rng(seed)
    streams = []
    for i, n in enumerate(sizes):
        s = make_stream(n, ("left", "right")[i], mag=mag and i == 0, t_host=t_host, seed=seed + i)
        s.acc = s.acc * 10.0 ** rng.integers(-6, 6)  # any magnitude
        streams.append(s)
    rec = Recording(streams=streams, start_time="2026-01-01T00:00:00Z", subject="x")
    path = tmp_path / f"p{seed}.rgt"
    with RecordingWriter(path, Recording(streams=[s.slice(0, 0) for s in streams], start_time=rec.start_time,
                                         subject="x"), block_samples=block_samples) as w:
        for i, s in enumerate(streams):
            w.append(i, s.t, s.acc, s.gyr, s.mag, s.t_host)
    back = read_recording(path)
    assert back.warnings == []
    assert_same(rec, back)
    write_csv(tmp_path / f"p{seed}.csv", back)
    assert_same(back, read_csv(tmp_path / f"p{seed}.csv"))


def test_memory_mapped_path_reads_the_same(tmp_path, monkeypatch):
    """Large files are memory-mapped instead of read; force that path on a small file."""
    import retrogait.io.fileformat as ff

    rec = make_recording()
    _write_interleaved(tmp_path / "m.rgt", rec, seed=3)
    monkeypatch.setattr(ff, "_MMAP_THRESHOLD", 0)
    back = read_recording(tmp_path / "m.rgt")
    assert back.warnings == []
    assert_same(rec, back)
