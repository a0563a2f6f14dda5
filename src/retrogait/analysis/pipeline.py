"""The analysis pipeline: recording -> strides, direction, parameters, bouts and session summary.

One stream (one foot) goes through typed stages, each a pure function in its own module:

1. checks (:mod:`~retrogait.analysis.frames`): enough samples, plausible units, data gaps; short gaps
   bridged (:mod:`~retrogait.analysis.bridging`);
2. stances (:func:`~retrogait.analysis.stance.find_stances`) -> :class:`~retrogait.analysis.stance.Stances`;
3. sensor errors from standing (:mod:`~retrogait.analysis.sensor_errors`);
4. segments between stances, false stances dropped (:mod:`~retrogait.analysis.false_stances`)
   -> :class:`~retrogait.analysis.segmentation.Segments`;
5. kinematics and events per segment (:mod:`~retrogait.analysis.kinematics`)
   -> :class:`~retrogait.analysis.kinematics.SegmentKinematics`, :class:`~retrogait.analysis.events.SegmentEvents`;
6. stride table (:mod:`~retrogait.analysis.stride_table`) -> :class:`~retrogait.analysis.result.StrideTable`;

then the feet are joined, bouts numbered and the session summarized (:mod:`~retrogait.analysis.summary`).
Every threshold comes from one :class:`~retrogait.analysis.settings.AnalysisSettings`. The pipeline
reads no file: the mounting comes with the recording or from the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from retrogait.analysis import frames
from retrogait.analysis.bridging import bridge_gaps, refill_from_neighbours
from retrogait.analysis.false_stances import drop_false_stances
from retrogait.analysis.kinematics import integrate_segments, running_events_of, standing_yaw
from retrogait.analysis.ranges import row_norm
from retrogait.analysis.result import AnalysisResult, StrideTable
from retrogait.analysis.sensor_errors import estimate_sensor_errors, stance_tilt
from retrogait.analysis.settings import DEFAULT, AnalysisSettings
from retrogait.analysis.stance import Stances, find_stances, gyro_energy, unbiased_gyro_energy
from retrogait.analysis.stride_table import build_stride_table
from retrogait.analysis.summary import bouts_of, summarize
from retrogait.errors import NoGaitError
from retrogait.io.recording import Recording, Stream


@dataclass
class StreamAnalysis:
    """Everything analysed for one stream (intermediate)."""

    table: StrideTable
    warnings: list[str] = field(default_factory=list)
    mount: dict[str, Any] = field(default_factory=dict)
    duration: float = 0.0
    path: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))
    no_gait: str = ""
    """Why no stride was found, in words (empty when strides were found)."""


def _no_gait_reason(swing_max: float, n_stances: int, s: AnalysisSettings) -> str:
    """Why a stream holds no stride (``swing_max``: its highest gyro energy, rad/s): no swing at all,
    swings with no stance between them, or movements too small to be strides."""
    if swing_max < s.stance.swing_min:
        return (f"the sensor never turned faster than {s.stance.swing_min:g} rad/s as a swinging foot does "
                "(only standing or sitting, or not on a foot)")
    if n_stances < 2:
        return ("the sensor moved but never came to rest or rolled on the ground between swings "
                "(cycling, a vehicle, or not on a foot?)")
    return ("no movement between two stances looked like a stride (a swing faster than "
            f"{s.strides.swing_peak:g} rad/s for {s.strides.min_swing_time:g} s that moves the foot "
            f"{s.strides.min_displacement * 100:g} cm or lifts it {s.strides.min_lift * 100:g} cm)")


def _motion_left_out(t: np.ndarray, st: Stances, energy: np.ndarray, label: str, s: AnalysisSettings) -> list[str]:
    """A warning for the stretches of motion longer than ``segments.max_motion`` with no stance (left out)."""
    starts, stops, block_id = st.starts, st.stops, st.block_id
    if starts.size < 2:
        return []
    a, b = stops[:-1], starts[1:]
    long_ = (block_id[1:] == block_id[:-1]) & ((t[b] - t[a]) > s.segments.max_motion)
    if not long_.any():
        return []
    moving = np.array([float(energy[x:y].max()) >= s.stance.swing_min for x, y in zip(a[long_], b[long_])])
    if not moving.any():
        return []
    a, b = a[long_][moving], b[long_][moving]
    total = float((t[b] - t[a]).sum())
    return [f"{label}: {a.size} stretch(es) of motion without any stance ({total:.0f} s in all, the first "
            f"from {t[a[0]]:.1f} s to {t[b[0]]:.1f} s) left out: not walking or running (cycling, a vehicle?)"]


def analyze_stream(
    stream: Stream,
    mount: Any = None,
    source: str = "recording",
    settings: AnalysisSettings = DEFAULT,
    progress: Callable[[float], None] | None = None,
) -> StreamAnalysis:
    """Strides of one stream (one foot), with every per-stride parameter except cross-foot ones."""
    s = settings
    label = f"{source} ({stream.foot} foot)" if stream.foot != "unknown" else source
    # 1. checks
    frames.require_forward_time(stream, label)
    step = frames.median_step(stream.t)  # once: a day has 17 M intervals
    rate = 1.0 / step if step > 0 else stream.rate  # the measured rate (Stream.measured_rate), else nominal
    frames.require_samples(stream, label, rate)
    mounting = frames.resolve_mount(stream, mount)
    raw = (stream.t, np.asarray(stream.gyr, dtype=np.float64))  # as recorded: the stride waveforms
    stream, filled, n_bridged = bridge_gaps(stream, s.gaps, step if step > 0 else None)
    acc = np.asarray(stream.acc, dtype=np.float64)  # sensor frame; norms need no rotation
    gyr = np.asarray(stream.gyr, dtype=np.float64)
    acc_top, gyr_top = np.zeros((2, 3)), np.zeros((2, 3))  # each axis's largest magnitudes: the saturation check
    acc_norm = row_norm(acc, acc_top)
    gyr_norm = row_norm(gyr, gyr_top)
    frames.check_units(acc_norm, gyr_norm, label)
    sig = frames.FootSignals(acc, gyr, mounting.matrix)
    t = stream.t
    warnings: list[str] = []
    blocks = frames.split_at_gaps(t, label, s.gaps, step if step > 0 else None)
    if n_bridged:
        warnings.append(f"{label}: {n_bridged} short gap(s) (<= {s.gaps.max_bridge:g} s, e.g. lost packets) "
                        "bridged by interpolation; strides over them are flagged 'bridged'")
    if len(blocks) > 1:
        warnings.append(f"{label}: {len(blocks) - 1} gap(s) longer than {s.gaps.max_bridge:g} s in the data; "
                        "no stride spans them")
    # 2. stances
    energy = gyro_energy(gyr_norm, rate, s.stance)
    st = find_stances(acc, gyr_norm, acc_norm, energy, blocks, rate, s.stance)
    # 3. sensor errors first, from standing: the anchors go where the foot rotates least, measured
    # without the gyro bias (with it, a slow roll at minus the bias looks quieter than rest)
    errors = estimate_sensor_errors(sig, gyr, acc_norm, st.starts, st.stops, rate, s.sensor)
    sig.gyr_bias, sig.acc_bias = errors.gyr_bias, errors.acc_bias
    del acc_norm
    energy = unbiased_gyro_energy(gyr, gyr_norm, sig.gyr_bias, rate, s.stance, out=energy)  # reuses its array
    # 4. segments, without the stances that were a pause of the swing
    st, segs = drop_false_stances(t, sig, st, energy, rate, s, filled)
    if filled is not None and len(segs):
        # an uncertain gap inside a stride: the neighbouring stride's samples at the same phase
        for x in (acc, gyr):
            refill_from_neighbours(x, filled, segs.start, segs.end, segs.chained)
        gyr_norm = row_norm(gyr)
    warnings += _motion_left_out(t, st, energy, label, s)
    no_gait = _no_gait_reason(float(energy.max(initial=0.0)), len(st), s)
    del energy
    info = {"matrix": mounting.matrix.tolist(), "source": mounting.source}
    if len(segs) == 0:
        return StreamAnalysis(StrideTable.empty(), warnings, info, stream.duration, no_gait=no_gait)
    tilt = stance_tilt(sig, st.starts, st.stops)
    wrong_mount = bool(tilt > s.sensor.mount_tilt_warn)  # steeper than any treadmill (20 % = 11 deg)
    if wrong_mount:
        warnings.append(
            f"{label}: in stance the foot frame is tilted {np.degrees(tilt):.0f} deg from level: the sensor "
            f"mounting ({mounting.source}) looks wrong; run 'retrogait calibrate' (stand, then walk forward) "
            "or pass --mount; until then directions are unreliable and no incline is reported"
        )
    known = filled is None  # else samples were re-filled since the norms: the largest magnitudes anew
    sat = (frames.saturation_mask(stream.acc, frames.ACC_FULL_SCALE_FLOOR, acc_top if known else None)
           | frames.saturation_mask(stream.gyr, frames.GYR_FULL_SCALE_FLOOR, gyr_top if known else None))
    # 5. kinematics and events; 6. the stride table
    kin, ev = integrate_segments(t, sig, gyr_norm, sat, filled, segs, rate, s, progress, running=False)
    placed = build_stride_table(stream.foot, t, acc, segs, kin, ev, standing_yaw(t, sig, segs), rate,
                                not wrong_mount, s, raw, partial(running_events_of, t, sig, filled, segs, rate=rate, s=s))
    table = placed.table
    if len(table) == 0:
        return StreamAnalysis(table, warnings, info, stream.duration, placed.path, no_gait=no_gait)
    n_sat = int(table.saturated.sum())
    if n_sat:
        warnings.append(f"{label}: {n_sat} stride(s) hit the sensor's range (clipped samples, flagged 'saturated'): "
                        "the rotation or impact beyond the range is lost, so their length and angles are less "
                        "certain (a sensor set to +-2000 deg/s and +-16 g avoids it)")
    return StreamAnalysis(table, warnings, info, stream.duration, placed.path)


def _bouts_in_time_order(table: StrideTable) -> np.ndarray:
    """Each stride's bout number across feet, the bouts numbered in the order they start. Bouts are
    told apart by (foot, bout) as integers; their order before the ranking is that of the text keys
    ``foot + str(bout)`` (so that equal start times rank as they always have)."""
    _, foot_code = np.unique(table.foot, return_inverse=True)
    key = foot_code.astype(np.int64) * (int(table.bout.max()) + 1) + table.bout
    _, first_idx, inv = np.unique(key, return_index=True, return_inverse=True)
    text = [f"{foot}{bout}" for foot, bout in zip(table.foot[first_idx].tolist(), table.bout[first_idx].tolist())]
    order = np.array(sorted(range(len(text)), key=text.__getitem__), dtype=np.intp)  # as the text keys sort
    place = np.empty_like(order)
    place[order] = np.arange(order.size)
    rank = np.argsort(np.argsort(table.t_start[first_idx[order]]))
    return rank[place[inv.ravel()]].astype(np.int64)


def analyze(
    recording: Recording,
    mount: Any = None,
    *,
    settings: AnalysisSettings | None = None,
    progress: Callable[[float], None] | None = None,
) -> AnalysisResult:
    """Analyze a recording: every stride of every foot, its direction and parameters, bouts, summary.

    Parameters
    ----------
    recording : Recording
        One or two feet (:func:`retrogait.load_recording` reads ``.rgt``, CSV and ``.mat`` files).
    mount : array_like, Mounting or dict, optional
        The sensor->foot rotation (3x3, ``v_foot = mount @ v_sensor``) for every stream, or a dict per
        foot (``{"left": m, "right": m}``, ``"any"`` for all), whose values may be
        :class:`~retrogait.analysis.frames.Mounting` (a matrix with its source, e.g. a device profile
        from :func:`~retrogait.analysis.calibration.profile_mounts`). Without it the stream's stored
        mounting is used, then identity. The analysis reads no file of its own.
    settings : AnalysisSettings, optional
        Every threshold (:class:`~retrogait.analysis.settings.AnalysisSettings`); the defaults are the
        validated method.
    progress : callable, optional
        Called with the fraction done (0..1) as the integration proceeds.

    Returns
    -------
    AnalysisResult
        ``strides`` (per-stride arrays), ``bouts``, ``summary``, ``warnings``, ``mounts``, ``paths``
        and the ``settings`` used.

    Raises
    ------
    NoGaitError
        When no stride is found (the message says why).

    Examples
    --------
    >>> result = analyze(load_recording("session.rgt"))                # doctest: +SKIP
    >>> result.summary["cadence_steps_per_min"], result.strides.direction[:10]  # doctest: +SKIP
    """
    settings = DEFAULT if settings is None else settings
    source = recording.source or "recording"
    if not recording.streams:
        raise NoGaitError(f"{source}: the recording has no sensor streams")
    parts: list[StreamAnalysis] = []
    n = len(recording.streams)
    for i, stream in enumerate(recording.streams):
        prog = None
        if progress is not None:
            prog = lambda f, i=i: progress((i + f) / n)  # noqa: E731
        parts.append(analyze_stream(stream, mount, source, settings, prog))
    table = StrideTable.concat([p.table for p in parts])
    warnings = list(recording.warnings) + [w for p in parts for w in p.warnings]
    if len(table) == 0:
        why = "; ".join(sorted({p.no_gait for p in parts if p.no_gait})) or "no stride-like movement"
        raise NoGaitError(f"{source}: no strides found in {recording.duration:.1f} s of data: {why}")
    # bouts numbered across feet in time order
    table.bout = _bouts_in_time_order(table)
    bouts = bouts_of(table)
    mounts = {p_.table.foot[0] if len(p_.table) else s.foot: p_.mount for p_, s in zip(parts, recording.streams)}
    summary = summarize(table, bouts, recording, two_feet_synced=_synced(recording), mounts=mounts)
    summary["warnings"] = warnings
    paths = {s.foot if s.foot != "unknown" else str(i): p_.path
             for i, (p_, s) in enumerate(zip(parts, recording.streams))}
    return AnalysisResult(strides=table, bouts=bouts, summary=summary, warnings=warnings, mounts=mounts,
                          paths=paths, settings=settings)


def _synced(recording: Recording) -> bool:
    """Whether two feet share one clock (False if the recording says they are not synchronised)."""
    feet = {s.foot for s in recording.streams}
    if len(recording.streams) < 2 or not {"left", "right"} <= feet:
        return False
    flag = recording.tags.get("synchronized", recording.tags.get("synchronised", True))
    return bool(flag)
