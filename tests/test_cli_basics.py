"""The command line's common behaviour: version, help, one-line errors with exit codes."""

import pytest

from retrogait import __version__


def test_version(run_cli):
    code, out, _ = run_cli("--version")
    assert code == 0
    assert out.strip() == f"retrogait {__version__}"


def test_help_lists_commands(run_cli):
    code, out, _ = run_cli("--help")
    assert code == 0
    assert "backward" in out


def test_unknown_command_is_usage_error(run_cli):
    code, _, err = run_cli("no-such-command")
    assert code == 2
    assert "No such command" in err


def test_top_level_python_api_matches_the_truth():
    """``retrogait.load_recording`` + ``retrogait.analyze`` (the researchers' API) on a sample file."""
    import json

    import numpy as np
    from conftest import SAMPLE_DATA

    import retrogait

    path = SAMPLE_DATA / "backward_treadmill_5pct.rgt"
    truth = json.loads(path.with_suffix(".truth.json").read_text())["totals"]
    res = retrogait.analyze(retrogait.load_recording(path))
    assert len(res.strides.stride_length) == truth["strides"]
    assert set(res.strides.direction) == {"backward"}
    assert np.mean(res.strides.stride_length) == pytest.approx(truth["mean_stride_length_m"], rel=0.03)


def test_the_command_list_matches_the_commands_and_needs_no_heavy_import():
    """``retrogait --help`` lists the commands from a static table (no module, numpy or scipy
    imported); the table must name every command of every module with its own first line."""
    import importlib

    import typer
    import typer.main

    from retrogait.cli import COMMANDS

    modules = sorted({m for m, _ in COMMANDS.values()})
    found: dict[str, str] = {}
    for m in modules:
        sub = typer.Typer()
        sub.callback()(lambda: None)
        importlib.import_module(f"retrogait.commands.{m}").register(sub)
        for name, cmd in typer.main.get_command(sub).commands.items():
            found[name] = m
            first = " ".join((cmd.help or "").split())
            assert name in COMMANDS, f"command {name!r} of commands/{m}.py is missing from cli.COMMANDS"
            assert first.startswith(COMMANDS[name][1]), (name, first[:80])
    assert found == {name: m for name, (m, _) in COMMANDS.items()}
    code = ("import sys, contextlib, io\nfrom retrogait.cli import main\n"
            "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n    main(['--help'])\n"
            "print(sorted(m for m in ('numpy', 'scipy', 'retrogait.analysis', 'retrogait.commands.analyze') if m in sys.modules))")
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("args, words", [
    (["analyze", "x.rgt", "--mass", "abc"], "Invalid value for '--mass'"),
    (["analyze"], "Missing argument"),
    (["nosuch"], "No such command"),
    (["analyze", "--bogus"], "No such option: --bogus"),
])
def test_a_bad_option_is_one_line_with_exit_code_2(args, words):
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "retrogait", *args], capture_output=True, text=True)
    assert run.returncode == 2 and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("retrogait: error: ") and words in lines[0]


def _typer_command():
    """A throw-away command with every kind of option the commands use, and some more."""
    from pathlib import Path
    from typing import Optional

    import typer
    import typer.main

    app = typer.Typer()

    @app.command()
    def cmd(
        file: Path = typer.Argument(...),
        name: Optional[str] = typer.Option(None, "--name"),
        rate: Optional[float] = typer.Option(None, "--rate"),
        level: float = typer.Option(0.5, "--level"),
        count: Optional[int] = typer.Option(None, "--count"),
        steps: int = typer.Option(3, "--steps"),
        out: Path = typer.Option(Path("session.html"), "--out"),
        db: Optional[Path] = typer.Option(None, "--db", dir_okay=False),
        folder: Optional[Path] = typer.Option(None, "--folder", file_okay=False),
        must: Optional[Path] = typer.Option(None, "--must", exists=True),
        apply: list[Path] = typer.Option([], "--apply"),
        tags: Optional[list[str]] = typer.Option(None, "--tag"),
        ids: Optional[list[int]] = typer.Option(None, "--id"),
        pos: Optional[float] = typer.Option(None, "--pos", min=0),
        flag: bool = typer.Option(False, "--flag"),
    ) -> None:
        """(test)"""

    return typer.main.get_command(app)


@pytest.mark.parametrize("value", [
    "walk.rgt", "a/./b/", "", " x ", "-", "~/x", "sample_data", "sample_data/backward_treadmill_5pct.rgt",
    "no/such/file.rgt", "1", "-1", "+1", "007", "1.5", "1.", ".5", "1e3", "1E-3", "-2.5e-2", "1e400", " 2 ",
    "2_0", "inf", "nan", "0x10", "1.0", "-0", "12345678901234567890123", "abc", "é", "1,5", b"bytes",
    1, 2.5, True, None, ["a.rgt", "b.rgt"], ("1", "2"), ["1", "x"],
])
def test_the_plain_option_converter_gives_what_typer_gives(value, monkeypatch):
    """``retrogait.cli`` converts plain option values without pydantic (typer's own converter imports it:
    ~0.25 s in every command); the result, or the error message, must be typer's for every value."""
    from conftest import SAMPLE_DATA

    from retrogait.cli import _plain_param_class

    plain = _plain_param_class()
    if plain is None:
        pytest.skip("this typer converts with click, not with pydantic adapters")
    from typer._coercion import build_runtime_param

    monkeypatch.chdir(SAMPLE_DATA.parent)
    command = _typer_command()
    ctx = command.context_class(command)
    for p in command.params:
        d = p.type_descriptor
        mine = plain(parameter_info=d.parameter_info, annotation=d.annotation, descriptor=d)
        got, want = _outcome(mine, value, p, ctx), _outcome(build_runtime_param(d), value, p, ctx)
        assert got == want, (p.name, value, got, want)


def _outcome(runtime, value, param, ctx):
    try:
        out = runtime.coerce(value, param=param, ctx=ctx)
    except Exception as exc:  # the message is what the user sees
        return ("error", type(exc).__name__, str(getattr(exc, "message", exc)))
    return ("value", type(out).__name__, repr(out), [type(x).__name__ for x in out] if isinstance(out, list) else None)


def test_analyze_imports_only_what_it_needs():
    """``retrogait analyze FILE`` (the 0.5 s target of issue 12) imports no pydantic (typer's option
    converter), and neither the history's store when there is no history."""
    import subprocess
    import sys

    from conftest import SAMPLE_DATA

    code = ("import sys, contextlib, io\nfrom retrogait.cli import main\n"
            "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
            f"    main(['analyze', {str(SAMPLE_DATA / 'backward_treadmill_5pct.rgt')!r}])\n"
            "print(sorted(m for m in ('pydantic', 'retrogait.history.store', 'matplotlib', 'scipy') if m in sys.modules))")
    import os

    # the user's default path for a short recording (numpy; the compiled kernels' numba imports scipy)
    env = {**os.environ, "RETROGAIT_DB": os.devnull + "/no-history.sqlite", "RETROGAIT_COMPILED": "auto"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.strip() == "[]"


def test_console_script_skips_the_final_collections_and_a_caller_keeps_its_collector():
    """Run as the process's entry (``argv`` None), ``main`` freezes the collector before exiting (the
    interpreter's last collections cost 0.05-0.1 s of a short command); called with ``argv`` (tests,
    scripts that go on) it leaves the collector alone."""
    import subprocess
    import sys

    code = ("import atexit, gc, sys\nfrom retrogait.cli import main\n"
            "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0))\n"
            "sys.argv = ['retrogait', '--version']\nmain(ARGV)\n")
    for argv, frozen in (("None", True), ("['--version']", False)):
        out = subprocess.run([sys.executable, "-c", code.replace("ARGV", argv)], capture_output=True, text=True,
                             check=True).stdout
        assert out.split()[-2:] == ["frozen", str(frozen)], out
