"""The session clock with scripted receive times: no ports, no sleeps, no dependence on the machine.

A scripted device produces sample i at host time ``i / (rate * speed)`` (its own clock says
``i / rate``); each sample reaches the port after a random transport delay, and the host reads at
random times, sometimes not at all for a while (a busy machine). Delays only ever make data later:
the clock must see through them.
"""

from __future__ import annotations

import numpy as np
import pytest

from retrogait.device.clock import HOST_GAP, SessionClock, lower_envelope_line, rate_from_arrivals
from retrogait.protocols.base import SampleBatch


def _reads(rate: float, seconds: float, *, speed: float = 1.0, seed: int = 0, t0: float = 0.0,
           starved: tuple[tuple[float, float], ...] = (), lost: tuple[tuple[float, float], ...] = (),
           late: tuple[tuple[float, float], ...] = (), device_time: bool = True, first: int = 0):
    """(receive time, SampleBatch) of a scripted device and host; ``starved``: (from, duration) in which
    the host does not read; ``lost``: (from, duration) in which the device's samples are lost; ``late``:
    (at, delay): the read at ``at`` gets its receive time ``delay`` late (the reader thread waited for
    the CPU or the GIL between the read and the clock), and the next read comes after that."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate * speed)
    i = np.arange(n)
    produced = t0 + i / (rate * speed)
    delay = rng.exponential(0.002, n) + np.where(rng.random(n) < 0.02, rng.uniform(0, 0.05, n), 0.0)
    arrived = np.maximum.accumulate(produced + delay)  # a serial line delivers in order
    keep = np.ones(n, dtype=bool)
    for a, d in lost:
        keep &= ~((produced >= t0 + a) & (produced < t0 + a + d))
    reads = t0 + np.cumsum(rng.uniform(0.0, 0.02, int(seconds * 150) + 50))
    for a, d in starved:
        reads = reads[(reads < t0 + a) | (reads >= t0 + a + d)]
    reads = reads[reads <= produced[-1] + 0.1]
    stamps = reads.copy()
    for a, d in late:
        got = np.searchsorted(arrived, reads, side="right")
        j = int(np.searchsorted(reads, t0 + a))
        while got[j] == got[j - 1]:  # a read that brings samples
            j += 1
        ok = np.ones(reads.size, dtype=bool)
        ok[j + 1:] = reads[j + 1:] > reads[j] + d
        reads, stamps = reads[ok], stamps[ok]
        stamps[j] = reads[j] + d
    upto = np.searchsorted(arrived, reads, side="right")
    out, done = [], 0
    for r, u in zip(stamps, upto):
        idx = i[done:u][keep[done:u]]
        done = u
        if idx.size == 0:
            continue
        # samples missing inside the read: split where the device lost some (as a decoder would)
        cuts = np.flatnonzero(np.diff(idx) != 1) + 1
        for part in np.split(idx, cuts):
            acc = np.column_stack([part + first, np.zeros(part.size), np.zeros(part.size)]).astype(float)
            out.append((float(r), SampleBatch(acc, np.zeros((part.size, 3)),
                                              (part + first) / rate if device_time else None)))
    return out


def _run(clock: SessionClock, reads) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """Feed every read as the recorder does; (session times, sample numbers, events)."""
    stamped, events = [], []
    for t_recv, b in reads:
        stamped += clock.feed(t_recv, b)
        events += clock.take_events()
    stamped += clock.finish()
    events += clock.take_events()
    assert [id(b) for _, b, _ in stamped] == [id(b) for _, b in reads]  # every batch, in order
    return (np.concatenate([t for _, _, t in stamped]),
            np.concatenate([b.acc[:, 0].astype(int) for _, b, _ in stamped]), events)


# -- the fits --------------------------------------------------------------------------------------

def test_lower_envelope_line_ignores_everything_above_it():
    rng = np.random.default_rng(1)
    x = np.sort(rng.uniform(0, 10, 400))
    late = rng.exponential(0.003, x.size) + np.where(rng.random(x.size) < 0.1, rng.uniform(0, 0.5, x.size), 0)
    slope, icpt = lower_envelope_line(x, 0.25 + 0.002 * x + late)
    assert slope == pytest.approx(0.002, abs=2e-5) and icpt == pytest.approx(0.25, abs=3e-4)
    ls_slope, ls_icpt = np.polyfit(x, 0.25 + 0.002 * x + late, 1)
    assert ls_icpt > icpt + 0.01  # a least-squares line is pulled up by the late points
    assert lower_envelope_line([1.0, 1.0], [2.0, 3.0]) is None
    assert lower_envelope_line([0.0, 1.0, 1.0], [0.0, 5.0, 1.0]) == pytest.approx((1.0, 0.0))
    assert lower_envelope_line([], []) is None


def test_rate_from_arrivals_is_exact_through_jitter():
    """0.3 s of reads of a 500 Hz device (what the recorder sees while identifying it): the first and
    last reads' delays put an endpoint estimate off by a percent; the envelope is not."""
    reads = _reads(500.0, 0.3, seed=3, starved=((0.1, 0.05),))
    times = [t for t, _ in reads]
    counts = [b.n for _, b in reads]
    assert rate_from_arrivals(times, counts) == pytest.approx(500.0, rel=5e-3)
    assert rate_from_arrivals(times[:2], counts[:2]) is None  # too few reads
    assert rate_from_arrivals([0.0, 0.05, 0.1], [5, 5, 5]) is None  # too short a span


# -- devices with a clock ----------------------------------------------------------------------------

def test_device_clock_is_kept_and_drift_is_measured_through_jitter():
    """A device whose clock runs 1 % fast, read by a host that stalls for 0.25 s twice."""
    reads = _reads(500.0, 3.0, speed=1.01, seed=4, starved=((0.8, 0.25), (2.0, 0.25)))
    clock = SessionClock(500.0, True)
    clock.anchor_on_preamble([(t, [b]) for t, b in reads[:20]])
    t, k, events = _run(clock, reads)
    np.testing.assert_array_equal(np.diff(k), 1)
    np.testing.assert_allclose(np.diff(t), 1 / 500, atol=1e-9)  # the device clock, untouched
    # anchored on the earliest arrivals: the first sample's session time is its production time
    assert t[0] - k[0] / (500 * 1.01) == pytest.approx(0, abs=2e-3)
    assert [e["kind"] for e in events] == ["clock_drift"]
    assert events[0]["host_minus_device_ppm"] == pytest.approx(1e6 * (1 / 1.01 - 1), abs=100)
    assert clock.measured_rate == pytest.approx(500.0, rel=1e-9)
    exact = SessionClock(500.0, True)
    _, _, events = _run(exact, _reads(500.0, 3.0, seed=5, starved=((1.0, 0.25),)))
    assert events[0]["host_minus_device_ppm"] == pytest.approx(0, abs=100)


def test_device_clock_gaps_restarts_and_unplugs_are_marked_exactly():
    clock = SessionClock(100.0, True, gap_cause="sequence", stream=1)
    z = np.zeros((10, 3))
    clock.stamp(5.0, SampleBatch(z, z, np.arange(10) / 100.0))  # anchored: sample 9 arrived at 5.0
    t = clock.stamp(5.2, SampleBatch(z, z, (np.arange(10) + 15) / 100.0, gap_before=5))
    assert t[0] == pytest.approx(5.0 + 6 / 100.0)
    (gap,) = clock.take_events()
    assert gap == {"kind": "gap", "t": pytest.approx(5.0), "t_end": pytest.approx(5.06), "stream": 1,
                   "missing_samples": 5, "missing_estimate": 5, "cause": "sequence"}
    clock.stamp(6.0, SampleBatch(z, z, np.arange(10) / 100.0, gap_before=-1, reset=True))
    assert [e["cause"] for e in clock.take_events()] == ["device restart"]
    clock.disconnected()
    t = clock.stamp(8.0, SampleBatch(z, z, np.arange(10) / 100.0))
    assert t[-1] == pytest.approx(8.0)  # re-anchored on the new boot
    (gap,) = clock.take_events()
    assert gap["cause"] == "disconnect" and gap["t"] == pytest.approx(6.0) and gap["t_end"] == pytest.approx(7.91)
    assert gap["missing_samples"] is None and gap["missing_estimate"] == 190  # 1.91 s at 100 Hz, less one
    assert clock.missing == 5 + 75 + 190 and clock.missing_untraced == 0  # the restart: 0.76 s, 75 missing
    # the rate over the time with data: the gaps are left out
    assert clock.measured_rate == pytest.approx(100.0)


# -- devices without a clock -------------------------------------------------------------------------

def test_clockless_rate_is_refined_from_the_arrivals():
    """A 500 Hz device whose rate was measured as 506.4 Hz while identifying it (as a short, jittery
    look gives): the clock corrects it from the arrivals within seconds, and a busy host is no gap."""
    reads = _reads(500.0, 6.0, seed=6, device_time=False, starved=((1.5, 0.25), (3.2, 0.25)))
    clock = SessionClock(506.4, False, device_time=False)
    t, k, events = _run(clock, reads)
    assert not [e for e in events if e["kind"] in ("gap", "rate_mismatch")]
    assert np.all(np.diff(t) > 0)
    assert clock.rate == pytest.approx(500.0, rel=1e-3)
    late = k > 2.5 * 500  # once refined, the times follow the device
    assert np.median(np.diff(t[late])) == pytest.approx(1 / 500, rel=1e-3)
    assert np.max(np.abs(t - k / 500)) < 0.05  # never far from the truth
    assert clock.measured_rate == pytest.approx(500.0, rel=5e-3)


def test_trusted_rate_is_kept_exactly():
    reads = _reads(200.0, 3.0, speed=1.001, seed=7, device_time=False, starved=((1.0, 0.2),))
    clock = SessionClock(200.0, True, device_time=False)
    t, k, events = _run(clock, reads)
    np.testing.assert_allclose(np.diff(t), 1 / 200, atol=1e-9)
    assert [e["kind"] for e in events] == ["clock_drift"]
    assert events[0]["clock"] == "synthetic (nominal rate)"
    assert events[0]["host_minus_device_ppm"] == pytest.approx(1e6 * (1 / 1.001 - 1), abs=150)


def test_clockless_stall_is_one_host_clock_gap():
    """The device sends nothing for 0.4 s (> HOST_GAP) and those samples are lost: one gap, as long."""
    assert HOST_GAP < 0.4
    reads = _reads(500.0, 2.0, seed=8, device_time=False, lost=((0.8, 0.4),))
    clock = SessionClock(500.0, True, device_time=False)
    t, k, events = _run(clock, reads)
    (gap,) = [e for e in events if e["kind"] == "gap"]
    assert gap["cause"] == "host clock" and gap["missing_samples"] is None
    b = int(np.flatnonzero(np.diff(k) != 1)[0])
    assert (gap["t"], gap["t_end"]) == (t[b], t[b + 1])
    assert gap["t_end"] - gap["t"] == pytest.approx((k[b + 1] - k[b]) / 500, abs=0.01)
    assert clock.measured_rate == pytest.approx(500.0, rel=1e-9)  # the gap left out


def test_a_late_read_is_no_gap():
    """A busy machine: one read's receive time is taken 0.4 s late (> HOST_GAP), though nothing was
    lost. Judged alone that batch looks like lost samples; the next batch, on time again, shows it was
    not, so the clock keeps going."""
    reads = _reads(200.0, 3.0, seed=11, device_time=False, late=((1.2, 0.4),))
    assert max(t - len(np.concatenate([b.acc for _, b in reads[:i + 1]])) / 200.0
               for i, (t, _) in enumerate(reads)) > HOST_GAP  # the late one
    clock = SessionClock(200.0, True, device_time=False)
    t, k, events = _run(clock, reads)
    assert [e["kind"] for e in events] == ["clock_drift"]
    np.testing.assert_array_equal(np.diff(k), 1)
    np.testing.assert_allclose(np.diff(t), 1 / 200, atol=1e-9)
    alone = SessionClock(200.0, True, device_time=False)
    for t_recv, b in reads:
        alone.stamp(t_recv, b)
    assert [e["kind"] for e in alone.take_events()] == ["gap"]  # what holding it back avoids


def test_clockless_device_at_another_rate_is_a_mismatch_not_gaps():
    """An Arduino printing at 50 Hz while --rate 200 was given."""
    reads = _reads(50.0, 3.0, seed=9, device_time=False)
    clock = SessionClock(200.0, True, device_time=False)
    t, k, events = _run(clock, reads)
    kinds = [e["kind"] for e in events]
    assert kinds.count("rate_mismatch") == 1 and "gap" not in kinds
    (mismatch,) = [e for e in events if e["kind"] == "rate_mismatch"]
    assert mismatch["assumed_hz"] == 200.0 and mismatch["measured_hz"] == pytest.approx(50.0, rel=0.05)
    assert np.median(np.diff(t[-50:])) == pytest.approx(1 / 50, rel=0.01)
    assert t[-1] == pytest.approx(k[-1] / 50, abs=0.05)  # back on the host clock


def test_clockless_unpaired_frames_and_unplug():
    clock = SessionClock(100.0, True, device_time=False, stream=0)
    z = np.zeros((10, 3))
    clock.stamp(1.0, SampleBatch(z, z))
    t = clock.stamp(1.1, SampleBatch(z, z, gap_before=1))
    assert t[0] == pytest.approx(1.0 + 2 / 100)  # one sample left out
    (gap,) = clock.take_events()
    assert gap["cause"] == "unpaired frames" and gap["missing_samples"] == 1
    clock.disconnected()
    t = clock.stamp(3.0, SampleBatch(z, z))
    assert t[-1] == pytest.approx(3.0)
    assert [e["cause"] for e in clock.take_events()] == ["disconnect"]


@pytest.mark.parametrize("rate", [50.0, 400.0])
def test_unknown_rate_is_measured_and_the_clock_never_runs_ahead(rate):
    """No rate announced, given or measured: the clock starts too fast (it falls behind the host clock,
    never ahead of it) and is put onto the host clock at the measured rate."""
    reads = _reads(rate, 6.0, seed=10, device_time=False)
    clock = SessionClock(None, False, device_time=False)
    t, k, events = _run(clock, reads)
    assert [e["kind"] for e in events if e["kind"] != "clock_drift"] == ["rate_mismatch"]
    assert clock.rate == pytest.approx(rate, rel=5e-3)
    t_host = np.concatenate([np.full(b.n, t) for t, b in reads])
    assert np.all(np.diff(t) > 0)
    # never stamped much later than it arrived, and soon not at all (the clock slews onto the arrivals)
    assert np.all(t <= t_host + 0.05) and np.all((t <= t_host + 0.01)[t_host > 3.0])
    assert t[-1] == pytest.approx(k[-1] / rate, abs=0.05)


def test_clockless_frames_lost_without_a_trace_are_counted_from_the_device_rate():
    """A WitMotion at 200 Hz (its rate code) whose whole frames are lost now and then: nothing in the
    stream shows where, so the clock follows the arrivals (times stay true on average) and counts the
    samples missing from the span at the device's rate (issue 13: drop counts within 1 %)."""
    rng = np.random.default_rng(12)
    lost_at = np.sort(rng.choice(np.arange(100, 3900), 40, replace=False))
    reads = _reads(200.0, 20.0, seed=12, device_time=False,
                   lost=tuple(((i - 0.5) / 200.0, 1 / 200.0) for i in lost_at))
    reads = [(t, SampleBatch(b.acc, b.gyr)) for t, b in reads]  # (a decoder cannot tell: no gap_before)
    clock = SessionClock(200.0, False, device_time=False, device_rate=200.0)
    t, k, events = _run(clock, reads)
    assert not [e for e in events if e["kind"] in ("gap", "rate_mismatch")]
    truth = int(k[-1] - k[0] + 1 - k.size)
    assert truth == 40
    assert clock.missing_untraced == pytest.approx(truth, abs=2)  # the span's end points within 5 ms
    assert clock.missing == clock.missing_untraced
    assert np.max(np.abs((t - t[0]) - (k - k[0]) / 200.0)) < 0.1  # (each loss shifts the rest 5 ms early)
    unknown = SessionClock(200.0, False, device_time=False)  # the device's rate not known: untold
    _run(unknown, reads)
    assert unknown.missing_untraced == 0


def test_a_device_clock_jumping_ahead_is_rebased_onto_the_host_clock():
    """A device time that maps after its own receive time (no sample arrives before it is taken): a
    clock jump, marked, and the session goes on after the last sample, not 100 s later."""
    clock = SessionClock(100.0, True, stream=0)
    z = np.zeros((10, 3))
    clock.stamp(1.0, SampleBatch(z, z, np.arange(10) / 100.0))
    clock.stamp(1.1, SampleBatch(z, z, (np.arange(10) + 10) / 100.0))
    t = clock.stamp(1.2, SampleBatch(z, z, (np.arange(10) + 10020) / 100.0, gap_before=10000))
    assert t[-1] == pytest.approx(1.2) and t[0] > 1.1
    (gap,) = clock.take_events()
    assert gap["cause"] == "device clock jump" and gap["missing_samples"] is None
    assert gap["t"] == pytest.approx(1.1) and gap["missing_estimate"] == 0  # 0.01 s after the last sample
    t = clock.stamp(1.3, SampleBatch(z, z, (np.arange(10) + 10030) / 100.0))
    np.testing.assert_allclose(t, 1.21 + np.arange(10) / 100.0)  # on from there, at the device's clock
    assert clock.take_events() == []
    # a device clock 1 % fast, 90 of every 100 samples lost: gaps, drifting ahead slowly, no jump
    fast = SessionClock(100.0, True)
    for i in range(60):
        fast.stamp(1.0 + i, SampleBatch(z, z, (np.arange(10) + 100 * i + 90) * 1.01 / 100.0,
                                        gap_before=90 if i else 0))
    causes = [e["cause"] for e in fast.take_events() if e["kind"] == "gap"]
    assert causes == ["device clock"] * 59
    assert fast.last_t == pytest.approx(60.0 + 0.6, abs=0.01)
