"""Stage: per-segment kinematics and events, from the strapdown integration of every segment.

The segments are integrated chunk by chunk (a bounded number of samples at a time, so a 24-hour
recording never holds its whole trajectory), and each chunk's trajectory is reduced right away to
per-segment numbers: displacement, heading change, foot-flat pitch, path shape, swing peak, flags, and
the gait events (:mod:`retrogait.analysis.events`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from retrogait.analysis.bridging import FilledSamples
from retrogait.analysis.compiled import kernels
from retrogait.analysis.events import SegmentEvents, segment_events
from retrogait.analysis.frames import FootSignals
from retrogait.analysis.parameters import path_shape, segment_any, segment_max
from retrogait.analysis.per_segment import PerSegment
from retrogait.analysis.segmentation import Segments
from retrogait.analysis.settings import DEFAULT, AnalysisSettings
from retrogait.analysis.strapdown import integrate


@dataclass
class SegmentKinematics(PerSegment):
    """What the integration says about every segment (local level frame of its start: x = the foot's
    horizontal forward axis, y = left, z = up; m, rad)."""

    disp: np.ndarray
    """(M, 3) displacement from the start anchor to the end anchor."""
    yaw_end: np.ndarray
    """Heading change over the segment (rad, left positive)."""
    pitch_end: np.ndarray
    """Foot pitch from gravity at the end stance (foot flat: the belt's or ground's slope)."""
    lat: np.ndarray
    """Largest lateral excursion from the straight start-end line (m; NaN for tiny displacements)."""
    clear: np.ndarray
    """Largest height above the straight start-end line (m): the sensor's clearance."""
    swing_peak: np.ndarray
    """Largest gyro norm over the segment (rad/s)."""
    saturated: np.ndarray
    """A sample of the segment hit the sensor's range."""
    bridged: np.ndarray
    """A sample of the segment was filled in over a data gap."""


def integrate_segments(
    t: np.ndarray,
    sig: FootSignals,
    gyr_norm: np.ndarray,
    sat: np.ndarray,
    filled: FilledSamples | None,
    segs: Segments,
    rate: float,
    s: AnalysisSettings = DEFAULT,
    progress: Callable[[float], None] | None = None,
    running: bool = True,
) -> tuple[SegmentKinematics, SegmentEvents]:
    """The stage: integrate all segments chunk by chunk; per-segment kinematics and events
    (``running=False``: without the running events, see :func:`running_events_of`)."""
    m = len(segs)
    kin = SegmentKinematics.empty(m, disp=(3,), saturated=bool, bridged=bool)
    ev = SegmentEvents.empty(m)
    chunks = _chunks(segs.end - segs.start + 1, int(s.kinematics.chunk_samples))
    for i, sl in enumerate(chunks):
        tr = integrate(
            t, sig, segs.start[sl], segs.end[sl], segs.still_until[sl], segs.still_from[sl],
            segs.stance0_start[sl], segs.stance1_stop[sl], rate, segs.rolling[sl], filled, s.kinematics,
        )
        ev.put(sl, segment_events(tr, t, sig.acc, segs.still_until[sl], segs.still_from[sl], s.gait, running, rate))
        lat, clear = path_shape(tr)
        kin.put(sl, SegmentKinematics(
            disp=tr.disp, yaw_end=tr.yaw_end, pitch_end=tr.pitch_end, lat=lat, clear=clear,
            swing_peak=segment_max(gyr_norm, tr), saturated=segment_any(sat, tr),
            bridged=segment_any(filled.mask, tr) if filled is not None else np.zeros(tr.first.shape[0], dtype=bool),
        ))
        if progress is not None:
            progress((i + 1) / len(chunks))
    return kin, ev


def running_events_of(
    t: np.ndarray, sig: FootSignals, filled: FilledSamples | None, segs: Segments, which: np.ndarray, rate: float,
    s: AnalysisSettings = DEFAULT,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Running events (terminal and initial contact, s; pitch at initial contact, rad) of the segments
    ``which``, integrated again (the same integration as :func:`integrate_segments`: the same paths to
    ~1e-12, the compiled kernels or numpy being chosen by the size of this smaller set).

    Only the strides found to be running read them, and whether a stride runs is decided over its bout
    once every segment is known; so a walking day integrates its few running strides twice instead of
    fitting the running toe-off's lever to every stride."""
    sub = segs.subset(which)
    out = np.full((3, which.shape[0]), np.nan)
    for sl in _chunks(sub.end - sub.start + 1, int(s.kinematics.chunk_samples)):
        tr = integrate(
            t, sig, sub.start[sl], sub.end[sl], sub.still_until[sl], sub.still_from[sl], sub.stance0_start[sl],
            sub.stance1_stop[sl], rate, sub.rolling[sl], filled, s.kinematics,
        )
        ev = segment_events(tr, t, sig.acc, sub.still_until[sl], sub.still_from[sl], s.gait, rate=rate)
        out[:, sl] = ev.t_tc_run, ev.t_ic_run, ev.pitch_ic_run
    return out[0], out[1], out[2]


def standing_yaw(t: np.ndarray, sig: FootSignals, segs: Segments) -> np.ndarray:
    """Yaw turned while standing before each segment (rad): the foot-z rate over the standing part."""
    kern = kernels(int(t.shape[0]))
    if kern is not None:
        out = np.empty(segs.stand_start.shape[0])
        kern.turned_over(t, sig.gyr, sig.rot[2], float(sig.rot[2] @ sig.gyr_bias), segs.stand_start,
                         segs.stand_end, out)
        return out
    wz = np.concatenate([[0.0], np.cumsum(sig.foot_component(2)[:-1] * np.diff(t))])
    return wz[segs.stand_end] - wz[segs.stand_start]


def _chunks(lens: np.ndarray, limit: int) -> list[slice]:
    """Consecutive slices of segments whose total length stays under ``limit`` samples."""
    out, a, total = [], 0, 0
    for i, n in enumerate(lens.tolist()):
        if total and total + n > limit:
            out.append(slice(a, i))
            a, total = i, 0
        total += n
    out.append(slice(a, lens.shape[0]))
    return out
