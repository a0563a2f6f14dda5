"""`retrogait convert IN OUT.csv --plain` (issue 9): raw samples as plain CSV for other tools (no '#' lines,
units in the column names, the header and events in a .json sidecar); the default retrogait CSV says
where its '#' lines come from and how to get a plain one."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from conftest import SAMPLE_DATA

from retrogait.io.fileformat import read_recording
from retrogait.io.loading import load_recording


def test_plain_csv_reads_with_pandas_and_csv_defaults(tmp_path, run_cli):
    pd = pytest.importorskip("pandas")
    src = SAMPLE_DATA / "two_feet_treadmill.rgt"
    out = tmp_path / "both.csv"
    code, stdout, err = run_cli("convert", src, out, "--plain", "--acc-unit", "g", "--gyr-unit", "deg/s")
    assert code == 0, err
    assert f"metadata: {tmp_path / 'both.json'}" in stdout
    text = out.read_text()
    assert "#" not in text
    df = pd.read_csv(out)                                       # pandas defaults
    assert list(df.columns) == ["foot", "t_s", "acc_x_g", "acc_y_g", "acc_z_g", "gyr_x_dps", "gyr_y_dps",
                                "gyr_z_dps"]
    rec = read_recording(src)
    assert len(df) == sum(s.n for s in rec.streams)
    for s in rec.streams:
        part = df[df.foot == s.foot]
        assert np.allclose(part.t_s, s.t, rtol=0, atol=1e-12)
        assert np.allclose(part[["acc_x_g", "acc_y_g", "acc_z_g"]].to_numpy() * 9.80665, s.acc, rtol=1e-6, atol=1e-6)
        assert np.allclose(np.radians(part[["gyr_x_dps", "gyr_y_dps", "gyr_z_dps"]].to_numpy()), s.gyr,
                           rtol=1e-6, atol=1e-7)
    rows = list(csv.reader(text.splitlines()))
    assert len({len(r) for r in rows}) == 1                       # one header row, same width everywhere
    meta = json.loads((tmp_path / "both.json").read_text())
    assert meta["format"] == "retrogait-plain-csv" and meta["csv"] == "both.csv"
    assert meta["header"]["subject"] == rec.subject and meta["columns"]["gyr_z_dps"]["unit"] == "deg/s"
    assert [st["foot"] for st in meta["header"]["streams"]] == ["left", "right"]


def test_plain_one_foot_reads_back_and_two_feet_are_not_mixed(tmp_path, run_cli):
    src = SAMPLE_DATA / "backward_treadmill_5pct.rgt"
    out = tmp_path / "one.csv"
    code, _, err = run_cli("convert", src, out, "--plain")
    assert code == 0, err
    assert out.read_text().splitlines()[0] == "t_s,acc_x_m_s2,acc_y_m_s2,acc_z_m_s2,gyr_x_rad_s,gyr_y_rad_s,gyr_z_rad_s"
    back, orig = load_recording(out), read_recording(src)
    assert back.streams[0].n == orig.streams[0].n
    assert np.array_equal(back.streams[0].acc.astype(np.float32), orig.streams[0].acc.astype(np.float32))
    assert np.allclose(back.streams[0].t, orig.streams[0].t, rtol=0, atol=1e-12)
    # a two-feet plain CSV is refused by the one-foot reader in one line, never read as one foot
    run_cli("convert", SAMPLE_DATA / "two_feet_treadmill.rgt", tmp_path / "two.csv", "--plain")
    code, _, err = run_cli("info", tmp_path / "two.csv")
    assert code == 3 and err.count("\n") == 1 and "'left'" in err


def test_plain_needs_a_csv_output_and_default_csv_says_how(tmp_path, run_cli):
    src = SAMPLE_DATA / "backward_treadmill_5pct.rgt"
    code, _, err = run_cli("convert", src, tmp_path / "x.rgt", "--plain")
    assert code == 2 and err.strip() == "retrogait: error: --plain is for a .csv output"
    code, out, err = run_cli("convert", src, tmp_path / "r.csv")
    assert code == 0, err
    assert "for Excel / pandas use --plain" in out
    assert (tmp_path / "r.csv").read_text().startswith("# retrogait-csv")   # the exact round-trip format
