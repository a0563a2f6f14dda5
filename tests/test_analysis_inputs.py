"""Bad input gives clear errors (or flagged results), never a crash or silent nonsense."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from retrogait.analysis import analyze
from retrogait.errors import InputFileError, NoGaitError
from retrogait.io.recording import GRAVITY, Recording, Stream
from retrogait.simulator import Scenario, SensorSpec, Stand, Walk, simulate


def walk(seed=1, **sensor):
    sc = Scenario(segments=[Stand(3), Walk("forward", n_strides=12), Stand(2)], sensor=SensorSpec(**sensor))
    return simulate(sc, seed=seed, trajectory=False)


def with_stream(rec: Recording, **changes) -> Recording:
    return replace(rec, streams=[replace(rec.streams[0], **changes)], source="test.rgt")


def test_standing_only_is_no_gait():
    sc = Scenario(segments=[Stand(20)])
    rec = simulate(sc, seed=1, trajectory=False).recording
    with pytest.raises(NoGaitError, match="no strides"):
        analyze(rec)


def test_too_short_is_no_gait():
    s = Stream(t=np.arange(20) / 100.0, acc=np.tile([0, 0, GRAVITY], (20, 1)), gyr=np.zeros((20, 3)))
    with pytest.raises(NoGaitError, match="at least about 1 s"):
        analyze(Recording(streams=[s], source="short.rgt"))


def test_no_streams_is_no_gait():
    with pytest.raises(NoGaitError):
        analyze(Recording(streams=[], source="empty.rgt"))


def test_gyro_in_deg_s_declared_as_rad_s_names_the_unit():
    rec = walk().recording
    bad = with_stream(rec, gyr=np.degrees(rec.streams[0].gyr))
    with pytest.raises(InputFileError, match="deg/s"):
        analyze(bad)


def test_gyro_in_rad_s_declared_as_deg_s_names_the_unit():
    rec = walk().recording
    bad = with_stream(rec, gyr=np.radians(rec.streams[0].gyr))
    with pytest.raises(InputFileError, match="rad/s"):
        analyze(bad)


def test_acc_in_g_declared_as_m_s2_names_the_unit():
    rec = walk().recording
    bad = with_stream(rec, acc=rec.streams[0].acc / GRAVITY)
    with pytest.raises(InputFileError, match="acc-unit g"):
        analyze(bad)


def test_nan_samples_are_an_input_error():
    rec = walk().recording
    acc = rec.streams[0].acc.copy()
    acc[500] = np.nan
    with pytest.raises(InputFileError, match="NaN"):
        analyze(with_stream(rec, acc=acc))


def test_infinite_samples_are_an_input_error():
    rec = walk().recording
    gyr = rec.streams[0].gyr.copy()
    gyr[700, 1] = np.inf
    gyr[900, 2] = -np.inf
    with pytest.raises(InputFileError, match=r"2 sample\(s\) are NaN or infinity \(first: sample 700\)"):
        analyze(with_stream(rec, gyr=gyr))


def test_gap_splits_and_no_stride_spans_it():
    sim = walk(seed=2)
    s = sim.recording.streams[0]
    tr = sim.truth.strides
    # drop 1.5 s in the middle of the walk
    t_gap = float(tr.t_tc[6])
    keep = (s.t < t_gap) | (s.t > t_gap + 1.5)
    rec = with_stream(sim.recording, t=s.t[keep], acc=s.acc[keep], gyr=s.gyr[keep])
    res = analyze(rec)
    st = res.strides
    assert not np.any((st.t_start < t_gap) & (st.t_end > t_gap + 1.5))
    assert any("gap" in w for w in res.warnings)
    assert len(st) >= len(tr) - 3
    assert np.all(st.stride_length < 2.0)


def test_saturated_strides_are_flagged():
    sim = walk(seed=3, acc_range=2.5 * GRAVITY)
    res = analyze(sim.recording)
    assert res.strides.saturated.any()
    assert any("saturated" in w for w in res.warnings)


def test_clean_walk_has_no_saturation_flags():
    res = analyze(walk(seed=3).recording)
    assert not res.strides.saturated.any()


def test_time_running_backwards_is_named_not_taken_for_a_short_recording():
    import numpy as np

    from retrogait.analysis import analyze
    from retrogait.errors import InputFileError
    from retrogait.io.recording import Recording, Stream

    t = np.arange(2000)[::-1] / 100.0
    rec = Recording(streams=[Stream(t=t, acc=np.tile([0.0, 0.0, 9.81], (2000, 1)), gyr=np.zeros((2000, 3)))])
    with pytest.raises(InputFileError, match="run backwards"):
        analyze(rec)
