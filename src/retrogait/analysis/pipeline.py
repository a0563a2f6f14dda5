"""The analysis pipeline: recording -> strides, direction, parameters, bouts and session summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from retrogait.analysis import frames
from retrogait.analysis.direction import classify, direction_probabilities
from retrogait.analysis.bridging import MAX_BRIDGE, FilledSamples, bridge_gaps, refill_from_neighbours
from retrogait.analysis.events import contact_events, running_events, swing_bounds, swing_signals
from retrogait.analysis.gaitmode import duty_factor, flight_time, gait_modes, peak_impact, strike_pattern
from retrogait.analysis.incline import stride_grade
from retrogait.analysis.parameters import path_shape, segment_any, segment_max
from retrogait.analysis.ranges import range_sums, row_norm
from retrogait.analysis.result import AnalysisResult, StrideTable
from retrogait.analysis.segmentation import MAX_MOTION, Segments, anchors, segments
from retrogait.analysis.stance import (
    StanceSettings,
    cycle_stances,
    drop_tilted,
    gyro_energy,
    held_counts,
    stance_regions,
    zero_velocity,
)
from retrogait.analysis.strapdown import integrate
from retrogait.analysis.summary import bouts_of, summarize
from retrogait.errors import NoGaitError
from retrogait.io.recording import GRAVITY, Recording, Stream

CHUNK_SAMPLES = 1_500_000  # samples of segments integrated together (bounds memory)
SWING_PEAK = 1.0  # rad/s: a stride's swing must rotate the foot at least this fast
MIN_SWING_TIME = 0.12  # s of motion between the two stances
MIN_DISPLACEMENT = 0.08  # m: a stride moves the foot this far ...
MIN_LIFT = 0.025  # m: ... or lifts it this high (stepping in place)
BOUT_STANDING = 1.5  # s of standing that ends a walking bout
TURNING = np.deg2rad(20.0)  # strides turning more than this are not steady
BIAS_STANDING = 1.0  # s: stances this long estimate the gyro bias and the accelerometer's rest error
BIAS_TRIM = 0.2  # fraction cut from each end before averaging the rest gyro
MAX_REST_SAMPLES = 200_000  # rest samples used for the sensor error estimates
MAX_ACC_EXCESS = 0.5  # m/s^2: a larger rest error than this is not corrected (not a sensor error)
MOUNT_TILT_WARN = np.deg2rad(15.0)  # stance attitude this far from level means a wrong mounting
BRIEF_STANCE = 0.15  # s: stances this short are checked for a moving foot
MOVING_STANCE = 0.15  # m/s: a foot this fast is not in stance ...
MOVING_FRACTION = 0.22  # ... if that is also this fraction of its swing speed
BRACKET = 2.0  # s: a rolling stance between still stances this close is checked for a moving foot


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


def _no_gait_reason(swing_max: float, n_stances: int, s: StanceSettings) -> str:
    """Why a stream holds no stride (``swing_max``: its highest gyro energy, rad/s): no swing at all,
    swings with no stance between them, or movements too small to be strides."""
    if swing_max < s.swing_min:
        return (f"the sensor never turned faster than {s.swing_min:g} rad/s as a swinging foot does "
                "(only standing or sitting, or not on a foot)")
    if n_stances < 2:
        return ("the sensor moved but never came to rest or rolled on the ground between swings "
                "(cycling, a vehicle, or not on a foot?)")
    return ("no movement between two stances looked like a stride (a swing faster than "
            f"{SWING_PEAK:g} rad/s for {MIN_SWING_TIME:g} s that moves the foot {MIN_DISPLACEMENT * 100:g} cm "
            f"or lifts it {MIN_LIFT * 100:g} cm)")


def _motion_left_out(t: np.ndarray, starts: np.ndarray, stops: np.ndarray, block_id: np.ndarray,
                     energy: np.ndarray, label: str, s: StanceSettings) -> list[str]:
    """A warning for the stretches of motion longer than MAX_MOTION with no stance (left out)."""
    if starts.size < 2:
        return []
    a, b = stops[:-1], starts[1:]
    long_ = (block_id[1:] == block_id[:-1]) & ((t[b] - t[a]) > MAX_MOTION)
    if not long_.any():
        return []
    moving = np.array([float(energy[x:y].max()) >= s.swing_min for x, y in zip(a[long_], b[long_])])
    if not moving.any():
        return []
    a, b = a[long_][moving], b[long_][moving]
    total = float((t[b] - t[a]).sum())
    return [f"{label}: {a.size} stretch(es) of motion without any stance ({total:.0f} s in all, the first "
            f"from {t[a[0]]:.1f} s to {t[b[0]]:.1f} s) left out: not walking or running (cycling, a vehicle?)"]


def _rest_samples(starts: np.ndarray, stops: np.ndarray, rate: float) -> np.ndarray:
    """Sample indices inside long stances (standing: the foot really is still), ends trimmed."""
    long_ = (stops - starts) > BIAS_STANDING * rate
    trim = int(0.2 * rate)
    a, b = starts[long_] + trim, stops[long_] - trim
    ranges = [np.arange(x, y) for x, y in zip(a[:200], b[:200]) if y > x]
    if not ranges:
        return np.zeros(0, dtype=np.int64)
    rest = np.concatenate(ranges)
    step = -(-rest.shape[0] // MAX_REST_SAMPLES)  # thin out hours of standing (memory, time)
    return rest[::step]


def _gyro_bias(gyr: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """Gyro bias: trimmed mean over the rest samples (zero if there are none).

    Trimmed (robust to a fidget while standing) but a mean, not the median: the output is quantized
    (0.06 deg/s per step at 16 bits over +-2000 deg/s) and a median snaps to a step, leaving up to half
    a step of bias however long the rest; the noise dithers the steps, so the mean resolves it.
    """
    if rest.size == 0:
        return np.zeros(3)
    srt = np.sort(gyr[rest], axis=0)
    cut = int(BIAS_TRIM * srt.shape[0])
    bias = srt[cut : srt.shape[0] - cut].mean(axis=0)
    return bias if np.linalg.norm(bias) < 0.2 else np.zeros(3)


def _acc_bias(sig: frames.FootSignals, acc_norm: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """Accelerometer error along the rest vertical (foot frame, m/s^2): a still foot must read g.

    An excess of the rest magnitude over g is a bias or scale error of the sensor axis that points up
    in stance. Fixed to the sensor, it turns with the foot in the swing and leaks ``excess * sin(pitch)``
    into the horizontal acceleration, which the zero-velocity de-drift cannot separate from the real
    motion. Tilt errors along the other axes are absorbed by levelling from gravity at each stance.
    Local gravity differs from the standard value by at most ~0.03 m/s^2, well below typical errors.
    """
    if rest.size == 0:
        return np.zeros(3)
    excess = float(np.median(acc_norm[rest])) - GRAVITY
    if abs(excess) > MAX_ACC_EXCESS:
        return np.zeros(3)
    up = sig.to_foot(sig.acc[rest].sum(axis=0))
    return excess * up / np.linalg.norm(up)


def _unbiased_norm(gyr: np.ndarray, gyr_norm: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Norm of ``gyr - bias`` per row, from the raw norms (no (N, 3) copy of a long recording)."""
    dot = gyr[:, 0] * bias[0] + gyr[:, 1] * bias[1] + gyr[:, 2] * bias[2]
    return np.sqrt(np.maximum(gyr_norm * gyr_norm - 2.0 * dot + float(bias @ bias), 0.0))


def _stance_tilt(sig: frames.FootSignals, starts: np.ndarray, stops: np.ndarray) -> float:
    """Angle (rad) between the mean stance gravity direction in the foot frame and the foot's z axis."""
    if starts.size == 0:
        return 0.0
    up = sig.to_foot(range_sums(sig.acc, starts, stops).sum(axis=0))
    return float(np.arccos(np.clip(up[2] / np.linalg.norm(up), -1.0, 1.0)))


def _chunks(lens: np.ndarray) -> list[slice]:
    """Consecutive slices of segments whose total length stays under CHUNK_SAMPLES."""
    out, a, total = [], 0, 0
    for i, n in enumerate(lens.tolist()):
        if total and total + n > CHUNK_SAMPLES:
            out.append(slice(a, i))
            a, total = i, 0
        total += n
    out.append(slice(a, lens.shape[0]))
    return out


def analyze_stream(
    stream: Stream,
    mount: Any = None,
    source: str = "recording",
    profile_lookup: Callable[[Stream], Any] | None = None,
    progress: Callable[[float], None] | None = None,
) -> StreamAnalysis:
    """Strides of one stream (one foot), with every per-stride parameter except cross-foot ones."""
    label = f"{source} ({stream.foot} foot)" if stream.foot != "unknown" else source
    rate = stream.rate
    frames.require_samples(stream, label, rate)
    rot, rot_source = frames.resolve_mount(stream, mount, profile_lookup)
    stream, filled, n_bridged = bridge_gaps(stream)
    acc = np.asarray(stream.acc, dtype=np.float64)  # sensor frame; norms need no rotation
    gyr = np.asarray(stream.gyr, dtype=np.float64)
    acc_norm = row_norm(acc)
    gyr_norm = row_norm(gyr)
    frames.check_units(acc_norm, gyr_norm, label)
    sig = frames.FootSignals(acc, gyr, rot)
    t = stream.t
    warnings: list[str] = []
    blocks = frames.split_at_gaps(t, label)
    if n_bridged:
        warnings.append(f"{label}: {n_bridged} short gap(s) (<= {MAX_BRIDGE:g} s, e.g. lost packets) bridged by "
                        "interpolation; strides over them are flagged 'bridged'")
    if len(blocks) > 1:
        warnings.append(f"{label}: {len(blocks) - 1} gap(s) longer than {MAX_BRIDGE:g} s in the data; no stride "
                        "spans them")

    s = StanceSettings()
    energy = gyro_energy(gyr_norm, rate, s)
    still = drop_tilted(zero_velocity(acc_norm, gyr_norm, rate, s), acc, rate, s)
    cycle = drop_tilted(cycle_stances(gyr_norm, acc_norm, still, rate, s, energy), acc, rate, s, still, rolling=True)
    stance = still | cycle
    starts, stops = stance_regions(stance, blocks)
    rolling = held_counts(still, starts, stops) == 0  # the foot never came to rest in this stance
    del still, cycle, stance
    bstart = np.array([b[0] for b in blocks])
    block_id = np.searchsorted(bstart, starts, side="right") - 1
    # sensor errors first, from standing: the anchors go where the foot rotates least, measured
    # without the gyro bias (with it, a slow roll at minus the bias looks quieter than rest)
    rest = _rest_samples(starts, stops, rate)
    sig.gyr_bias = _gyro_bias(gyr, rest)
    sig.acc_bias = _acc_bias(sig, acc_norm, rest)
    del acc_norm, rest
    unbiased = _unbiased_norm(gyr, gyr_norm, sig.gyr_bias) if sig.gyr_bias.any() else gyr_norm
    energy = gyro_energy(unbiased, rate, s)
    del unbiased
    segs = segments(starts, stops, block_id, energy, rate, rolling)
    false = np.union1d(_moving_stances(t, sig, segs, rate),
                       _moving_rolling_stances(t, sig, starts, stops, block_id, rolling, energy, rate, s))
    if false.size:
        keep = np.ones(starts.shape[0], dtype=bool)
        keep[false] = False
        starts, stops, block_id, rolling = starts[keep], stops[keep], block_id[keep], rolling[keep]
        segs = segments(starts, stops, block_id, energy, rate, rolling)
    if filled is not None and len(segs):
        # an uncertain gap inside a stride: the neighbouring stride's samples at the same phase
        for x in (acc, gyr):
            refill_from_neighbours(x, filled, segs.start, segs.end, segs.chained)
        gyr_norm = row_norm(gyr)
    warnings += _motion_left_out(t, starts, stops, block_id, energy, label, s)
    no_gait = _no_gait_reason(float(energy.max(initial=0.0)), starts.size, s)
    del energy
    info = {"matrix": rot.tolist(), "source": rot_source}
    if len(segs) == 0:
        return StreamAnalysis(StrideTable.empty(), warnings, info, stream.duration, no_gait=no_gait)
    tilt = _stance_tilt(sig, starts, stops)
    wrong_mount = bool(tilt > MOUNT_TILT_WARN)  # steeper than any treadmill (20 % = 11 deg)
    if wrong_mount:
        warnings.append(
            f"{label}: in stance the foot frame is tilted {np.degrees(tilt):.0f} deg from level: the sensor "
            f"mounting ({rot_source}) looks wrong; run 'retrogait calibrate' (stand, then walk forward) "
            "or pass --mount; until then directions are unreliable and no incline is reported"
        )
    sat = frames.saturation_mask(stream.acc) | frames.saturation_mask(stream.gyr)

    per = _integrate_all(t, sig, gyr_norm, sat, filled, segs, rate, progress)
    stride = (
        (per["swing_peak"] >= SWING_PEAK)
        & ((segs.still_from - segs.still_until) >= MIN_SWING_TIME * rate)
        & ((np.hypot(per["disp"][:, 0], per["disp"][:, 1]) >= MIN_DISPLACEMENT) | (per["clear"] >= MIN_LIFT))
    )
    # heading and path chained over every segment (strides or not)
    heading = _chained_heading(per["yaw_end"], per["stand_yaw"])
    c, s_ = np.cos(heading), np.sin(heading)
    d = per["disp"]
    world = np.column_stack([c * d[:, 0] - s_ * d[:, 1], s_ * d[:, 0] + c * d[:, 1], d[:, 2]])
    position = np.vstack([np.zeros(3), np.cumsum(world, axis=0)[:-1]])

    path = np.column_stack(
        [t[np.r_[segs.start, segs.end[-1]]], np.vstack([position, position[-1] + world[-1]])]
    )
    k = np.flatnonzero(stride)
    if k.size == 0:
        return StreamAnalysis(StrideTable.empty(), warnings, info, stream.duration, path, no_gait=no_gait)
    # bouts: consecutive stride segments without long standing or anything else in between
    new_bout = np.ones(k.size, dtype=bool)
    new_bout[1:] = ~(
        (k[1:] == k[:-1] + 1) & segs.chained[k[1:]] & (segs.standing_before[k[1:]] <= BOUT_STANDING)
    )
    bout = np.cumsum(new_bout) - 1
    # displacement in the stride's mean heading (start heading + half the turn): a turning stride
    # travels along where the foot points midway, not where it pointed at the start
    half = -0.5 * np.angle(np.exp(1j * per["yaw_end"][k]))
    d_mid = np.column_stack([np.cos(half) * d[k, 0] - np.sin(half) * d[k, 1],
                             np.sin(half) * d[k, 0] + np.cos(half) * d[k, 1]])
    prob = direction_probabilities(d_mid, per["pitch_tc"][k], per["pitch_ic"][k], per["pitch_end"][k])
    direction, conf = classify(prob, bout)

    t_start, t_end = t[segs.start[k]], t[segs.end[k]]
    duty_run = duty_factor(t_end - t_start - (per["t_land"][k] - per["t_lift"][k]), t_end - t_start)
    gait = gait_modes(np.where(np.isin(direction, ("forward", "backward")), duty_run, 1.0), bout)
    run = gait == "run"
    t_tc = np.where(run, per["t_tc_run"][k], per["t_tc"][k])
    t_ic = np.where(run, per["t_ic_run"][k], per["t_ic"][k])
    pitch_ic = np.where(run, per["pitch_ic_run"][k], per["pitch_ic"][k])
    prev_ic = np.where(new_bout, np.nan, np.r_[np.nan, t_ic[:-1]])
    stride_time = np.where(np.isfinite(prev_ic), t_ic - prev_ic, t_end - t_start)
    swing = t_ic - t_tc
    length = np.hypot(d[k, 0], d[k, 1])
    last_of_bout = np.r_[new_bout[1:], True]
    turn = np.angle(np.exp(1j * per["yaw_end"][k]))
    steady = ~new_bout & ~last_of_bout & (np.abs(turn) <= TURNING)
    pitch_ff = per["pitch_end"][k]
    stance_time = stride_time - swing
    duty = duty_factor(stance_time, stride_time)
    strike_angle = pitch_ic - pitch_ff
    table = StrideTable(
        foot=np.full(k.size, stream.foot, dtype="<U14"),
        t_start=t_start,
        t_end=t_end,
        t_ic=t_ic,
        t_tc=t_tc,
        stride_time=stride_time,
        stance_time=stance_time,
        swing_time=swing,
        stride_length=length,
        stride_vector=world[k, :2],
        signed_length=d[k, 0],
        lateral_deviation=d[k, 1],
        max_lateral_excursion=per["lat"][k],
        clearance=per["clear"][k],
        turn_angle=turn,
        pitch_ic=pitch_ic,
        pitch_ff=pitch_ff,
        direction=direction.astype("<U14"),
        direction_confidence=conf,
        speed=length / np.maximum(t_end - t_start, 1e-9),
        bout=bout.astype(np.int64),
        steady=steady,
        grade_pct=np.full(k.size, np.nan) if wrong_mount else stride_grade(pitch_ff, direction),
        saturated=per["saturated"][k],
        bridged=per["bridged"][k],
        gait=gait,
        duty_factor=duty,
        flight_time=flight_time(stance_time, stride_time, gait),
        strike=strike_pattern(strike_angle),
        strike_angle=strike_angle,
        peak_impact_g=peak_impact(acc, t, t_ic),
        rolling_stance=segs.rolling[k],
        position=position[k],
    )
    n_sat = int(table.saturated.sum())
    if n_sat:
        warnings.append(f"{label}: {n_sat} stride(s) hit the sensor's range (clipped samples, flagged 'saturated'): "
                        "the rotation or impact beyond the range is lost, so their length and angles are less "
                        "certain (a sensor set to +-2000 deg/s and +-16 g avoids it)")
    return StreamAnalysis(table, warnings, info, stream.duration, path)


def _moving_stances(t: np.ndarray, sig: frames.FootSignals, segs: Segments, rate: float) -> np.ndarray:
    """Brief stance regions where the foot was in fact moving (a pause of the rotation mid-swing).

    The two segments around each brief stance are integrated as one; if the foot's velocity at the
    stance is well above zero, the stance is not one. Returns the indices of those regions.
    """
    brief = (segs.stance1_stop - segs.still_from) < BRIEF_STANCE * rate
    k = np.flatnonzero(brief[:-1] & segs.chained[1:] & (segs.region[1:] == segs.region[:-1] + 1))
    if k.size == 0:
        return k
    tr = integrate(
        t, sig, segs.start[k], segs.end[k + 1], segs.still_until[k], segs.still_from[k + 1],
        segs.stance0_start[k], segs.stance1_stop[k + 1], rate, segs.rolling[k] | segs.rolling[k + 1],
    )
    mid = tr.first + (segs.end[k] - segs.start[k])
    dt = t[tr.idx[mid + 1]] - t[tr.idx[mid - 1]]
    v = row_norm(tr.pos[mid + 1] - tr.pos[mid - 1]) / dt
    # peak speed over the merged pair: integration drift over two strides scales with it (running)
    step = np.diff(tr.pos, axis=0, prepend=tr.pos[:1])
    speed = row_norm(step) / np.maximum(np.diff(t[tr.idx], prepend=t[tr.idx[0]]), 1e-9)
    speed[tr.first] = 0.0
    v_max = np.maximum.reduceat(speed, tr.first)
    moving = v > np.maximum(MOVING_STANCE, MOVING_FRACTION * v_max)
    return segs.region[k[moving]] + 1


def _moving_rolling_stances(
    t: np.ndarray, sig: frames.FootSignals, starts: np.ndarray, stops: np.ndarray, block_id: np.ndarray,
    rolling: np.ndarray, energy: np.ndarray, rate: float, s: StanceSettings,
) -> np.ndarray:
    """Rolling stance regions that were a pause of the swing, judged between the still stances.

    In slow walking a swing that turns about one axis only pauses its rotation where the pitch
    reverses (after toe-off, before landing) as quietly as a stance. A rolling stance found between two
    still stances no more than ``BRACKET`` s apart is checked by integrating from the still stance
    before it to the one after it, where the foot truly is at rest: on the ground the foot is near the
    attitude it had at the still stance (within ``max_tilt_brief``; swing pauses are pitched 20-55
    deg) and no faster than ``MOVING_STANCE`` (or ``MOVING_FRACTION`` of the bracket's peak speed). On
    the PyShoe running trials the rolling stances so bracketed are within 3 deg. Rolling stances with
    no such bracket (running on) are left to the cycle rule. Returns region indices.
    """
    r = np.flatnonzero(rolling)
    if r.size == 0:
        return r
    idx = np.arange(starts.shape[0])
    prev_still = np.maximum.accumulate(np.where(~rolling, idx, -1))
    nxt = np.where(~rolling, idx, starts.shape[0])
    next_still = np.minimum.accumulate(nxt[::-1])[::-1]
    p, q = prev_still[r], next_still[r]
    ok = (p >= 0) & (q < starts.shape[0])
    p_, q_ = np.clip(p, 0, starts.shape[0] - 1), np.clip(q, 0, starts.shape[0] - 1)
    ok &= (block_id[p_] == block_id[q_]) & ((starts[q_] - stops[p_]) <= BRACKET * rate)
    if not ok.any():
        return np.zeros(0, dtype=np.int64)
    r, p, q = r[ok], p[ok], q[ok]
    entry, exit_ = anchors(starts, stops, energy, rate)
    pairs, inv = np.unique(np.column_stack([p, q]), axis=0, return_inverse=True)
    a, b = pairs[:, 0], pairs[:, 1]
    tr = integrate(t, sig, exit_[a], entry[b], stops[a], starts[b], starts[a], stops[b], rate)
    pos = tr.first[inv] + (entry[r] - exit_[a][inv])  # the rolling stance's anchor in the flat arrays
    dt = t[tr.idx[pos + 1]] - t[tr.idx[pos - 1]]
    v = row_norm(tr.pos[pos + 1] - tr.pos[pos - 1]) / dt
    step = np.diff(tr.pos, axis=0, prepend=tr.pos[:1])
    speed = row_norm(step) / np.maximum(np.diff(t[tr.idx], prepend=t[tr.idx[0]]), 1e-9)
    speed[tr.first] = 0.0
    v_max = np.maximum.reduceat(speed, tr.first)[inv]
    # the attitude at the stance against the still stance before it (integrated, levelled there)
    tilt = np.hypot(tr.pitch[pos] - tr.pitch[tr.first[inv]], tr.roll[pos] - tr.roll[tr.first[inv]])
    moving = v > np.maximum(MOVING_STANCE, MOVING_FRACTION * v_max)
    return r[moving | (tilt > s.max_tilt_brief)]


def _chained_heading(yaw_end: np.ndarray, stand_yaw: np.ndarray) -> np.ndarray:
    """Heading of each segment's start: the sum of all earlier yaw changes (carried across breaks too:
    the heading across a gap is unknown, and keeping it is the best guess)."""
    return np.cumsum(np.r_[0.0, yaw_end[:-1]] + stand_yaw)


def _integrate_all(
    t: np.ndarray,
    sig: frames.FootSignals,
    gyr_norm: np.ndarray,
    sat: np.ndarray,
    filled: FilledSamples | None,
    segs: Segments,
    rate: float,
    progress: Callable[[float], None] | None,
) -> dict[str, np.ndarray]:
    """Integrate all segments chunk by chunk; per-segment results."""
    m = len(segs)
    lens = segs.end - segs.start + 1
    keys2 = ("yaw_end", "pitch_end", "pitch_tc", "pitch_ic", "t_tc", "t_ic", "lat", "clear", "swing_peak",
             "t_tc_run", "t_ic_run", "pitch_ic_run", "t_lift", "t_land")
    out: dict[str, np.ndarray] = {key: np.zeros(m) for key in keys2}
    out["disp"] = np.zeros((m, 3))
    out["saturated"] = np.zeros(m, dtype=bool)
    out["bridged"] = np.zeros(m, dtype=bool)
    chunks = _chunks(lens)
    for i, sl in enumerate(chunks):
        tr = integrate(
            t, sig, segs.start[sl], segs.end[sl], segs.still_until[sl], segs.still_from[sl],
            segs.stance0_start[sl], segs.stance1_stop[sl], rate, segs.rolling[sl], filled,
        )
        sw = swing_signals(tr, t, sig.acc)
        ev = contact_events(tr, t, sw)
        lat, clear = path_shape(tr)
        out["disp"][sl] = tr.disp
        out["yaw_end"][sl] = tr.yaw_end
        out["pitch_end"][sl] = tr.pitch_end
        out["pitch_tc"][sl], out["pitch_ic"][sl] = ev["pitch_tc"], ev["pitch_ic"]
        out["t_tc"][sl], out["t_ic"][sl] = ev["t_tc"], ev["t_ic"]
        bounds = swing_bounds(tr, sw)
        out["t_lift"][sl], out["t_land"][sl] = bounds["t_tc"], bounds["t_ic"]
        run = running_events(tr, sw, segs.still_until[sl], segs.still_from[sl])
        del sw
        out["t_tc_run"][sl], out["t_ic_run"][sl], out["pitch_ic_run"][sl] = run["t_tc"], run["t_ic"], run["pitch_ic"]
        out["lat"][sl], out["clear"][sl] = lat, clear
        out["swing_peak"][sl] = segment_max(gyr_norm, tr)
        out["saturated"][sl] = segment_any(sat, tr)
        if filled is not None:
            out["bridged"][sl] = segment_any(filled.mask, tr)
        if progress is not None:
            progress((i + 1) / len(chunks))
    # yaw turned while standing between segments (gyro z over the standing part)
    wz = np.concatenate([[0.0], np.cumsum(sig.foot_component(2)[:-1] * np.diff(t))])
    out["stand_yaw"] = wz[segs.stand_end] - wz[segs.stand_start]
    return out


def analyze(
    recording: Recording,
    mount: Any = None,
    *,
    progress: Callable[[float], None] | None = None,
    profile_lookup: Callable[[Stream], Any] | None | str = "default",
) -> AnalysisResult:
    """Analyze a recording: every stride of every foot, its direction and parameters, bouts, summary.

    ``mount`` (optional) overrides the sensor->foot rotation: a 3x3 matrix for every stream or a dict
    ``{"left": m, "right": m}``. Otherwise the stream's stored mounting is used, then the device
    profile saved by ``retrogait calibrate``, then identity. Raises NoGaitError when no stride is found.

    Example::

        result = analyze(load_recording("session.rgt"))
        print(result.summary["cadence_steps_per_min"], result.strides.direction[:10])
    """
    if profile_lookup == "default":
        from retrogait.analysis.calibration import profile_mount

        profile_lookup = profile_mount
    source = recording.source or "recording"
    if not recording.streams:
        raise NoGaitError(f"{source}: the recording has no sensor streams")
    parts: list[StreamAnalysis] = []
    n = len(recording.streams)
    for i, stream in enumerate(recording.streams):
        prog = None
        if progress is not None:
            prog = lambda f, i=i: progress((i + f) / n)  # noqa: E731
        parts.append(analyze_stream(stream, mount, source, profile_lookup, prog))
    table = StrideTable.concat([p.table for p in parts])
    warnings = list(recording.warnings) + [w for p in parts for w in p.warnings]
    if len(table) == 0:
        why = "; ".join(sorted({p.no_gait for p in parts if p.no_gait})) or "no stride-like movement"
        raise NoGaitError(f"{source}: no strides found in {recording.duration:.1f} s of data: {why}")
    # bouts numbered across feet in time order
    key = np.char.add(table.foot.astype(str), np.char.mod("%d", table.bout))
    _, first_idx, inv = np.unique(key, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(table.t_start[first_idx]))
    table.bout = rank[inv].astype(np.int64)
    bouts = bouts_of(table)
    summary = summarize(table, bouts, recording, two_feet_synced=_synced(recording))
    summary["warnings"] = warnings
    mounts = {p_.table.foot[0] if len(p_.table) else s.foot: p_.mount for p_, s in zip(parts, recording.streams)}
    paths = {s.foot if s.foot != "unknown" else str(i): p_.path
             for i, (p_, s) in enumerate(zip(parts, recording.streams))}
    return AnalysisResult(strides=table, bouts=bouts, summary=summary, warnings=warnings, mounts=mounts,
                          paths=paths)


def _synced(recording: Recording) -> bool:
    """Whether two feet share one clock (False if the recording says they are not synchronised)."""
    feet = {s.foot for s in recording.streams}
    if len(recording.streams) < 2 or not {"left", "right"} <= feet:
        return False
    flag = recording.tags.get("synchronized", recording.tags.get("synchronised", True))
    return bool(flag)
