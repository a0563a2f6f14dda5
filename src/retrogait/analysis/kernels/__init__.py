"""Compiled (numba) versions of the analysis's per-sample passes, for long recordings.

Each kernel computes what the numpy function it names computes (same formulas, in the same order
where it matters: results agree to ~1e-12, tests/test_compiled.py checks it), but walks each segment
or stream once with its values in registers instead of making a dozen recording-sized temporaries.
Importing numba and loading the kernels from its disk cache costs ~1-1.5 s of CPU in a new process,
and compiling them the first time on a machine (or after an upgrade) ~20-35 s, so this package is
imported only through :func:`retrogait.analysis.compiled.kernels`, for inputs long enough to pay for
it.

Modules: :mod:`.strapdown` (integration, path shape), :mod:`.events`, :mod:`.regularity`,
:mod:`.filters` (sliding windows, peaks, the motion score) and :mod:`.signals` (whole-stream passes:
norms, saturation, the still test's runs, time steps);
:mod:`.jit` holds the decorator. Frames as in :mod:`retrogait.analysis.strapdown`; quaternions are
scalar-last (x, y, z, w).
"""

from __future__ import annotations

from retrogait.analysis.kernels.events import contact_and_bounds, pivot_departure, running_candidates, swing_signals
from retrogait.analysis.kernels.filters import (
    dilate,
    keep_apart,
    local_maxima,
    motion_score,
    moving_mean,
    running_max,
)
from retrogait.analysis.kernels.regularity import regularity
from retrogait.analysis.kernels.signals import (
    calm,
    cover,
    median_step,
    moving_runs,
    range_means,
    range_quiet_middle,
    range_sums,
    row_norm,
    row_norm_top,
    runs,
    saturation_mask,
    steps,
    turned_over,
    unbiased_energy,
    unbiased_norm,
)
from retrogait.analysis.kernels.strapdown import integrate, path_shape

__all__ = ["calm", "contact_and_bounds", "cover", "dilate", "integrate", "keep_apart", "local_maxima", "motion_score", "median_step", "moving_mean", "moving_runs", "path_shape", "pivot_departure", "range_means", "range_quiet_middle", "range_sums", "regularity", "row_norm", "row_norm_top", "running_candidates", "running_max", "runs", "saturation_mask", "steps", "swing_signals", "turned_over", "unbiased_energy", "unbiased_norm"]
