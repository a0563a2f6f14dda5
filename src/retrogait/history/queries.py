"""Reading sessions back from the history database."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from retrogait.errors import UsageProblem


@dataclass
class StoredMetric:
    value: float
    se: float
    n: int


@dataclass
class StoredDirection:
    n_strides: int
    n_steady: int
    speed: float
    grade_pct: float
    walking_time: float
    metrics: dict[str, StoredMetric] = field(default_factory=dict)


@dataclass
class SessionMeta:
    """Session metadata kept next to the metrics (shared by what is stored and what is read back)."""

    subject: str
    start_time: str
    condition: str | None
    belt_speed: float | None
    incline_pct: float | None
    duration: float
    feet: str
    n_strides: int
    path: str


@dataclass
class StoredSession(SessionMeta):
    """One stored session with its per-direction metrics."""

    id: int = 0
    day: str = ""
    iso_week: str = ""
    directions: dict[str, StoredDirection] = field(default_factory=dict)
    note: str = ""
    tags: list[str] = field(default_factory=list)

    def value(self, direction: str, metric: str) -> float | None:
        """The stored value (None when the metric or direction is missing or NaN)."""
        d = self.directions.get(direction)
        m = d.metrics.get(metric) if d else None
        return None if m is None or m.value != m.value else m.value


def _f(x: object) -> float:
    return float("nan") if x is None else float(x)  # type: ignore[arg-type]


def subjects(conn: sqlite3.Connection) -> list[str]:
    """Subjects with at least one session, sorted."""
    return [r[0] for r in conn.execute("SELECT DISTINCT subject FROM sessions ORDER BY subject")]


def resolve_subject(conn: sqlite3.Connection, subject: str | None) -> str:
    """Check ``subject`` is in the database; None picks the only subject (an error when several)."""
    known = subjects(conn)
    if not known:
        raise UsageProblem("the history database has no sessions yet; add some with: retrogait add FILE")
    if subject is None:
        if len(known) == 1:
            return known[0]
        raise UsageProblem(f"several subjects in the history ({', '.join(known)}); choose one with --subject")
    if subject not in known:
        raise UsageProblem(f"unknown subject {subject!r}; subjects in the history: {', '.join(known)}")
    return subject


def load_sessions(conn: sqlite3.Connection, subject: str | None = None) -> list[StoredSession]:
    """All sessions (of ``subject`` when given) in start-time order, with their metrics."""
    where, args = ("WHERE subject = ?", (subject,)) if subject is not None else ("", ())
    out: dict[int, StoredSession] = {}
    for r in conn.execute(f"SELECT * FROM sessions {where} ORDER BY start_time, id", args):
        out[r["id"]] = StoredSession(
            id=r["id"], subject=r["subject"], start_time=r["start_time"], day=r["day"],
            iso_week=r["iso_week"], condition=r["condition"], belt_speed=r["belt_speed"],
            incline_pct=r["incline_pct"], duration=_f(r["duration"]), feet=r["feet"] or "",
            n_strides=r["n_strides"] or 0, path=r["path"] or "",
        )
    if not out:
        return []
    join = f"JOIN sessions s ON s.id = x.session_id {where}"
    for r in conn.execute(f"SELECT x.* FROM direction_stats x {join}", args):
        out[r["session_id"]].directions[r["direction"]] = StoredDirection(
            r["n_strides"], r["n_steady"], _f(r["speed"]), _f(r["grade_pct"]), _f(r["walking_time"])
        )
    for r in conn.execute(f"SELECT x.* FROM metric_values x {join}", args):
        d = out[r["session_id"]].directions.get(r["direction"])
        if d is not None:
            d.metrics[r["metric"]] = StoredMetric(_f(r["value"]), _f(r["se"]), r["n"])
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'session_notes'").fetchone():
        for r in conn.execute(f"SELECT x.* FROM session_notes x {join}", args):
            out[r["session_id"]].note = r["note"] or ""
            out[r["session_id"]].tags = json.loads(r["tags"] or "[]")
    return list(out.values())


def stored_body_mass(conn: sqlite3.Connection, subject: str) -> float | None:
    """``subject``'s stored body mass in kg (``add --mass``), or None (none stored, or a history made
    before schema v4 and opened read-only)."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'subjects'").fetchone():
        return None
    row = conn.execute("SELECT body_mass_kg FROM subjects WHERE subject = ?", (subject,)).fetchone()
    return None if row is None or row[0] is None else float(row[0])

