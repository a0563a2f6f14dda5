"""Stride-length error sources of the zero-velocity integration, each injected alone into an ideal
simulated walk (a mis-integrated heel-strike transient, an accelerometer rest error), and the
sub-quantization-step gyro bias estimate.

Each test also checks that the error it guards against is real (the same data with the correction
switched off is clearly worse), so the test would fail if the correction stopped working.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import retrogait.analysis.strapdown as strapdown
from retrogait.analysis import analyze
from retrogait.analysis.evaluation import compare
from retrogait.analysis.ranges import range_quiet_middle
from retrogait.analysis.sensor_errors import gyro_bias, unbiased_norm
from retrogait.analysis.settings import DEFAULT
from retrogait.simulator import Scenario, SensorSpec, Stand, Walk, simulate


def ideal_walk(direction: str, speed: float, rate: float, seed: int = 3, n: int = 16):
    sc = Scenario(segments=[Stand(4), Walk(direction, n_strides=n, speed=speed), Stand(3)],
                  sensor=SensorSpec(rate=rate, noise=0.0, quantize=False))
    return simulate(sc, seed=seed, trajectory=False)


def length_errors(s, settings=DEFAULT) -> tuple[np.ndarray, np.ndarray]:
    """Stride length error (m) and true length of the steady strides."""
    c = compare(analyze(s.recording, settings=settings).strides, s.truth.strides)
    steady = s.truth.strides.steady[c["truth_index"]]
    assert steady.sum() >= 10
    return c["length_error"][steady], c["length_true"][steady]


@pytest.mark.parametrize("rate", [100.0, 200.0])
def test_velocity_step_at_heel_strike_is_removed_there(rate):
    # a heel-strike transient (ringing, mostly along the foot's vertical) whose integral is off by
    # 0.2 m/s forward, as under-sampling or clipping of a real impact leaves it
    s = ideal_walk("forward", 1.2, rate)
    st = s.recording.streams[0]
    i = np.searchsorted(st.t, s.truth.strides.t_ic)
    for k, a in enumerate((150.0, -150.0, 75.0, -75.0)):
        st.acc[i + k, 2] += a
    st.acc[i, 0] += 0.2 * rate
    err, _ = length_errors(s)
    assert np.mean(np.abs(err)) < 0.015
    # spread over the swing instead (no impact term), the same step is a false speed offset
    no_impact = replace(DEFAULT, kinematics=replace(DEFAULT.kinematics, impact_jerk=1e300))
    err_spread, _ = length_errors(s, no_impact)
    assert np.mean(np.abs(err_spread)) > 0.03


def test_gyro_bias_is_resolved_below_one_quantization_step():
    # 16-bit gyro over +-2000 deg/s: one step is 0.061 deg/s; a bias of 0.37 step under noise of 1.2
    # steps, plus a few fidgets while standing. The median snaps to a step; the trimmed mean does not.
    lsb = np.deg2rad(2000.0) / 32768
    rng = np.random.default_rng(5)
    true = np.array([0.37, -0.21, 0.05]) * lsb
    gyr = np.round((true + 1.2 * lsb * rng.standard_normal((20_000, 3))) / lsb) * lsb
    gyr[::500] += 0.5  # fidgets (0.2 % of the samples)
    rest = np.arange(gyr.shape[0])
    est = gyro_bias(gyr, rest)
    assert np.max(np.abs(est - true)) < 0.1 * lsb
    assert np.max(np.abs(np.median(gyr, axis=0) - true)) > 0.2 * lsb  # what the median leaves


def test_unbiased_norm_matches_the_corrected_rows():
    rng = np.random.default_rng(2)
    gyr = rng.standard_normal((1000, 3))
    bias = np.array([0.01, -0.03, 0.02])
    got = unbiased_norm(gyr, np.linalg.norm(gyr, axis=1), bias)
    np.testing.assert_allclose(got, np.linalg.norm(gyr - bias, axis=1), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_accelerometer_rest_error_along_vertical_is_removed(direction):
    # +0.15 m/s^2 on the axis that points up at rest (bias or scale error of that axis): in the swing
    # it turns with the foot and leaks into the horizontal
    s = ideal_walk(direction, 0.4, 200.0)
    s.recording.streams[0].acc[:, 2] += 0.15
    err, true = length_errors(s)
    assert abs(np.mean(err / true)) < 0.006
    off = replace(DEFAULT, sensor=replace(DEFAULT.sensor, max_acc_excess=1e-12))  # correction off
    err_raw, true = length_errors(s, off)
    assert abs(np.mean(err_raw / true)) > 0.012


def test_drift_weight_peaks_at_a_transient_and_not_across_segments():
    rate = 200.0
    tt = np.arange(40) / rate
    acc = np.tile([0.0, 0.0, 9.80665], (40, 1))
    acc[10, 2] += 100.0  # a one-sample spike inside the first segment
    acc[20, 2] += 100.0  # the same at the first sample of the second segment
    first = np.array([0, 20])
    w = strapdown.drift_weight(acc, tt, np.full(40, 9.80665), first)
    assert np.all(w[9:12] > 100.0)  # the spike and both neighbours share the jump
    assert w[0] == pytest.approx(1.0) and w[12] == pytest.approx(1.0)
    # no jerk across the border: sample 19 ends segment 0, the jump 19 -> 20 is not inside a segment
    assert w[19] == pytest.approx(1.0)
    assert w[20] > 100.0 and w[21] > 100.0


def test_anchor_sits_mid_way_through_a_flat_minimum_and_stays_there():
    # a stance: rotation falls to rest (samples 100..199, noise only) and rises again; the lowest
    # sample of the noise is anywhere on the flat bottom, the anchor is not
    rng = np.random.default_rng(4)
    n = np.arange(300)
    energy = np.clip(np.abs(n - 149.5) - 50.0, 0.0, None) * 0.05 + 0.003 * rng.random(300)
    starts, stops = np.array([0]), np.array([300])
    for trial in range(5):
        e = energy + 0.003 * np.random.default_rng(trial).random(300)  # another noise draw / offset
        anchor = int(range_quiet_middle(e, starts, stops, DEFAULT.segments.anchor_tol)[0])
        assert 140 <= anchor <= 160
    assert abs(int(np.argmin(energy)) - 150) > 10  # the plain argmin of this draw is far off
