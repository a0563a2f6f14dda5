"""The scripts in examples/ run and print what they promise (in-process: a few seconds in all)."""

from __future__ import annotations

import csv
import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run_example(name: str, *args: str, monkeypatch, capsys) -> str:
    monkeypatch.setattr("sys.argv", [str(EXAMPLES / name), *map(str, args)])
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    return capsys.readouterr().out


def test_every_example_is_tested():
    tested = {"analyze_sample.py", "strides_to_csv.py", "compare_sessions.py", "simulate_with_truth.py"}
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested


def test_analyze_sample(monkeypatch, capsys):
    out = run_example("analyze_sample.py", monkeypatch=monkeypatch, capsys=capsys)
    assert "142 strides" in out and "backward" in out and "incline +" in out


def test_strides_to_csv(tmp_path, monkeypatch, capsys):
    target = tmp_path / "strides.csv"
    sample = EXAMPLES.parent / "sample_data" / "mixed_session.rgt"
    out = run_example("strides_to_csv.py", sample, target, monkeypatch=monkeypatch, capsys=capsys)
    with open(target, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert f"{len(rows)} strides" in out and len(rows) > 50
    assert {"stride_length", "direction", "t_ic", "t_tc"} <= set(rows[0])


def test_compare_sessions(monkeypatch, capsys):
    out = run_example("compare_sessions.py", monkeypatch=monkeypatch, capsys=capsys)
    assert "-- backward" in out and "Stride time CV" in out
    # the weekly person's variability drops by 30 % from week 5 on: the CV change is beyond noise
    line = next(x for x in out.splitlines() if x.startswith("Stride time CV"))
    assert "beyond noise" in line


@pytest.mark.parametrize("seed", ["1"])
def test_simulate_with_truth(seed, monkeypatch, capsys):
    out = run_example("simulate_with_truth.py", seed, monkeypatch=monkeypatch, capsys=capsys)
    assert "30 found, 30 true" in out and "directions right: 100%" in out
