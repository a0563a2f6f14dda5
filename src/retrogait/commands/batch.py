"""``retrogait batch``: analyze a whole study (files, folders, globs) on local workers or a Dask cluster.

Only this command imports Dask and pyarrow (the optional ``retrogait[batch]`` extra), and only when it
runs, so ``retrogait --help`` and every other command stay fast. The work is in :mod:`retrogait.batch`.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Optional

import typer

from retrogait.commands.option_help import COLUMNS_HELP, PRESET_HELP
from retrogait.errors import UsageProblem

EXTRA_HINT = "retrogait batch needs the optional extra: pip install 'retrogait[batch]'"


def _require_extra() -> None:
    """A one-line error when the extra is missing (looked up, not imported: importing pandas alone
    costs about a second that a batch does not need)."""
    from importlib.util import find_spec

    missing = [m for m in ("distributed", "pyarrow", "pandas") if find_spec(m) is None]
    if missing:
        raise UsageProblem(f"{EXTRA_HINT} (missing: {', '.join(missing)})")


class _Bar:
    """The rich progress bar: files done, strides/s and time left (on stderr, only on a terminal)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        # 2 redraws a second, not rich's 10: each costs CPU in the client, the one serial part of a batch
        self.progress = Progress(
            TextColumn("analyzing"), BarColumn(), MofNCompleteColumn(), TextColumn("files"),
            TextColumn("{task.fields[rate]}"), TextColumn("elapsed"), TimeElapsedColumn(), TextColumn("left"),
            TimeRemainingColumn(),
            console=Console(stderr=True), transient=False, refresh_per_second=2)
        self.task: Any = None
        self.strides = 0
        self.t0 = 0.0

    def start(self, total: int, skipped: int) -> None:
        self.t0 = time.perf_counter()
        self.progress.start()
        self.task = self.progress.add_task("batch", total=total - skipped, rate="")

    def file_done(self, result: Any) -> None:
        self.strides += result.n_strides
        rate = self.strides / max(time.perf_counter() - self.t0, 1e-9)
        self.progress.update(self.task, advance=1, rate=f"{rate:,.0f} strides/s")
        if result.error is not None:
            self.progress.console.print(f"failed: {result.path}: {result.error}", markup=False, highlight=False)

    def stop(self) -> None:
        self.progress.stop()


def _terminate_like_ctrl_c() -> Any:
    """SIGTERM (a job scheduler stopping the run) leaves OUTDIR consistent, as Ctrl-C does.

    Returns the previous handler (to restore), or None when not on the main thread."""
    import signal
    import threading

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, stop)


def _print_report(r: Any) -> None:
    echo = typer.echo
    echo(f"{r.files} file(s): {r.analyzed} analyzed, {r.skipped} already done, {r.failed} failed"
         + (f", {len(r.duplicates)} duplicate(s) of other files skipped" if r.duplicates else "")
         + f" ({r.engine or 'nothing to run'}; {r.seconds:.1f} s)")
    if r.analyzed:
        echo(f"{r.strides:,} strides from {r.samples:,} samples")
    for f in r.failures[:10]:
        echo(f"failed: {f['file']}: {f['reason']}")
    if r.failed > 10:
        echo(f"... {r.failed - 10} more in {r.outputs['failures_csv']}")
    if r.history is not None:
        echo(f"history: {r.history['added']} session(s) added, {r.history['already']} already there"
             + (f", {r.history['failed']} not added (see above)" if r.history["failed"] else ""))
    echo(f"wrote {r.outdir}/: sessions.parquet, sessions.csv, strides.parquet/, failures.csv")


def register(app: typer.Typer) -> None:
    """Add ``batch`` to ``app``."""

    @app.command("batch")
    def batch_cmd(
        paths: list[str] = typer.Argument(
            ..., help="Recordings: files, folders (searched recursively for .rgt/.csv/.tsv/.mat) or glob "
                      "patterns (quote them; ** spans folders).", show_default=False),
        outdir: Path = typer.Option(..., "--output", "-o", help="Output folder (created; a second run resumes)."),
        workers: Optional[int] = typer.Option(
            None, "--workers", "-w", help="Local worker processes (default: the number of cores)."),
        scheduler: Optional[str] = typer.Option(
            None, "--scheduler",
            help="Run on an existing Dask distributed cluster: its scheduler address (tcp://HOST:8786), or "
                 "'dask-config' for the address in Dask's configuration. Workers must see the files at "
                 "the same paths (a shared file system) and have retrogait[batch] installed."),
        mount: Optional[str] = typer.Option(
            None, "--mount", help="Mounting for every file instead of the stored one / device profile "
                                  "(as for 'retrogait analyze')."),
        foot: Optional[str] = typer.Option(None, "--foot", help="Only this foot (left/right), or the foot of "
                                                                 "one-sensor files."),
        preset: Optional[str] = typer.Option(None, "--preset", help=PRESET_HELP),
        acc_unit: Optional[str] = typer.Option(None, "--acc-unit", help="Accelerometer unit of CSVs: g, mg, m/s^2."),
        gyr_unit: Optional[str] = typer.Option(None, "--gyr-unit", help="Gyroscope unit of CSVs: deg/s, rad/s."),
        rate: Optional[float] = typer.Option(None, "--rate", help="Sample rate (Hz) of CSVs without timestamps."),
        columns: Optional[str] = typer.Option(None, "--columns", help=COLUMNS_HELP),
        add_to_history: bool = typer.Option(
            False, "--add-to-history", help="Also keep every session in the history, as 'retrogait add' "
                                            "does (written by this process only)."),
        db: Optional[Path] = typer.Option(None, "--db", dir_okay=False,
                                          help="History database for --add-to-history (default as for 'add')."),
        balance: bool = typer.Option(
            True, "--balance/--no-balance", help="Compute the balance and variability metrics per direction "
                                                 "(metric_* columns; about a quarter of the analysis time)."),
        fresh: bool = typer.Option(False, "--fresh", help="Discard earlier batch results in OUTDIR first."),
        settings_file: Optional[Path] = typer.Option(
            None, "--settings", dir_okay=False,
            help="Analysis thresholds from a TOML file (as for 'retrogait analyze'); recorded per session "
                 "(analysis_settings column) and part of the settings id."),
        as_json: bool = typer.Option(False, "--json", help="Print the run's summary as JSON."),
    ) -> None:
        """Analyze many recordings at once: one table of sessions, one of strides, a list of failures.

        Writes OUTDIR/sessions.parquet and sessions.csv (one row per recording and walking direction),
        strides.parquet/ (every stride, partitioned by subject) and failures.csv (files that could not
        be analyzed, with the reason; they never stop the batch). A second run skips recordings done
        with the same content and settings; Ctrl-C leaves OUTDIR consistent. Needs
        pip install 'retrogait[batch]'.

        \b
        Examples:
          retrogait batch sample_data/weekly -o weekly_out
          retrogait batch 'study/**/*.rgt' -o results --workers 2 --add-to-history
          retrogait batch exports/*.csv -o results --preset gaitmap --acc-unit g
          retrogait batch /shared/study -o results --scheduler tcp://head-node:8786
        """
        if db is not None and not add_to_history:
            raise UsageProblem("--db applies with --add-to-history")
        _require_extra()
        from retrogait.batch.forkserver import start_fork_server, stop_fork_server

        # local workers: their fork server starts importing Dask and the analysis (the longest step of the
        # start-up, ~1 s) now, while this process imports its own modules and Dask and finds the files
        if scheduler is None and (workers is None or workers >= 1):
            start_fork_server()
        previous = None
        try:
            from retrogait.batch.runner import BatchInterrupted, run_batch
        except BaseException:
            stop_fork_server()
            raise
        try:
            from retrogait.batch.settings import make_settings

            settings = make_settings(preset=preset, acc_unit=acc_unit, gyr_unit=gyr_unit, rate=rate, columns=columns,
                                     foot=foot, mount=mount, balance=balance, analysis=settings_file)
            bar = _Bar() if sys.stderr.isatty() and not as_json else None
            previous = _terminate_like_ctrl_c()
            report = run_batch(paths, outdir, settings, workers=workers, scheduler=scheduler,
                               add_to_history=add_to_history, db=db, fresh=fresh, progress=bar)
        except BatchInterrupted as stop:
            r = stop.report
            typer.echo(f"retrogait: interrupted: {r.analyzed} recording(s) analyzed in this run are kept in "
                       f"{r.outdir} (tables consistent); run the same command again to resume", err=True)
            raise typer.Exit(130) from None
        finally:
            stop_fork_server()  # only if started above; the cluster is closed by now
            if previous is not None:
                import signal

                signal.signal(signal.SIGTERM, previous)
        if as_json:
            typer.echo(json.dumps(report.to_dict(), indent=1))
        else:
            _print_report(report)
