"""End to end: simulated people over weeks -> recordings -> `retrogait add` -> `retrogait compare`."""

from __future__ import annotations

import json

import pytest

from retrogait.io.fileformat import write_recording
from retrogait.simulator.weekly_sessions import simulated_recordings


@pytest.fixture(scope="module")
def person_files(tmp_path_factory):
    """Two backward treadmill sessions a week in weeks 1-4, then a 30% drop of stride-time CV and two
    sessions in week 8 (weeks 5-7 skipped to keep the test short)."""
    folder = tmp_path_factory.mktemp("anna")
    files = []
    for _week, sim in simulated_recordings([1, 2, 3, 4, 8], 2, change_after_week=4, strides=120,
                                          seed=11, subject="anna"):
        path = folder / f"{sim.recording.start_time[:10]}.rgt"
        write_recording(path, sim.recording)
        files.append(path)
    return files


def test_a_real_drop_in_variability_is_reported_as_improved(person_files, tmp_path, run_cli):
    db = tmp_path / "h.sqlite"
    code, out, err = run_cli("add", *person_files, "--db", db)
    assert code == 0, err
    assert out.count("added as session") == 10
    code, out, _ = run_cli("add", person_files[0], "--db", db)
    assert code == 0 and "already in the history as session 1 (nothing added)" in out

    code, out, err = run_cli("compare", "--subject", "anna", "--baseline", "2026-W40..2026-W43",
                             "--current", "2026-W47", "--json", "--db", db)
    assert code == 0, err
    res = json.loads(out)
    rows = {(r["direction"], r["metric"]): r for r in res["rows"]}
    cv = rows[("backward", "stride_time_cv")]
    # beyond this person's noise; no minimal important change is known for stride-time CV
    assert cv["verdict"] == "beyond noise" and cv["mdc_source"] == "personal"
    assert cv["n_baseline"] == 8 and cv["n_current"] == 2
    assert -45 < cv["pct_change"] < -15
    assert res["condition"] == "treadmill"
    assert rows[("backward", "cadence")]["verdict"] == "no real change"

    # no true change between the first and the second half of the baseline
    code, out, _ = run_cli("compare", "-s", "anna", "-b", "2026-W40..2026-W41", "-c", "2026-W42..2026-W43",
                           "--json", "--db", db)
    rows = {r["metric"]: r for r in json.loads(out)["rows"]}
    assert rows["stride_time_cv"]["verdict"] == "no real change"
    # the belt speed is the same in every session (stride length is not: this person's simulated
    # stride length is 1.6 % shorter in weeks 42-43 than in 40-41, which the analysis now resolves)
    assert rows["speed_mean"]["verdict"] == "not judged"  # the belt speed on a treadmill


def test_add_bad_input_gives_one_line_messages(tmp_path, run_cli):
    db = tmp_path / "h.sqlite"
    (_, sim), = simulated_recordings([1], 1, strides=20, seed=2, subject="")
    nameless = tmp_path / "nameless.rgt"
    write_recording(nameless, sim.recording)
    code, out, err = run_cli("add", tmp_path / "missing.rgt", nameless, "--db", db)
    assert code == 3  # the first error decides the exit code; every file gets its line
    lines = err.strip().splitlines()
    assert lines == [f"retrogait: error: {tmp_path / 'missing.rgt'}: no such file",
                     f"retrogait: error: {nameless}: the recording names no subject; pass --subject ID"]
    code, out, err = run_cli("add", nameless, "--subject", "carl", "--db", db)
    assert code == 0 and "added as session 1 (carl, 2026-W40; backward" in out
    code, out, _ = run_cli("sessions", "--db", db)
    assert "carl" in out
