"""Live stride counting of the recorder (analysis on a sliding window, and the fallback counter)."""

from __future__ import annotations

import numpy as np
import pytest

from retrogait.device.live import LiveStrides, StancePhaseCounter
from retrogait.simulator import preset, simulate


@pytest.fixture(scope="module")
def walk():
    return simulate(preset("backward-treadmill", duration=40, rate=100), seed=5)


def _play(live: LiveStrides, s, every: float = 2.0):
    """Feed the stream in 0.1 s chunks, updating every ``every`` s as the recorder does."""
    step = int(round(0.1 * 100))
    next_update = every
    for i in range(0, s.n, step):
        live.add(0, s.t[i:i + step], s.acc[i:i + step], s.gyr[i:i + step])
        if s.t[min(i + step, s.n) - 1] >= next_update:
            live.update_now()
            next_update += every


def test_live_counts_match_the_truth(walk):
    s = walk.recording.streams[0]
    live = LiveStrides([s.foot])
    _play(live, s)
    truth = walk.truth.strides
    n_truth = len(truth.t_end)
    assert live.method == "analysis"
    # strides ending in the last 0.5 s of the session are not counted yet (still open in a live window)
    assert n_truth - 2 <= live.counts["strides"] <= n_truth
    assert live.counts.get("backward", 0) >= live.counts["strides"] - 1
    steps_per_min = 60.0 * 2 * (n_truth - 1) / (truth.t_end[-1] - truth.t_end[0])
    assert live.cadence(float(s.t[-1])) == pytest.approx(steps_per_min, rel=0.1)
    ends = np.array([te for _, te in live.stride_ends])
    assert np.all(np.diff(ends) > 0)  # each stride counted once


def test_fallback_counter_without_analysis(walk):
    s = walk.recording.streams[0]
    live = LiveStrides([s.foot], use_analysis=False)
    _play(live, s)
    assert live.method.startswith("stance counter")
    assert abs(live.counts["strides"] - len(walk.truth.strides.t_end)) <= 2
    counter = StancePhaseCounter()
    counter.update(s.t, np.zeros_like(s.gyr))
    assert counter.times == []  # standing still: no stride
    spinning = np.tile([[0.0, 0.0, 3.0]], (len(s.t), 1))
    counter.update(s.t, spinning)
    assert counter.times == []  # never still: no stance, no stride


def test_live_view_counts_running_strides():
    run = simulate(preset("backward-running", duration=30, rate=100), seed=3)
    s = run.recording.streams[0]
    live = LiveStrides([s.foot])
    _play(live, s)
    n_run = int(np.sum(run.truth.strides.gait == "run"))
    assert live.counts["strides"] >= n_run - 3
    assert live.counts.get("running", 0) >= n_run - 4  # all but the first and the last few
    assert live.counts.get("backward", 0) >= live.counts["strides"] - 2
