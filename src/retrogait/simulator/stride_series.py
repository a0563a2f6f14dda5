"""Synthetic stride tables with known variability, for tests and the validation benchmark.

The series are AR(1) around their means (stride series are persistent), so the bootstrap has real
autocorrelation to deal with. The true SD of each series is the requested one. The stance fraction
varies from stride to stride (stance and swing times are not just scaled stride times), and a few
strides per hundred are corrective in-place steps when ``corrective_per_100`` > 0.
"""

from __future__ import annotations

import numpy as np


def ar1(n: int, sd: float, phi: float, rng: np.random.Generator) -> np.ndarray:
    """A stationary AR(1) series of length n with marginal SD ``sd`` and lag-1 correlation ``phi``."""
    e = rng.normal(0.0, sd * np.sqrt(1.0 - phi * phi), n)
    x = np.empty(n)
    x[0] = rng.normal(0.0, sd)
    for i in range(1, n):  # n is a few hundred strides
        x[i] = phi * x[i - 1] + e[i]
    return x


def synthetic_strides(
    n: int = 200,
    *,
    stride_time: float = 1.2,
    stride_time_cv: float = 2.5,
    stride_length: float = 0.8,
    stride_length_cv: float = 3.0,
    stance_fraction: float = 0.62,
    stance_fraction_sd: float = 0.01,
    lateral_sd: float = 0.02,
    clearance: float = 0.10,
    clearance_cv: float = 8.0,
    direction: str = "backward",
    feet: tuple[str, ...] = ("left",),
    corrective_per_100: float = 0.0,
    phi: float = 0.4,
    seed: int | np.random.Generator = 0,
) -> dict[str, np.ndarray]:
    """A StrideTable-like dict of ``n`` strides per foot in one straight bout (CVs in percent).

    ``stance_fraction_sd`` is the stride-to-stride SD of the stance fraction (AR(1), like the rest).
    Each stride is a corrective in-place step with probability ``corrective_per_100`` / 100 (it
    interrupts the run, so its neighbours are not steady). With two feet the right foot's
    strides are offset by half a stride and ``t_ic`` alternates, so step times are half the stride time.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    base = stride_time + ar1(n + 2, stride_time * stride_time_cv / 100.0, phi, rng)
    onsets = np.r_[0.0, np.cumsum(base)]
    parts = []
    for k, foot in enumerate(feet):
        # the feet alternate: the second foot's strides start half way through the first foot's
        t_start = onsets[:n] if k == 0 else 0.5 * (onsets[:n] + onsets[1 : n + 1])
        st = np.diff(onsets[: n + 1]) if k == 0 else np.diff(0.5 * (onsets[: n + 1] + onsets[1 : n + 2]))
        sl = stride_length + ar1(n, stride_length * stride_length_cv / 100.0, phi, rng)
        stance = (stance_fraction + ar1(n, stance_fraction_sd, phi, rng)) * st
        sign = -1.0 if direction == "backward" else 1.0
        in_place = rng.random(n) < corrective_per_100 / 100.0
        sl = np.where(in_place, 0.02, sl)
        dirs = np.where(in_place, "in_place", direction)
        parts.append({
            "foot": np.full(n, foot),
            "t_start": t_start,
            "t_end": t_start + st,
            # contacts at fixed offsets from the stride's start and end, so that the cycle time from
            # initial contact to initial contact equals the stride time
            "t_tc": t_start + 0.5 * stance_fraction * stride_time,
            "t_ic": t_start + st - 0.5 * stance_fraction * stride_time,
            "stride_time": st,
            "stance_time": stance,
            "swing_time": st - stance,
            "stride_length": sl,
            "signed_length": sign * sl,
            "lateral_deviation": rng.normal(0.0, lateral_sd, n),
            "max_lateral_excursion": np.abs(rng.normal(0.01, 0.003, n)),
            "clearance": clearance * (1.0 + ar1(n, clearance_cv / 100.0, phi, rng)),
            "turn_angle": rng.normal(0.0, 0.02, n),
            "direction": dirs,
            "speed": sl / st,
            "bout": np.zeros(n, int),
            "steady": np.ones(n, bool),
            "grade_pct": np.zeros(n),
        })
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def weekly_schedule(
    weeks: list[int] | range, per_week: int, change_after_week: int | None, cv_factor: float,
    day_to_day: float, rng: np.random.Generator, n_factors: int = 1,
):
    """Yield ``(week, k, factors)`` for session k of each week of a simulated person.

    ``factors`` (``n_factors`` values) multiply the person's true parameters: each wobbles from
    session to session by ``day_to_day`` (relative SD), as real people do; ``factors[0]`` (the
    stride-time CV) is also multiplied by ``cv_factor`` after week ``change_after_week`` (1-based).
    """
    for week in weeks:
        for k in range(per_week):
            factors = 1.0 + day_to_day * rng.standard_normal(n_factors)
            if change_after_week is not None and week > change_after_week:
                factors[0] *= cv_factor
            yield week, k, factors


def person_sessions(
    weeks: int = 8,
    per_week: int = 2,
    *,
    change_after_week: int | None = None,
    cv_factor: float = 0.7,
    strides: int = 200,
    day_to_day: float = 0.08,
    corrective_per_100: float = 1.0,
    seed: int = 0,
) -> list[tuple[int, dict[str, np.ndarray]]]:
    """Synthetic stride tables of one person over weeks 1..``weeks``: ``(week, table)`` pairs of
    backward walking (see :func:`weekly_schedule`; a 2.5% stride-time CV before any change).

    Every true parameter wobbles by ``day_to_day`` (relative SD) from session to session: the
    stride-time, stride-length and clearance CVs, the lateral SD, the stance fraction (by a tenth of
    that, since it is a tightly regulated mean) and the corrective-step rate.
    """
    rng = np.random.default_rng(seed)
    return [
        (week, synthetic_strides(strides, stride_time_cv=2.5 * f[0], stride_length_cv=3.0 * f[1],
                                 lateral_sd=0.02 * f[2], clearance_cv=8.0 * f[3],
                                 stance_fraction=0.62 * (1.0 + 0.1 * (f[4] - 1.0)),
                                 corrective_per_100=corrective_per_100 * max(f[5], 0.0), seed=rng))
        for week, _, f in weekly_schedule(range(1, weeks + 1), per_week, change_after_week, cv_factor,
                                          day_to_day, rng, 6)
    ]
