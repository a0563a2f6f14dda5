"""The ``retrogait`` command line: one typer app, each group of commands in its own module.

Commands live in :mod:`retrogait.commands`; each module has ``register(app)``. User mistakes raise
:class:`retrogait.errors.RetrogaitError` subclasses; :func:`main` prints them as one line
(``retrogait: error: ...``) on stderr and exits with the class's exit code (see :mod:`retrogait.errors`).
Bad options are reported by typer itself (exit code 2).
"""

from __future__ import annotations

import importlib
import sys

import typer

from retrogait import __version__
from retrogait.errors import RetrogaitError

COMMAND_MODULES = ("fileio", "simulate", "analyze", "record", "history", "batch", "walk_tests")

app = typer.Typer(
    name="retrogait",
    help=(
        "A shoe-mounted IMU gait lab, built first for backward walking.\n\n"
        "Typical use: record from a shoe IMU (retrogait record), analyze the file (retrogait analyze), "
        "keep the results (retrogait add) and compare weeks (retrogait compare). "
        "Try it without hardware: retrogait analyze sample_data/backward_treadmill_5pct.rgt"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"retrogait {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """A shoe-mounted IMU gait lab, built first for backward walking."""


for _name in COMMAND_MODULES:
    importlib.import_module(f"retrogait.commands.{_name}").register(app)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app on ``argv`` (default: ``sys.argv[1:]``); always exits."""
    try:
        app(args=argv, prog_name="retrogait")
    except RetrogaitError as exc:
        typer.echo(f"retrogait: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("retrogait: interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
