"""Walk-test scores in the history: a test session is stored like any session, plus its score as a
metric of the test's walking direction, so ``compare`` / ``trend`` / the session report judge it like
any other metric (with its own MDC: :data:`retrogait.balance.catalog.METRICS`).

A recording is a test recording when ``retrogait add --test NAME`` says so, or when it carries the tag
``test`` (``retrogait record --tag test=3mbwt``; the simulator's presets write it). Timed walks read
``test_distance_m`` (default 10) and ``test_direction`` (default forward) from the tags.

=================  ==================  ===========  ============================================
test               metric              direction    value
=================  ==================  ===========  ============================================
``3mbwt``          ``bwt3m_time``      backward     mean 3-m time of the scored trials, s
``timed-walk``     ``timed_walk_speed``  the walk's  mean gait speed over the middle part, m/s
=================  ==================  ===========  ============================================
"""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np

from retrogait.errors import NoGaitError, UsageProblem

TESTS = ("3mbwt", "timed-walk")


def test_of(recording: Any, test: str | None) -> str | None:
    """The test named on the command line, else by the recording's ``test`` tag; None for neither."""
    name = test if test is not None else recording.tags.get("test") if recording.tags else None
    if name is None or name == "":
        return None
    name = str(name).strip().lower()
    if name not in TESTS:
        raise UsageProblem(f"test {name!r}: expected one of {', '.join(TESTS)}")
    return name


def score(recording: Any, result: Any, test: str) -> tuple[str, str, float, float, int, str]:
    """``(direction, metric, mean, standard error, trials, summary text)`` of a test recording;
    NoGaitError when no trial could be scored."""
    from retrogait.clinical import three_m_backward_walk, timed_walk

    tags = recording.tags or {}
    if test == "3mbwt":
        res = three_m_backward_walk(result.strides)
        direction, metric, unit = "backward", "bwt3m_time", "s"
    else:
        direction = str(tags.get("test_direction", "forward"))
        if direction not in ("forward", "backward"):
            raise UsageProblem(f"tag test_direction={direction!r}: expected forward or backward")
        try:
            distance = float(tags.get("test_distance_m", 10.0))
        except (TypeError, ValueError):
            raise UsageProblem(f"tag test_distance_m={tags.get('test_distance_m')!r}: expected metres") from None
        res = timed_walk(result.strides, distance=distance, direction=direction, exclude=min(2.0, distance / 4))
        metric, unit = "timed_walk_speed", "m/s"
    values = res.values()
    values = values[np.isfinite(values)]
    if values.size == 0:
        why = "; ".join(res.notes + [t.note for t in res.trials if t.note]) or "nothing scored"
        raise NoGaitError(f"{test}: no trial could be scored ({why})")
    se = float(np.std(values, ddof=1) / math.sqrt(values.size)) if values.size >= 2 else math.nan
    text = f"{test} {float(np.mean(values)):.2f} {unit} from {values.size} trial(s)"
    return direction, metric, float(np.mean(values)), se, int(values.size), text


def store_test_session(conn: sqlite3.Connection, recording: Any, result: Any, path: Path | str, *,
                       subject: str | None, test: str) -> tuple[int, bool, str]:
    """Store an analyzed test recording with its score: ``(session id, added, score text)``."""
    from retrogait.balance.metrics import DirectionMetrics, MetricValue, session_metrics
    from retrogait.history import store

    direction, metric, value, se, n, text = score(recording, result, test)
    sha = store.file_sha256(path)
    existing = store.find_hash(conn, sha)
    if existing is not None:
        return existing, False, text
    metrics = session_metrics(result.strides, recording)
    d = metrics.directions.get(direction)
    if d is None:
        d = metrics.directions[direction] = DirectionMetrics(direction, 0, 0, math.nan, math.nan, 0.0)
    d.metrics[metric] = MetricValue(value, se, n)
    info = store.session_info(recording, metrics, sha, str(Path(path).resolve()), subject,
                              len(result.strides.stride_time))
    sid, added = store.store_session(conn, info, metrics)
    return sid, added, text
