"""Batch analysis of a study: many recordings at once, on local worker processes or a Dask cluster.

``retrogait batch PATHS... -o OUTDIR`` (see :mod:`retrogait.commands.batch`) and, from Python,
:func:`analyze_many`::

    from retrogait.batch import analyze_many
    tables = analyze_many(["study/"], workers=2)      # or outdir="results/", scheduler="tcp://host:8786"
    tables.sessions    # pandas DataFrame: one row per recording and walking direction
    tables.strides     # every stride of every recording, with its recording_id
    tables.failures    # files that could not be analyzed, with the one-line reason

Needs the optional extra ``pip install 'retrogait[batch]'`` (Dask distributed, pyarrow, pandas).
Modules: :mod:`.discovery` (which files), :mod:`.settings` (analysis settings and their hash),
:mod:`.task` (the per-file work done on a worker), :mod:`.rows` (result -> table rows), :mod:`.arrow`
(Arrow arrays and Parquet bytes from numpy, without pandas),
:mod:`.outdir` (the output folder: atomic writes, resume state, final tables), :mod:`.runner`
(Dask client, progress, history writer) and :mod:`.api` (:func:`analyze_many`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["analyze_many", "BatchTables", "BatchReport"]


def __getattr__(name: str) -> Any:
    """Import lazily: ``import retrogait.batch`` must not import Dask or pyarrow."""
    if name in ("analyze_many", "BatchTables"):
        from retrogait.batch import api

        return getattr(api, name)
    if name == "BatchReport":
        from retrogait.batch.runner import BatchReport

        return BatchReport
    raise AttributeError(f"module 'retrogait.batch' has no attribute {name!r}")
