"""Python API: :func:`analyze_many` returns the batch tables as pandas DataFrames."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retrogait.batch.runner import BatchReport, run_batch
from retrogait.batch.settings import make_settings


@dataclass
class BatchTables:
    """The tables of a batch (pandas DataFrames) and the run's report."""

    sessions: Any
    strides: Any
    failures: Any
    report: BatchReport


def read_tables(outdir: str | os.PathLike, report: BatchReport | None = None) -> BatchTables:
    """Read a batch output folder back as DataFrames (strides with their ``subject`` partition column)."""
    import pandas as pd
    import pyarrow.dataset as ds

    root = Path(outdir)
    sessions = pd.read_parquet(root / "sessions.parquet")
    strides_dir = root / "strides.parquet"
    if strides_dir.is_dir() and any(strides_dir.rglob("*.parquet")):
        dataset = ds.dataset(strides_dir, format="parquet", partitioning="hive")
        strides = dataset.to_table().to_pandas()
    else:
        strides = pd.DataFrame({"recording_id": pd.Series([], dtype=str)})
    failures = pd.read_csv(root / "failures.csv", dtype={"file": str, "reason": str}, keep_default_na=False)
    return BatchTables(sessions=sessions, strides=strides, failures=failures,
                       report=report or BatchReport(outdir=str(root)))


def analyze_many(
    paths: str | os.PathLike | list[str | os.PathLike],
    outdir: str | os.PathLike | None = None,
    *,
    preset: str | None = None,
    acc_unit: str | None = None,
    gyr_unit: str | None = None,
    rate: float | None = None,
    columns: str | None = None,
    foot: str | None = None,
    mount: Any = None,
    workers: int | None = None,
    scheduler: str | None = None,
    add_to_history: bool = False,
    db: str | os.PathLike | None = None,
    fresh: bool = False,
    balance: bool = True,
    settings: Any = None,
) -> BatchTables:
    """Analyze many recordings (files, folders, glob patterns) and return the tables as DataFrames.

    The same work as ``retrogait batch``. Scripts that start local workers need the usual
    ``if __name__ == "__main__":`` guard.

    Parameters
    ----------
    paths : str, path-like or list of them
        Files, folders (searched recursively for .rgt/.csv/.tsv/.mat) or glob patterns.
    outdir : str or path-like, optional
        Keeps the results (a second call resumes); without it they go to a temporary folder that is
        removed after reading.
    preset, acc_unit, gyr_unit, rate, columns, foot : optional
        Loading options, as for :func:`retrogait.load_recording`.
    mount : optional
        As ``retrogait analyze --mount`` (a preset name, a profile .json, 9 numbers) or a 3x3 array.
    workers : int, optional
        Local worker processes (default: the number of cores).
    scheduler : str, optional
        A Dask scheduler address (``tcp://host:8786``) or ``"dask-config"``; workers must see the files.
    add_to_history : bool, optional
        Also keep every session in the history (one writer).
    db : str or path-like, optional
        The history database for ``add_to_history``.
    fresh : bool, optional
        Discard earlier results in ``outdir`` first.
    balance : bool, optional
        False skips the balance metrics (faster; no ``metric_*`` columns, no history).
    settings : AnalysisSettings or path, optional
        Analysis thresholds (or a TOML file of them); recorded per session.

    Returns
    -------
    BatchTables
        ``sessions``, ``strides`` and ``failures`` as pandas DataFrames, and the run's report.

    Examples
    --------
    >>> from retrogait.batch import analyze_many                              # doctest: +SKIP
    >>> t = analyze_many("study/", workers=2)                                 # doctest: +SKIP
    >>> t.sessions.groupby(["subject", "direction"])["stride_length_mean_m"].mean()  # doctest: +SKIP
    """
    chosen = make_settings(preset=preset, acc_unit=acc_unit, gyr_unit=gyr_unit, rate=rate, columns=columns,
                           foot=foot, mount=mount, balance=balance, analysis=settings)
    names = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    if outdir is not None:
        report = run_batch(names, outdir, chosen, workers=workers, scheduler=scheduler,
                           add_to_history=add_to_history, db=db, fresh=fresh)
        return read_tables(outdir, report)
    with tempfile.TemporaryDirectory(prefix="retrogait-batch-") as tmp:
        report = run_batch(names, tmp, chosen, workers=workers, scheduler=scheduler,
                           add_to_history=add_to_history, db=db)
        return read_tables(tmp, report)
