"""No traceback for any input (issue 13): crafted files, damaged histories, odd names.

* 40 crafted ``.rgt`` files whose blocks all carry valid checksums but whose JSON or values are nonsense
  (``tests/crafted_cases.py``): each reads with one-line warnings, or fails with one line, and keeps every
  valid sample;
* CSVs with one row, only a header, shuffled rows, a constant time, nonsense retrogait-CSV header fields,
  a stream index of 0.5;
* bulk-written files in ~1 s blocks, exclusive temporary files, ``$`` in plot titles;
* structure-aware property tests (hypothesis): valid-checksum files with random JSON and values, CSVs
  with random headers and rows: never a traceback, nothing valid lost.
"""

from __future__ import annotations

import json
import math
import os
import string
import struct
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from crafted_cases import (
    BLOCK,
    block,
    crafted_cases,
    jbytes,
    pad8,
    preamble,
    samples_payload,
)

from retrogait.cli import main
from retrogait.errors import InputFileError, RetrogaitError
from retrogait.io import schema
from retrogait.io.csvio import read_csv, write_csv
from retrogait.io.fileformat import (
    BLOCK_EVENT,
    BLOCK_HEADER_UPDATE,
    BLOCK_SAMPLES,
    NO_STREAM,
    header_dict,
    read_recording,
    read_report,
    write_recording,
)
from retrogait.io.recording import Recording, Stream

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "backward_treadmill_5pct.rgt"


@pytest.fixture(scope="module")
def base() -> Recording:
    """The first 20 s of the bundled backward treadmill session (one stream, 100 Hz)."""
    rec = read_recording(SAMPLE)
    rec.streams[0] = rec.streams[0].slice(0, 2000)
    return rec


@pytest.fixture(scope="module")
def cases(base) -> dict[str, tuple[bytes, str]]:
    """The 40 crafted files on ``base`` (built once)."""
    return crafted_cases(base)


def _one_line(text: str, name: str) -> None:
    assert "\n" not in text and text.startswith(f"{name}: "), text


def _cli(*args: object) -> int:
    """Run the CLI in-process; the exit code (any other exception fails the test: a traceback)."""
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0
    return 0


# --------------------------------------------------------------------------- 40 crafted .rgt files


CASE_NAMES = sorted(crafted_cases(Recording(streams=[Stream(
    t=np.arange(3) / 100.0, acc=np.zeros((3, 3)), gyr=np.zeros((3, 3)), nominal_rate=100.0)])))


@pytest.mark.parametrize("name", CASE_NAMES)
def test_crafted_valid_crc_file_reads_or_fails_in_one_line(tmp_path, base, cases, name):
    raw, expect = cases[name]
    path = tmp_path / f"{name}.rgt"
    path.write_bytes(raw)
    if expect == "error":
        with pytest.raises(InputFileError) as info:
            read_report(path)
        _one_line(str(info.value), path.name)
        assert _cli("info", path) == 3
        return
    rec, _ = read_report(path)
    for w in rec.warnings:
        _one_line(w, path.name)
    want = base.streams[0]
    if expect == "all":
        s = rec.streams[0]
        assert np.array_equal(s.t, want.t) and np.array_equal(s.acc, want.acc.astype(np.float32))
        assert np.array_equal(s.gyr, want.gyr.astype(np.float32))
    else:
        assert rec.warnings  # what was dropped or odd is said
    if name.startswith(("header_", "update_", "event_")) and name not in ("header_tags_nested",):
        assert rec.warnings, "a nonsense field must be named in a warning"
    # the documented types reach everything downstream
    for s in rec.streams:
        assert s.foot in ("left", "right", "unknown")
        assert s.nominal_rate is None or (math.isfinite(s.nominal_rate) and s.nominal_rate > 0)
        assert s.mount is None or s.mount.shape == (3, 3)
        assert isinstance(s.device, dict)
    assert isinstance(rec.subject, str) and isinstance(rec.start_time, str) and isinstance(rec.tags, dict)
    assert all(schema.is_scalar(v) for v in rec.tags.values())
    assert all(schema.event_problem(e, len(rec.streams)) is None for e in rec.events)
    for args in (("info", path), ("info", "--json", path), ("convert", path, tmp_path / "o.csv", "--force")):
        assert _cli(*args) in (0, 3), args


@pytest.mark.parametrize("name", ["header_mount_string", "header_rate_nan", "header_device_list",
                                  "update_mount_string", "event_gap_nan", "samples_nan_values"])
def test_crafted_files_analyze_without_traceback(tmp_path, cases, name, capsys):
    raw, _ = cases[name]
    path = tmp_path / f"{name}.rgt"
    path.write_bytes(raw)
    code = _cli("analyze", "--json", path)
    err = capsys.readouterr().err.strip()
    assert code == 0, err  # the valid samples are all there: 20 s of walking
    if name == "samples_nan_values":
        rec = read_recording(path)
        assert rec.streams[0].n == 2000 - 21 and "NaN" in " ".join(rec.warnings)


def test_update_with_nonsense_keeps_the_header_values(tmp_path, base, cases):
    """A header update whose mount / rate / foot do not fit is ignored, not applied as 'unknown'."""
    raw, _ = cases["update_mount_string"]
    path = tmp_path / "u.rgt"
    path.write_bytes(raw)
    rec = read_recording(path)
    assert np.allclose(rec.streams[0].mount, base.streams[0].mount)
    assert any("mount 'abc' is not a 3x3 rotation matrix; ignored" in w for w in rec.warnings)


def test_schema_rules():
    assert schema.mount_or_none([[1, 0, 0], [0, 1, 0], [0, 0, 1]]).shape == (3, 3)
    for bad in ("abc", [[1, 0], [0, 1]], [[0] * 3] * 3, [[1, 0, 0], [0, 1, 0], [0, 0, -1]], [[True] * 3] * 3, None):
        assert schema.mount_or_none(bad) is None
    assert schema.rate_or_none(200) == 200.0
    for bad in ("200", -1, 0, True, float("nan"), float("inf"), None, [100]):
        assert schema.rate_or_none(bad) is None
    assert schema.loads(b'{"a": NaN, "b": 1e999, "c": [1.5]}') == {"a": None, "b": None, "c": [1.5]}
    assert schema.loads('{"s": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}') == {"s": "[" * 40}
    with pytest.raises(schema.JSONProblem, match="nested 33 levels"):
        schema.loads("[" * 33 + "]" * 33)
    with pytest.raises(schema.JSONProblem, match="not UTF-8"):
        schema.loads(b'{"a": "\xff"}')
    assert schema.event_problem({"kind": "gap", "t": 1, "t_end": 2, "stream": 0}, 1) is None
    assert "t_end" in schema.event_problem({"kind": "gap", "t": 3, "t_end": 2}, 1)
    assert "stream" in schema.event_problem({"kind": "note", "t": 3, "stream": 1}, 1)
    assert "kind" in schema.event_problem({"t": 3}, 1)


# --------------------------------------------------------------------------- CSV


def _generic(path: Path, rows: list[str], header: str = "t,ax,ay,az,gx,gy,gz") -> Path:
    path.write_text("\n".join([header] + rows) + "\n")
    return path


def _rows(n: int, start: float = 0.0) -> list[str]:
    return [f"{start + k / 100:.2f},0.1,0.2,9.8,{k % 7 / 10},0,0" for k in range(n)]


def test_csv_with_one_row_or_only_a_header(tmp_path, capsys):
    for rows in ([], _rows(1)):
        path = _generic(tmp_path / f"r{len(rows)}.csv", rows)
        rec = read_csv(path)
        assert rec.streams[0].n == len(rows)
        assert _cli("info", path) == 0
        assert _cli("analyze", path) == 4  # nothing to analyze: one line, not "sample rate unknown" traceback
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("retrogait: error: ")


def test_shuffled_rows_are_sorted_with_a_warning(tmp_path):
    rows = _rows(300)
    rng = np.random.default_rng(1)
    shuffled = [rows[i] for i in rng.permutation(len(rows))]
    rec = read_csv(_generic(tmp_path / "s.csv", shuffled))
    ref = read_csv(_generic(tmp_path / "o.csv", rows))
    assert np.array_equal(rec.streams[0].t, ref.streams[0].t)
    assert np.array_equal(rec.streams[0].gyr, ref.streams[0].gyr)
    assert any("not in time order" in w and "sorted by time" in w for w in rec.warnings)


def test_constant_time_is_a_one_line_error(tmp_path):
    path = _generic(tmp_path / "c.csv", [f"5,0,0,9.8,{k},0,0" for k in range(50)])
    with pytest.raises(InputFileError, match="the time column holds one value in all 50 rows") as info:
        read_csv(path)
    _one_line(str(info.value), "c.csv")


def _retrogait_csv(tmp_path: Path, base: Recording, stream_change: dict | None = None,
                   rows=lambda body: body) -> Path:
    path = tmp_path / "r.csv"
    write_csv(path, base)
    lines = path.read_text().splitlines()
    header = json.loads(lines[2][len("# header "):])
    header["streams"][0].update(stream_change or {})
    lines[2] = "# header " + json.dumps(header)
    path.write_text("\n".join(lines[:5] + rows(lines[5:])) + "\n")
    return path


@pytest.mark.parametrize("change, expect", [
    ({"mount": [[1, 0], [0, 1]]}, "mount [[1, 0], [0, 1]] is not a 3x3 rotation matrix"),
    ({"channels": 5}, "channels 5 is not a list of names"),
    ({"foot": "middle"}, "foot 'middle' is not one of left, right, unknown"),
    ({"nominal_rate": "fast"}, "nominal_rate 'fast' is not a number of Hz > 0"),
])
def test_retrogait_csv_header_nonsense_is_named_and_the_rows_kept(tmp_path, base, change, expect):
    rec = read_csv(_retrogait_csv(tmp_path, base, change))
    s, want = rec.streams[0], base.streams[0]
    assert np.array_equal(s.t, want.t) and np.array_equal(s.acc, want.acc)
    assert any(expect in w and w.startswith("r.csv: line 3: header: stream 0: ") for w in rec.warnings), rec.warnings


def test_stream_index_one_half_is_reported_not_silently_dropped(tmp_path, base):
    path = _retrogait_csv(tmp_path, base, rows=lambda body: ["0.5" + r[1:] if k % 4 == 0 else r
                                                               for k, r in enumerate(body)])
    rec = read_csv(path)
    assert rec.streams[0].n == 2000 - 500
    (w,) = [w for w in rec.warnings if "stream index" in w]
    assert w.startswith("r.csv: line 6: 500 row(s) whose stream index is not a whole number >= 0 (first: 0.5)")


# --------------------------------------------------------------------------- bulk writes, temp files


def _blocks(raw: bytes) -> list[tuple[int, int, int]]:
    """(type, n, offset) of every block of a well-formed file."""
    hlen = struct.unpack_from("<I", raw, 12)[0]
    pos, out = 20 + hlen, []
    while pos < len(raw):
        _, btype, _, _, n, plen = struct.unpack_from("<4sBBHII", raw, pos)
        out.append((btype, n, pos))
        pos += 24 + plen
    return out


def test_bulk_files_are_written_in_one_second_blocks_and_damage_is_named(tmp_path):
    rec = read_recording(SAMPLE)
    path = tmp_path / "bulk.rgt"
    write_recording(path, rec)
    raw = bytearray(path.read_bytes())
    sizes = [n for btype, n, _ in _blocks(bytes(raw)) if btype == BLOCK_SAMPLES]
    assert max(sizes) <= 150 and sum(sizes) == rec.streams[0].n  # 100 Hz: ~1 s (a remainder may join)
    _, _, off = _blocks(bytes(raw))[len(sizes) // 2]
    raw[off + 100] ^= 0xFF  # a byte inside one block's samples
    path.write_bytes(bytes(raw))
    back = read_recording(path)
    assert back.streams[0].n >= rec.streams[0].n - 150
    assert any(f"at byte {off}: payload checksum mismatch" in w for w in back.warnings)


def test_a_file_with_every_block_damaged_names_the_damage(tmp_path):
    one = Recording(streams=[Stream(t=np.arange(50) / 100, acc=np.zeros((50, 3)), gyr=np.zeros((50, 3)),
                                    nominal_rate=100.0)])
    path = tmp_path / "one.rgt"
    write_recording(path, one)
    raw = bytearray(path.read_bytes())
    _, _, off = _blocks(bytes(raw))[0]
    raw[off + 30] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(InputFileError, match=rf"one\.rgt: no readable samples: block 0 at byte {off}: payload "
                                             "checksum mismatch"):
        read_recording(path)
    assert read_report(path)[1].problems  # info still shows it


def test_atomic_writes_use_exclusive_unpredictable_temp_files(tmp_path, monkeypatch):
    from retrogait.io import fileformat

    one = Recording(streams=[Stream(t=np.arange(5) / 100, acc=np.zeros((5, 3)), gyr=np.zeros((5, 3)))])
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    planted = tmp_path / ".out.rgt.planted.tmp"
    os.symlink(victim, planted)  # a link planted where a temporary file might go
    names = iter([planted, planted, tmp_path / ".out.rgt.free.tmp"])
    monkeypatch.setattr(fileformat, "temp_path", lambda p: next(names))
    write_recording(tmp_path / "out.rgt", one)
    assert victim.read_text() == "keep me" and planted.is_symlink()
    assert read_recording(tmp_path / "out.rgt").streams[0].n == 5
    assert not (tmp_path / ".out.rgt.free.tmp").exists()
    monkeypatch.undo()
    a, b = fileformat.temp_path(tmp_path / "x.rgt"), fileformat.temp_path(tmp_path / "x.rgt")
    assert a != b and a.parent == tmp_path and len(a.name) > len(".x.rgt..tmp") + 12


def test_a_failed_write_leaves_no_temp_file_and_the_old_file(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("old")
    bad = Recording(streams=[Stream(t=np.arange(3.0), acc=np.zeros((3, 3)), gyr=np.zeros((3, 3)))])
    with pytest.raises(RetrogaitError, match="furlongs"):
        write_csv(path, bad, acc_unit="furlongs")
    bad.streams[0].device = {"x": object()}  # not JSON: the header cannot be written
    with pytest.raises(TypeError):
        write_csv(path, bad)
    assert path.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["w.csv"]


# --------------------------------------------------------------------------- '$' in plots


_FIGURE: list = []


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="$\\^_{}ab 1", max_size=12))
def test_mpl_literal_shows_any_text_as_written(text):
    """Whatever the text, matplotlib draws it as written (no mathtext)."""
    from matplotlib.figure import Figure

    from retrogait.report.text import mpl_literal

    if not _FIGURE:
        _FIGURE.append(Figure().text(0, 0, ""))
    t = _FIGURE[0]
    t.set_text(mpl_literal(text))
    assert t._preprocess_math(t.get_text()) == (text, False)


def test_trend_plot_with_mathtext_in_the_subject(tmp_path):
    from retrogait.history import db as hdb
    from retrogait.history.queries import load_sessions
    from retrogait.report.trend import figure_png, trend_figure
    from retrogait.simulator.stride_series import synthetic_strides
    from retrogait.simulator.weekly_sessions import add_simulated_sessions

    conn = hdb.connect(tmp_path / "h.sqlite")
    subject = r"P$\frac{$"
    add_simulated_sessions(conn, subject, [(1 + k, synthetic_strides(60, seed=k)) for k in range(3)], n_boot=5)
    found = load_sessions(conn, subject)
    png = figure_png(trend_figure(found, "stride_time_cv", "backward", None, subject))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    code = _cli("trend", "--db", tmp_path / "h.sqlite", "-o", tmp_path / "t.png")
    assert code == 0 and (tmp_path / "t.png").stat().st_size > 1000


# --------------------------------------------------------------------------- property tests

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                         st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8))
json_values = st.recursive(json_scalars, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=6), kids, max_size=4)), max_leaves=12)
HEADER_KEYS = ["foot", "device", "nominal_rate", "mount", "channels"]


def _valid_event(draw_kind: str, t: float) -> dict:
    return {"kind": draw_kind, "t": t, "stream": 0} | ({"t_end": t + 1.0} if draw_kind == "gap" else {})


@settings(max_examples=int(os.environ.get("RETROGAIT_FUZZ_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_valid_crc_files_with_random_json_and_values(data):
    """Random header fields, tags, events, header updates and sample values, all behind valid checksums:
    the reader never raises anything but a one-line InputFileError, ``info`` never shows a traceback,
    and every valid sample, tag and event is kept."""
    n = data.draw(st.integers(0, 250))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    t = np.cumsum(rng.uniform(0.001, 0.02, n))
    acc = rng.normal(size=(n, 3)).astype(np.float32)
    gyr = rng.normal(size=(n, 3)).astype(np.float32)
    bad = data.draw(st.lists(st.integers(0, max(n - 1, 0)), max_size=3)) if n else []
    for i in bad:
        acc[i, data.draw(st.integers(0, 2))] = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    rec = Recording(streams=[Stream(t=t, acc=acc, gyr=gyr, nominal_rate=100.0)], subject="s")
    head = header_dict(rec)
    changed = data.draw(st.dictionaries(st.sampled_from(HEADER_KEYS), json_values, max_size=3))
    head["streams"][0].update(changed)
    good_tags = data.draw(st.dictionaries(st.text(max_size=5), st.one_of(
        st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=5)), max_size=3))
    junk_tags = data.draw(st.dictionaries(st.text(alphabet="xyz", min_size=6, max_size=8), json_values, max_size=2))
    head["tags"] = junk_tags | good_tags
    for key in data.draw(st.lists(st.sampled_from(["subject", "start_time", "created_by"]), max_size=2)):
        head[key] = data.draw(json_values)
    raw = bytearray(preamble(jbytes(head)))
    good_events = [_valid_event(k, float(x)) for k, x in data.draw(st.lists(st.tuples(
        st.sampled_from(["gap", "note", "disconnect"]), st.integers(0, 100)), max_size=3))]
    for ev in good_events:
        raw += block(BLOCK_EVENT, 0, 0, 0, pad8(jbytes(ev)))
    for junk in data.draw(st.lists(json_values, max_size=3)):
        raw += block(data.draw(st.sampled_from([BLOCK_EVENT, BLOCK_HEADER_UPDATE])), 0, NO_STREAM, 0,
                     pad8(jbytes(junk)))
    for a in range(0, n, BLOCK):
        b = min(a + BLOCK, n)
        raw += block(BLOCK_SAMPLES, 0, 0, b - a, samples_payload(t[a:b], acc[a:b], gyr[a:b]))
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "p.rgt"
        path.write_bytes(bytes(raw))
        try:
            back, _ = read_report(path)
        except InputFileError as exc:
            _one_line(str(exc), "p.rgt")
            back = None
        code = _cli("info", "--json", path)
        assert code in (0, 3)
    assert back is not None  # the header is always a usable object here
    for w in back.warnings:
        _one_line(w, "p.rgt")
    ch = changed.get("channels", ["t", "acc", "gyr"])
    flags_fit = not (isinstance(ch, list) and all(isinstance(c, str) for c in ch) and {"mag", "t_host"} & set(ch))
    if flags_fit:
        keep = np.isfinite(acc).all(axis=1)
        s = back.streams[0]
        assert np.array_equal(s.t, t[keep]) and np.array_equal(s.acc, acc[keep].astype(np.float64))
    for k, v in good_tags.items():
        assert k in back.tags and back.tags[k] == v
    for ev in good_events:
        assert ev in back.events
    s = back.streams[0]
    assert s.foot in ("left", "right", "unknown") and isinstance(s.device, dict)
    assert s.nominal_rate is None or (math.isfinite(s.nominal_rate) and s.nominal_rate > 0)


CSV_NAMES = ["t", "time", "Time (s)", "t[ms]", "timestamp", "index", "packet", "ax", "ay", "az", "gx", "gy", "gz",
             "acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z", "mag_x", "stream", "x", ""]
cells = st.one_of(st.floats(-1e3, 1e3).map(repr), st.floats(-1e3, 1e3).map(repr), st.integers(-5, 300).map(str),
                  st.integers(0, 3).map(str), st.floats(allow_nan=True, allow_infinity=True).map(repr),
                  st.text(alphabet=string.ascii_letters + " ;-.", max_size=4))
"""Mostly numbers (so that many rows parse), some NaN / infinity / huge values, some text."""


@settings(max_examples=int(os.environ.get("RETROGAIT_FUZZ_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_csvs_with_random_headers_and_rows(data):
    """Any header row and any rows: a recording or one user-error line (never a traceback); a
    recording holds only finite samples in increasing time."""
    known = data.draw(st.sampled_from([["t", "ax", "ay", "az", "gx", "gy", "gz"],
                                       ["index", "acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"],
                                       ["Time (s)", "Gyroscope X (deg/s)", "Gyroscope Y (deg/s)", "Gyroscope Z (deg/s)",
                                        "Accelerometer X (g)", "Accelerometer Y (g)", "Accelerometer Z (g)"], []]))
    extra = data.draw(st.lists(st.one_of(st.sampled_from(CSV_NAMES), st.text(max_size=5)), max_size=4))
    names = data.draw(st.permutations(known + extra)) if known + extra else ["x"]
    kind = data.draw(st.sampled_from(["plain", "plain", "retrogait", "retrogait-random"]))
    prefix = {"plain": "", "retrogait": '# retrogait-csv 1\n# header {"streams": [{}]}\n'}.get(kind, "")
    if kind != "plain":
        stream = data.draw(st.dictionaries(st.sampled_from(HEADER_KEYS), json_values, max_size=4))
        head = {"streams": data.draw(st.sampled_from([[stream], [stream, stream], stream, [1], [{}]]))}
        head |= data.draw(st.dictionaries(st.sampled_from(["subject", "tags", "csv_units", "start_time"]),
                                          json_values, max_size=3))
        events = data.draw(st.lists(json_values, max_size=2))
        if kind == "retrogait-random":
            prefix = f"# retrogait-csv 1\n# header {json.dumps(head)}\n# events {json.dumps(events)}\n"
        names = ["stream", "t", "acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"] + extra[:1]
    width = len(names)
    numeric = st.lists(st.one_of(st.floats(-1e3, 1e3).map(repr), st.integers(0, 2).map(str)),
                       min_size=width, max_size=width)
    rows = data.draw(st.lists(st.one_of(numeric, numeric, numeric, st.lists(cells, min_size=width, max_size=width)),
                              max_size=8))
    preset = data.draw(st.sampled_from([None, None, "generic", "gaitmap", "gaitmap-single", "xio"]))
    text = prefix + "\n".join([",".join(n.replace(",", ";").replace("\n", "") for n in names)]
                              + [",".join(c.replace(",", ";") for c in r) for r in rows]) + "\n"
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "r.csv"
        path.write_text(text)
        rate = data.draw(st.sampled_from([None, 100.0]))
        try:
            rec = read_csv(path, rate=rate, preset=None if kind != "plain" else preset)
        except RetrogaitError as exc:
            assert "\n" not in str(exc) and str(exc).strip()
            event(f"{kind}: {type(exc).__name__}")
            return
        event(f"{kind}: read ({'with' if any(s.n for s in rec.streams) else 'no'} samples)")
        for w in rec.warnings:
            assert "\n" not in w
        for s in rec.streams:
            assert np.all(np.diff(s.t) > 0)
            assert np.isfinite(s.acc).all() and np.isfinite(s.gyr).all() and np.isfinite(s.t).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_valid_csv_rows_in_any_order_are_all_kept(data):
    """Finite rows with distinct times in any order, maybe some NaN rows: every finite row is kept, in time
    order, and each dropped or reordered row is said."""
    n = data.draw(st.integers(2, 60))
    times = data.draw(st.lists(st.integers(0, 10**6), min_size=n, max_size=n, unique=True))
    values = data.draw(st.lists(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=6, max_size=6),
                                min_size=n, max_size=n))
    nan_rows = set(data.draw(st.lists(st.integers(0, n - 1), max_size=2)))
    lines = ["time_ms,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z"]
    for k in range(n):
        v = ["nan" if k in nan_rows and j == 2 else repr(x) for j, x in enumerate(values[k])]
        lines.append(",".join([str(times[k])] + v))
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "v.csv"
        path.write_text("\n".join(lines) + "\n")
        rec = read_csv(path, acc_unit="m/s^2", gyr_unit="rad/s")
    keep = [k for k in range(n) if k not in nan_rows]
    order = sorted(keep, key=lambda k: times[k])
    s = rec.streams[0]
    if not keep:  # every row had a NaN (n = 2, both drawn): nothing kept, and it is said
        assert s.n == 0 and any("NaN" in w for w in rec.warnings)
        return
    assert np.allclose(s.t, (np.array([times[k] for k in order]) - min(times[k] for k in keep)) * 1e-3)
    assert np.array_equal(s.gyr, np.array([values[k][3:] for k in order]).reshape(-1, 3))
    if nan_rows:
        assert any("NaN" in w for w in rec.warnings)
    if order != keep:
        assert any("sorted by time" in w for w in rec.warnings)


def test_convert_refuses_options_that_would_write_a_nonsense_header(tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("t,ax,ay,az,gx,gy,gz\n" + "\n".join(_rows(200)) + "\n")
    for extra in (["--rate", "inf"], ["--rate", "nan"], ["--rate", "-5"], ["--start-time", "yesterday"],
                  ["--tag", "=5"]):
        assert _cli("convert", src, tmp_path / "o.rgt", *extra) == 2, extra
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("retrogait: error: --"), err
    assert not (tmp_path / "o.rgt").exists()
    assert _cli("convert", src, tmp_path / "o.rgt", "--tag", "x=NaN") == 0
    assert read_recording(tmp_path / "o.rgt").tags["x"] == "NaN"  # kept as text, not a NaN number
