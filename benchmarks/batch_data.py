"""Simulated study data for the batch benchmarks: N ten-minute sessions of several subjects.

Session k (0-based) is subject ``p{k // 10 + 1:02d}``, one of three scenarios (backward treadmill,
forward treadmill, mixed walking), both feet every fifth session, seed k: the same call always writes
the same files. Files already present are kept (so an interrupted generation resumes).

Run: python3 benchmarks/batch_data.py OUTDIR [--n 200] [--minutes 10] [--jobs 2]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
from datetime import UTC, datetime, timedelta
from pathlib import Path

SCENARIOS = ("backward-treadmill", "forward-treadmill", "mixed")


def make_one(args: tuple[str, int, float]) -> str:
    """Write session ``k`` of the study into ``outdir`` (skipped when it exists); returns its path."""
    from retrogait.io.fileformat import write_recording
    from retrogait.simulator import preset, simulate

    outdir, k, minutes = args
    subject = f"p{k // 10 + 1:02d}"
    start = datetime(2026, 1, 5, 9, tzinfo=UTC) + timedelta(days=k % 10 * 3, minutes=k // 10)
    path = Path(outdir) / subject / f"{subject}_{start:%Y-%m-%d}_{k:04d}.rgt"
    if path.exists():
        return str(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    name = SCENARIOS[k % len(SCENARIOS)]
    feet = ("left", "right") if k % 5 == 4 else ("left",)
    sc = preset(name, duration=minutes * 60.0, feet=feet, subject=subject,
                start_time=start.isoformat().replace("+00:00", "Z"))
    rec = simulate(sc, seed=k, trajectory=False).recording
    tmp = path.with_suffix(".rgt.part")
    write_recording(tmp, rec)
    tmp.rename(path)
    return str(path)


def make_study(outdir: str | Path, n: int, minutes: float = 10.0, jobs: int = 2) -> list[str]:
    """Write (or keep) the ``n`` sessions; returns their paths, sorted."""
    work = [(str(outdir), k, minutes) for k in range(n)]
    if jobs <= 1:
        return sorted(map(make_one, work))
    with mp.get_context("spawn").Pool(jobs) as pool:
        return sorted(pool.map(make_one, work, chunksize=1))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    paths = make_study(a.outdir, a.n, a.minutes, a.jobs)
    print(f"{len(paths)} sessions in {a.outdir}")
