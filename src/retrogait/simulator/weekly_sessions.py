"""Filling a history database with simulated people (for tests, the validation benchmark and demos)."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, date, datetime, time, timedelta

import numpy as np

from retrogait.balance.metrics import session_metrics
from retrogait.history.store import SessionInfo, store_session
from retrogait.simulator.stride_series import weekly_schedule


def week_monday(iso_week: str) -> date:
    """The Monday of an ISO week such as ``2026-W40``."""
    year, week = iso_week.upper().split("-W")
    return date.fromisocalendar(int(year), int(week), 1)


def _start_time(monday: date, week: int, k: int) -> str:
    """Session k of week ``week`` (1-based from ``monday``): two days apart, at 09:00 UTC."""
    day = monday + timedelta(days=7 * (week - 1) + 2 * k)
    return datetime.combine(day, time(9), tzinfo=UTC).isoformat().replace("+00:00", "Z")


def add_simulated_sessions(
    conn: sqlite3.Connection,
    subject: str,
    sessions: list[tuple[int, dict]],
    *,
    first_week: str = "2026-W40",
    condition: str | None = "treadmill",
    belt_speed: float | None = 0.8,
    incline_pct: float | None = 0.0,
    n_boot: int = 50,
) -> list[int]:
    """Store ``(week index from 1, stride table)`` pairs as sessions of ``subject``; returns the ids.

    Sessions of one week are two days apart from the week's Monday, at 09:00 UTC.
    """
    monday = week_monday(first_week)
    ids: list[int] = []
    per_week: dict[int, int] = {}
    for week, table in sessions:
        k = per_week.get(week, 0)
        per_week[week] = k + 1
        start = _start_time(monday, week, k)
        metrics = session_metrics(table, n_boot=n_boot, seed=len(ids))
        metrics.condition, metrics.belt_speed, metrics.incline_pct = condition, belt_speed, incline_pct
        digest = hashlib.sha256(f"{subject}|{start}|{table['stride_time'][:8].tobytes()!r}".encode()).hexdigest()
        info = SessionInfo(subject=subject, start_time=start, condition=condition, belt_speed=belt_speed,
                           incline_pct=incline_pct, duration=float(table["t_end"].max()),
                           feet=",".join(metrics.feet), n_strides=len(table["stride_time"]),
                           path=f"simulated/{subject}/{start[:10]}.rgt", sha256=digest)
        ids.append(store_session(conn, info, metrics)[0])
    return ids


def simulated_recordings(
    weeks: list[int],
    per_week: int = 2,
    *,
    change_after_week: int | None = None,
    cv_factor: float = 0.7,
    strides: int = 150,
    stride_time_cv: float = 0.035,
    day_to_day: float = 0.05,
    speed: float = 0.6,
    seed: int = 0,
    first_week: str = "2026-W40",
    subject: str = "sim-person",
):
    """Yield ``(week, SimResult)``: one simulated person's backward treadmill sessions, produced by the
    IMU simulator (so they go through the whole pipeline: recording -> analyze -> metrics).

    The stride-time CV of a session is ``stride_time_cv`` wobbling by ``day_to_day`` (relative SD)
    from session to session, times ``cv_factor`` after week ``change_after_week``.
    """
    from retrogait.simulator import Environment, Scenario, SensorSpec, Stand, Walk, simulate

    rng = np.random.default_rng(seed)
    monday = week_monday(first_week)
    for week, k, factors in weekly_schedule(weeks, per_week, change_after_week, cv_factor, day_to_day, rng):
        walk = Walk("backward", n_strides=strides, speed=speed, cv_stride_time=stride_time_cv * factors[0])
        scenario = Scenario(
            segments=[Stand(2.0), walk, Stand(2.0)], environment=Environment(treadmill=True),
            sensor=SensorSpec(rate=100.0), subject=subject, start_time=_start_time(monday, week, k),
        )
        yield week, simulate(scenario, seed=int(rng.integers(2**31)), trajectory=False)
