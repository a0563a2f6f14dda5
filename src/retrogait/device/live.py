"""Live view of a recording: counters per device plus live strides, forward/backward/running counts, cadence.

Strides come from the analysis core (:func:`retrogait.analysis.analyze`) run on the last
:data:`WINDOW` seconds every :data:`EVERY` seconds in a background thread; each stride is counted once,
when its end (mid-stance) is inside a window. If the analysis is not available or fails on a window,
a simple stance counter (:class:`StancePhaseCounter`, no direction) is used instead, and the view
says so.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

import numpy as np

from retrogait.io.recording import Recording, Stream

WINDOW = 12.0
EVERY = 1.0
CADENCE_WINDOW = 30.0


class StancePhaseCounter:
    """Fallback stride counter: one stride per stance, counted when the foot starts moving after being
    still (smoothed angular-rate norm below 0.6 rad/s) for at least 0.15 s. No direction."""

    STILL = 0.6
    MIN_STILL = 0.15
    MIN_INTERVAL = 0.5

    def __init__(self) -> None:
        self.last = -np.inf
        self.times: list[float] = []

    def update(self, t: np.ndarray, gyr: np.ndarray) -> None:
        if len(t) < 5:
            return
        dt = max(float(np.median(np.diff(t))), 1e-4)
        k = max(1, int(round(0.05 / dt)))
        g = np.convolve(np.linalg.norm(gyr, axis=1), np.ones(k) / k, mode="same")
        still = np.concatenate([[0], (g < self.STILL).astype(np.int8), [0]])
        d = np.diff(still)
        for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)):  # still runs [a, b)
            if b >= len(t) or (b - a) * dt < self.MIN_STILL:
                continue
            tb = float(t[b])
            if tb > t[-1] - 0.3 or tb - self.last < self.MIN_INTERVAL:
                continue
            self.last = tb
            self.times.append(tb)


class LiveStrides:
    """Keeps the recent samples of each stream and counts strides in the background."""

    def __init__(self, feet: list[str], use_analysis: bool = True) -> None:
        self.feet = feet
        self._buf: list[deque[Any]] = [deque() for _ in feet]  # of (t, acc, gyr) arrays
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {}
        self.stride_ends: list[tuple[str, float]] = []  # (foot, t_end)
        self.method = "analysis"
        self._last_end = {f: -np.inf for f in feet}
        self._fallback = [StancePhaseCounter() for _ in feet]
        self._analyze = None
        if use_analysis:
            try:
                from retrogait.analysis import analyze
                from retrogait.analysis.calibration import profile_mounts

                self._analyze = lambda rec: analyze(rec, mount=profile_mounts(rec))
            except Exception:  # noqa: BLE001 - the analysis core is optional for recording
                self._analyze = None
        if self._analyze is None:
            self.method = "stance counter (no direction)"
        self._busy = False
        self._last_run = 0.0
        self._every = EVERY

    def add(self, i: int, t: np.ndarray, acc: np.ndarray, gyr: np.ndarray) -> None:
        with self._lock:
            buf = self._buf[i]
            buf.append((t, acc, gyr))
            while buf and buf[-1][0][-1] - buf[0][0][-1] > WINDOW:
                buf.popleft()

    def maybe_update(self) -> None:
        """Start a background update every EVERY seconds, or less often when an update takes more than
        a tenth of that (never two at once)."""
        now = time.monotonic()
        if self._busy or now - self._last_run < self._every:
            return
        self._last_run = now
        self._busy = True
        threading.Thread(target=self._update, daemon=True).start()

    def _window(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        with self._lock:
            out = []
            for buf in self._buf:
                if not buf:
                    out.append((np.zeros(0), np.zeros((0, 3)), np.zeros((0, 3))))
                    continue
                out.append((np.concatenate([b[0] for b in buf]), np.concatenate([b[1] for b in buf]),
                            np.concatenate([b[2] for b in buf])))
            return out

    def _update(self) -> None:
        t0 = time.thread_time()
        try:
            win = self._window()
            if self._analyze is not None and self._update_analysis(win):
                return
            if self._analyze is not None:
                self.method = "stance counter (analysis failed on the live window)"
            for f, counter, (t, _, g) in zip(self.feet, self._fallback, win):
                before = len(counter.times)
                counter.update(t, g)
                for te in counter.times[before:]:
                    self.stride_ends.append((f, te))
                    self.counts["strides"] = self.counts.get("strides", 0) + 1
        finally:
            # at high rates the window is large: keep the live analysis under ~10 % of a core
            self._every = max(EVERY, 10.0 * (time.thread_time() - t0))
            self._busy = False

    def update_now(self) -> None:
        """Count the strides of the current window now (in this thread)."""
        self._busy = True
        self._update()

    def _update_analysis(self, win) -> bool:
        try:
            streams = [Stream(t, a, g, foot=f) for f, (t, a, g) in zip(self.feet, win) if len(t) > 50]
            if not streams:
                return True
            analyze = self._analyze
            if analyze is None:
                return True
            res = analyze(Recording(streams=streams))
        except Exception:  # noqa: BLE001 - too little data, standing still ...: not an error while live
            return False
        st = res.strides
        ends = np.asarray(st.t_end, dtype=float)
        feet = np.asarray(st.foot)
        dirs = np.asarray(st.direction)
        gaits = np.asarray(st.gait)
        for f, (t, _, _) in zip(self.feet, win):
            if len(t) == 0:
                continue
            new = (feet == f) & (ends > self._last_end[f]) & (ends <= t[-1] - 0.5)
            for te, d, g in zip(ends[new], dirs[new], gaits[new]):
                self.counts["strides"] = self.counts.get("strides", 0) + 1
                self.counts[str(d)] = self.counts.get(str(d), 0) + 1
                if g == "run":
                    self.counts["running"] = self.counts.get("running", 0) + 1
                self.stride_ends.append((f, float(te)))
            if new.any():
                self._last_end[f] = float(ends[new].max())
        self.method = "analysis"
        return True

    def cadence(self, now_t: float) -> float | None:
        """Steps per minute over the last CADENCE_WINDOW s (a stride of one foot is two steps)."""
        recent = [te for _, te in self.stride_ends if te > now_t - CADENCE_WINDOW]
        if len(recent) < 2:
            return None
        feet_seen = {f for f, te in self.stride_ends if te > now_t - CADENCE_WINDOW}
        steps_per_stride = 2.0 if len(feet_seen) == 1 else 1.0
        span = max(recent) - min(recent)
        if span <= 0:
            return None
        return 60.0 * steps_per_stride * (len(recent) - 1) / span
