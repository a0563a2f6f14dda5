"""CSV import/export: the shared gaitmap and x-io files, units, exact round trip, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from test_fileformat import assert_same, make_recording

from retrogait.errors import InputFileError, UsageProblem
from retrogait.io.csvio import read_csv, sniff_preset, write_csv
from retrogait.io.fileformat import read_recording, write_recording
from retrogait.io.recording import GRAVITY


def _raw_gaitmap(path):
    """The gaitmap file's numbers as they are in the text, read independently of retrogait."""
    with open(path) as f:
        sensors = f.readline().strip().split(",")
        axes = f.readline().strip().split(",")
    data = np.genfromtxt(path, delimiter=",", skip_header=2)
    return sensors, axes, data


def test_gaitmap_example(shared_data):
    path = shared_data / "gaitmap_example" / "imu_sample.csv"
    assert sniff_preset(path) == "gaitmap"
    rec = read_csv(path)
    sensors, axes, raw = _raw_gaitmap(path)
    assert rec.feet == ["left", "right"]
    for s in rec.streams:
        assert s.n == 7928
        assert s.nominal_rate == 204.8
        assert s.measured_rate == pytest.approx(204.8, rel=1e-9)
        assert s.duration == pytest.approx(7927 / 204.8)
        assert np.array_equal(s.mount, np.eye(3))  # already in the foot frame
        # at rest (first 0.25 s) gravity is +9.4 m/s^2 on z (foot frame: z up)
        rest = s.acc[:50].mean(axis=0)
        assert rest[2] == pytest.approx(9.4, abs=0.2)
        assert abs(rest[0]) < 3 and abs(rest[1]) < 3
        # gyr converted deg/s -> rad/s, acc kept in m/s^2, compared with the raw text columns
        sensor = f"{s.foot}_sensor"
        col = {a: j for j, (sn, a) in enumerate(zip(sensors, axes)) if sn == sensor}
        assert np.allclose(s.gyr[:, 1], raw[:, col["gyr_y"]] * np.pi / 180, rtol=0, atol=1e-12)
        assert np.array_equal(s.acc[:, 2], raw[:, col["acc_z"]])
        assert np.max(np.abs(s.gyr)) < 15  # rad/s: deg/s values would be hundreds


def test_gaitmap_raw_axes_and_mount_option(shared_data):
    path = shared_data / "gaitmap_example" / "imu_sample_not_rotated.csv"
    assert sniff_preset(path) == "gaitmap-raw"
    raw = read_csv(path)
    assert all(s.mount is None for s in raw.streams)
    rotated = read_csv(shared_data / "gaitmap_example" / "imu_sample.csv")
    # the raw file is the same recording in other axes: same magnitudes
    for a, b in zip(raw.streams, rotated.streams):
        assert a.foot == b.foot
        assert np.allclose(np.linalg.norm(a.acc, axis=1), np.linalg.norm(b.acc, axis=1), atol=1e-9)
    assert all(s.mount is None for s in read_csv(shared_data / "gaitmap_example" / "imu_sample.csv",
                                                  mount_known=False).streams)


def test_gaitmap_single_foot(shared_data):
    rec = read_csv(shared_data / "gaitmap_example" / "imu_sample_ms_left.csv")
    assert rec.feet == ["left"]
    s = rec.streams[0]
    assert s.n == 7000 and s.nominal_rate == 102.4
    assert s.measured_rate == pytest.approx(102.4, rel=1e-9)
    # rate override changes the time axis of an index-based file
    s2 = read_csv(shared_data / "gaitmap_example" / "imu_sample_ms_left.csv", rate=51.2).streams[0]
    assert s2.duration == pytest.approx(2 * s.duration)


def test_xio_drops_repeated_timestamps(shared_data):
    path = shared_data / "xio_loop" / "short_walk.csv"
    assert sniff_preset(path) == "xio"
    raw = np.loadtxt(path, delimiter=",", skiprows=1)
    repeats = int(np.sum(np.diff(raw[:, 0]) == 0))
    assert repeats > 0
    rec = read_csv(path)
    s = rec.streams[0]
    assert s.n == raw.shape[0] - repeats
    assert np.all(np.diff(s.t) > 0)
    assert any(f"dropped {repeats} rows" in w for w in rec.warnings)
    # units: acc in g, gyr in deg/s -> SI; |acc| averages about 1 g over a walk
    assert np.median(np.linalg.norm(s.acc, axis=1)) == pytest.approx(GRAVITY, rel=0.1)
    keep = np.r_[True, np.diff(raw[:, 0]) != 0]
    assert np.allclose(s.acc, raw[keep][:, 4:7] * GRAVITY)
    assert np.allclose(s.gyr, np.deg2rad(raw[keep][:, 1:4]))
    assert s.nominal_rate == pytest.approx(400, rel=0.01)


def test_csv_round_trip_is_exact(tmp_path):
    rec = make_recording()
    write_recording(tmp_path / "a.rgt", rec)
    native = read_recording(tmp_path / "a.rgt")
    write_csv(tmp_path / "a.csv", native)
    assert sniff_preset(tmp_path / "a.csv") == "retrogait"
    from_csv = read_csv(tmp_path / "a.csv")
    assert from_csv.warnings == []
    assert_same(native, from_csv)
    write_recording(tmp_path / "b.rgt", from_csv)
    assert_same(native, read_recording(tmp_path / "b.rgt"))


def test_csv_export_in_other_units(tmp_path):
    rec = read_recording_from(make_recording(), tmp_path)
    write_csv(tmp_path / "g.csv", rec, acc_unit="g", gyr_unit="deg/s")
    text = (tmp_path / "g.csv").read_text()
    assert "acc g, gyr deg/s" in text
    back = read_csv(tmp_path / "g.csv")
    for a, b in zip(rec.streams, back.streams):
        assert np.allclose(b.acc, a.acc, rtol=1e-12, atol=0)
        assert np.allclose(b.gyr, a.gyr, rtol=1e-12, atol=0)
        assert np.array_equal(b.t, a.t)


def read_recording_from(rec, tmp_path):
    write_recording(tmp_path / "r.rgt", rec)
    return read_recording(tmp_path / "r.rgt")


def test_generic_csv_units_and_errors(tmp_path):
    p = tmp_path / "walk_left.csv"
    p.write_text("time (ms),ax,ay,az,gx,gy,gz\n0,0,0,1,0,0,90\n10,0,0,1,0,0,90\n20,0,0,1,0,0,90\n")
    rec = read_csv(p, acc_unit="g", gyr_unit="deg/s")
    s = rec.streams[0]
    assert s.foot == "left" and s.nominal_rate == 100.0
    assert np.allclose(s.t, [0, 0.01, 0.02])
    assert np.allclose(s.acc[:, 2], GRAVITY) and np.allclose(s.gyr[:, 2], np.pi / 2)
    bad = tmp_path / "data.csv"
    bad.write_text("t,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\n" + "0,1,2,3,4,5,6\n" * 15 + "1,2,3,4,5\n")
    with pytest.raises(InputFileError, match=r"^data.csv: line 17: expected 7 numeric columns, found 5$"):
        read_csv(bad)
    bad.write_text("t,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\n0,1,2,3,4,5,6\n0.1,1,2,x3,4,5,6\n")
    with pytest.raises(InputFileError, match=r"^data.csv: line 3: column 4: expected a number, found 'x3'$"):
        read_csv(bad)
    bad.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(InputFileError, match=r"^data.csv: line 1: no acc or gyr columns found"):
        read_csv(bad)
    bad.write_text("")
    with pytest.raises(InputFileError, match="empty file"):
        read_csv(bad)
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(InputFileError, match="not a text CSV"):
        read_csv(bad)
    nt = tmp_path / "nt.csv"
    nt.write_text("acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\n0,0,9.8,0,0,0\n")
    with pytest.raises(UsageProblem, match="--rate"):
        read_csv(nt)
    assert read_csv(nt, rate=50).streams[0].nominal_rate == 50
    with pytest.raises(UsageProblem, match="unknown accelerometer unit"):
        read_csv(p, acc_unit="furlongs")


def test_generic_semicolon_and_tab_separated(tmp_path):
    rows = ["0.00;0.1;0.2;9.8;1;2;3", "0.01;0.1;0.2;9.8;1;2;3", "0.02;0.1;0.2;9.81;1;2;3"]
    (tmp_path / "a.csv").write_text("t;acc_x;acc_y;acc_z;gyr_x;gyr_y;gyr_z\n" + "\n".join(rows) + "\n")
    (tmp_path / "b.tsv").write_text("t\tacc_x\tacc_y\tacc_z\tgyr_x\tgyr_y\tgyr_z\n"
                                    + "\n".join(r.replace(";", "\t") for r in rows) + "\n")
    for name in ("a.csv", "b.tsv"):
        s = read_csv(tmp_path / name).streams[0]
        assert s.n == 3 and s.acc[2, 2] == 9.81 and np.array_equal(s.gyr[0], [1, 2, 3])
        assert s.nominal_rate == 100.0


def test_unit_suffixes_in_column_names(tmp_path):
    p = tmp_path / "walk.csv"
    p.write_text("time_ms,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps\n"
                 "0,0,0,1,0,0,90\n20,0,0,1,0,0,90\n40,0.5,0,1,0,0,90\n")
    s = read_csv(p).streams[0]
    assert np.allclose(s.t, [0, 0.02, 0.04]) and s.nominal_rate == 50.0
    assert np.allclose(s.acc[:, 2], GRAVITY) and np.isclose(s.acc[2, 0], 0.5 * GRAVITY)
    assert np.allclose(s.gyr[:, 2], np.pi / 2)
    assert not read_csv(p).warnings  # the units were given, nothing assumed
    q = tmp_path / "camel.csv"
    q.write_text("timestamp,accX,accY,accZ,gyroX,gyroY,gyroZ\n0,0,0,9.8,0,0,1\n0.01,0,0,9.8,0,0,1\n")
    s = read_csv(q, acc_unit="m/s^2", gyr_unit="rad/s").streams[0]
    assert s.n == 2 and s.acc[0, 2] == pytest.approx(9.8) and s.gyr[0, 2] == 1.0


def test_columns_name_a_headerless_or_odd_file(tmp_path):
    body = "0,7,0,0,1,0,0,90\n10,7,0,0,1,0,0,90\n20,7,0,0,1,0,0,90\n"
    p = tmp_path / "arduino.csv"
    p.write_text(body)
    cols = "t[ms],-,ax,ay,az,gx,gy,gz"
    s = read_csv(p, columns=cols, acc_unit="g", gyr_unit="deg/s").streams[0]
    assert np.allclose(s.t, [0, 0.01, 0.02]) and np.allclose(s.acc[:, 2], GRAVITY)
    assert np.allclose(s.gyr[:, 2], np.pi / 2)
    q = tmp_path / "odd.csv"  # a header row with names we do not know is replaced, not read as data
    q.write_text("ms,temp,A1,A2,A3,G1,G2,G3\n" + body)
    assert np.array_equal(read_csv(q, columns=cols, acc_unit="g", gyr_unit="deg/s").streams[0].t, s.t)
    with pytest.raises(InputFileError, match=r"^arduino.csv: --columns: found gyr columns for axes"):
        read_csv(p, columns="t,-,ax,ay,az,gx,gy,-")
    with pytest.raises(InputFileError, match=r"^arduino.csv: line 1: expected 7 numeric columns, found 8$"):
        read_csv(p, columns="t,ax,ay,az,gx,gy,gz")
    with pytest.raises(UsageProblem, match="generic"):
        read_csv(p, columns=cols, preset="xio")


def test_columns_option_on_the_command_line(tmp_path, run_cli):
    p = tmp_path / "raw.csv"
    p.write_text("".join(f"{i * 10},0,0,1,0,0,0\n" for i in range(50)))
    code, _, err = run_cli("convert", p, tmp_path / "raw.rgt", "--columns", "t[ms],ax,ay,az,gx,gy,gz",
                           "--acc-unit", "g", "--gyr-unit", "deg/s")
    assert code == 0, err
    s = read_recording(tmp_path / "raw.rgt").streams[0]
    assert s.n == 50 and s.nominal_rate == 100.0 and np.allclose(s.acc[:, 2], GRAVITY)
    code, _, err = run_cli("analyze", p, "--columns", "t,ax,ay")
    assert code == 3 and "--columns" in err and err.count("\n") == 1


# ---------------------------------------------------------------------------- packet counter


def _counter_csv(path, counter, extra_header=""):
    rows = "\n".join(f"{c},0,0,9.81,0,0,0" for c in counter)
    path.write_text(f"{extra_header}packet,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\n{rows}\n")
    return path


def test_packet_counter_without_time_gives_the_gaps(tmp_path):
    counter = [10, 11, 12, 15, 16, 20]  # 2 then 3 samples lost
    rec = read_csv(_counter_csv(tmp_path / "p.csv", counter), rate=50)
    np.testing.assert_allclose(rec.streams[0].t, (np.array(counter) - 10) / 50)
    assert rec.streams[0].nominal_rate == 50
    assert any("5 lost samples in 2 gaps" in w for w in rec.warnings)


@pytest.mark.parametrize("counter,expect", [
    ([253, 254, 255, 0, 1, 4], [0, 1, 2, 3, 4, 7]),  # 8-bit wrap (max < 256)
    ([65534, 65535, 0, 3, 4], [0, 1, 2, 5, 6]),  # 16-bit wrap
    ([70000, 70001, 70005], [0, 1, 5]),  # wider: no wrap
])
def test_packet_counter_wraps(tmp_path, counter, expect):
    rec = read_csv(_counter_csv(tmp_path / "w.csv", counter), rate=100)
    np.testing.assert_allclose(rec.streams[0].t, np.array(expect) / 100)


@pytest.mark.parametrize("counter,needle", [
    ([5, 6, 4, 7], "line 4: the packet counter goes back from 6 to 4"),
    ([5, 6, 7.5, 8], "line 4: packet counter 7.5 is not a whole number"),
    ([5, -1, 7], "line 3: packet counter -1"),
    ([70000, 70001, 69000], "line 4: the packet counter goes back from 70001 to 69000"),
])
def test_bad_packet_counter_is_a_one_line_error(tmp_path, counter, needle):
    with pytest.raises(InputFileError, match=needle) as exc:
        read_csv(_counter_csv(tmp_path / "bad.csv", counter), rate=100)
    assert "\n" not in str(exc.value)


def test_packet_counter_needs_a_rate(tmp_path):
    with pytest.raises(UsageProblem, match="--rate"):
        read_csv(_counter_csv(tmp_path / "r.csv", [1, 2, 3]))


def test_simulated_packet_loss_round_trips_through_csv(tmp_path):
    from retrogait.simulator import preset, simulate

    res = simulate(preset("fast-walking", duration=12, packet_loss=0.1), seed=3, trajectory=False)
    s = res.recording.streams[0]
    write_csv(tmp_path / "sim.csv", res.recording)
    text = (tmp_path / "sim.csv").read_text().splitlines()
    names = next(ln for ln in text if not ln.startswith("#")).split(",")
    assert names[-1] == "packet"
    back = read_csv(tmp_path / "sim.csv")
    np.testing.assert_array_equal(back.streams[0].t, s.t)
    # without its time column the counter and the header's rate give the same timestamps
    j = names.index("t")
    lines = [ln if ln.startswith("#") else ",".join(c for i, c in enumerate(ln.split(",")) if i != j) for ln in text]
    (tmp_path / "no_t.csv").write_text("\n".join(lines) + "\n")
    np.testing.assert_allclose(read_csv(tmp_path / "no_t.csv").streams[0].t, s.t, atol=1e-9)
    # a generic file: packet counter and samples only
    cols = [names.index(c) for c in ("packet", "acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z")]
    body = [",".join(ln.split(",")[i] for i in cols) for ln in text if ln and not ln.startswith("#")]
    (tmp_path / "generic.csv").write_text("\n".join(body) + "\n")
    gen = read_csv(tmp_path / "generic.csv", rate=100)
    np.testing.assert_allclose(gen.streams[0].t, s.t - s.t[0], atol=1e-9)
    assert np.count_nonzero(np.diff(gen.streams[0].t) > 0.015) == len(res.truth.info["gaps"]["left"])
