"""``retrogait test``: instrumented clinical walk tests (3-m backward walk test, timed walks).

The test logic is in :mod:`retrogait.clinical`; this module loads and analyzes the recording, prints
80-column tables (or ``--json``) and says where the score falls against published cut-offs.

Exit codes: 0 at least one trial scored; 4 no trial found, or trials found but none could be scored
(the table says why); 2 / 3 bad options / bad file, as everywhere.
"""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path
from typing import Any, Optional

import numpy as np
import typer

from retrogait.errors import NoGaitError, UsageProblem

test_app = typer.Typer(
    name="test",
    help="Instrumented clinical walk tests: 3-m backward walk test, 10-m and timed walks.",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

WIDTH = 79


def _cell(x: Any, digits: int = 2, scale: float = 1.0) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x * scale:.{digits}f}"


def _analyze(file: Path, mount: Optional[str], foot: Optional[str], preset: Optional[str]):
    """(recording, analysis result) of ``file``; NoGaitError when there is nothing to analyze."""
    from retrogait.commands.analyze import _load, parse_mount, run_analysis

    if foot is not None and foot not in ("left", "right"):
        raise UsageProblem(f"--foot {foot!r}: expected left or right")
    m = parse_mount(mount) if mount else None
    rec = _load(file, preset, None, None, None, foot)
    return rec, run_analysis(rec, m, False)  # the --mount given, else the device profiles, as `analyze`


def _wrap(text: str, indent: str = "  ") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ")


def _table(headers: list[str], units: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), len(u), *(len(r[i]) for r in rows)) for i, (h, u) in enumerate(zip(headers, units))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) for c, w in zip(cells, widths)).rstrip()

    return [line(headers), line(units), *(line(r) for r in rows)]


def _result_json(file: Path, rec: Any, res: Any, test: Any, score: dict, norms: list[dict],
                 settings: dict) -> dict:
    from retrogait.balance.catalog import json_ready

    return json_ready({
        "file": str(file), "test": test.test, "feet": rec.feet, "settings": settings,
        "score": score, "norms": norms, "notes": test.notes,
        "trials": [t.to_dict() for t in test.trials],
        "warnings": list(res.warnings),
        "definitions": "docs/tests.md; retrogait.clinical.trials (onset, body position, steps)",
    })


def _finish(test: Any, lines: list[str], as_json: bool, payload: dict) -> None:
    if as_json:
        typer.echo(json.dumps(payload, indent=1, allow_nan=False))
    else:
        typer.echo("\n".join(lines))
    if not test.scored:
        raise typer.Exit(NoGaitError.exit_code)


def _notes(test: Any) -> list[str]:
    out = []
    for t in test.trials:
        if t.note:
            out += _wrap(f"trial {t.index}: {t.note}")
    return out


@test_app.command("3mbwt")
def three_m_bwt_cmd(
    file: Path = typer.Argument(..., help="Recording of the test (one or two feet): .rgt or CSV."),
    distance: float = typer.Option(3.0, "--distance", help="Test distance, m (3 for the 3MBWT)."),
    rest: float = typer.Option(3.0, "--rest", help="A standstill of at least this many seconds separates "
                                                   "trials, s."),
    mount: Optional[str] = typer.Option(None, "--mount", help="Sensor-to-foot mounting, as for 'retrogait "
                                                              "analyze' (default: file, device profile)."),
    foot: Optional[str] = typer.Option(None, "--foot", help="Use only this foot (left/right)."),
    preset: Optional[str] = typer.Option(None, "--preset", help="CSV layout of an imported file."),
    as_json: bool = typer.Option(False, "--json", help="Print the trials, score and norms as JSON."),
) -> None:
    """3-m backward walk test: find every trial, time it, count steps, compare with published cut-offs.

    A trial: standing, a backward walk past the line `--distance` m behind, standing. Its time runs
    from movement onset (the first foot leaves the ground) to the instant the body passes the
    distance (the body is over each foot at its mid-stance, linear in between); see docs/tests.md.

    \b
    Examples:
      retrogait simulate 3mbwt -o bwt.rgt && retrogait test 3mbwt bwt.rgt
      retrogait test 3mbwt bwt.rgt --json
    """
    from retrogait.clinical import cutoffs_for, three_m_backward_walk
    from retrogait.clinical.norms import MDC

    if not 0.5 <= distance <= 50:
        raise UsageProblem(f"--distance {distance:g}: expected 0.5 to 50 m")
    if not 0.5 <= rest <= 60:
        raise UsageProblem(f"--rest {rest:g}: expected 0.5 to 60 s")
    try:
        rec, res = _analyze(file, mount, foot, preset)
    except NoGaitError as exc:
        raise NoGaitError(f"no backward trial found ({exc})") from None
    test = three_m_backward_walk(res.strides, distance=distance, rest_s=rest)
    if not test.trials:
        raise NoGaitError(f"{file}: {'; '.join(test.notes)}")
    mean, n = test.mean, len(test.scored)
    norms = [dict(vars(c), sentence=c.sentence(mean)) for c in cutoffs_for("3mbwt")] if distance == 3.0 \
        and math.isfinite(mean) else []
    mdc = MDC["3mbwt"]
    score = {"name": "bwt3m_time", "value": mean, "unit": "s", "sd": test.sd, "n_trials": n,
             "mdc95": {"value": mdc[0], "unit": mdc[1], "source": mdc[2]}}
    payload = _result_json(file, rec, res, test, score, norms, {"distance_m": distance, "rest_s": rest})
    feet = "+".join(rec.feet)
    lines = [(f"{distance:g}-m backward walk test: {file.name} ({feet} foot; {len(test.trials)} trial(s) "
              f"found, {n} scored)"), ""]
    cv_kind = "step" if len(rec.feet) > 1 else "stride"
    rows = []
    for t in test.trials:
        rows.append([str(t.index), _cell(t.t_onset, 1), _cell(t.time_s) if t.scored else "-",
                     f"{t.steps}" + ("*" if t.steps_inferred else ""), _cell(t.step_length_m, 1, 100),
                     _cell(t.speed_m_s) if t.scored else "-", _cell(t.timing_cv_pct, 1),
                     _cell(t.veer_m, 1, 100), _cell(t.heading_change_deg, 0), str(t.pauses),
                     _cell(t.distance_m)])
    if n > 1:  # the person's mean over the scored trials
        sc = test.scored
        avg = lambda name: float(np.nanmean([getattr(t, name) for t in sc]))  # noqa: E731
        rows.append(["mean", "", _cell(mean), f"{avg('steps'):.1f}", _cell(avg("step_length_m"), 1, 100),
                     _cell(avg("speed_m_s")), "", "", "", "", _cell(avg("distance_m"))])
    lines += _table(["trial", "onset", "time", "steps", "length", "speed", "CV", "veer", "turn", "pause",
                     "walked"],
                    ["", "s", "s", "", "cm", "m/s", "%", "cm", "deg", "", "m"], rows)
    lines += _wrap(f"length: mean step length; CV: {cv_kind}-time CV; veer: largest sideways distance "
                   "from the straight line; turn: heading change; walked: distance until standing", "")
    if any(t.steps_inferred for t in test.trials):
        lines += _wrap("* one foot recorded: the other foot's steps follow from the alternation "
                       "(docs/tests.md)", "")
    lines += _notes(test)
    lines.append("")
    if n:
        sd = f" (SD {test.sd:.2f} s)" if math.isfinite(test.sd) else ""
        lines.append(f"Score: {mean:.2f} s, mean of {n} trial(s){sd}.")
        for c in norms:
            lines += _wrap(f"- {c['sentence']}", "")
        lines += _wrap(f"A change between sessions is beyond measurement noise from {mdc[0]:g} {mdc[1]} "
                       f"({mdc[2]}); with 3 or more of your own baseline sessions 'retrogait compare' "
                       "uses your own.", "")
    else:
        lines.append("No trial could be scored (see the notes above).")
    lines += [f"warning: {w}" for w in res.warnings]
    _finish(test, lines, as_json, payload)


@test_app.command("timed-walk")
def timed_walk_cmd(
    file: Path = typer.Argument(..., help="Recording of the test (one or two feet): .rgt or CSV."),
    distance: float = typer.Option(10.0, "--distance", help="Walkway length, m (10 for the 10-m walk test)."),
    direction: str = typer.Option("forward", "--direction", help="forward or backward."),
    exclude: float = typer.Option(2.0, "--exclude", help="Acceleration and deceleration distance left out "
                                                         "at each end of the walkway, m."),
    duration: Optional[float] = typer.Option(None, "--duration", help="Timed test instead: the distance "
                                             "walked in this many seconds from the onset (e.g. 120 for a "
                                             "2-minute walk test; turns included)."),
    rest: float = typer.Option(3.0, "--rest", help="A standstill of at least this many seconds separates "
                                                   "trials, s."),
    mount: Optional[str] = typer.Option(None, "--mount", help="Sensor-to-foot mounting, as for 'retrogait "
                                                              "analyze'."),
    foot: Optional[str] = typer.Option(None, "--foot", help="Use only this foot (left/right)."),
    preset: Optional[str] = typer.Option(None, "--preset", help="CSV layout of an imported file."),
    as_json: bool = typer.Option(False, "--json", help="Print the trials, score and norms as JSON."),
) -> None:
    """Timed walk tests: the 10-m walk test (forward or backward), or the distance walked in a time.

    Distance mode: gait speed over the middle of the walkway (--exclude m left out at each end), and
    the time over the whole --distance from movement onset. Duration mode (--duration S): the
    distance walked along the path in S seconds from the onset.

    \b
    Examples:
      retrogait simulate timed-walk -o tw.rgt && retrogait test timed-walk tw.rgt --distance 10
      retrogait test timed-walk tw.rgt --distance 10 --direction backward
      retrogait test timed-walk long.rgt --duration 120
    """
    from retrogait.clinical import cutoffs_for, timed_walk
    from retrogait.clinical.norms import MDC

    if direction not in ("forward", "backward"):
        raise UsageProblem(f"--direction {direction!r}: expected forward or backward")
    if not 1 <= distance <= 500:
        raise UsageProblem(f"--distance {distance:g}: expected 1 to 500 m")
    if not 0 <= exclude < distance / 2:
        raise UsageProblem(f"--exclude {exclude:g}: expected 0 to less than half of --distance")
    if duration is not None and not 5 <= duration <= 3600:
        raise UsageProblem(f"--duration {duration:g}: expected 5 to 3600 s")
    if not 0.5 <= rest <= 60:
        raise UsageProblem(f"--rest {rest:g}: expected 0.5 to 60 s")
    try:
        rec, res = _analyze(file, mount, foot, preset)
    except NoGaitError as exc:
        raise NoGaitError(f"no {direction} walk found ({exc})") from None
    test = timed_walk(res.strides, distance=distance, direction=direction, exclude=exclude,
                      duration=duration, rest_s=rest)
    if not test.trials:
        raise NoGaitError(f"{file}: {'; '.join(test.notes)}")
    n = len(test.scored)
    key = f"timed-walk-{direction}"
    mdc = MDC[key]
    feet = "+".join(rec.feet)
    if duration is None:
        mean = test.mean
        score = {"name": "timed_walk_speed", "value": mean, "unit": "m/s", "sd": test.sd, "n_trials": n,
                 "over_m": distance - 2 * exclude, "mdc95": {"value": mdc[0], "unit": mdc[1], "source": mdc[2]}}
        title = (f"{distance:g}-m {direction} walk: {file.name} ({feet} foot; gait speed over the middle "
                 f"{distance - 2 * exclude:g} m)")
        rows = [[str(t.index), _cell(t.t_onset, 1), _cell(t.extra.get("middle_speed_m_s")),
                 _cell(t.extra.get("middle_time_s")), _cell(t.time_s), f"{t.steps}" + ("*" if t.steps_inferred else ""),
                 _cell(t.step_length_m, 1, 100), _cell(t.timing_cv_pct, 1), _cell(t.veer_m, 1, 100),
                 str(t.pauses), _cell(t.distance_m)] for t in test.trials]
        table = _table(["trial", "onset", "speed", "middle", f"{distance:g} m", "steps", "length", "CV",
                        "veer", "pause", "walked"],
                       ["", "s", "m/s", "s", "s", "", "cm", "%", "cm", "", "m"], rows)
        unit, label = "m/s", "gait speed"
    else:
        mean = test.mean
        score = {"name": "timed_walk_distance", "value": mean, "unit": "m", "sd": test.sd, "n_trials": n,
                 "duration_s": duration}
        title = f"{duration:g}-s timed walk ({direction}): {file.name} ({feet} foot)"
        rows = [[str(t.index), _cell(t.t_onset, 1), _cell(t.distance_m) if t.scored else "-",
                 _cell(t.speed_m_s) if t.scored else "-", _cell(t.extra.get("walked_for_s"), 1),
                 f"{t.steps}" + ("*" if t.steps_inferred else "")] for t in test.trials]
        table = _table(["trial", "onset", "distance", "speed", "walked for", "steps"],
                       ["", "s", "m", "m/s", "s", ""], rows)
        unit, label = "m", f"distance in {duration:g} s"
    norms = [dict(vars(c), sentence=c.sentence(mean)) for c in cutoffs_for(key)] \
        if duration is None and math.isfinite(mean) else []
    settings = {"distance_m": distance, "direction": direction, "exclude_m": exclude, "duration_s": duration,
                "rest_s": rest}
    payload = _result_json(file, rec, res, test, score, norms, settings)
    lines = [title, "", *table]
    if any(t.steps_inferred for t in test.trials):
        lines += _wrap("* one foot recorded: the other foot's steps follow from the alternation "
                       "(docs/tests.md)", "")
    lines += _notes(test)
    lines.append("")
    if n:
        lines.append(f"Score ({label}): {mean:.2f} {unit}, mean of {n} trial(s).")
        for c in norms:
            lines += _wrap(f"- {c['sentence']}", "")
    else:
        lines.append("No trial could be scored (see the notes above).")
    lines += [f"warning: {w}" for w in res.warnings]
    _finish(test, lines, as_json, payload)


def register(app: typer.Typer) -> None:
    """Add the ``test`` command group to ``app``."""
    app.add_typer(test_app, name="test")
