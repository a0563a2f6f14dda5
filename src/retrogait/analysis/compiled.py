"""When to use the compiled kernels (:mod:`retrogait.analysis.kernels`) instead of numpy.

The kernels make the per-sample passes of a long recording several times cheaper, but importing
numba and loading the compiled kernels from its disk cache costs ~1 s of CPU once per process
(compiling them the first time on a machine, or after an upgrade: ~15-30 s, then cached on disk;
see benchmarks/speed_analysis.py). So they are used

* for a pass over at least :data:`MIN_SAMPLES` samples (~2 h at 200 Hz: below that, the numpy
  passes cost less than loading the kernels), or
* for any input of at least :data:`WARM_MIN_SAMPLES` once they are loaded in this process (a batch
  worker or a notebook that analysed a long file keeps the benefit for the shorter ones).

The environment variable ``RETROGAIT_COMPILED`` overrides the choice: ``never`` (numpy only),
``always`` (kernels for every input: the tests compare both paths this way) or ``auto`` (the default).
Results agree to ~1e-12 either way. Without numba installed, numpy is used.
"""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType

MIN_SAMPLES = 1_500_000
WARM_MIN_SAMPLES = 20_000
MODES = ("auto", "always", "never")


def kernels(n_samples: int) -> ModuleType | None:
    """The kernels module if it should be used for a pass over ``n_samples`` samples, else None."""
    mode = os.environ.get("RETROGAIT_COMPILED", "auto").strip().lower() or "auto"
    if mode not in MODES:
        mode = "auto"
    if mode == "never":
        return None
    loaded = "retrogait.analysis.kernels" in sys.modules
    if mode == "auto" and n_samples < (WARM_MIN_SAMPLES if loaded else MIN_SAMPLES):
        return None
    try:
        module = importlib.import_module("retrogait.analysis.kernels")
    except ImportError:  # numba is not installed (or not for this numpy): numpy does the work
        return None
    return module
