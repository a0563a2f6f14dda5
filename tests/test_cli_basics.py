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
