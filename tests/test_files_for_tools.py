"""Files for tools (issue 9, item 4): plain CSV with units in the column names, angles in degrees, a
JSON sidecar for the metadata, and `export --wide` with one row per session."""

from __future__ import annotations

import csv
import json

from conftest import SAMPLE_DATA

from retrogait.history import connect
from retrogait.simulator.stride_series import person_sessions
from retrogait.simulator.weekly_sessions import add_simulated_sessions


def test_stride_csv_is_plain_with_units_and_degrees(run_cli, tmp_path):
    out_csv = tmp_path / "strides.csv"
    code, out, err = run_cli("analyze", SAMPLE_DATA / "backward_treadmill_5pct.rgt", "--strides", out_csv)
    assert code == 0, err
    text = out_csv.read_text()
    assert not text.startswith("#") and "\n#" not in text
    rows = list(csv.DictReader(text.splitlines()))
    assert rows and {"stride_length_m", "pitch_ic_deg", "stride_time_s", "speed_m_s", "t_ic_s"} <= set(rows[0])
    assert all("e-" not in v and "e+" not in v for r in rows for v in r.values())
    back = [r for r in rows if r["direction"] == "backward" and r["steady"] == "true"]
    pitch = [abs(float(r["pitch_ic_deg"])) for r in back]
    assert max(pitch) > 3 and max(pitch) < 60  # degrees, not radians
    assert all(0.3 < float(r["stride_length_m"]) < 1.2 for r in back)
    meta = json.loads(out_csv.with_suffix(".json").read_text())
    assert meta["rows"] == len(rows) and meta["columns"]["pitch_ic_deg"]["unit"] == "deg"
    assert set(meta["columns"]) == set(rows[0]) and meta["summary"]["by_direction"]["backward"]["strides"] > 20
    assert "strides.json" in out


def test_export_wide_one_row_per_session(run_cli, tmp_path):
    db = tmp_path / "h.sqlite"
    conn = connect(db)
    add_simulated_sessions(conn, "anna", person_sessions(3, 2, strides=80, seed=5))
    conn.close()
    out_csv = tmp_path / "wide.csv"
    code, out, err = run_cli("export", "--wide", "-o", out_csv, "--db", db)
    assert code == 0, err
    rows = list(csv.DictReader(out_csv.read_text().splitlines()))
    assert len(rows) == 6 and len({r["session_id"] for r in rows}) == 6
    assert {"backward_stride_time_cv_pct", "backward_speed_mean_m_s", "backward_cadence_steps_per_min",
            "day", "iso_week"} <= set(rows[0])
    assert all(1.0 < float(r["backward_stride_time_cv_pct"]) < 10 for r in rows)


def test_bundled_import_samples_read_in_their_layouts(run_cli):
    """The README's import examples run on bundled files (sample_data/import, made by
    sample_data/make_import_samples.py)."""
    folder = SAMPLE_DATA / "import"
    for name, preset, feet, directions in (("gaitmap_two_feet.csv", "gaitmap", 2, {"backward"}),
                                           ("xio_short_walk.csv", "xio", 1, {"backward"}),
                                           ("generic_walk.csv", "generic", 1, {"forward", "backward"})):
        code, out, err = run_cli("analyze", folder / name, "--preset", preset, "--json")
        assert code == 0, (name, err)
        s = json.loads(out)["summary"]
        assert len(s["feet"]) == feet and set(s["by_direction"]) == directions, name


def test_history_by_session_shows_dates(run_cli, tmp_path):
    db = tmp_path / "h.sqlite"
    conn = connect(db)
    add_simulated_sessions(conn, "anna", person_sessions(2, 1, strides=60, seed=6))
    conn.close()
    code, out, _ = run_cli("history", "--by", "session", "--db", db)
    lines = out.splitlines()
    header = next(ln for ln in lines if ln.startswith("session "))
    assert code == 0 and "date" in header.split()
    assert sum(" 2026-" in ln for ln in lines) == 2  # each session row has its date


def test_readme_examples_name_bundled_files():
    """Every sample_data path in the README's command examples exists (issue 9, item 7)."""
    import re

    from conftest import ROOT

    text = (ROOT / "README.md").read_text()
    blocks = "\n".join(re.findall(r"```bash\n(.*?)```", text, re.S))
    named = set(re.findall(r"sample_data/[\w./*-]+", blocks))
    assert len(named) >= 8
    for name in named:
        assert list(ROOT.glob(name)), name
    assert not re.search(r"(?<![\w/])(imu_sample|short_walk)\.csv", blocks)  # files that do not ship


def test_info_counts_the_samples_missing_in_gap_events():
    """A gap event spans from the last sample before to the first after: from 0.99 s to 1.10 s at
    100 Hz, 10 samples are missing (11 intervals); the recorder's own count wins when it wrote one."""
    import numpy as np

    from retrogait.commands.fileio import stream_summary
    from retrogait.io.recording import Stream

    t = np.r_[np.arange(0, 1, 0.01), np.arange(1.1, 2, 0.01)]
    s = Stream(t=t, acc=np.zeros((t.size, 3)), gyr=np.zeros((t.size, 3)), nominal_rate=100.0)
    gap = {"kind": "gap", "t": 0.99, "t_end": 1.1, "stream": 0}
    assert stream_summary(s, [gap], 0)["gap_event_samples"] == 10
    assert stream_summary(s, [{**gap, "missing_estimate": 7}], 0)["gap_event_samples"] == 7
    stats = {"kind": "recorder_stats", "t": 2.0, "stream": 0, "dropped": 12}
    assert stream_summary(s, [gap, stats], 0)["recorder_dropped"] == 12
