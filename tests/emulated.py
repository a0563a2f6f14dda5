"""Helpers of the recording tests that compare a file with what the emulator sent."""

from __future__ import annotations

import numpy as np

from retrogait.device.emulator import Emulator


def distinct_source(n: int = 20000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Distinct random samples (each recorded row identifies the sent sample), well inside the range."""
    rng = np.random.default_rng(seed)
    return rng.normal(0, 12, (n, 3)), rng.normal(0, 3, (n, 3))


def index_in_sent(emu: Emulator, acc: np.ndarray, gyr: np.ndarray) -> np.ndarray:
    """Session index of each recorded sample among the emulator's intact samples sent (-1: none)."""
    sa, sg, _, _, glob = emu.sent()
    key = {tuple(r): int(g) for r, g in zip(np.hstack([sa, sg]).astype(np.float32), glob)}
    rows = np.hstack([acc, gyr]).astype(np.float32)
    return np.array([key.get(tuple(r), -1) for r in rows])
