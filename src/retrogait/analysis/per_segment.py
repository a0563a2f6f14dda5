"""Per-segment result tables filled chunk by chunk (the recording is integrated in chunks)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T", bound="PerSegment")


@dataclass
class PerSegment:
    """Base of a dataclass whose fields are arrays with one row per segment."""

    @classmethod
    def empty(cls: type[T], m: int, **shapes: Any) -> T:
        """A table of ``m`` rows of zeros (``shapes``: extra trailing shape or dtype per field name)."""
        out: dict[str, np.ndarray] = {}
        for f in fields(cls):
            extra = shapes.get(f.name, ())
            if isinstance(extra, type):
                out[f.name] = np.zeros(m, dtype=extra)
            else:
                out[f.name] = np.zeros((m, *extra))
        return cls(**out)

    def put(self, rows: slice, part: PerSegment) -> None:
        """Copy the rows of a chunk's table into ``rows``."""
        for f in fields(self):
            getattr(self, f.name)[rows] = getattr(part, f.name)
