"""Wireless packet loss in the simulator: burst lengths, lost fraction, the packet counter."""

from __future__ import annotations

import numpy as np
import pytest

from retrogait.simulator import Scenario, SensorSpec, Stand, Walk, preset, simulate
from retrogait.simulator.imu import packet_bursts


def _runs(lost: np.ndarray) -> np.ndarray:
    """Lengths of the runs of True in a mask."""
    edges = np.diff(np.concatenate([[0], lost.astype(int), [0]]))
    return np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)


@pytest.mark.parametrize("fraction,burst", [(0.05, (2, 11)), (0.10, (2, 11)), (0.07, (3, 5))])
def test_bursts_have_the_requested_lengths_and_fraction(fraction, burst):
    lost = packet_bursts(20000, fraction, burst, np.random.default_rng(1))
    runs = _runs(lost)
    assert runs.min() >= burst[0] and runs.max() <= burst[1]
    assert abs(lost.mean() - fraction) <= burst[1] / 20000
    assert not lost[0] and not lost[-1]
    if burst == (2, 11):
        assert set(runs) == set(range(2, 12))  # every length occurs


def test_simulated_packet_loss_and_counter():
    sc = preset("fast-walking", duration=30, packet_loss=0.08)
    res = simulate(sc, seed=4, trajectory=False)
    s = res.recording.streams[0]
    n_all = int(round(res.truth.info["duration_s"] * 100)) + 1
    assert 0.08 <= 1 - s.n / n_all <= 0.08 + 11 / n_all  # within one burst
    idx = np.round(s.t * 100).astype(int)
    np.testing.assert_array_equal(res.packets["left"], idx % 65536)
    assert res.packets["left"].dtype == np.uint16 and s.device["packet_counter_bits"] == 16
    gaps = np.diff(idx) - 1
    assert set(gaps[gaps > 0]) <= set(range(2, 12))
    assert len(res.truth.info["gaps"]["left"]) == int((gaps > 0).sum())
    # the same seed gives the same bytes; walking without packet loss is untouched by the option
    again = simulate(sc, seed=4, trajectory=False)
    assert again.recording.streams[0].acc.tobytes() == s.acc.tobytes()
    assert not simulate(preset("fast-walking", duration=10), seed=4, trajectory=False).packets


def test_counter_wraps_at_8_and_16_bits():
    sc = Scenario([Stand(2), Walk(n_strides=3), Stand(1)],
                  sensor=SensorSpec(rate=200, packet_counter=8, noise=0.0))
    res = simulate(sc, seed=1, trajectory=False)
    c = res.packets["left"]
    assert c.dtype == np.uint8 and c.max() == 255 and np.count_nonzero(np.diff(c.astype(int)) == -255) >= 3
    sc.sensor = SensorSpec(rate=1000, packet_loss=0.05, noise=0.0)
    sc.segments = [Stand(70)]
    c16 = simulate(sc, seed=1, trajectory=False).packets["left"]
    assert c16.max() > 65000 and (np.diff(c16.astype(int)) < 0).sum() == 1


@pytest.mark.parametrize("kw,needle", [
    (dict(packet_loss=0.7), "packet_loss"),
    (dict(packet_counter=12), "8 or 16"),
    (dict(packet_burst=(5, 2)), "packet_burst"),
])
def test_bad_packet_settings_are_one_line_errors(kw, needle):
    with pytest.raises(ValueError, match=needle) as exc:
        SensorSpec(**kw)
    assert "\n" not in str(exc.value)
