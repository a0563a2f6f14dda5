"""Every threshold of the analysis, in one frozen, documented object.

``AnalysisSettings`` groups the settings by the stage that uses them (stances, gaps, sensor errors,
segments, kinematics, strides, direction, gait). Each field carries its unit and the reason for its
default in its metadata (``field_docs()`` lists them; ``docs/settings.md`` is made from it). A
researcher changes one with ``dataclasses.replace`` or a TOML file (``retrogait analyze --settings
FILE.toml``, read by :func:`retrogait.io.settings_file.read_settings`)::

    from retrogait.analysis.settings import AnalysisSettings
    s = AnalysisSettings.from_dict({"stance": {"gyr_threshold": 0.8}})
    result = retrogait.analyze(rec, settings=s)

Units are SI (s, m, m/s, m/s^2, rad, rad/s); angles are in radians like everywhere inside.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any

from retrogait.definitions import GAP_STEPS
from retrogait.errors import UsageProblem


def _f(default: float, unit: str, why: str, *, low: float | None = 0.0, high: float | None = None,
       integer: bool = False) -> Any:
    """A setting: its default, unit, reason, and the range it must lie in (``low`` exclusive)."""
    return field(default=default, metadata={"unit": unit, "why": why, "low": low, "high": high,
                                            "integer": integer})


@dataclass(frozen=True)
class StanceSettings:
    """How stances are found (:mod:`retrogait.analysis.stance`)."""

    gyr_threshold: float = _f(0.6, "rad/s", "a still foot turns slower than ~34 deg/s over the window; "
                              "swing rotates at 3-10 rad/s, so the margin is wide")
    acc_threshold: float = _f(2.5, "m/s^2", "a still foot's | |f| - g | stays within ~0.25 g; impacts "
                              "and push-off exceed it")
    window: float = _f(0.05, "s", "the still test holds over 50 ms (10 samples at 200 Hz): one sample of "
                       "noise cannot make a stance")
    close_gap: float = _f(0.06, "s", "motion blips shorter than this inside a stance are ignored (a "
                          "tremor or a tap is not a stride)")
    min_stance: float = _f(0.02, "s", "shorter quiet moments are not stances")
    energy_window: float = _f(0.1, "s", "smoothing of the gyro energy used for mid-stance and cycle "
                              "stances (about half a running contact)")
    cycle_window: float = _f(1.6, "s", "the swing around a stance lies within +-0.8 s (every stride is "
                             "shorter than 1.6 s when the foot never rests)")
    cycle_smooth: float = _f(0.03, "s", "smoothing of the motion score: shorter than the quiet part "
                             "of a fast running contact (0.15 s, ~20-30 ms nearly flat at 5 m/s)")
    swing_spacing: float = _f(0.3, "s", "swing peaks closer than this are one swing (a stride is longer)")
    min_stride: float = _f(0.45, "s", "two stances of one foot are at least this far apart (sprints "
                           "~0.5 s per stride)")
    cycle_ratio: float = _f(0.3, "1", "the quietest moment between two swings scores at most this "
                            "fraction of the local maxima", high=1.0)
    swing_min: float = _f(1.0, "rad/s", "gyro energy a swing must reach around a cycle-relative stance")
    cycle_halfwidth: float = _f(0.02, "s", "half width kept around the quietest sample of a rolling "
                                "stance (the zero-velocity anchor)")
    max_tilt: float = _f(math.radians(25.0), "rad", "a stance's gravity direction lies within 25 deg of "
                         "the usual one (a forefoot runner's contact); steeper is a swing pause",
                         high=math.pi / 2)
    max_tilt_brief: float = _f(math.radians(12.0), "rad", "the same for stances shorter than `brief` "
                               "(swing pauses are pitched 20-55 deg)", high=math.pi / 2)
    brief: float = _f(0.15, "s", "stances shorter than this get the stricter tilt test")


@dataclass(frozen=True)
class GapSettings:
    """Missing samples (:mod:`retrogait.analysis.bridging`, :func:`retrogait.analysis.frames.split_at_gaps`)."""

    max_bridge: float = _f(0.15, "s", "longest gap filled by interpolation: shorter than a swing's "
                           "fastest phase, so a stride over it keeps its shape")
    uncertain_gap: float = _f(0.03, "s", "shorter gaps are filled well enough to count as measured "
                              "(a few samples of a smooth signal)")
    gap_steps: float = _f(GAP_STEPS, "sample steps", "a time step this many nominal steps long or more has "
                          "samples missing (retrogait.definitions.GAP_STEPS)", low=1.0)
    split_factor: float = _f(5.0, "x median step", "a step this many times the median (and longer than "
                             "`split_min`) splits the data: no stride spans it", low=1.0)
    split_min: float = _f(0.1, "s", "... and at least this long (a few dropped samples are integrated "
                          "across)")


@dataclass(frozen=True)
class SensorErrorSettings:
    """Sensor errors learned from standing (:mod:`retrogait.analysis.sensor_errors`)."""

    bias_standing: float = _f(1.0, "s", "stances this long are standing: they estimate the gyro bias and "
                              "the accelerometer's rest error")
    bias_trim: float = _f(0.2, "1", "fraction cut from each end of the sorted rest gyro before averaging "
                          "(robust to a fidget)", low=None, high=0.49)
    max_rest_samples: float = _f(200_000, "samples", "rest samples used at most (hours of standing are "
                                 "thinned: time, memory)", integer=True)
    max_gyro_bias: float = _f(0.2, "rad/s", "a larger 'bias' is motion, not a sensor error (MEMS biases "
                              "are < 0.05 rad/s)")
    max_acc_excess: float = _f(0.5, "m/s^2", "a larger rest error is not corrected (not a sensor error)")
    mount_tilt_warn: float = _f(math.radians(15.0), "rad", "stance attitude this far from level means a "
                                "wrong mounting (steeper than any treadmill: 20 % = 11 deg)",
                                high=math.pi / 2)


@dataclass(frozen=True)
class SegmentSettings:
    """Stride segments between stances and the false-stance checks (:mod:`retrogait.analysis.segmentation`)."""

    long_stance: float = _f(1.0, "s", "a stance longer than this is standing; its anchors sit near its "
                            "ends")
    anchor_window: float = _f(0.4, "s", "the anchor of a standing stance lies within this of its end")
    anchor_tol: float = _f(0.05, "rad/s", "an anchor sits mid-way through the samples this close to the "
                           "least rotation (stable against noise)")
    max_motion: float = _f(4.0, "s", "longer movement between two stances is not gait (not integrated; "
                           "heading breaks there)")
    brief_stance: float = _f(0.15, "s", "stances this short are checked for a moving foot")
    moving_stance: float = _f(0.15, "m/s", "a foot this fast is not in stance ...")
    moving_fraction: float = _f(0.22, "1", "... if that is also this fraction of its swing speed",
                                high=1.0)
    bracket: float = _f(2.0, "s", "a rolling stance between still stances this close is checked by "
                        "integrating between them")


@dataclass(frozen=True)
class KinematicsSettings:
    """Strapdown integration and de-drift (:mod:`retrogait.analysis.strapdown`)."""

    stance_mean_halfwidth: float = _f(0.1, "s", "half window around an anchor used to level the foot "
                                      "from gravity")
    flat_halfwidth: float = _f(0.03, "s", "half window around an anchor for the foot-flat pitch (grade)")
    drift_dynamics: float = _f(3.0, "1", "weight of | |f| - g | / g in the velocity de-drift (a 1 % scale "
                               "error against a 0.2 deg tilt)", low=None)
    impact_jerk: float = _f(1000.0, "m/s^3", "jerk at which the impact term of the de-drift equals the "
                            "even term (0.1 g per ms; voluntary motion stays ~30x below)")
    bridged_dynamics: float = _f(0.1, "m/s^2", "a filled sample whose gap moves this much weighs as much "
                                 "as the even term")
    chunk_samples: float = _f(1_000_000, "samples", "segments integrated together (bounds memory: ~280 bytes "
                              "a sample while integrated)",
                              integer=True)


@dataclass(frozen=True)
class StrideSettings:
    """Which segments are strides, and how they group into bouts (:mod:`retrogait.analysis.stride_table`)."""

    swing_peak: float = _f(1.0, "rad/s", "a stride's swing rotates the foot at least this fast")
    min_swing_time: float = _f(0.12, "s", "of motion between the two stances")
    min_displacement: float = _f(0.08, "m", "a stride moves the foot this far ...")
    min_lift: float = _f(0.025, "m", "... or lifts it this high (stepping in place)")
    bout_standing: float = _f(1.5, "s", "standing this long ends a walking bout")
    turning: float = _f(math.radians(20.0), "rad", "strides turning more than this are not steady",
                        high=math.pi)


@dataclass(frozen=True)
class DirectionSettings:
    """Forward / backward / sideways / in place (:mod:`retrogait.analysis.direction`)."""

    in_place_below: float = _f(0.10, "m", "displacement under this is in place (above it + 0.08 m it "
                               "is not)")
    sideways_sin: float = _f(0.75, "1", "|sin(angle)| above which a displacement starts to count as "
                             "sideways (49 deg off the foot axis)", high=1.0)
    switch_prob: float = _f(0.05, "1", "prior probability that the direction changes between "
                            "consecutive strides of a bout", high=0.5)


@dataclass(frozen=True)
class GaitSettings:
    """Walk / run and the running parameters (:mod:`retrogait.analysis.gaitmode`, events)."""

    run_duty: float = _f(0.5, "1", "running is the gait with a duty factor below 0.5 (a flight phase)",
                         high=1.0)
    duty_spread: float = _f(0.04, "1", "width of the logistic evidence around `run_duty` (the scatter "
                            "of single strides)")
    rearfoot_above: float = _f(math.radians(8.0), "rad", "strike angle above which a contact is "
                               "rearfoot", low=None)
    forefoot_below: float = _f(math.radians(-1.6), "rad", "strike angle below which a contact is "
                               "forefoot", low=None)
    impact_before: float = _f(0.02, "s", "peak impact is searched from this before initial contact ...")
    impact_after: float = _f(0.06, "s", "... to this after it")
    tc_plateau: float = _f(math.radians(2.0), "rad", "terminal contact: the pitch has left its stance "
                           "plateau by this much")
    contact_reach: float = _f(0.2, "s", "running events lie within this of the stance regions (contact "
                              "0.15-0.3 s)")
    tc_lift: float = _f(0.004, "m", "running terminal contact: the sensor's path has left the lever "
                        "about the last contact point by this much (the sole's compression)")
    tc_min_turn: float = _f(math.radians(5.0), "rad", "... fitted where the foot turns at least this much "
                            "(else: the fastest push-off rotation)")


GROUPS = ("stance", "gaps", "sensor", "segments", "kinematics", "strides", "direction", "gait")


@dataclass(frozen=True)
class AnalysisSettings:
    """Every threshold of the analysis, grouped by stage; the defaults are the validated method."""

    stance: StanceSettings = field(default_factory=StanceSettings)
    gaps: GapSettings = field(default_factory=GapSettings)
    sensor: SensorErrorSettings = field(default_factory=SensorErrorSettings)
    segments: SegmentSettings = field(default_factory=SegmentSettings)
    kinematics: KinematicsSettings = field(default_factory=KinematicsSettings)
    strides: StrideSettings = field(default_factory=StrideSettings)
    direction: DirectionSettings = field(default_factory=DirectionSettings)
    gait: GaitSettings = field(default_factory=GaitSettings)

    def __post_init__(self) -> None:
        for g in GROUPS:
            group = getattr(self, g)
            for f in fields(group):
                _check_value(f"{g}.{f.name}", getattr(group, f.name), f.metadata)

    def to_dict(self) -> dict[str, dict[str, float]]:
        """Nested plain dict ``{group: {name: value}}`` (JSON and TOML ready)."""
        return {g: {f.name: getattr(getattr(self, g), f.name) for f in fields(getattr(self, g))} for g in GROUPS}

    def changed(self) -> dict[str, dict[str, float]]:
        """Only the values that differ from the defaults (what a study's methods section must state)."""
        base = AnalysisSettings().to_dict()
        out: dict[str, dict[str, float]] = {}
        for g, values in self.to_dict().items():
            diff = {k: v for k, v in values.items() if v != base[g][k]}
            if diff:
                out[g] = diff
        return out

    @classmethod
    def from_dict(cls, data: Any, source: str = "settings") -> AnalysisSettings:
        """Settings from ``{group: {name: value}}`` (missing values keep their defaults).

        Raises UsageProblem naming ``source`` and the key for an unknown group or name, a value that is
        not a number, or one outside its range.
        """
        if not isinstance(data, dict):
            raise UsageProblem(f"{source}: expected a table of setting groups ({', '.join(GROUPS)})")
        base = cls()
        parts: dict[str, Any] = {}
        for g, values in data.items():
            if g not in GROUPS:
                raise UsageProblem(f"{source}: unknown settings group [{g}] (expected one of {', '.join(GROUPS)})")
            if not isinstance(values, dict):
                raise UsageProblem(f"{source}: [{g}] must be a table of settings")
            group = getattr(base, g)
            names = {f.name: f for f in fields(group)}
            new: dict[str, float] = {}
            for k, v in values.items():
                if k not in names:
                    raise UsageProblem(f"{source}: unknown setting {g}.{k} (known: {', '.join(names)})")
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    raise UsageProblem(f"{source}: {g}.{k} must be a number, got {v!r}")
                new[k] = float(v)
            parts[g] = replace(group, **new)
        return replace(base, **parts)


def _check_value(name: str, v: Any, meta: Any) -> None:
    """UsageProblem unless ``v`` is a finite number within the setting's range."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise UsageProblem(f"setting {name} must be a finite number, got {v!r}")
    low, high = meta.get("low"), meta.get("high")
    if low is not None and not v > low:
        raise UsageProblem(f"setting {name} must be greater than {low:g} ({meta['unit']}), got {v:g}")
    if high is not None and v > high:
        raise UsageProblem(f"setting {name} must be at most {high:g} ({meta['unit']}), got {v:g}")
    if meta.get("integer") and v != int(v):
        raise UsageProblem(f"setting {name} must be a whole number, got {v:g}")


def field_docs() -> list[tuple[str, float, str, str]]:
    """``(group.name, default, unit, reason)`` for every setting, in order (for docs and --help)."""
    out = []
    base = AnalysisSettings()
    for g in GROUPS:
        group = getattr(base, g)
        assert is_dataclass(group)
        for f in fields(group):
            out.append((f"{g}.{f.name}", getattr(group, f.name), f.metadata["unit"], f.metadata["why"]))
    return out


DEFAULT = AnalysisSettings()
