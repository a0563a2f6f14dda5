"""The public API's numpydoc docstrings document exactly the parameters the functions take."""

from __future__ import annotations

import inspect
import re

import pytest

import retrogait
from retrogait.analysis.calibration import calibrate_stream, profile_mounts
from retrogait.balance.metrics import session_metrics
from retrogait.batch.api import analyze_many
from retrogait.history.store import store_result

PUBLIC = [retrogait.analyze, retrogait.load_recording, calibrate_stream, profile_mounts, store_result, session_metrics,
          analyze_many]


def documented(func) -> list[str]:
    """Parameter names in the numpydoc ``Parameters`` section (``a, b : type`` documents two)."""
    doc = inspect.getdoc(func) or ""
    m = re.search(r"^Parameters\n-+\n(.*?)(?:^\w[^\n]*\n-+\n|\Z)", doc, re.S | re.M)
    assert m, f"{func.__qualname__}: no numpydoc Parameters section"
    names = []
    for line in m.group(1).splitlines():
        head = re.match(r"^([A-Za-z_][\w, ]*?)\s*:", line)
        if head and not line.startswith(" "):
            names += [n.strip() for n in head.group(1).split(",")]
    return names


@pytest.mark.parametrize("func", PUBLIC, ids=lambda f: f.__qualname__)
def test_documented_parameters_are_the_real_ones(func):
    real = [p for p in inspect.signature(func).parameters if p not in ("self", "cls")]
    assert documented(func) == real
    doc = inspect.getdoc(func) or ""
    assert "Returns\n-------" in doc, f"{func.__qualname__}: no Returns section"


def test_the_checker_sees_a_missing_parameter():
    def f(a: int, b: int) -> int:
        """Add.

        Parameters
        ----------
        a : int
            One.

        Returns
        -------
        int
        """
        return a + b

    assert documented(f) == ["a"]
