"""Shared test fixtures: the real reference data folder and a CLI runner."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from retrogait.cli import main

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("RETROGAIT_SHARED_DATA", ROOT.parent / "shared" / "data"))
SAMPLE_DATA = ROOT / "sample_data"
REQUIRE_SHARED_DATA = os.environ.get("RETROGAIT_REQUIRE_SHARED_DATA", "").strip().lower() not in ("", "0", "no", "false")
"""CI sets ``RETROGAIT_REQUIRE_SHARED_DATA=1`` (``.ci/run``): a missing ``../shared/data`` then fails the
real-data tests instead of skipping them, so a green CI run always includes the real-data checks."""

# Property tests (Hypothesis) draw the same examples on every run unless RETROGAIT_HYPOTHESIS=random: a
# suite that passed passes again, and CI cannot fail on a draw nobody saw before (one did, 2026-11-28: a
# test's own arithmetic on an all-NaN input). Explore new draws locally with RETROGAIT_HYPOTHESIS=random.
try:
    from hypothesis import settings as _hypothesis_settings
except ImportError:  # pragma: no cover - the [test] extra installs it
    pass
else:
    _hypothesis_settings.register_profile("fixed", derandomize=True, database=None)
    _hypothesis_settings.register_profile("random")
    _hypothesis_settings.load_profile("random" if os.environ.get("RETROGAIT_HYPOTHESIS") == "random" else "fixed")

# Which per-sample code a test runs must not depend on the tests before it (numba's kernels, once loaded
# in the process, are used for shorter inputs too: retrogait.analysis.compiled). So the suite runs what
# users get: every input through the kernels compiled at install when they are there (CI requires them),
# else numpy; tests/test_compiled.py compares the paths. RETROGAIT_COMPILED=never|always|jit overrides.
if "RETROGAIT_COMPILED" not in os.environ:
    from retrogait.analysis.compiled import ahead_of_time

    os.environ["RETROGAIT_COMPILED"] = "always" if ahead_of_time() is not None else "never"


def require_shared_data() -> Path:
    """The real reference data folder; skips the test when it is absent (a fresh clone), or fails it
    when ``RETROGAIT_REQUIRE_SHARED_DATA`` is set (CI)."""
    if not SHARED_DATA.is_dir():
        if REQUIRE_SHARED_DATA:
            pytest.fail(f"real reference data not found at {SHARED_DATA} and RETROGAIT_REQUIRE_SHARED_DATA is "
                        "set: the real-data tests must run (put the data there or set RETROGAIT_SHARED_DATA)",
                        pytrace=False)
        pytest.skip(f"real reference data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` (real recordings with references): skipped when absent, failed instead when
    ``RETROGAIT_REQUIRE_SHARED_DATA`` is set (CI)."""
    return require_shared_data()


@pytest.fixture
def run_cli(capsys):
    """Run the CLI in-process: ``code, out, err = run_cli("info", "file.rgt")``."""

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
