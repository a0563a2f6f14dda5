"""Mutation run over the core modules: do the tests catch realistic bugs?

Each mutant is one deliberate, realistic bug (a wrong event, a dropped abs(), a sign, a plain instead
of a block bootstrap...) applied alone to a temporary checkout of the source tree (``git worktree add``
of ``--rev``, default HEAD; the shared working tree is never touched). The tests relevant to the
mutated module then run against it (``PYTHONPATH=<checkout>/src``, stop at the first failure): the
mutant is *killed* when they fail, *survives* when they pass. The kill rate is the share killed.

The snapshot tests (``tests/test_snapshots.py``) are left out on purpose: they fail on any change of
the results whatsoever, so they would kill every analysis mutant and say nothing about whether the
*accuracy* tests can tell a bug from the truth.

``--before`` measures the kill rate the tests had before issue 13's truth tests: it removes
``tests/test_truth_*.py`` from the checkout and reverse-applies the tolerance tightening of
``tests/test_analysis.py`` and ``tests/test_balance_metrics.py`` (:data:`BEFORE_REVERTS`).
``--tests-rev REV`` takes the tests (``tests/``) from another commit instead. A mutant whose source line no longer exists (the code
moved) is reported as ``n/a`` and left out of the rate.

Run (CPU heavy: ~20 mutants x 10-40 s of tests)::

    python3 benchmarks/mutation_run.py                 # all mutants, tests of --rev (HEAD)
    python3 benchmarks/mutation_run.py --before        # the same mutants, the tests before issue 13
    python3 benchmarks/mutation_run.py --only A1,A5,A6,B1
    python3 benchmarks/mutation_run.py --list
    python3 benchmarks/mutation_run.py --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ANALYSIS_TESTS = ("tests/test_analysis.py", "tests/test_analysis_running.py", "tests/test_truth_strides.py",
                  "tests/test_analysis_real.py")
BALANCE_TESTS = ("tests/test_balance_metrics.py", "tests/test_truth_balance.py", "tests/test_balance_real.py")
HISTORY_TESTS = ("tests/test_history_compare.py",)
#: (commit, test file): the tolerance changes of issue 13, undone by ``--before``
BEFORE_REVERTS = (("705a4ff", "tests/test_analysis.py"), ("89c5ace", "tests/test_balance_metrics.py"))


@dataclass(frozen=True)
class Mutant:
    key: str
    path: str  # under src/retrogait/
    old: str  # must occur exactly once
    new: str
    what: str
    tests: tuple[str, ...]


MUTANTS = (
    # --- analysis: events and timing
    Mutant("A1", "analysis/events.py",
           "    t_tc = _plateau_onset(traj, sw.tilt, sw.first_ext, t, s.tc_plateau)\n",
           "    t_tc = t[traj.idx[sw.first_ext]]\n",
           "terminal contact at the pitch extreme instead of its plateau onset", ANALYSIS_TESTS),
    Mutant("A2", "analysis/events.py", "0.5 * (a - c) / den", "0.5 * (c - a) / den",
           "sub-sample IC refinement with the wrong sign", ANALYSIS_TESTS),
    Mutant("A3", "analysis/stride_table.py", "    swing = t_ic - t_tc\n", "    swing = t_ic - t_start\n",
           "swing time measured from the stride start (mid-stance) instead of TC", ANALYSIS_TESTS),
    Mutant("A4", "analysis/stride_table.py", "    stance_time = stride_time - swing\n",
           "    stance_time = t_end - t_start - swing\n",
           "stance time from the mid-stance interval instead of the IC-to-IC stride time", ANALYSIS_TESTS),
    # --- analysis: spatial parameters
    Mutant("A5", "analysis/parameters.py", "    height = p[:, 2] - d[:, 2] * frac\n", "    height = p[:, 2]\n",
           "clearance that ignores the climb on an incline", ANALYSIS_TESTS),
    Mutant("A6", "analysis/parameters.py", "across = np.abs(p[:, 1] * u[:, 0] - p[:, 0] * u[:, 1])",
           "across = p[:, 1] * u[:, 0] - p[:, 0] * u[:, 1]",
           "lateral excursion without its abs()", ANALYSIS_TESTS),
    Mutant("A7", "analysis/stride_table.py", "    length = np.hypot(d[k, 0], d[k, 1])\n",
           "    length = 1.015 * np.hypot(d[k, 0], d[k, 1])\n",
           "a 1.5 % scale error in stride length", ANALYSIS_TESTS),
    Mutant("A8", "analysis/stride_table.py", "    length = np.hypot(d[k, 0], d[k, 1])\n",
           "    length = np.linalg.norm(d[k], axis=1)\n",
           "stride length in 3-D (includes the climb) instead of horizontal", ANALYSIS_TESTS),
    Mutant("A9", "analysis/stride_table.py", "    turn = np.angle(np.exp(1j * kin.yaw_end[k]))\n",
           "    turn = -np.angle(np.exp(1j * kin.yaw_end[k]))\n",
           "turning angle with the wrong sign", ANALYSIS_TESTS),
    Mutant("A10", "analysis/stride_table.py", "    strike_angle = pitch_ic - pitch_ff\n",
           "    strike_angle = pitch_ff - pitch_ic\n",
           "strike angle with the wrong sign (rearfoot read as forefoot)", ANALYSIS_TESTS),
    Mutant("A11", "analysis/incline.py", 'np.where(direction == "backward", -1.0, np.nan)',
           'np.where(direction == "backward", 1.0, np.nan)',
           "grade of backward strides not mirrored (a backward walker faces downhill)", ANALYSIS_TESTS),
    Mutant("A12", "analysis/sensor_errors.py",
           "    return bias if np.linalg.norm(bias) < s.max_gyro_bias else np.zeros(3)\n",
           "    return np.zeros(3)\n",
           "gyro bias not removed", ANALYSIS_TESTS),
    Mutant("A13", "analysis/summary.py", '"cadence_steps_per_min": 120.0 / stride_time',
           '"cadence_steps_per_min": 60.0 / stride_time',
           "cadence in strides instead of steps per minute (one foot)", ANALYSIS_TESTS),
    # --- balance metrics
    Mutant("B1", "balance/metrics.py", "idx = block_bootstrap_indices(n, n_boot, rng)",
           "idx = block_bootstrap_indices(n, n_boot, rng, block=1)",
           "a plain instead of a block bootstrap", BALANCE_TESTS),
    Mutant("B2", "balance/bootstrap.py", "round(2.0 * n ** (1.0 / 3.0))", "round(n ** (1.0 / 3.0))",
           "bootstrap blocks half as long", BALANCE_TESTS),
    Mutant("B3", "balance/metrics.py", "return np.nanstd(x, axis=1, ddof=1)", "return np.nanstd(x, axis=1)",
           "SD with ddof=0", BALANCE_TESTS),
    Mutant("B4", "balance/metrics.py", "    pair_ok = next_is_consecutive(seq) & used & np.r_[used[1:], False]\n",
           "    pair_ok = used & np.r_[used[1:], False]\n",
           "RMSSD / regularity pairs across pauses and gaps", BALANCE_TESTS),
    Mutant("B5", "balance/selection.py", "EDGE_STRIDES = 2\n", "EDGE_STRIDES = 0\n",
           "bout starts and ends kept in the steady series", BALANCE_TESTS),
    Mutant("B6", "balance/metrics.py", "rows = np.maximum(a, b) / np.minimum(a, b)", "rows = a / b",
           "symmetry ratio left/right instead of larger/smaller", BALANCE_TESTS),
    Mutant("B7", "balance/dfa.py", "        resid = seg - slope[:, :, None] * tc\n", "        resid = seg\n",
           "DFA without the linear detrending per box", BALANCE_TESTS),
    # --- history
    Mutant("H1", "history/reliable_change.py", "stats.t.ppf(1.0 - alpha / 2.0, nb - 1)",
           "stats.t.ppf(1.0 - alpha, nb - 1)",
           "one-sided t quantile in the personal change threshold", HISTORY_TESTS),
)


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 900) -> tuple[int, str]:
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def pytest_env(checkout: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(checkout / "src")
    shared = Path(os.environ.get("RETROGAIT_SHARED_DATA", ROOT.parent / "shared" / "data"))
    if shared.is_dir():  # the checkout lives elsewhere: point it at the real reference data
        env["RETROGAIT_SHARED_DATA"] = str(shared)
    env.pop("RETROGAIT_UPDATE_SNAPSHOTS", None)
    return env


def run_tests(checkout: Path, tests: tuple[str, ...], timeout: float) -> tuple[str, float, str]:
    """('pass' | 'fail' | 'error', seconds, last lines of the output)."""
    files = [t for t in tests if (checkout / t).is_file()]
    t0 = time.time()
    try:
        code, out = run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *files], checkout,
                        pytest_env(checkout), timeout)
    except subprocess.TimeoutExpired:
        return "error", time.time() - t0, "timeout"
    tail = "\n".join(out.strip().splitlines()[-3:])
    state = "pass" if code == 0 else ("fail" if code == 1 else "error")
    return state, time.time() - t0, tail


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rev", default="HEAD", help="source commit to mutate (default HEAD)")
    ap.add_argument("--tests-rev", help="take tests/ from this commit instead (e.g. before the truth tests)")
    ap.add_argument("--before", action="store_true",
                    help="the tests as before issue 13: no tests/test_truth_*.py, the old tolerances")
    ap.add_argument("--only", help="comma-separated mutant keys")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--timeout", type=float, default=900.0, help="per test run, s")
    args = ap.parse_args(argv)
    mutants = [m for m in MUTANTS if not args.only or m.key in args.only.split(",")]
    if args.list:
        for m in mutants:
            print(f"{m.key:4s} {m.path:28s} {m.what}")
        return 0

    checkout = Path(tempfile.mkdtemp(prefix="retrogait-mutation-"))
    shutil.rmtree(checkout)
    code, out = run(["git", "worktree", "add", "--detach", str(checkout), args.rev], ROOT)
    if code:
        print(out, file=sys.stderr)
        return 2
    results = []
    try:
        if args.tests_rev:
            run(["git", "rm", "-r", "-q", "--cached", "tests"], checkout)
            shutil.rmtree(checkout / "tests")
            code, out = run(["git", "checkout", args.tests_rev, "--", "tests"], checkout)
            if code:
                print(out, file=sys.stderr)
                return 2
        if args.before:
            for f in (checkout / "tests").glob("test_truth_*.py"):
                f.unlink()
            for commit, path in BEFORE_REVERTS:
                diff = run(["git", "diff", f"{commit}^", commit, "--", path], checkout)[1]
                p = subprocess.run(["git", "apply", "-R"], cwd=checkout, input=diff, capture_output=True, text=True)
                if p.returncode:
                    print(f"cannot undo {commit} in {path}: {p.stderr.strip()}", file=sys.stderr)
                    return 2
        rev = run(["git", "rev-parse", "--short", "HEAD"], checkout)[1].strip()
        tests_from = args.tests_rev or args.rev
        print(f"source {args.rev} ({rev}), tests {tests_from}{' as before issue 13' if args.before else ''}; "
              f"{len(mutants)} mutants")
        # the tests must pass on the unmutated source first
        for tests in sorted({m.tests for m in mutants}):
            state, sec, tail = run_tests(checkout, tests, args.timeout)
            print(f"baseline {', '.join(Path(t).stem for t in tests)}: {state} ({sec:.0f} s)")
            if state != "pass":
                print(tail, file=sys.stderr)
                return 2
        for m in mutants:
            file = checkout / "src" / "retrogait" / m.path
            text = file.read_text() if file.is_file() else ""
            if text.count(m.old) != 1:
                results.append({"key": m.key, "what": m.what, "path": m.path, "state": "n/a", "seconds": 0.0,
                                "detail": "source line not found (the code moved)"})
                print(f"{m.key:4s} n/a       {m.what}")
                continue
            file.write_text(text.replace(m.old, m.new))
            try:
                state, sec, tail = run_tests(checkout, m.tests, args.timeout)
            finally:
                file.write_text(text)
            verdict = {"fail": "killed", "pass": "SURVIVED", "error": "killed*"}[state]
            results.append({"key": m.key, "what": m.what, "path": m.path, "state": verdict, "seconds": round(sec, 1),
                            "detail": tail.splitlines()[-1] if tail else ""})
            print(f"{m.key:4s} {verdict:9s} {sec:5.0f} s  {m.what}")
            sys.stdout.flush()
    finally:
        run(["git", "worktree", "remove", "--force", str(checkout)], ROOT)
    rated = [r for r in results if r["state"] != "n/a"]
    killed = [r for r in rated if r["state"].startswith("killed")]
    rate = len(killed) / len(rated) if rated else float("nan")
    print(f"kill rate: {len(killed)}/{len(rated)} = {100 * rate:.0f} %"
          + (f"; survived: {', '.join(r['key'] for r in rated if r['state'] == 'SURVIVED')}"
             if len(killed) < len(rated) else ""))
    print("(killed*: the tests errored rather than failed, e.g. a crash at import)")
    if args.json:
        Path(args.json).write_text(json.dumps({"rev": args.rev, "tests_rev": args.tests_rev or args.rev,
                                               "before_issue_13": args.before,
                                               "kill_rate": rate, "results": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
