"""Session history: an SQLite database of analyzed sessions, week-over-week comparison, trends.

>>> from retrogait.history import store_result                # doctest: +SKIP
>>> store_result(None, rec, analyze(rec), "walk.rgt")          # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from retrogait.history.db import connect, default_db_path

__all__ = ["connect", "default_db_path", "store_result", "store_session"]


def __getattr__(name: str) -> Any:
    if name in ("store_result", "store_session"):
        from retrogait.history import store

        return getattr(store, name)
    raise AttributeError(f"module 'retrogait.history' has no attribute {name!r}")
