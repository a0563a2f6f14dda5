"""The ``retrogait`` command line: one typer app, each group of commands in its own module.

Commands live in :mod:`retrogait.commands`; each module has ``register(app)``. User mistakes raise
:class:`retrogait.errors.RetrogaitError` subclasses; :func:`main` prints them as one line
(``retrogait: error: ...``) on stderr and exits with the class's exit code (see :mod:`retrogait.errors`).
Bad options are reported by typer itself (exit code 2).
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import importlib
import re
import sys
from pathlib import Path
from typing import Any

import typer
import typer.core

from retrogait._version import __version__
from retrogait.errors import RetrogaitError

#: Every command: the module that registers it and the line the command list shows. ``retrogait
#: --help`` reads only this table; a command's module (and numpy, scipy...) is imported only when that
#: command runs or shows its own help (tests/test_cli_basics.py checks the table against the commands).
COMMANDS: dict[str, tuple[str, str]] = {
    "info": ("fileio", "Show what a recording holds and what is wrong with it"),
    "convert": ("fileio", "Convert between the native format and CSV; import gaitmap, x-io and OpenShoe files"),
    "simulate": ("simulate", "Simulate a foot-mounted IMU session and write it with its ground truth"),
    "analyze": ("analyze", "Find every stride, its direction (forward/backward/sideways) and its parameters"),
    "report": ("analyze", "Write a self-contained one-page HTML report of a session"),
    "calibrate": ("analyze", "Learn how the IMU is clipped to the shoe, from standing still then walking forward"),
    "test": ("walk_tests", "Instrumented clinical walk tests: 3-m backward walk test, 10-m and timed walks"),
    "ports": ("record", "List serial ports with their USB vendor:product id"),
    "record": ("record", "Record one or two shoe IMUs over USB into a crash-safe .rgt file, with a live view"),
    "emulate": ("record", "Pretend to be a shoe IMU on a pseudo-terminal, so `record` can be tried without hardware"),
    "add": ("history", "Analyze recordings and keep their balance metrics in the history"),
    "sessions": ("history", "List the stored sessions"),
    "remove": ("history", "Delete stored sessions"),
    "history": ("history", "Show metrics over time: one row per ISO week (or session), one column per metric"),
    "export": ("history", "Write every stored metric as plain CSV"),
    "compare": ("history", "Is the change from baseline to current real and does it matter?"),
    "trend": ("history", "Plot a metric across weeks with the baseline mean"),
    "batch": ("batch", "Analyze many recordings at once: one table of sessions, one of strides, a list of failures"),
}


class LazyGroup(typer.core.TyperGroup):
    """The root command group: lists the commands from :data:`COMMANDS` and imports a command's module
    only when that command is used (so ``retrogait --help`` starts in a fraction of a second)."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            sub = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False,
                              context_settings={"help_option_names": ["-h", "--help"]})
            sub.callback()(_group_marker)  # a callback keeps even a one-command module a group
            importlib.import_module(f"retrogait.commands.{COMMANDS[cmd_name][0]}").register(sub)
            group = typer.main.get_command(sub)
            _plain_coercion(group)
            self.commands.update(getattr(group, "commands", {}))
        return self.commands.get(cmd_name)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        plain = _plain_param_class()
        if plain is not None:
            _give_plain(option, plain)
        return option

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_) for name, (_m, help_) in COMMANDS.items()])


def _group_marker() -> None:
    """(commands of one module)"""


_INT = re.compile(r"-?[0-9]{1,18}")
_FLOAT = re.compile(r"-?(?:[0-9]{1,30}(?:\.[0-9]{1,30})?|\.[0-9]{1,30})(?:[eE]-?[0-9]{1,3})?")


def _plain_value(annotation: Any, info: Any, value: Any, param: Any, ctx: Any) -> Any:
    """``value`` of a command-line parameter as typer's pydantic adapter would give it, for the plain
    types and values where that is certain (see :func:`_plain_coercion`); :data:`_UNSURE` otherwise."""
    if isinstance(value, (list, tuple)) and getattr(annotation, "__origin__", None) is list:
        items = [_plain_value(annotation.__args__[0], info, v, param, ctx) for v in value]
        return _UNSURE if any(v is _UNSURE for v in items) else items
    if annotation is str:
        return value if type(value) is str else _UNSURE
    if annotation is float:
        if type(value) is float:
            return value
        return float(value) if type(value) is str and _FLOAT.fullmatch(value) else _UNSURE
    if annotation is int:
        if type(value) is int:
            return value
        return int(value) if type(value) is str and _INT.fullmatch(value) else _UNSURE
    if isinstance(annotation, type) and issubclass(annotation, Path):
        from typer._param_types import coerce_cli_path

        if type(value) is str and value and not (info.allow_dash or info.resolve_path):
            return coerce_cli_path(annotation(value), info, path_type=annotation, param=param, ctx=ctx)
        if isinstance(value, annotation):
            return coerce_cli_path(value, info, path_type=annotation, param=param, ctx=ctx)
    return _UNSURE


_UNSURE = object()


def _plain_coercion(command: Any) -> None:
    """Give every parameter of ``command`` (and of its subcommands) a converter for plain values that
    needs no pydantic.

    typer (0.2x) converts each option's value with a pydantic ``TypeAdapter`` built on first use (even
    for an option left out, and for ``--help``), and importing pydantic and building the adapters costs
    ~0.25 s CPU in every command, more than the analysis of a 3-minute file. Our options are plain
    (str, int, float, Path, lists of them; no min/max, parser or choices): a value such as ``"200"`` or
    ``"walk.rgt"`` is converted directly, as pydantic does (``float("200")``, ``Path("walk.rgt")``, then
    typer's own path checks). Anything else (another type, a value the simple rules do not cover, any
    error) goes to typer's own converter, so results and error messages stay typer's. A typer without
    this machinery (older or newer) is left as it is. tests/test_cli_basics.py checks the two
    converters against each other on many values.
    """
    plain = _plain_param_class()
    if plain is None:  # pragma: no cover - another typer: nothing to do
        return
    for p in getattr(command, "params", ()):
        _give_plain(p, plain)
    original = getattr(command, "get_help_option", None)
    if original is not None and not getattr(original, "_plain", False):

        def get_help_option(ctx: Any) -> Any:
            option = original(ctx)
            _give_plain(option, plain)
            return option

        get_help_option._plain = True  # type: ignore[attr-defined]
        command.get_help_option = get_help_option
    for sub in getattr(command, "commands", {}).values():
        _plain_coercion(sub)


def _give_plain(p: Any, plain: Any) -> None:
    if getattr(p, "_runtime_param", 0) is None and getattr(p, "type_descriptor", None) is not None:
        d = p.type_descriptor
        if d.file_annotation is None:
            p._runtime_param = plain(parameter_info=d.parameter_info, annotation=d.annotation, descriptor=d)


@functools.cache
def _plain_param_class() -> Any:
    """typer's runtime converter with the plain values first (None: this typer has no such thing)."""
    try:
        from typer._coercion import RuntimeParam, build_runtime_param
        from typer.core import _TyperParameter
    except ImportError:  # pragma: no cover
        return None
    if not hasattr(_TyperParameter, "get_runtime_param"):  # pragma: no cover
        return None

    @dataclasses.dataclass(frozen=True)
    class PlainParam(RuntimeParam):
        descriptor: Any

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            info = self.parameter_info
            if info.parser is None and info.min is None and info.max is None and not self.descriptor.is_choice:
                try:
                    out = _plain_value(self.annotation, info, value, param, ctx)
                except Exception:  # typer's own converter says what is wrong, in its words
                    out = _UNSURE
                if out is not _UNSURE:
                    return out
            return build_runtime_param(self.descriptor)._coerce_value(value, param, ctx)

    return PlainParam


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
    cls=LazyGroup,
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


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app on ``argv`` (default: ``sys.argv[1:]``); always exits.

    Every mistake is one line on stderr: ``retrogait: error: ...`` with the exit code of its class
    (:mod:`retrogait.errors`; 2 for a bad option or argument, as typer says it); ``--help`` and a
    command group called without a command print their help. Run as the console script (``argv``
    None), it freezes the garbage collector as the process ends (see below).
    """
    try:
        _run(argv)
    finally:
        if argv is None:  # the process ends here (not a test or a caller's process that goes on)
            # Every object moves to the collector's permanent generation, so the interpreter's final
            # collections walk nothing: they took 0.05-0.1 s after a short analysis, a fifth of the
            # command. The OS takes the memory back either way; the commands close what they write
            # (``with`` blocks) and atexit handlers still run.
            gc.freeze()


def _run(argv: list[str] | None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        code = app(args=args, prog_name="retrogait", standalone_mode=False)
    except RetrogaitError as exc:
        typer.echo(f"retrogait: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:  # typer's own: a bad option, a missing argument, no command
        if type(exc).__name__ == "NoArgsIsHelpError":
            ctx = getattr(exc, "ctx", None)
            typer.echo(ctx.get_help() if ctx is not None else "", err=False)
            sys.exit(0)
        command = " ".join(a for a in args[:2] if not a.startswith("-") and a in COMMANDS) or ""
        hint = f" (see 'retrogait {command + ' ' if command else ''}--help')"
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        typer.echo(f"retrogait: error: {message}{hint}", err=True)
        sys.exit(getattr(exc, "exit_code", 2))
    except (KeyboardInterrupt, EOFError):
        typer.echo("retrogait: interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
