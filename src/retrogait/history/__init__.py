"""Session history: an SQLite database of analyzed sessions, week-over-week comparison, trends.

>>> from retrogait.history import connect, store_result      # doctest: +SKIP
>>> store_result(None, rec, analyze(rec), "walk.rgt")          # doctest: +SKIP
"""

from __future__ import annotations

from retrogait.history.db import connect, default_db_path
from retrogait.history.store import store_result, store_session

__all__ = ["connect", "default_db_path", "store_result", "store_session"]
