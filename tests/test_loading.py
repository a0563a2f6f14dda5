"""load_recording dispatch (magic bytes, extension, sniffed header), OpenShoe .mat, and the CLI commands."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from test_fileformat import _block_offsets, _live_file, assert_same, make_recording

from retrogait.errors import InputFileError, UsageProblem
from retrogait.io.fileformat import BLOCK_HEADER_SIZE, read_recording, write_recording
from retrogait.io.loading import load_recording


def test_native_is_found_by_magic_whatever_the_name(tmp_path):
    rec = make_recording()
    write_recording(tmp_path / "session.dat", rec)
    assert_same(read_recording(tmp_path / "session.dat"), load_recording(tmp_path / "session.dat"))
    shutil.copy(tmp_path / "session.dat", tmp_path / "session.csv")
    assert load_recording(tmp_path / "session.csv").subject == rec.subject


def test_digest_gets_the_bytes_of_every_format(tmp_path):
    """``digest`` sees exactly the file's bytes (batch's content hash comes from it): native files while
    they are parsed, the others read for it; a file that cannot be read still fails with its message."""
    import hashlib

    from retrogait.history.store import file_sha256
    from retrogait.io.csvio import write_csv

    rec = make_recording()
    write_recording(tmp_path / "a.rgt", rec)
    write_csv(tmp_path / "a.csv", rec)
    for name in ("a.rgt", "a.csv"):
        digest = hashlib.sha256()
        load_recording(tmp_path / name, digest=digest)
        assert digest.hexdigest() == file_sha256(tmp_path / name) == hashlib.sha256(
            (tmp_path / name).read_bytes()).hexdigest(), name
    with pytest.raises(InputFileError, match="no such file"):
        load_recording(tmp_path / "nope.rgt", digest=hashlib.sha256())


def test_dispatch_errors(tmp_path):
    (tmp_path / "junk.rgt").write_bytes(b"\x00\x01garbage")
    with pytest.raises(InputFileError, match=r"^junk.rgt: byte 0: not a retrogait recording"):
        load_recording(tmp_path / "junk.rgt")
    with pytest.raises(InputFileError, match="no such file"):
        load_recording(tmp_path / "nope.csv")
    with pytest.raises(UsageProblem, match="unknown preset"):
        load_recording(tmp_path / "junk.rgt", preset="matlab")
    (tmp_path / "bad.mat").write_bytes(b"not a mat file at all")
    with pytest.raises(InputFileError, match=r"^bad.mat: "):
        load_recording(tmp_path / "bad.mat")


def test_openshoe_mat(shared_data):
    import scipy.io

    path = shared_data / "openshoe_square" / "square2.mat"
    u = scipy.io.loadmat(path)["u"]
    rec = load_recording(path)
    s = rec.streams[0]
    assert s.n == u.shape[1] == 8687
    assert s.nominal_rate == 100.0 and s.duration == pytest.approx(86.86)
    assert np.array_equal(s.acc, u[:3].T) and np.array_equal(s.gyr, u[3:].T)
    # board z points down (-9.82 at rest); the mount turns gravity to +z in the foot frame
    rest = s.acc[:50].mean(axis=0)
    assert rest[2] == pytest.approx(-9.82, abs=0.05)
    assert (s.mount @ rest)[2] == pytest.approx(9.82, abs=0.05)
    assert np.allclose(s.mount @ s.mount.T, np.eye(3)) and np.linalg.det(s.mount) == pytest.approx(1)


def test_gaitmap_through_load_recording(shared_data):
    rec = load_recording(shared_data / "gaitmap_example" / "imu_sample.csv")
    assert rec.feet == ["left", "right"] and rec.streams[0].n == 7928
    rec = load_recording(shared_data / "gaitmap_example" / "imu_sample_ic_stride.csv", rate=102.4)
    assert rec.streams[0].measured_rate == pytest.approx(102.4)


# ------------------------------------------------------------------------------------------- CLI


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 zip", b"RGAIT\n\x1a\n"])
def test_info_bad_files_exit_3_without_traceback(tmp_path, run_cli, content):
    path = tmp_path / "walk.rgt"
    path.write_bytes(content)
    code, out, err = run_cli("info", path)
    assert code == 3
    assert err.startswith("retrogait: error: walk.rgt: byte ") and err.count("\n") == 1
    assert "Traceback" not in err + out


def test_info_truncated_header_and_missing(tmp_path, run_cli):
    write_recording(tmp_path / "a.rgt", make_recording())
    (tmp_path / "cut.rgt").write_bytes((tmp_path / "a.rgt").read_bytes()[:40])
    code, _, err = run_cli("info", tmp_path / "cut.rgt")
    assert code == 3 and "truncated" in err and err.count("\n") == 1
    code, _, err = run_cli("info", tmp_path / "missing.rgt")
    assert code == 3 and "no such file" in err


def test_info_reports_gaps_corruption_and_tail(tmp_path, run_cli):
    path, s = _live_file(tmp_path, n_seconds=10)  # 100 Hz, 1-s blocks, one foot
    offs = _block_offsets(path)
    data = bytearray(path.read_bytes())
    data[offs[3] + BLOCK_HEADER_SIZE + 50] ^= 0xFF
    path.write_bytes(bytes(data[: offs[8] + 30]))
    code, out, err = run_cli("info", path, "--json")
    assert code == 0, err
    info = json.loads(out)
    assert [(p["block"], p["byte_offset"]) for p in info["checksum_problems"]] == [(3, offs[3])]
    assert "checksum mismatch" in info["checksum_problems"][0]["problem"]
    assert info["truncated_tail"] == {"byte_offset": offs[8], "bytes": 30}
    assert not info["closed_cleanly"]
    st = info["streams"][0]
    assert st["samples"] == 700  # blocks 0-2, 4-7
    assert st["gaps"] == 1 and st["dropped_samples"] == 100
    assert st["nominal_rate_hz"] == 100.0 and st["measured_rate_hz"] == pytest.approx(100, rel=1e-3)
    code, out, _ = run_cli("info", path)
    assert code == 0 and f"block 3 at byte {offs[3]}" in out and "truncated" in out


def test_info_counts_gap_events(tmp_path, run_cli):
    rec = make_recording()
    write_recording(tmp_path / "a.rgt", rec)
    code, out, _ = run_cli("info", tmp_path / "a.rgt", "--json")
    info = json.loads(out)
    assert code == 0 and info["closed_cleanly"] and info["checksum_problems"] == []
    assert [st["gap_events"] for st in info["streams"]] == [0, 1]
    assert info["streams"][1]["gap_event_seconds"] == pytest.approx(0.25)
    # a gap event spans from the last sample before to the first after: 0.25 s at 200 Hz is 50
    # intervals, 49 samples missing
    assert info["streams"][1]["gap_event_samples"] == 49
    assert info["subject"] == "P07" and info["feet"] == ["left", "right"]


def test_convert_round_trip_and_overrides(tmp_path, run_cli):
    write_recording(tmp_path / "a.rgt", make_recording())
    code, out, err = run_cli("convert", tmp_path / "a.rgt", tmp_path / "a.csv")
    assert code == 0, err
    code, _, err = run_cli("convert", tmp_path / "a.csv", tmp_path / "b.rgt", "--subject", "P08",
                           "--tag", "incline_pct=7.5", "--tag", "notes=backward set 2")
    assert code == 0, err
    a, b = read_recording(tmp_path / "a.rgt"), read_recording(tmp_path / "b.rgt")
    assert b.subject == "P08" and b.tags["incline_pct"] == 7.5 and b.tags["notes"] == "backward set 2"
    b.subject, b.tags = a.subject, a.tags
    assert_same(a, b)
    code, _, err = run_cli("convert", tmp_path / "a.csv", tmp_path / "b.rgt")
    assert code == 2 and "--force" in err
    code, _, err = run_cli("convert", tmp_path / "a.rgt", tmp_path / "a.xlsx")
    assert code == 2 and "unknown output type" in err
    code, _, err = run_cli("convert", tmp_path / "a.rgt", tmp_path / "c.rgt", "--foot", "left")
    assert code == 2 and "one-foot" in err
    for out in ("c.csv", "c.rgt"):
        code, _, err = run_cli("convert", tmp_path / "a.rgt", tmp_path / "no_dir" / out)
        assert code == 3 and f"{out}: cannot" in err and "Traceback" not in err


def test_convert_units_of_csv_output(tmp_path, run_cli):
    write_recording(tmp_path / "a.rgt", make_recording())
    code, _, err = run_cli("convert", tmp_path / "a.rgt", tmp_path / "g.csv", "--acc-unit", "g", "--gyr-unit", "deg/s")
    assert code == 0, err
    a = read_recording(tmp_path / "a.rgt")
    lines = (tmp_path / "g.csv").read_text().splitlines()
    first = next(ln for ln in lines if ln.startswith("0,"))
    assert float(first.split(",")[4]) == pytest.approx(a.streams[0].acc[0, 2] / 9.80665, rel=1e-12)
    assert float(first.split(",")[7]) == pytest.approx(np.rad2deg(a.streams[0].gyr[0, 2]), rel=1e-12)


def test_convert_gaitmap_cli(shared_data, tmp_path, run_cli):
    out = tmp_path / "g.rgt"
    code, stdout, err = run_cli("convert", shared_data / "gaitmap_example" / "imu_sample_ms_right.csv", out,
                                "--preset", "gaitmap-single", "--subject", "MS1")
    assert code == 0, err
    rec = read_recording(out)
    assert rec.feet == ["right"] and rec.subject == "MS1" and rec.streams[0].nominal_rate == 102.4
