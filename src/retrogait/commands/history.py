"""Commands that keep and compare sessions: add, sessions, remove, history, export, compare, trend."""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from retrogait.balance.catalog import DEFAULT_TABLE_METRICS, DIRECTIONS, METRICS, json_ready, metric_info
from retrogait.errors import InputFileError, NoGaitError, RetrogaitError, UsageProblem
from retrogait.history import db as hdb
from retrogait.history import queries

# numpy/scipy/matplotlib-heavy modules (store, compare, trend) are imported inside the commands, so
# that `retrogait --help` and other commands start fast.

DB_HELP = (
    "History database file. Default: $RETROGAIT_DB, else $XDG_DATA_HOME/retrogait/history.sqlite "
    "(~/.local/share/retrogait/history.sqlite)."
)
PERIOD_HELP = (
    "An ISO week (2026-W40), week range (2026-W40..2026-W42), day or day range "
    "(2026-10-01..2026-10-14) or session ids (12, 12..15); comma-separated lists allowed."
)


def _db_option() -> Optional[Path]:
    return typer.Option(None, "--db", help=DB_HELP, dir_okay=False)


def _open(db: Optional[Path], must_exist: bool = True):
    return hdb.connect(db, must_exist=must_exist)


def _check_direction(direction: Optional[str]) -> Optional[list[str]]:
    if direction is None:
        return None
    if direction not in DIRECTIONS:
        raise UsageProblem(f"--direction {direction!r}: expected one of {', '.join(DIRECTIONS)}")
    return [direction]


def _num(x: Optional[float], fmt: str = ".3g") -> str:
    return "" if x is None or (isinstance(x, float) and not math.isfinite(x)) else format(x, fmt)


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return text == ""


def _print_table(headers: list[str], rows: list[list[str]], gap: str = "  ",
                 units: Optional[list[str]] = None, after: Optional[dict[int, list[str]]] = None) -> None:
    """Aligned plain-text columns: numbers right-aligned, text left-aligned; ``units`` a second header row;
    ``after[i]``: lines printed as they are below row i."""
    heads = [headers] + ([units] if units else [])
    widths = [max(*(len(h[i]) for h in heads), *(len(r[i]) for r in rows)) if rows else max(len(h[i]) for h in heads)
              for i in range(len(headers))]
    numeric = [bool(rows) and all(_is_number(r[i]) for r in rows) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        return gap.join(c.rjust(w) if num else c.ljust(w)
                        for c, w, num in zip(cells, widths, numeric)).rstrip()

    for h in heads:
        typer.echo(line(h))
    typer.echo(gap.join("-" * w for w in widths))
    for i, r in enumerate(rows):
        typer.echo(line(r))
        for text in (after or {}).get(i, []):
            typer.echo(text)


# --- add ------------------------------------------------------------------------------------------

def _add_one(conn, path: Path, subject: Optional[str], preset: Optional[str] = None,
             test: Optional[str] = None, settings: Any = None) -> str:
    """Analyze and store one file; returns the message line."""
    from retrogait.analysis import analyze
    from retrogait.analysis.calibration import profile_mounts
    from retrogait.history import store
    from retrogait.io.loading import load_recording

    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    sha = store.file_sha256(path)
    existing = store.find_hash(conn, sha)
    if existing is not None:
        return f"{path}: already in the history as session {existing} (nothing added)"
    rec = load_recording(path, preset=preset)
    if not (subject or rec.subject):
        raise UsageProblem(f"{path}: the recording names no subject; pass --subject ID")
    result = analyze(rec, mount=profile_mounts(rec), settings=settings)
    from retrogait.clinical.history import store_test_session, test_of

    scored = ""
    test = test_of(rec, test)  # a walk-test recording: its score is stored as a metric too
    if test is not None:
        sid, added, scored = store_test_session(conn, rec, result, path, subject=subject, test=test)
        scored = f"; {scored}"
    else:
        sid, added = store.store_result(conn, rec, result, path, subject=subject)
    if not added:
        return f"{path}: already in the history as session {sid} (nothing added)"
    store.record_settings(conn, sid, result.settings)
    row = conn.execute("SELECT subject, iso_week FROM sessions WHERE id = ?", (sid,)).fetchone()
    dirs = conn.execute("SELECT direction, n_strides, n_steady FROM direction_stats WHERE session_id = ?",
                        (sid,)).fetchall()
    # the same stride counts `sessions` lists, and how many of them are steady (used for the metrics)
    got = ", ".join(f"{d['direction']} {d['n_strides']} strides ({d['n_steady']} steady)" for d in dirs) or "no walking"
    return f"{path}: added as session {sid} ({row['subject']}, {row['iso_week']}; {got}{scored})"


def _save_note(conn, path: Path, note: Optional[str], tags: Optional[list[str]]) -> str:
    """Keep ``add --note/--tag`` with the session stored from ``path``; returns the message suffix."""
    from retrogait.history import store

    sid = store.find_hash(conn, store.file_sha256(path))
    if sid is None:
        return ""
    store.set_note(conn, sid, note, tags)
    parts = (["note"] if note is not None else []) + ([f"{len(tags)} tag(s)"] if tags else [])
    return f"; {' and '.join(parts)} kept"


def _save_mass(conn, path: Path, mass: float) -> str:
    """Store ``add --mass`` for the subject the session of ``path`` is filed under; the message suffix."""
    from retrogait.history import store

    sid = store.find_hash(conn, store.file_sha256(path))
    if sid is None:
        return ""
    who = conn.execute("SELECT subject FROM sessions WHERE id = ?", (sid,)).fetchone()[0]
    store.set_body_mass(conn, who, mass)
    return f"; body mass {mass:g} kg stored for {who}"


def add(
    files: list[Path] = typer.Argument(..., help="Recordings to analyze and keep (.rgt or CSV).", show_default=False),
    subject: Optional[str] = typer.Option(
        None, "--subject", "-s", help="Subject id to file the sessions under (default: the id in the recording)."
    ),
    preset: Optional[str] = typer.Option(
        None, "--preset", help="CSV layout of other tools' files, as for 'retrogait info' (e.g. gaitmap, xio)."
    ),
    test: Optional[str] = typer.Option(
        None, "--test", help="The files are walk-test recordings (3mbwt, timed-walk): their score is kept as "
                              "a metric (bwt3m_time, timed_walk_speed) too. Default: a recording's 'test' tag."
    ),
    note: Optional[str] = typer.Option(
        None, "--note", help="A note to keep with the session(s), shown by 'sessions' (replaces an earlier one)."),
    tag: Optional[list[str]] = typer.Option(
        None, "--tag", help="A tag to keep with the session(s), e.g. --tag brace --tag post-op (repeatable)."),
    settings: Optional[Path] = typer.Option(
        None, "--settings", dir_okay=False,
        help="Analysis thresholds from a TOML file (as for 'analyze'); kept with each session."),
    mass: Optional[float] = typer.Option(
        None, "--mass", help="The subject's body mass (kg), kept in the history (replaces an earlier one): "
                             "'analyze' and 'report' then estimate energy without --mass."),
    db: Optional[Path] = _db_option(),
) -> None:
    """Analyze recordings and keep their balance metrics in the history.

    Adding the same file twice does nothing (files are recognised by a SHA-256 of their bytes).
    Sessions are dated by the recording's start time, or by the file's modification time when the
    file has none (plain CSV).

    Example: retrogait add week40/*.rgt --subject anna --mass 62.5
    """
    if mass is not None:
        from retrogait.history.store import check_body_mass

        try:
            mass = check_body_mass(mass)
        except ValueError as exc:
            raise UsageProblem(f"--mass {mass:g}: {exc}") from None
    chosen = None
    if settings is not None:
        from retrogait.io.settings_file import read_settings

        chosen = read_settings(settings)
    conn = _open(db, must_exist=False)
    first_error: Optional[RetrogaitError] = None
    # a progress bar only when the messages go to the same terminal (they are printed above the bar)
    show_progress = len(files) > 1 and sys.stderr.isatty() and sys.stdout.isatty()
    progress = None
    if show_progress:
        from rich.console import Console
        from rich.progress import Progress

        progress = Progress(console=Console(stderr=True), transient=True)
        progress.start()
        task = progress.add_task("analyzing", total=len(files))
    try:
        for path in files:
            try:
                message, is_error = _add_one(conn, path, subject, preset, test, chosen), False
                if note is not None or tag:
                    message += _save_note(conn, path, note, tag)
                if mass is not None:
                    message += _save_mass(conn, path, mass)
            except RetrogaitError as exc:
                first_error = first_error or exc
                message, is_error = f"retrogait: error: {exc}", True
            if progress is not None:
                progress.console.print(message, markup=False, highlight=False, soft_wrap=True)
            else:
                typer.echo(message, err=is_error)
            if progress is not None:
                progress.advance(task)
    finally:
        if progress is not None:
            progress.stop()
        conn.close()
    if first_error is not None:
        raise typer.Exit(first_error.exit_code)


# --- sessions / history / export -------------------------------------------------------------------

def _sessions(db: Optional[Path], subject: Optional[str]) -> tuple[str | None, list[queries.StoredSession]]:
    conn = _open(db)
    try:
        if subject is not None:
            subject = queries.resolve_subject(conn, subject)
        return subject, queries.load_sessions(conn, subject)
    finally:
        conn.close()


def _subject_sessions(db: Optional[Path], subject: Optional[str]) -> tuple[str, list[queries.StoredSession]]:
    """One subject's sessions (``subject`` None: the only subject in the database)."""
    conn = _open(db)
    try:
        subject = queries.resolve_subject(conn, subject)
        return subject, queries.load_sessions(conn, subject)
    finally:
        conn.close()


def sessions(
    subject: Optional[str] = typer.Option(None, "--subject", "-s", help="Only this subject's sessions."),
    db: Optional[Path] = _db_option(),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """List the stored sessions (ids are what --baseline/--current accept).

    Example: retrogait sessions --subject anna
    """
    _, found = _sessions(db, subject)
    if as_json:
        out = [{k: v for k, v in vars(s).items() if k != "directions"}
               | {"directions": {d: {"n_strides": x.n_strides, "n_steady": x.n_steady, "speed": x.speed}
                                 for d, x in s.directions.items()}} for s in found]
        typer.echo(json.dumps(json_ready(out), indent=1))
        return
    if not found:
        typer.echo("no sessions")
        return
    by_subject: dict[str, list[queries.StoredSession]] = {}
    for s in found:
        by_subject.setdefault(s.subject, []).append(s)
    for k, (who, mine) in enumerate(by_subject.items()):
        if k:
            typer.echo("")
        _print_sessions(who, mine)
    typer.echo("n: strides forward, backward, other (side, in place); --json adds the files")


def _session_row(s: queries.StoredSession) -> list[str]:
    n = {d: x.n_strides for d, x in s.directions.items()}
    # the history keeps forward/backward stride counts; the rest of the session's strides are other ways
    other = max(int(s.n_strides) - n.get("forward", 0) - n.get("backward", 0), 0)
    minutes = s.duration / 60 if s.duration == s.duration else None
    return [str(s.id), s.start_time.replace("T", " ")[:16], s.iso_week.split("-")[-1], s.condition or "?",
            _num(s.belt_speed, ".2f"), _num(s.incline_pct, ".1f"),
            _num(minutes, ".1f" if minutes is not None and minutes < 100 else ".0f"),
            str(n.get("forward", 0)), str(n.get("backward", 0)), str(other)]


def _print_sessions(subject: str, found: list[queries.StoredSession]) -> None:
    """One subject's sessions: a table that fits 80 columns, with each session's note and tags below it."""
    import textwrap

    weeks = sorted({s.iso_week for s in found})
    span = weeks[0] if len(weeks) == 1 else f"{weeks[0]} to {weeks[-1]}"
    typer.echo(f"{subject}: {len(found)} session{'s' * (len(found) != 1)}, {span}")
    rows = [_session_row(s) for s in found]
    extra: dict[int, list[str]] = {}
    for i, s in enumerate(found):
        text = "; ".join(p for p in (s.note, ("tags: " + ", ".join(s.tags)) if s.tags else "") if p)
        if text:
            extra[i] = textwrap.wrap(text, width=80 - 6, initial_indent="", break_on_hyphens=False)
    headers = ["id", "start (UTC)", "week", "condition", "belt", "incl", "time", "fwd", "bwd", "other"]
    units = ["", "", "", "", "m/s", "%", "min", "n", "n", "n"]  # n: strides in that direction
    _print_table(headers, rows, units=units, after={i: ["      " + t for t in v] for i, v in extra.items()})


def remove(
    ids: list[int] = typer.Argument(..., metavar="ID...", help="Session ids to delete (as 'sessions' lists them).",
                                    show_default=False),
    yes: bool = typer.Option(False, "--yes", "-y", help="Delete without asking."),
    db: Optional[Path] = _db_option(),
    as_json: bool = typer.Option(False, "--json", help="Print what was deleted as JSON (the listing goes to "
                                                       "standard error)."),
) -> None:
    """Delete stored sessions (their metrics, note and tags) from the history. The recordings are not
    touched; 'retrogait add FILE' stores a session again.

    Asks before deleting unless --yes is given; without a terminal to ask on, --yes is required.

    Example: retrogait remove 12 13 --yes
    """
    from retrogait.history import store

    conn = _open(db)
    try:
        wanted = list(dict.fromkeys(ids))
        found = {s.id: s for s in queries.load_sessions(conn) if s.id in wanted}
        missing = [i for i in wanted if i not in found]
        if missing:
            raise UsageProblem(f"no session with id {', '.join(map(str, missing))} in the history "
                               "(see: retrogait sessions)")
        for i in wanted:
            s = found[i]
            typer.echo(f"session {i}: {s.subject}, {s.start_time.replace('T', ' ')[:16]} UTC, "
                       f"{s.condition or '?'}, {s.n_strides} strides, {Path(s.path).name}", err=as_json)
        if not yes:
            if not sys.stdin.isatty():
                raise UsageProblem("not deleting without confirmation: add --yes")
            if not typer.confirm(f"Delete {len(wanted)} session(s) from the history?", default=False,
                                 err=as_json):
                typer.echo(json.dumps({"deleted": []}) if as_json else "nothing deleted")
                return
        n = store.remove_sessions(conn, wanted)
        if as_json:
            typer.echo(json.dumps({"deleted": wanted, "sessions": [
                {"id": i, "subject": found[i].subject, "start_time": found[i].start_time, "path": found[i].path}
                for i in wanted]}, indent=1))
        else:
            typer.echo(f"deleted {n} session(s)")
    finally:
        conn.close()


def _metric_list(metric: Optional[list[str]]) -> list[str]:
    names = metric or list(DEFAULT_TABLE_METRICS)
    for n in names:
        metric_info(n)
    return names


def history(
    subject: Optional[str] = typer.Option(None, "--subject", "-s", help="Whose sessions (default: the only subject)."),
    metric: Optional[list[str]] = typer.Option(
        None, "--metric", "-m", help=f"Metric to show (repeat for several). Known: {', '.join(METRICS)}."
    ),
    direction: Optional[str] = typer.Option(None, "--direction", "-d", help="backward or forward (default: both)."),
    by: str = typer.Option("week", "--by", help="Rows per ISO 'week' (mean of its sessions) or per 'session'."),
    db: Optional[Path] = _db_option(),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Show metrics over time: one row per ISO week (or session), one column per metric.

    Example: retrogait history --subject anna --metric stride_time_cv --metric speed_mean --by week
    """
    if by not in ("week", "session"):
        raise UsageProblem(f"--by {by!r}: expected 'week' or 'session'")
    subject, found = _subject_sessions(db, subject)
    names = _metric_list(metric)
    out: list[dict] = []
    for d in _check_direction(direction) or list(DIRECTIONS):
        have = [s for s in found if d in s.directions]
        keys = sorted({s.iso_week for s in have}) if by == "week" else [str(s.id) for s in have]
        for key in keys:
            group = [s for s in have if (s.iso_week if by == "week" else str(s.id)) == key]
            row = {"direction": d, by: key, "sessions": len(group)}
            if by == "session":
                row["date"] = group[0].day
            else:
                row["dates"] = f"{group[0].day}..{group[-1].day}" if len(group) > 1 else group[0].day
            for n in names:
                v = [x for s in group if (x := s.value(d, n)) is not None]
                row[n] = float(sum(v) / len(v)) if v else None
            out.append(row)
    if as_json:
        typer.echo(json.dumps(json_ready({"subject": subject, "by": by, "rows": out}), indent=1))
        return
    if not out:
        typer.echo(f"no walking sessions for {subject}")
        return
    from retrogait.history import display

    date_key = "date" if by == "session" else "dates"
    for text in _wrap(f"subject {subject}; one column per metric: {', '.join(names)}"):
        typer.echo(text)
    for d in dict.fromkeys(r["direction"] for r in out):
        mine = [r for r in out if r["direction"] == d]
        typer.echo(f"\n{d}")
        # two header rows (short name, unit) and one space between columns keep 8 metrics in 80 columns
        names_row = [by, "from" if by == "week" else "date", "n"] + [display.short_name(n) for n in names]
        units_row = ["", "", ""] + [display.unit(n) for n in names]
        rows = [[r[by], r[date_key].split("..")[0][5 if by == "week" else 0:], str(r["sessions"])]
                + [display.fmt(n, r[n]) for n in names] for r in mine]
        _print_table(names_row, rows, gap=" ", units=units_row)


EXPORT_COLUMNS = ["session_id", "subject", "start_time", "iso_week", "condition", "belt_speed_m_s",
                  "incline_pct", "direction", "speed_m_s", "grade_pct", "n_steady", "metric", "unit",
                  "value", "se", "n"]


def export(
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="CSV file to write (default: standard output)."),
    subject: Optional[str] = typer.Option(None, "--subject", "-s", help="Only this subject (default: everyone)."),
    wide: bool = typer.Option(False, "--wide", help="One row per session, one column per direction and metric "
                              "(units in the column names), for spreadsheets."),
    db: Optional[Path] = _db_option(),
) -> None:
    """Write every stored metric as plain CSV: one row per session, direction and metric (stored SI
    units), or with --wide one row per session.

    Example: retrogait export -o history.csv
    """
    _, found = _sessions(db, subject)
    buf = io.StringIO()
    w = csv.writer(buf)
    if wide:
        header, rows = wide_rows(found)
        w.writerow(header)
        w.writerows(rows)
        _write_export(output, buf.getvalue(), f"wrote {len(rows)} sessions to {output}")
        return
    w.writerow(EXPORT_COLUMNS)
    for s in found:
        for d, x in s.directions.items():
            for name, m in x.metrics.items():
                unit = METRICS[name].unit if name in METRICS else ""
                w.writerow([s.id, s.subject, s.start_time, s.iso_week, s.condition or "", _num(s.belt_speed, "g"),
                            _num(s.incline_pct, "g"), d, _num(x.speed, ".6g"), _num(x.grade_pct, ".6g"),
                            x.n_steady, name, unit, _num(m.value, ".6g"), _num(m.se, ".6g"), m.n])
    _write_export(output, buf.getvalue(),
                  f"wrote {sum(len(x.metrics) for s in found for x in s.directions.values())} rows to {output}")


def _write_export(output: Optional[Path], text: str, message: str) -> None:
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text)
    except OSError as exc:
        raise UsageProblem(f"{output}: cannot write ({exc.strerror})") from None
    typer.echo(message)


UNIT_SUFFIX = {"%": "pct", "m/s": "m_s", "m": "m", "s": "s", "steps/min": "steps_per_min",
               "per 100 strides": "per_100_strides", "": ""}


def wide_rows(found: list[queries.StoredSession]) -> tuple[list[str], list[list[str]]]:
    """One row per session: metadata, then per direction its steady strides, speed and every metric
    (stored units, named in the column: ``backward_stride_time_cv_pct``)."""
    present = [d for d in DIRECTIONS if any(d in s.directions for s in found)]
    metric_cols: list[tuple[str, str | None, str]] = []
    for d in present:
        metric_cols.append((d, None, f"{d}_n_steady"))
        for name, info in METRICS.items():
            if any(name in s.directions[d].metrics for s in found if d in s.directions):
                suffix = UNIT_SUFFIX.get(info.unit, info.unit.replace("/", "_per_").replace(" ", "_"))
                metric_cols.append((d, name, f"{d}_{name}" + (f"_{suffix}" if suffix else "")))
    header = ["session_id", "subject", "start_time", "day", "iso_week", "condition", "belt_speed_m_s",
              "incline_pct", "duration_s"] + [c for _, _, c in metric_cols]
    rows = []
    for s in found:
        row = [str(s.id), s.subject, s.start_time, s.day, s.iso_week, s.condition or "", _num(s.belt_speed, "g"),
               _num(s.incline_pct, "g"), _num(s.duration, ".1f")]
        for d, metric, _ in metric_cols:
            stats = s.directions.get(d)
            if stats is None:
                row.append("")
            elif metric is None:
                row.append(str(stats.n_steady))
            else:
                row.append(_num(s.value(d, metric), ".6g"))
        rows.append(row)
    return header, rows


# --- compare / trend ------------------------------------------------------------------------------

def _run_comparison(
    subject: Optional[str], baseline: Optional[str], current: Optional[str], metric: Optional[list[str]],
    direction: Optional[str], condition: Optional[str], allow_mixed: bool, confidence: float, db: Optional[Path],
):
    """The one comparison behind `compare` and `trend`: (subject, sessions, Comparison)."""
    if metric:
        for n in metric:
            metric_info(n)
    directions = _check_direction(direction)
    subject, found = _subject_sessions(db, subject)
    if len(found) < 2:
        raise NoGaitError(f"{subject} has only one session (id {found[0].id}); a comparison needs a baseline "
                          "and a current session")
    from retrogait.history.compare import choose_periods
    from retrogait.history.compare import compare as compare_periods

    b, c = choose_periods(found, baseline, current, subject)
    result = compare_periods(subject, b, c, metrics=metric, directions=directions, condition=condition,
                             allow_mixed=allow_mixed, confidence=confidence)
    return subject, found, result


BASELINE_HELP = ("Baseline period. " + PERIOD_HELP + " Default: the first two ISO weeks (at least 3 sessions).")
CURRENT_HELP = "Current period (same forms). Default: the latest ISO week."
CONFIDENCE_HELP = ("How sure 'beyond noise' must be: 0.95 lets an unchanged person get a false alarm on 5% of "
                   "metrics; 0.99 is stricter (fewer false alarms, misses more small changes).")


def compare(
    subject: Optional[str] = typer.Option(None, "--subject", "-s", help="Whose sessions (default: the only subject)."),
    baseline: Optional[str] = typer.Option(None, "--baseline", "-b", help=BASELINE_HELP),
    current: Optional[str] = typer.Option(None, "--current", "-c", help=CURRENT_HELP),
    metric: Optional[list[str]] = typer.Option(None, "--metric", "-m", help="Only these metrics (repeat)."),
    direction: Optional[str] = typer.Option(None, "--direction", "-d", help="backward or forward (default: both)."),
    condition: Optional[str] = typer.Option(None, "--condition", help="Only 'treadmill' or 'overground' sessions."),
    allow_mixed: bool = typer.Option(False, "--allow-mixed", help="Compare treadmill with overground anyway (warns)."),
    confidence: float = typer.Option(0.95, "--confidence", help=CONFIDENCE_HELP),
    db: Optional[Path] = _db_option(),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Is the change from baseline to current real and does it matter? Per direction and metric:
    baseline, current, change, the change needed to be beyond the person's noise ('detect': from >= 3
    of their own baseline sessions, else the literature MDC), the minimal important change ('MIC',
    from the literature where one exists) and a verdict. improved / worse (higher / lower) needs both;
    'small change' is beyond noise but below the MIC; 'beyond noise' has no known MIC.
    `trend` draws and prints the same verdicts for the same periods.

    Exit codes: 0 compared; 2 bad option, unknown subject or mixed conditions; 3 bad database;
    4 a period has no sessions, or the subject has only one session.

    Example: retrogait compare --subject anna --baseline 2026-W40..2026-W42 --current 2026-W47
    """
    subject, _, result = _run_comparison(subject, baseline, current, metric, direction, condition, allow_mixed,
                                         confidence, db)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=1))
        return
    print_comparison(subject, result)


def print_comparison(subject: str, result) -> None:
    """The comparison as text: a heading and one table per direction, at most 80 columns."""
    from retrogait.history import display
    from retrogait.history.compare import VERDICT_NOTES

    head = (f"subject {subject}, {result.condition or 'condition unknown'}: baseline sessions "
            f"{_ids(result.baseline_sessions)} vs current sessions {_ids(result.current_sessions)}")
    for line in _wrap(head):
        typer.echo(line)
    for w in result.warnings:
        for line in _wrap(f"warning: {w}"):
            typer.echo(line, err=True)
    for d in DIRECTIONS:
        rows = [r for r in result.rows if r.direction == d]
        if not rows:
            continue
        typer.echo("")
        src = {"personal": "personal thresholds", "population": "literature MDCs"}.get(rows[0].mdc_source,
                                                                                      "no thresholds")
        typer.echo(f"{d}: {rows[0].n_baseline} baseline vs {rows[0].n_current} current sessions ({src})")
        _print_table(display.HEADERS, [display.row_cells(r) for r in rows])
    notes = []
    if any(r.exploratory for r in result.rows):
        notes.append("* exploratory metric")
    if any(METRICS[r.metric].rate for r in result.rows):
        notes.append("event rates (irregular strides, corrective steps) must also differ beyond chance given "
                     "the strides counted (exact count test)")
    for v in sorted({r.verdict for r in result.rows} & set(VERDICT_NOTES)):
        notes.append(f"{v}: {VERDICT_NOTES[v]}")
    if notes:
        typer.echo("")
    for n in notes:
        for line in _wrap(n):
            typer.echo(line)


def _wrap(text: str, width: int = 79) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width, subsequent_indent="  ")


def _ids(ids: list[int]) -> str:
    """Session ids with runs shortened: 1,2,3,4,7 -> 1..4,7."""
    out: list[str] = []
    ids = sorted(ids)
    i = 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        out.append(str(ids[i]) if j == i else f"{ids[i]},{ids[j]}" if j == i + 1 else f"{ids[i]}..{ids[j]}")
        i = j + 1
    return ",".join(out)


def trend_cmd(
    subject: Optional[str] = typer.Option(None, "--subject", "-s", help="Whose sessions (default: the only subject)."),
    metric: str = typer.Option(
        "stride_time_cv", "--metric", "-m", help=f"Metric to plot. Known: {', '.join(METRICS)}."
    ),
    direction: Optional[str] = typer.Option(None, "--direction", "-d",
                                            help="backward or forward (default: the one with more sessions)."),
    baseline: Optional[str] = typer.Option(None, "--baseline", "-b", help=BASELINE_HELP),
    current: Optional[str] = typer.Option(None, "--current", "-c", help=CURRENT_HELP),
    condition: Optional[str] = typer.Option(None, "--condition", help="Only 'treadmill' or 'overground' sessions."),
    allow_mixed: bool = typer.Option(False, "--allow-mixed", help="Compare treadmill with overground anyway (warns)."),
    confidence: float = typer.Option(0.95, "--confidence", help=CONFIDENCE_HELP),
    output: Path = typer.Option(Path("trend.png"), "--output", "-o", help="PNG file to write."),
    html_out: Optional[Path] = typer.Option(
        None, "--html", help="Also write a self-contained HTML report of all metrics."
    ),
    db: Optional[Path] = _db_option(),
) -> None:
    """Plot a metric across weeks with the baseline mean, the band the current period's mean must leave
    to be beyond noise, the minimal important change and the verdict (PNG); optionally an HTML report
    of every metric. Same periods and the same verdicts as `retrogait compare`.

    Example: retrogait trend --subject anna --baseline 2026-W40..2026-W43 --current 2026-W47 -o cv.png --html report.html
    """
    from retrogait.report import trend

    metric_info(metric)
    subject, found = _subject_sessions(db, subject)
    if direction is None:
        counts = {d: sum(d in s.directions for s in found) for d in DIRECTIONS}
        direction = max(counts, key=lambda d: counts[d])
    _check_direction(direction)
    if not any(direction in s.directions for s in found):
        raise NoGaitError(f"{subject} has no {direction} walking sessions")
    subject, found, result = _run_comparison(subject, baseline, current, None, None, condition, allow_mixed,
                                             confidence, db)
    row = trend.find_row(result, direction, metric)
    try:
        trend.write_trend_png(output, found, metric, direction, result, subject)
        verdict = f" ({direction} {metric}: {row.verdict})" if row is not None else ""
        typer.echo(f"wrote {output}{verdict}")
        if html_out is not None:
            html_out.write_text(trend.html_report(found, subject, result))
            typer.echo(f"wrote {html_out}")
    except OSError as exc:
        raise UsageProblem(f"{exc.filename}: cannot write ({exc.strerror})") from None


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""
    app.command("add")(add)
    app.command("sessions")(sessions)
    app.command("remove")(remove)
    app.command("history")(history)
    app.command("export")(export)
    app.command("compare")(compare)
    app.command("trend")(trend_cmd)
