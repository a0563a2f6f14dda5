"""Crafted ``.rgt`` files for the "no traceback for any input" tests (issue 13).

Every case is a file whose blocks all carry *valid* checksums but whose content is nonsense: a header
or header update with wrong types, a 2x2 or NaN mount, deeply nested JSON, NaN sample values, events
without a kind ... :func:`crafted_cases` returns ``{name: (bytes, expect)}``; ``expect`` says what a
reader must still deliver ("all": every sample of the base recording; "error": a one-line
``InputFileError``; "some": no traceback, a warning, samples may be dropped).

Used by ``tests/test_crafted_inputs.py`` and by the before/after measurement in the issue notes.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

from retrogait.io.fileformat import (
    BLOCK_EVENT,
    BLOCK_HEADER_UPDATE,
    BLOCK_SAMPLES,
    FORMAT_VERSION,
    MAGIC,
    NO_STREAM,
    PREAMBLE,
    SYNC,
    header_dict,
)
from retrogait.io.recording import Recording

BLOCK = 100  # samples per block of the crafted files (1 s at 100 Hz)


def pad8(b: bytes) -> bytes:
    """Pad with spaces to a multiple of 8 bytes (JSON payloads)."""
    return b + b" " * ((-len(b)) % 8)


def block(btype: int, flags: int, stream: int, n: int, payload: bytes) -> bytes:
    """One block with valid header and payload checksums (whatever its content)."""
    head = struct.pack("<4sBBHIII", SYNC, btype, flags, stream, n, len(payload), zlib.crc32(payload))
    return head + struct.pack("<I", zlib.crc32(head)) + payload


def preamble(header_json: bytes) -> bytes:
    """Magic, version, length and checksum of a header, then the header padded to 8-byte alignment."""
    body = header_json + b" " * ((-(PREAMBLE.size + len(header_json))) % 8)
    return PREAMBLE.pack(MAGIC, FORMAT_VERSION, len(body), zlib.crc32(body)) + body


def samples_payload(t: np.ndarray, acc: np.ndarray, gyr: np.ndarray) -> bytes:
    """A samples payload without mag / t_host (flags 0)."""
    raw = (np.ascontiguousarray(t, "<f8").tobytes() + np.ascontiguousarray(acc, "<f4").tobytes()
           + np.ascontiguousarray(gyr, "<f4").tobytes())
    return raw + b"\x00" * ((-len(raw)) % 8)


def sample_blocks(rec: Recording, stream: int = 0, t_fn: Callable[[np.ndarray], np.ndarray] | None = None,
                  acc_fn: Callable[[np.ndarray], np.ndarray] | None = None) -> bytes:
    """The samples of ``rec.streams[stream]`` as 1-s blocks (optionally with changed times / values)."""
    s = rec.streams[stream]
    t = s.t if t_fn is None else t_fn(s.t.copy())
    acc = s.acc if acc_fn is None else acc_fn(s.acc.astype(np.float64).copy())
    out = []
    for a in range(0, s.n, BLOCK):
        b = min(a + BLOCK, s.n)
        out.append(block(BLOCK_SAMPLES, 0, stream, b - a, samples_payload(t[a:b], acc[a:b], s.gyr[a:b])))
    return b"".join(out)


def jbytes(obj: Any) -> bytes:
    """JSON (NaN / Infinity allowed, as Python writes them)."""
    return json.dumps(obj, allow_nan=True).encode()


def crafted_cases(base: Recording) -> dict[str, tuple[bytes, str]]:
    """The 40 crafted files built on ``base`` (one stream, no mag / t_host), with what must survive."""
    hdr = header_dict(base)

    def with_stream(**kw: Any) -> bytes:
        h = json.loads(json.dumps(hdr))
        h["streams"][0].update(kw)
        return preamble(jbytes(h))

    def with_header(**kw: Any) -> bytes:
        h = json.loads(json.dumps(hdr))
        h.update(kw)
        return preamble(jbytes(h))

    good_head = preamble(jbytes(hdr))
    samples = sample_blocks(base)

    def upd(raw: bytes) -> bytes:
        return good_head + samples + block(BLOCK_HEADER_UPDATE, 0, NO_STREAM, 0, pad8(raw))

    def ev(raw: bytes, stream: int = NO_STREAM) -> bytes:
        return good_head + block(BLOCK_EVENT, 0, stream, 0, pad8(raw)) + samples

    deep = b"[" * 50_000 + b"]" * 50_000
    deep_obj = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
    cases: dict[str, tuple[bytes, str]] = {
        # --- the header itself (checksum valid, content nonsense)
        "header_mount_string": (with_stream(mount="abc") + samples, "all"),
        "header_mount_2x2": (with_stream(mount=[[1, 0], [0, 1]]) + samples, "all"),
        "header_mount_nan": (with_stream(mount=[[float("nan")] * 3] * 3) + samples, "all"),
        "header_mount_zero": (with_stream(mount=[[0, 0, 0]] * 3) + samples, "all"),
        "header_mount_strings": (with_stream(mount=[["a", "b", "c"]] * 3) + samples, "all"),
        "header_rate_string": (with_stream(nominal_rate="fast") + samples, "all"),
        "header_rate_negative": (with_stream(nominal_rate=-100) + samples, "all"),
        "header_rate_nan": (with_stream(nominal_rate=float("nan")) + samples, "all"),
        "header_rate_inf": (with_stream(nominal_rate=float("inf")) + samples, "all"),
        "header_rate_bool": (with_stream(nominal_rate=True) + samples, "all"),
        "header_foot_number": (with_stream(foot=5) + samples, "all"),
        "header_foot_list": (with_stream(foot=["left"]) + samples, "all"),
        "header_device_string": (with_stream(device="imu") + samples, "all"),
        "header_device_list": (with_stream(device=[1, 2]) + samples, "all"),
        "header_channels_int": (with_stream(channels=5) + samples, "all"),
        "header_channels_string": (with_stream(channels="t,acc,gyr") + samples, "all"),
        "header_stream_not_object": (with_header(streams=[1]) + samples, "some"),
        "header_streams_empty": (with_header(streams=[]) + samples, "some"),
        "header_tags_list": (with_header(tags=[1, 2]) + samples, "all"),
        "header_tags_nested": (with_header(tags={"a": {"b": [1, {"c": 2}]}, "x": float("nan")}) + samples, "all"),
        "header_subject_number": (with_header(subject=123) + samples, "all"),
        "header_start_time_number": (with_header(start_time=5) + samples, "all"),
        "header_deep_json": (preamble(deep) + samples, "error"),
        "header_deep_object": (preamble(b'{"streams": [], "x": ' + deep_obj + b"}") + samples, "error"),
        "header_too_many_streams": (with_header(streams=[{}] * 70_000) + samples, "error"),
        # --- header-update blocks
        "update_mount_string": (upd(b'{"streams":[{"mount":"abc"}]}'), "all"),
        "update_rate_string": (upd(b'{"streams":[{"nominal_rate":"x"}]}'), "all"),
        "update_foot_middle": (upd(b'{"streams":[{"foot":"middle"}]}'), "all"),
        "update_streams_string": (upd(b'{"streams":"abc"}'), "all"),
        "update_tags_string": (upd(b'{"tags":"abc"}'), "all"),
        "update_device_number": (upd(b'{"streams":[{"device":5}]}'), "all"),
        "update_deep_json": (upd(b'{"x":' + deep + b"}"), "all"),
        "update_mount_nan": (upd(b'{"streams":[{"mount":[[NaN,0,0],[0,1,0],[0,0,1]]}]}'), "all"),
        # --- event blocks
        "event_empty": (ev(b"{}"), "all"),
        "event_gap_time_string": (ev(b'{"kind":"gap","t":"x","t_end":5,"stream":0}', 0), "all"),
        "event_gap_nan": (ev(b'{"kind":"gap","t":NaN,"t_end":Infinity,"stream":0}', 0), "all"),
        "event_kind_list": (ev(b'{"kind":[1],"t":1}'), "all"),
        "event_stream_string": (ev(b'{"kind":"gap","t":1,"t_end":2,"stream":"a"}'), "all"),
        # --- sample values (checksums valid)
        "samples_nan_values": (good_head + sample_blocks(
            base, acc_fn=lambda a: np.where(np.arange(len(a))[:, None] % 97 == 5, np.nan, a)), "some"),
        "samples_time_not_increasing": (good_head + sample_blocks(base, t_fn=lambda t: t[::-1].copy()), "some"),
    }
    assert len(cases) == 40, len(cases)
    return cases
