"""Choosing sessions: ISO weeks, week ranges, dates, date ranges and session ids.

A period is a comma-separated list of items, each one of::

    2026-W40                 one ISO week
    2026-W40..2026-W42       ISO weeks, inclusive
    2026-10-05               one day (UTC)
    2026-10-01..2026-10-14   days, inclusive
    17   or   12..15         session ids (see `retrogait sessions`)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from retrogait.errors import UsageProblem
from retrogait.history.queries import StoredSession

_WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$", re.IGNORECASE)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ID = re.compile(r"^#?(\d+)$")

EXPECTED = "an ISO week (2026-W40), a week range (2026-W40..2026-W42), a day or day range " \
    "(2026-10-01..2026-10-14) or session ids (12 or 12..15), comma-separated"


def _week(text: str, whole: str) -> tuple[int, int]:
    m = _WEEK.match(text)
    if not m or not 1 <= int(m.group(2)) <= 53:
        raise UsageProblem(f"period {whole!r}: {text!r} is not an ISO week; expected {EXPECTED}")
    return int(m.group(1)), int(m.group(2))


def _day(text: str, whole: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageProblem(f"period {whole!r}: {text!r} is not a date; expected {EXPECTED}") from None


def _item(item: str, whole: str) -> Callable[[StoredSession], bool]:
    lo, _, hi = item.partition("..")
    lo, hi = lo.strip(), (hi.strip() or lo.strip())
    if _WEEK.match(lo) or _WEEK.match(hi):
        a, b = _week(lo, whole), _week(hi, whole)
        return lambda s: a <= _week(s.iso_week, s.iso_week) <= b
    if _DAY.match(lo) or _DAY.match(hi):
        da, db = _day(lo, whole), _day(hi, whole)
        return lambda s: da <= date.fromisoformat(s.day) <= db
    ma, mb = _ID.match(lo), _ID.match(hi)
    if ma and mb:
        ia, ib = int(ma.group(1)), int(mb.group(1))
        return lambda s: ia <= s.id <= ib
    raise UsageProblem(f"period {whole!r}: cannot read {item!r}; expected {EXPECTED}")


def parse_period(text: str) -> Callable[[StoredSession], bool]:
    """A predicate selecting the sessions of a period (see module docstring); UsageProblem if bad."""
    items = [p.strip() for p in text.split(",") if p.strip()]
    if not items:
        raise UsageProblem(f"empty period; expected {EXPECTED}")
    tests = [_item(p, text) for p in items]
    return lambda s: any(t(s) for t in tests)


def select(sessions: list[StoredSession], period: str) -> list[StoredSession]:
    """The sessions within ``period``."""
    keep = parse_period(period)
    return [s for s in sessions if keep(s)]


def default_baseline(sessions: list[StoredSession], weeks: int = 2, at_least: int = 3) -> list[StoredSession]:
    """The sessions of the first ``weeks`` ISO weeks, extended to the first ``at_least`` sessions."""
    first = sorted({s.iso_week for s in sessions})[:weeks]
    chosen = [s for s in sessions if s.iso_week in first]
    return chosen if len(chosen) >= at_least else sessions[:at_least]
