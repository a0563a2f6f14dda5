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

    import retrogait
    from conftest import SAMPLE_DATA

    path = SAMPLE_DATA / "backward_treadmill_5pct.rgt"
    truth = json.loads(path.with_suffix(".truth.json").read_text())["totals"]
    res = retrogait.analyze(retrogait.load_recording(path))
    assert len(res.strides.stride_length) == truth["strides"]
    assert set(res.strides.direction) == {"backward"}
    assert np.mean(res.strides.stride_length) == pytest.approx(truth["mean_stride_length_m"], rel=0.03)
