"""retrogait batch / retrogait.batch: discovery, outputs, resume, determinism, history, a real Dask
LocalCluster (scheduler path) with a worker killed mid-file, Ctrl-C, and the lazy imports.

Short simulated sessions keep this file fast; no assertion depends on timing.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import fields
from pathlib import Path

import pytest

pytest.importorskip("distributed")
pytest.importorskip("pyarrow")
pytest.importorskip("pandas")

from retrogait.analysis.result import StrideTable  # noqa: E402
from retrogait.batch.discovery import find_files  # noqa: E402
from retrogait.errors import InputFileError  # noqa: E402

GOOD = 5  # analyzable recordings in the study fixture
CLUSTER_LIFETIME_S = 120  # a LocalCluster started by a test never outlives this


@pytest.fixture(scope="module", autouse=True)
def _own_device_profiles(tmp_path_factory):
    """A device-profile folder of our own: profiles other processes write to ~/.config must not
    change these tests' settings (subprocesses and workers inherit it)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RETROGAIT_DEVICES_DIR", str(tmp_path_factory.mktemp("devices")))
        yield


def _simulate(path: Path, name: str, seconds: float, subject: str, seed: int, **kw) -> None:
    from retrogait.io.fileformat import write_recording
    from retrogait.simulator import preset, simulate

    path.parent.mkdir(parents=True, exist_ok=True)
    sc = preset(name, duration=seconds, subject=subject, start_time=f"2026-02-0{seed}T09:00:00Z", **kw)
    write_recording(path, simulate(sc, seed=seed, trajectory=False).recording)


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    """5 good recordings (2 subjects, one two-feet, one CSV without subject), a corrupt file, a standing
    one (nothing to analyze) and a notes file that folder scans ignore."""
    from retrogait.io.csvio import write_csv
    from retrogait.io.loading import load_recording

    root = tmp_path_factory.mktemp("study")
    _simulate(root / "p01" / "s1.rgt", "backward-treadmill", 35, "p01", 1)
    _simulate(root / "p01" / "s2.rgt", "forward-treadmill", 35, "p01", 2)
    _simulate(root / "p01" / "s3.rgt", "mixed", 40, "p01", 3)
    _simulate(root / "p02" / "s1.rgt", "two-feet", 40, "p02", 4)
    _simulate(root / "p03" / "tmp.rgt", "backward-treadmill", 35, "p03", 5)
    rec = load_recording(root / "p03" / "tmp.rgt")
    rec.subject = ""
    write_csv(root / "p03" / "export.csv", rec)
    (root / "p03" / "tmp.rgt").unlink()
    _simulate(root / "bad" / "standing.rgt", "standing", 20, "p09", 6)
    (root / "bad" / "broken.rgt").write_bytes(b"this is not a recording\n" * 10)
    (root / "notes.txt").write_text("not a recording\n")
    return root


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _strides_recordings(out: Path) -> int:
    """How many recordings the strides files hold (each once: the files' recordings never overlap)."""
    import pyarrow.parquet as pq

    ids = [pq.read_table(p, columns=["recording_id"])["recording_id"].unique().to_pylist()
           for p in (out / "strides.parquet").rglob("*.parquet")]
    assert sum(map(len, ids)) == len({r for part in ids for r in part})
    return sum(map(len, ids))


def _n_done(out: Path) -> int:
    from retrogait.batch.outdir import read_journal

    return len(read_journal(out / ".retrogait-batch")[0])


# --- discovery and user mistakes (no Dask) ------------------------------------------------------------

def test_discovery_files_folders_globs(study):
    all_files = find_files([study])
    assert [p.name for p in all_files] == ["broken.rgt", "standing.rgt", "s1.rgt", "s2.rgt", "s3.rgt",
                                           "s1.rgt", "export.csv"]
    assert find_files([str(study / "p0*" / "s1.rgt")]) == [study / "p01" / "s1.rgt", study / "p02" / "s1.rgt"]
    assert find_files([str(study / "**" / "*.csv"), study / "p03"]) == [study / "p03" / "export.csv"]
    assert find_files([study / "notes.txt"]) == [study / "notes.txt"]  # named explicitly: taken
    assert study / "p01" / "s1.rgt" not in find_files([study], exclude=[study / "p01"])


def test_task_plan_groups_small_files_and_ends_with_single_files():
    """Tasks take consecutive files, each file once; several small files per task while much remains,
    single files at the end (no worker waits long for another); a big file is a task of its own."""
    from retrogait.batch.runner import TASK_MAX_BYTES, TASK_MAX_FILES, plan_tasks

    for n, workers in ((1, 2), (7, 2), (100, 2), (200, 1), (1000, 32)):
        plan = plan_tasks([2_000_000] * n, workers)
        assert [i for g in plan for i in g] == list(range(n))
        assert max(map(len, plan)) <= TASK_MAX_FILES and all(len(g) == 1 for g in plan[-workers:])
    assert len(plan_tasks([2_000_000] * 200, 2)) < 200 / 4  # Dask's per-task cost divided
    sizes = [1, 10**9, 5, 0, TASK_MAX_BYTES, 3]
    plan = plan_tasks(sizes, 1)
    assert [i for g in plan for i in g] == list(range(len(sizes))) and [1] in plan
    assert plan_tasks([], 2) == []


def test_closing_dask_never_raises_and_waits_less_after_ctrl_c():
    """The end of a run closes the client, then the cluster, each with a bounded wait (shorter after
    Ctrl-C), and a close that times out or fails is not the user's problem: the outputs are written."""
    from retrogait.batch import runner

    class Part:
        def __init__(self, error: Exception | None) -> None:
            self.error, self.waits = error, []

        def close(self, timeout: float) -> None:
            self.waits.append(timeout)
            if self.error is not None:
                raise self.error

    for interrupted, wait in ((True, runner.CLOSE_TIMEOUT_INTERRUPTED_S), (False, runner.CLOSE_TIMEOUT_S)):
        client, cluster = Part(TimeoutError("timed out after 5 s.")), Part(OSError("connection closed"))
        runner._close_engine(client, cluster, interrupted)
        assert client.waits == [wait] and cluster.waits == [wait]
    assert runner.CLOSE_TIMEOUT_INTERRUPTED_S < runner.CLOSE_TIMEOUT_S
    runner._close_engine(None, None, True)


def test_local_heartbeats_slower_only_while_the_cluster_runs():
    """The local cluster's scheduler asks for a heartbeat every LOCAL_HEARTBEAT_S at least, and Dask's
    own rule is back afterwards (a caller's own clusters later in the process keep Dask's interval)."""
    import distributed.scheduler as dscheduler

    from retrogait.batch import runner

    base = dscheduler.heartbeat_interval
    with runner._slow_heartbeats():
        assert dscheduler.heartbeat_interval(2) == runner.LOCAL_HEARTBEAT_S > base(2)
        assert dscheduler.heartbeat_interval(10_000) == base(10_000)  # huge clusters: Dask's longer one
    assert dscheduler.heartbeat_interval is base


def test_strides_parquet_bytes_as_pyarrow_writes_them():
    """The worker's Parquet bytes read back as the columns (text columns without pyarrow.array(), which
    imports pandas); arrow_array gives pyarrow.array()'s types and values, nulls included."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from retrogait.batch.arrow import arrow_array, parquet_bytes

    cols = {"recording_id": np.full(4, "abc123"), "direction": np.array(["forward", "backward", "", "forward"]),
            "label": np.array(["é", "x", "yz", ""]), "t": np.array([0.5, np.nan, 2.0, 3.0]),
            "n": np.arange(4), "ok": np.array([True, False, True, True])}
    data = parquet_bytes(cols)
    table = pq.read_table(pa.BufferReader(data))
    assert table.column_names == list(cols) and table.num_rows == 4
    meta = pq.ParquetFile(pa.BufferReader(data)).metadata.row_group(0)
    stats = {meta.column(i).path_in_schema: meta.column(i).statistics for i in range(meta.num_columns)}
    assert stats["recording_id"].min == "abc123" and stats["label"].max == "é"  # readers filter on labels
    assert stats["t"] is None  # none on numbers (their cost is most of a small file's)
    for name, values in cols.items():
        assert table[name].type == pa.array(values).type, name
        got = table[name].to_numpy(zero_copy_only=False)
        assert [str(x) for x in got] == [str(x) for x in values], name
    valid = np.array([True, False, True, True])
    for values in cols.values():
        assert arrow_array(values, valid).to_pylist() == pa.array(values, mask=~valid).to_pylist()
    assert arrow_array(np.array([], dtype="<U3")).type == pa.string()


def test_sessions_csv_cells_as_csv_cell_spells_them():
    """The session table's CSV goes through the csv module with only the bools changed (it writes floats
    by repr and None as empty itself): the text is what csv_cell gives cell by cell."""
    import csv
    import io

    from retrogait.batch.outdir import _csv_cells, csv_cell

    rows = [[True, None, 0.1 + 0.2, 3, "a,b", float("nan"), 1e-300, False],
            [None, 2.5, None, -1, "", float("inf"), 5.0, None]]
    columns = [list(c) for c in zip(*rows)]
    want = [[csv_cell(v) for v in r] for r in rows]
    texts = []
    for body in (_csv_cells([list(r) for r in rows], columns), want):
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(body)
        texts.append(buf.getvalue())
    assert texts[0] == texts[1] and texts[0].startswith("true,,0.30000000000000004,3,")


def test_discovery_errors(study, tmp_path):
    with pytest.raises(InputFileError, match="no such file or folder"):
        find_files([study / "nope.rgt"])
    with pytest.raises(InputFileError, match="matches no file"):
        find_files([str(study / "*.xyz")])
    with pytest.raises(InputFileError, match="no recordings found"):
        find_files([tmp_path])


def test_cli_user_mistakes_are_one_line(run_cli, study, tmp_path, monkeypatch):
    from retrogait.batch import runner

    code, out, err = run_cli("batch", study / "missing", "-o", tmp_path / "o")
    assert code == 3 and err.count("\n") == 1 and "no such file or folder" in err
    code, _, err = run_cli("batch", str(tmp_path / "*.rgt"), "-o", tmp_path / "o")
    assert code == 3 and err.count("\n") == 1 and "matches no file" in err
    code, _, err = run_cli("batch", study, "-o", tmp_path / "o", "--workers", "0")
    assert code == 2 and "--workers 0" in err
    code, _, err = run_cli("batch", study, "-o", tmp_path / "o", "--preset", "nonsense")
    assert code == 2 and err.count("\n") == 1
    monkeypatch.setattr(runner, "CONNECT_TIMEOUT_S", 1.0)
    code, _, err = run_cli("batch", study / "p01" / "s1.rgt", "-o", tmp_path / "o",
                           "--scheduler", "tcp://127.0.0.1:9")
    assert code == 2 and err.count("\n") == 1 and "cannot reach a Dask scheduler" in err
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    code, _, err = run_cli("batch", study / "p01" / "s1.rgt", "-o", tmp_path / "o", "--scheduler", "dask-config")
    assert code == 2 and "scheduler-address" in err


def test_help_and_lazy_imports():
    """--help shows examples; neither the CLI nor `import retrogait.batch` imports Dask or pyarrow."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "retrogait", "batch", "--help"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0 and "Examples:" in proc.stdout and "--scheduler" in proc.stdout
    imported = [line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line]
    heavy = [m for m in imported if m.split(".")[0] in ("dask", "distributed", "pyarrow", "pandas")]
    assert heavy == []
    proc = subprocess.run([sys.executable, "-c", "import sys, retrogait.batch; "
                           "print(sorted(m for m in sys.modules if m.split('.')[0] in "
                           "('dask', 'distributed', 'pyarrow', 'pandas')))"],
                          capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "[]"


# --- local workers: outputs, resume, determinism, history ---------------------------------------------

@pytest.fixture(scope="module")
def local_run(study, tmp_path_factory):
    """One `retrogait batch --workers 2 --add-to-history` run over the study (shared by several tests)."""
    from retrogait.cli import main

    base = tmp_path_factory.mktemp("local")
    out, db = base / "out", base / "history.sqlite"
    try:
        main(["batch", str(study), "-o", str(out), "--workers", "2", "--json", "--add-to-history", "--db", str(db)])
    except SystemExit as exc:
        assert exc.code in (0, None)
    return out, db


def test_outputs(local_run, study):
    import pandas as pd

    out, _ = local_run
    assert sorted(p.name for p in out.iterdir()) == [".retrogait-batch", "failures.csv", "sessions.csv",
                                                      "sessions.parquet", "strides.parquet"]
    failures = _rows(out / "failures.csv")
    by_name = {Path(f["file"]).name: f for f in failures}
    assert set(by_name) == {"broken.rgt", "standing.rgt", "export.csv"}  # export.csv: history only
    assert by_name["standing.rgt"]["exit_code"] == "4" and "no strides" in by_name["standing.rgt"]["reason"]
    assert by_name["broken.rgt"]["exit_code"] == "3"
    assert by_name["export.csv"]["reason"].startswith("not added to the history")
    assert all("\n" not in f["reason"] for f in failures)

    sessions = pd.read_parquet(out / "sessions.parquet")
    assert sessions["recording_id"].nunique() == GOOD
    assert sessions.groupby("recording_id")["direction"].apply(lambda d: d.is_unique).all()
    two = sessions[sessions["file"].str.endswith("p02/s1.rgt")]
    assert set(two["foot"]) == {"left+right"} and set(two["direction"]) >= {"forward", "backward"}
    for col in ("subject", "start_time", "condition", "strides", "stride_length_mean_m", "speed_mean_m_s",
                "session_cadence_steps_per_min", "session_grade_pct", "metric_stride_time_cv",
                "mount_source", "warnings", "file_sha256", "retrogait_version", "settings_id",
                "analysis_settings"):
        assert col in sessions.columns, col
    assert set(sessions["analysis_settings"]) == {"{}"}  # the default method: nothing changed
    csv_rows = _rows(out / "sessions.csv")
    assert [r["recording_id"] for r in csv_rows] == sessions["recording_id"].tolist()

    strides = pd.read_parquet(out / "strides.parquet")  # hive partitions: a subject column
    assert set(strides["subject"].astype(str)) == {"p01", "p02", "no-subject"}  # the CSV names none
    assert set(strides["recording_id"]) == set(sessions["recording_id"])
    per_rec = strides.groupby("recording_id").size()
    per_rec_sessions = sessions.groupby("recording_id")["strides"].sum()
    assert (per_rec.sort_index() == per_rec_sessions.sort_index()).all()
    for f in fields(StrideTable):  # every StrideTable field flows into the strides table
        assert f.name in strides.columns or f"{f.name}_x" in strides.columns, f.name


def test_final_tables_from_memory_are_those_from_the_journal(local_run, tmp_path):
    """A run that goes to its end builds the final tables from the results it holds; rebuilt from the
    journal of finished recordings on disk (as after an interruption) they are byte-identical."""
    import shutil

    from retrogait.batch.outdir import OutputDir
    from retrogait.batch.settings import make_settings

    copy = tmp_path / "copy"
    shutil.copytree(local_run[0], copy)
    before = {name: (copy / name).read_bytes() for name in ("sessions.csv", "sessions.parquet", "failures.csv")}
    failures = [(f["file"], f["reason"], int(f["exit_code"])) for f in _rows(copy / "failures.csv")]
    out = OutputDir(copy, make_settings())
    try:
        out.finalize(failures, reload=True)
    finally:
        out.close()
    assert {name: (copy / name).read_bytes() for name in before} == before


def test_journal_torn_record_and_earlier_layout(local_run, tmp_path):
    """The journal of finished recordings: a record torn by a kill is ignored and cut off; it held the
    recordings of one strides file, all of which are redone (the file, named by no record now, is
    removed); the rest is kept, history payloads included. Folders of earlier versions (one
    done/R.json, history/R.pkl and strides R.parquet per recording) are read, and forgetting a
    recording removes its file."""
    import pickle
    import shutil

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from retrogait.batch.outdir import JOURNAL, OutputDir, read_journal
    from retrogait.batch.settings import make_settings

    copy = tmp_path / "copy"
    shutil.copytree(local_run[0], copy)
    state = copy / ".retrogait-batch"
    done, history, valid = read_journal(state)
    assert len(done) == GOOD and len(history) == GOOD and valid == (state / JOURNAL).stat().st_size
    with open(state / JOURNAL, "r+b") as fh:
        fh.truncate(valid - 3)
    kept = read_journal(state)[0]
    lost = set(done) - set(kept)
    assert lost and len({done[r]["part"] for r in lost}) == 1  # one strides file's recordings: all of them
    out = OutputDir(copy, make_settings())
    try:
        lost_file = Path(out._part_path(done[min(lost)]["subject"], done[min(lost)]["part"]))
        assert sorted(out.done) == sorted(kept)
        assert (state / JOURNAL).stat().st_size < valid - 3  # the torn record was cut off
        assert not lost_file.exists()  # named by no record: removed (its recordings are redone)
        assert all(out.strides_path(r).exists() for r in kept)
        some = sorted(out.done)[0]
        info, _ = out.history_payload(some)
        assert info.sha256 == done[some]["sha256"]
        out.touch(some)  # appended after the cut: readable
    finally:
        out.close()
    again, history2, _ = read_journal(state)
    assert sorted(again) == sorted(kept) and again[some] == done[some]
    assert history2[some] == history[some]

    # the layout of earlier versions: a strides file per recording, named by its id
    last = max(history, key=lambda rid: history[rid][0])
    old = tmp_path / "old"
    shutil.copytree(local_run[0], old)
    state = old / ".retrogait-batch"
    (state / "done").mkdir()
    (state / "history").mkdir()
    raw = (state / JOURNAL).read_bytes()
    parts = {p.stem: p for p in (old / "strides.parquet").rglob("*.parquet")}
    for rid, entry in done.items():
        table = pq.read_table(parts[entry["part"]])
        pq.write_table(table.filter(pc.equal(table["recording_id"], rid)), parts[entry["part"]].parent / f"{rid}.parquet")
        (state / "done" / f"{rid}.json").write_text(json.dumps({k: v for k, v in entry.items() if k != "part"}))
        (state / "history" / f"{rid}.pkl").write_bytes(raw[history[rid][0]:sum(history[rid])])
    for path in parts.values():
        path.unlink()
    (state / JOURNAL).unlink()
    out = OutputDir(old, make_settings())
    try:
        assert out.done == {rid: {k: v for k, v in d.items() if k != "part"} for rid, d in done.items()}
        assert all(out.strides_path(r).name == f"{r}.parquet" and out.strides_path(r).exists() for r in done)
        assert pickle.dumps(out.history_payload(last)) == pickle.dumps(pickle.loads(raw[history[last][0]:sum(history[last])]))
        strides = out.strides_path(last)
        out.forget(last)
        assert not strides.exists() and not (state / "done" / f"{last}.json").exists()
        assert out.history_payload(last) is None
    finally:
        out.close()
    assert sorted(read_journal(state)[0]) == sorted(set(done) - {last})


def test_journal_record_we_did_not_write_ends_the_journal(local_run, tmp_path):
    """A record whose bytes are intact (its CRC matches) but whose content is not one the batch writes
    (a crafted or foreign file) ends the reading like a torn one: no traceback; the folder opens, the
    record and what follows are cut off."""
    import shutil
    import zlib

    from retrogait.batch.outdir import JOURNAL, RECORD, RECORD_MAGIC, OutputDir, read_journal
    from retrogait.batch.settings import make_settings

    copy = tmp_path / "copy"
    shutil.copytree(local_run[0], copy)
    state = copy / ".retrogait-batch"
    done, _, valid = read_journal(state)
    for text in (b'{"op": "group", "rids": ["a"], "entries": [{"path": "x"}], "sizes": [0]}',
                 b'{"op": "group", "rids": ["a", "b"], "entries": [], "sizes": [0]}', b'{"op": "explode"}',
                 b'[1, 2]', b'{"op": "done", "rid": "a", "entry": 3}', b"not json"):
        with open(state / JOURNAL, "r+b") as fh:
            fh.truncate(valid)
            fh.seek(valid)
            fh.write(RECORD.pack(RECORD_MAGIC, len(text), 0, zlib.crc32(text)) + text)
        assert read_journal(state)[0] == done and read_journal(state)[2] == valid
        out = OutputDir(copy, make_settings())
        out.close()
        assert (state / JOURNAL).stat().st_size == valid


def test_strides_files_shared_by_a_subjects_recordings(study, tmp_path, monkeypatch):
    """The strides of a task's recordings are one file per subject; the recordings of a file are done
    together or not at all; a recording dropped from a shared file leaves the others' rows; a strides
    file named by no record (an interruption before its record) is removed when the folder is opened;
    a recording whose removal was cut short (its path has a newer recording) is removed then too."""
    import shutil

    import pandas as pd
    import pyarrow.parquet as pq

    from retrogait.batch import runner
    from retrogait.batch.forkserver import stop_fork_server
    from retrogait.batch.outdir import JOURNAL, OutputDir, read_journal
    from retrogait.batch.runner import run_batch
    from retrogait.batch.settings import make_settings

    monkeypatch.setattr(runner, "TASK_SPREAD", 0.5)  # the study's 7 files in one task
    out = tmp_path / "out"
    try:
        report = run_batch([study], out, make_settings(), workers=1)
    finally:
        stop_fork_server()  # as the command does (the Python API leaves it running)
    assert report.analyzed == GOOD
    done = read_journal(out / ".retrogait-batch")[0]
    p01 = sorted(r for r, d in done.items() if d["subject"] == "p01")
    assert len(p01) == 3 and len({done[r]["part"] for r in p01}) == 1  # one file for p01's three
    files = sorted(p.relative_to(out) for p in (out / "strides.parquet").rglob("*.parquet"))
    assert len(files) == 3  # p01, p02, no-subject
    strides = pd.read_parquet(out / "strides.parquet")
    assert strides.groupby("recording_id").size().to_dict() == {r: d["n_strides"] for r, d in done.items()}

    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    folder = OutputDir(copy, make_settings())
    try:
        path = folder.strides_path(p01[0])
        folder.forget(p01[0])  # one of three in its strides file: only its rows go
        table = pq.read_table(path)
        assert sorted(set(table["recording_id"].to_pylist())) == p01[1:]
        assert table.num_rows == done[p01[1]]["n_strides"] + done[p01[2]]["n_strides"]
        stray = path.parent / "part-0123456789abcdef.parquet"
        shutil.copy(path, stray)  # as if a run was stopped between writing a file and its record
        # as if a run was stopped between storing p01[1]'s new content and dropping the old
        entry = dict(folder.done[p01[1]], part="part-fedcba9876543210", sha256="0" * 64)
        folder._append_group(["f" * 16], [entry], [b""])
    finally:
        folder.close()
    folder = OutputDir(copy, make_settings())
    try:
        assert not stray.exists()
        assert p01[1] not in folder.done and "f" * 16 in folder.done  # the older recording of that path dropped
        assert set(pq.read_table(path)["recording_id"].to_pylist()) == {p01[2]}
    finally:
        folder.close()

    torn = tmp_path / "torn"
    shutil.copytree(out, torn)
    journal = torn / ".retrogait-batch" / JOURNAL
    with open(journal, "r+b") as fh:
        fh.truncate(journal.stat().st_size - 3)
    lost = set(done) - set(read_journal(torn / ".retrogait-batch")[0])
    assert len(lost) >= 1 and len({done[r]["part"] for r in lost}) == 1  # all of one file's recordings
    try:
        report = run_batch([study], torn, make_settings(), workers=1)
    finally:
        stop_fork_server()
    assert report.analyzed == len(lost) and report.skipped == GOOD - len(lost)
    again = pd.read_parquet(torn / "strides.parquet")
    assert again.groupby("recording_id").size().to_dict() == {r: d["n_strides"] for r, d in done.items()}

    # a file that changed: analyzed again, its old rows taken out of the file it shared
    mine, out2 = tmp_path / "mine", tmp_path / "out2"
    shutil.copytree(study / "p01", mine / "p01")
    try:
        run_batch([mine], out2, make_settings(), workers=1)
        _simulate(mine / "p01" / "s2.rgt", "forward-treadmill", 30, "p01", 7)  # new content
        report = run_batch([mine], out2, make_settings(), workers=1)
    finally:
        stop_fork_server()
    assert report.analyzed == 1 and report.skipped == 2
    done2 = read_journal(out2 / ".retrogait-batch")[0]
    assert len(done2) == 3 and len({d["part"] for d in done2.values()}) == 2
    strides = pd.read_parquet(out2 / "strides.parquet")
    assert strides.groupby("recording_id").size().to_dict() == {r: d["n_strides"] for r, d in done2.items()}


def test_fork_server_stopped_only_if_batch_started_it(monkeypatch):
    """`retrogait batch` stops the fork server it started (its workers are gone by then); one that was
    running before (started by someone else in the same process) is left alone."""
    import multiprocessing
    from multiprocessing import forkserver

    from retrogait.batch import forkserver as fs

    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork server on this platform")
    for k in (*fs.WORKER_ENV, "MALLOC_TRIM_THRESHOLD_"):  # start_fork_server sets them in this process
        monkeypatch.delenv(k, raising=False)
    server = forkserver._forkserver
    multiprocessing.get_context("forkserver").set_forkserver_preload([])
    forkserver.ensure_running()  # someone else's (or left over by an earlier test)
    theirs = server._forkserver_pid
    assert fs.start_fork_server() and server._forkserver_pid == theirs
    fs.stop_fork_server()
    assert server._forkserver_pid == theirs and os.waitpid(theirs, os.WNOHANG) == (0, 0)  # still running
    server._stop()

    assert fs.start_fork_server()
    ours = server._forkserver_pid
    assert ours is not None and ours != theirs
    fs.stop_fork_server()
    assert server._forkserver_pid is None
    with pytest.raises(ChildProcessError):  # gone and reaped
        os.waitpid(ours, os.WNOHANG)
    fs.stop_fork_server()  # nothing left to stop: a no-op


def test_local_workers_start_with_the_malloc_settings(monkeypatch, tmp_path):
    """The fork server local workers are forked from starts with WORKER_ENV, glibc's malloc settings
    included (read only when a process starts, so they must be in the server's own environment)."""
    import multiprocessing
    import subprocess
    from multiprocessing import forkserver

    from retrogait.batch import forkserver as fs

    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork server on this platform")
    for k in (*fs.WORKER_ENV, "MALLOC_TRIM_THRESHOLD_"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")  # Dask's default: must not reach the workers
    forkserver._forkserver._stop()  # one left running by an earlier test has the environment of then
    assert fs.start_fork_server()
    try:
        # a fork of the server writes its environment (through a shell: glibc edits the variable's
        # bytes in place when it reads it, so /proc/self/environ no longer shows it whole)
        worker = multiprocessing.get_context("forkserver").Process(
            target=subprocess.call, args=(["sh", "-c", f"env -0 > {tmp_path / 'environ'}"],))
        worker.start()
        worker.join(60)
        assert worker.exitcode == 0
    finally:
        fs.stop_fork_server()
    env = dict(x.split("=", 1) for x in (tmp_path / "environ").read_text().split("\0") if "=" in x)
    assert env["GLIBC_TUNABLES"] == fs.WORKER_MALLOC
    assert "mmap_threshold=33554432" in fs.WORKER_MALLOC and "trim_threshold=268435456" in fs.WORKER_MALLOC
    assert env["OPENBLAS_NUM_THREADS"] == "1" and "MALLOC_TRIM_THRESHOLD_" not in env


def test_history_written_once(local_run, study, run_cli):
    out, db = local_run
    with sqlite3.connect(db) as conn:
        n, distinct = conn.execute("SELECT COUNT(*), COUNT(DISTINCT sha256) FROM sessions").fetchone()
    assert n == distinct == GOOD - 1  # the CSV names no subject
    code, text, _ = run_cli("batch", str(study / "p0*"), "-o", out, "--json", "--add-to-history", "--db", db)
    report = json.loads(text)
    assert code == 0 and report["analyzed"] == 0 and report["skipped"] == GOOD and report["engine"] == ""
    assert report["history"] == {"added": 0, "already": GOOD - 1, "failed": 1}
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == GOOD - 1


def test_resume_skips_what_is_done(local_run, study, run_cli):
    out, _ = local_run
    before = (out / "sessions.csv").read_bytes()
    # inputs named in another order, some twice; the failed files (not given here) are not retried
    code, text, _ = run_cli("batch", study / "p02", str(study / "p0*"), study / "p01" / "s3.rgt", "-o", out,
                            "--json")
    report = json.loads(text)
    assert code == 0 and report["analyzed"] == 0 and report["skipped"] == GOOD and report["engine"] == ""
    assert (out / "sessions.csv").read_bytes() == before
    # other settings into the same folder: refused, one line
    code, _, err = run_cli("batch", study, "-o", out, "--mount", "z-down")
    assert code == 2 and "other settings" in err and err.count("\n") == 1


# --- a real Dask cluster: the scheduler path, a worker killed mid-file ---------------------------------

def test_cluster_scheduler_with_a_worker_killed_mid_file(local_run, study, tmp_path, run_cli, monkeypatch):
    """A LocalCluster of 2 worker processes started here; the first task kills its worker process
    (SIGKILL) mid-file. Dask runs that file again; every file is in the result exactly once and the
    sessions table is byte-identical to the local run's. Then analyze_many on the same cluster."""
    from distributed import LocalCluster

    from retrogait.batch import analyze_many
    from retrogait.batch.task import FAULT_ENV

    marker = tmp_path / "killed"
    monkeypatch.setenv(FAULT_ENV, f"kill:{marker}")  # inherited by the worker processes started below
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    try:
        monkeypatch.delenv(FAULT_ENV)
        deadline = time.monotonic() + CLUSTER_LIFETIME_S
        out = tmp_path / "cluster"
        code, text, err = run_cli("batch", study, "-o", out, "--scheduler", cluster.scheduler_address, "--json")
        touched = study / "p01" / "s2.rgt"
        os.utime(touched, ns=(time.time_ns(), time.time_ns()))  # same bytes, new time: hashed, not redone
        code2, text2, _ = run_cli("batch", study / "p01", "-o", out, "--scheduler", cluster.scheduler_address,
                                  "--json")
        copy = tmp_path / "copy.rgt"
        copy.write_bytes((study / "p01" / "s1.rgt").read_bytes())
        tables = analyze_many([study / "p01" / "s1.rgt", study / "bad" / "broken.rgt", copy],
                              scheduler=cluster.scheduler_address)
        assert time.monotonic() < deadline
    finally:
        cluster.close(timeout=30)
    assert code == 0, err
    report = json.loads(text)
    assert marker.exists()  # a worker really was killed
    assert report["analyzed"] == GOOD and report["failed"] == 2 and report["engine"].startswith("cluster")
    rows = _rows(out / "sessions.csv")
    assert len({r["recording_id"] for r in rows}) == GOOD
    assert _strides_recordings(out) == GOOD
    assert _n_done(out) == GOOD
    assert (out / "sessions.csv").read_bytes() == (local_run[0] / "sessions.csv").read_bytes()
    again = json.loads(text2)
    assert code2 == 0 and again["analyzed"] == 0 and again["skipped"] == 3 and again["engine"].startswith("cluster")
    assert (out / "sessions.csv").read_bytes() == (local_run[0] / "sessions.csv").read_bytes()
    # the Python API: DataFrames; the copy has the same bytes, so it is analyzed once
    assert list(tables.sessions["direction"]) == ["backward"]
    assert len(tables.strides) == int(tables.sessions["strides"].sum()) and len(tables.failures) == 1
    assert tables.report.analyzed == 1 and tables.report.failed == 1 and len(tables.report.duplicates) == 1


def test_progress_per_file_within_tasks_of_several_files(study, tmp_path, monkeypatch):
    """With a progress bar, each file is reported once, soon after its worker finishes it (Dask events
    from inside its task of several files, handled on the client's event loop), not a task at a time."""
    import threading

    from retrogait.batch import runner
    from retrogait.batch.runner import run_batch
    from retrogait.batch.settings import make_settings

    monkeypatch.setattr(runner, "PROGRESS_INTERVAL_S", 0.0)  # an event after every file but a task's last
    monkeypatch.setattr(runner, "TASK_SPREAD", 0.5)  # the study's 7 small files in one task

    calls: list[tuple[str, int, bool, bool]] = []

    class Recorder:
        def start(self, total: int, skipped: int) -> None:
            assert (total, skipped) == (GOOD + 2, 0)

        def file_done(self, result) -> None:
            calls.append((result.path, result.n_strides, result.error is None,
                          threading.current_thread() is threading.main_thread()))

        def stop(self) -> None:
            pass

    report = run_batch([study], tmp_path / "out", make_settings(), workers=1, progress=Recorder())
    assert report.analyzed == GOOD and report.failed == 2
    assert sorted(c[0] for c in calls) == sorted(str(p) for p in find_files([study]))  # each file once
    assert sum(c[1] for c in calls) == report.strides and sum(c[2] for c in calls) == GOOD
    assert not all(c[3] for c in calls)  # reported from the events, before the task's result


def test_local_worker_killed_mid_file_is_forked_again(study, tmp_path):
    """Local workers are forked from a fork server: one killed (SIGKILL) mid-file is replaced by a new
    fork and its file analyzed again; every file exactly once."""
    from retrogait.batch.task import FAULT_ENV

    marker, out = tmp_path / "killed", tmp_path / "out"
    files = [study / "p01" / "s1.rgt", study / "p01" / "s2.rgt", study / "p02" / "s1.rgt"]
    proc = subprocess.run([sys.executable, "-m", "retrogait", "batch", *map(str, files), "-o", str(out),
                           "--workers", "1", "--json"], capture_output=True, text=True, timeout=600,
                          env={**os.environ, FAULT_ENV: f"kill:{marker}"})
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert marker.exists()  # a worker really was killed
    assert report["analyzed"] == 3 and report["failed"] == 0 and report["engine"].startswith("local")
    if sys.platform.startswith("linux"):  # the kernel's share of the tasks, per thread
        assert report["task_minor_faults"] > 0 and 0 < report["task_sys_seconds"] < report["task_cpu_seconds"]
    rows = _rows(out / "sessions.csv")
    assert sorted({r["file"] for r in rows}) == sorted(str(f.resolve()) for f in files)
    assert len({r["recording_id"] for r in rows}) == 3 == _n_done(out)
    assert _strides_recordings(out) == 3


def test_a_file_that_kills_every_worker_fails_alone(study, tmp_path):
    """A task of several files whose worker dies every time (one of its files crashes any worker) is
    split into single files: only that file is reported, the others of its task are analyzed; every
    file exactly once."""
    from retrogait.batch.runner import largest_first, plan_tasks
    from retrogait.batch.task import FAULT_ENV

    killer = study / "p01" / "s2.rgt"
    short = [tmp_path / "short" / f"w{k}.rgt" for k in range(6)]
    for k, path in enumerate(short):
        _simulate(path, "backward-treadmill", 12, "p05", k + 1)
    files = [killer, *short]
    order = largest_first(files)  # the runner's order and plan with one worker
    (shared,) = [[order[i] for i in g] for g in plan_tasks([f.stat().st_size for f in order], 1) if killer in
                 [order[i] for i in g]]
    assert len(shared) > 1  # the killer shares its task with another file
    out = tmp_path / "out"
    env = {**os.environ, FAULT_ENV: "killfile:s2.rgt", "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1",
           "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0"}  # no task waits on a dying worker
    proc = subprocess.run([sys.executable, "-m", "retrogait", "batch", *map(str, files), "-o", str(out),
                           "--workers", "1", "--json"], capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["analyzed"] == len(files) - 1 and report["failed"] == 1
    (failure,) = report["failures"]
    assert failure["file"] == str(killer.resolve()) and "died repeatedly" in failure["reason"]
    rows = _rows(out / "sessions.csv")
    assert sorted({r["file"] for r in rows}) == sorted(str(f.resolve()) for f in files if f != killer)
    assert _n_done(out) == len(files) - 1 == _strides_recordings(out)


def test_largest_files_first(tmp_path):
    """Files are submitted largest first, so that a run ends on its smallest files; by path among files
    of one size class (half-octaves), so a task's files tend to come from the same folders."""
    from retrogait.batch.runner import largest_first

    for name, size in (("a", 1), ("b", 3), ("c", 2), ("d", 2), ("e", 800), ("f", 1000), ("g", 1500)):
        (tmp_path / name).write_bytes(b"x" * size)
    names = [p.name for p in largest_first([tmp_path / n for n in "abcdefg"] + [tmp_path / "missing"])]
    # e (800 bytes) before f (1000): one size class (half-octave, 724-1023 bytes), by path
    assert names == ["g", "e", "f", "b", "c", "d", "a", "missing"]  # a missing file counts as empty


# --- Ctrl-C --------------------------------------------------------------------------------------------

def test_ctrl_c_leaves_outdir_consistent(local_run, study, tmp_path, run_cli):
    """SIGINT once the first recording is written: exit 130 (or 0 if it finished first), the tables
    on disk are complete and agree, no temporary file is visible; a second run (one worker) finishes
    the rest, and its sessions.csv is byte-identical to the two-worker run's."""
    import pandas as pd

    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "retrogait", "batch", str(study), "-o", str(out),
                             "--workers", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline and _n_done(out) < 1:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode in (130, 0), err
    if proc.returncode == 130:
        assert "interrupted" in err and err.count("\n") == 1
    done = _n_done(out)
    sessions = pd.read_parquet(out / "sessions.parquet")
    assert sessions["recording_id"].nunique() == done == len(set(r["recording_id"] for r in _rows(out / "sessions.csv")))
    visible = [p for p in out.rglob("*") if ".retrogait-batch" not in p.parts]
    assert not [p for p in visible if p.name.startswith(".") or p.suffix in (".tmp", ".part")]
    for part in (out / "strides.parquet").rglob("*.parquet"):
        pd.read_parquet(part)  # every visible Parquet file is complete
    code, text, err = run_cli("batch", study, "-o", out, "--workers", "1", "--json")
    assert code == 0, err
    report = json.loads(text)
    assert report["skipped"] == done and report["analyzed"] == GOOD - done
    assert pd.read_parquet(out / "sessions.parquet")["recording_id"].nunique() == GOOD
    assert (out / "sessions.csv").read_bytes() == (local_run[0] / "sessions.csv").read_bytes()
