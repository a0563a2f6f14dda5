"""Validate the balance metrics and the week-comparison rule on simulated people.

Prints:
 1. metric accuracy: stride-time CV etc. measured through the whole pipeline (IMU simulator ->
    analyze -> balance metrics) against the simulator's truth;
 2. false-alarm rate per metric (no true change) and power (a 30% drop of stride-time CV after
    week 4) of `retrogait compare`'s rule, on many cheap simulated people (synthetic stride tables);
 3. the same through the whole pipeline (fewer seeds);
 4. speed of the metrics for a 30-minute session.

Design of a simulated person: two sessions a week; baseline = weeks 1-4 (8 sessions), current = week
8 (2 sessions); day-to-day wobble of the true variability (5-8% relative SD). A metric whose value
never changes across the simulated sessions is marked "constant in this simulation": its 0% false
alarms say nothing about the rule.

    python benchmarks/validate_balance.py [--seeds 2000] [--sim-seeds 150] [--sections 1234]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from retrogait.analysis import analyze
from retrogait.balance import METRICS, session_metrics
from retrogait.history.compare import compare_metric
from retrogait.history.reliable_change import is_real
from retrogait.simulator.stride_series import person_sessions, synthetic_strides
from retrogait.simulator.weekly_sessions import simulated_recordings

BASE = slice(0, 8)  # weeks 1-4, two sessions each
CURRENT_WEEKS = 8


def _values(metrics_list):
    out = []
    for m in metrics_list:
        d = m.directions.get("backward")
        out.append({} if d is None else {k: (v.value, v.n) for k, v in d.metrics.items()})
    return out


def _judge(values, alarms, hits, changed, spread):
    base, cur = values[BASE], values[-2:]
    for name in METRICS:
        if not all(name in v for v in base + cur):
            continue
        r = compare_metric("backward", name, [v[name] for v in base], [v[name] for v in cur])
        if changed:
            if name == "stride_time_cv":
                hits.append(r.verdict == "improved")
        else:
            alarms.setdefault(name, []).append(is_real(r.verdict))
            session_values = [v[name][0] for v in base + cur]
            spread[name] = max(spread.get(name, 0.0), float(np.ptp(session_values)))


def _ci(p: float, n: int) -> str:
    """The rate with its Wilson 95% interval (sensible also at 0% and 100%)."""
    z = 1.959963984540054
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return f"{100 * p:5.2f}% (95% CI {100 * (centre - half):.2f}-{100 * (centre + half):.2f}%, n={n})"


def _report(title, alarms, hits, spread):
    print(f"\n{title}")
    print(f"  power: 30% drop of stride-time CV reported as improved: {_ci(np.mean(hits), len(hits))}")
    worst = 0.0
    for name, a in alarms.items():
        rate = float(np.mean(a))
        worst = max(worst, rate)
        note = "  (constant in this simulation)" if spread.get(name, 0.0) == 0.0 else ""
        print(f"  false alarms {name:24s} {_ci(rate, len(a))}{note}")
    allm = np.concatenate([np.asarray(a, float) for a in alarms.values()])
    print(f"  false alarms, all metrics pooled: {_ci(allm.mean(), allm.size)}; worst metric {100 * worst:.1f}%")


def accuracy(n_sessions: int) -> None:
    print("1. Metrics through the whole pipeline vs simulator truth (backward treadmill, 300 strides)")
    rows = []
    for _, sim in simulated_recordings(list(range(1, n_sessions + 1)), 1, strides=300, day_to_day=0.2, seed=5):
        t = sim.truth.strides
        truth = session_metrics({k: getattr(t, k) for k in (
            "foot", "t_start", "t_end", "t_ic", "t_tc", "stride_time", "stance_time", "swing_time",
            "stride_length", "direction", "bout", "steady", "turn_angle", "clearance")}, n_boot=0)
        got = session_metrics(analyze(sim.recording).strides, sim.recording, n_boot=0)
        tb, gb = truth.directions["backward"].metrics, got.directions["backward"].metrics
        steady = t.steady & (t.direction == "backward")
        mid = 100 * t.stride_time[steady].std(ddof=1) / t.stride_time[steady].mean()
        rows.append((mid, tb["stride_time_cv"].value, gb["stride_time_cv"].value,
                     tb["stride_length_cv"].value, gb["stride_length_cv"].value,
                     tb["clearance_mean"].value, gb["clearance_mean"].value, gb["stride_regularity"].value))
    a = np.array(rows)
    print(f"  stride-time CV (initial contact to initial contact): truth {a[:, 1].mean():.2f}%, measured "
          f"{a[:, 2].mean():.2f}%, bias {np.mean(a[:, 2] - a[:, 1]):+.2f} %-points, mean abs error "
          f"{np.mean(np.abs(a[:, 2] - a[:, 1])):.2f}, r = {np.corrcoef(a[:, 1], a[:, 2])[0, 1]:.2f} over {len(a)} "
          f"sessions (the simulator's mid-stance-to-mid-stance truth: {a[:, 0].mean():.2f}%)")
    print(f"  stride-length CV: truth {a[:, 3].mean():.2f}%, measured {a[:, 4].mean():.2f}% "
          f"(r = {np.corrcoef(a[:, 3], a[:, 4])[0, 1]:.2f})")
    print(f"  clearance: truth {100 * a[:, 5].mean():.1f} cm, measured {100 * a[:, 6].mean():.1f} cm; "
          f"stride regularity {a[:, 7].mean():.3f}")


def cheap(seeds: int) -> None:
    alarms: dict[str, list[bool]] = {}
    hits: list[bool] = []
    spread: dict[str, float] = {}
    for seed in range(seeds):
        for change in (None, 4):
            people = person_sessions(CURRENT_WEEKS, 2, change_after_week=change, strides=200, seed=seed)
            tables = [t for w, t in people if w <= 4 or w == CURRENT_WEEKS]
            _judge(_values([session_metrics(t, n_boot=0) for t in tables]), alarms, hits, change is not None,
                   spread)
    _report(f"2. Comparison rule on {seeds} simulated people (synthetic stride tables, 200 strides/session, "
            "8 baseline vs 2 current sessions)", alarms, hits, spread)


def full(seeds: int) -> None:
    alarms: dict[str, list[bool]] = {}
    hits: list[bool] = []
    spread: dict[str, float] = {}
    for seed in range(seeds):
        for change in (None, 4):
            sims = simulated_recordings([1, 2, 3, 4, CURRENT_WEEKS], 2, change_after_week=change, strides=150,
                                        seed=1000 + seed)
            ms = [session_metrics(analyze(s.recording).strides, s.recording, n_boot=0) for _, s in sims]
            _judge(_values(ms), alarms, hits, change is not None, spread)
    _report(f"3. Whole pipeline on {seeds} simulated people (IMU simulator -> analyze -> metrics -> compare; "
            "150 backward treadmill strides/session)", alarms, hits, spread)


def speed() -> None:
    table = synthetic_strides(1500, feet=("left", "right"), seed=1)  # ~30 min of treadmill walking
    session_metrics(table)
    t = time.perf_counter()
    for _ in range(5):
        session_metrics(table)
    print(f"\n4. Metrics of a 30-minute two-foot session (3000 strides, 200 bootstrap replicates): "
          f"{(time.perf_counter() - t) / 5 * 1000:.0f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=2000, help="simulated people for the cheap check")
    ap.add_argument("--sim-seeds", type=int, default=150, help="simulated people through the whole pipeline")
    ap.add_argument("--accuracy-sessions", type=int, default=12)
    ap.add_argument("--sections", default="1234", help="which sections to run, e.g. 23")
    args = ap.parse_args()
    t0 = time.time()
    if "1" in args.sections:
        accuracy(args.accuracy_sessions)
    if "2" in args.sections:
        cheap(args.seeds)
    if "3" in args.sections:
        full(args.sim_seeds)
    if "4" in args.sections:
        speed()
    print(f"\n(total {time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
