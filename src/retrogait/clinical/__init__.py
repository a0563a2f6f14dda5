"""Instrumented clinical walk tests: the 3-m backward walk test (3MBWT) and timed walks.

Built on the per-stride table of :func:`retrogait.analyze`::

    import retrogait
    from retrogait.clinical import three_m_backward_walk, timed_walk
    res = retrogait.analyze(retrogait.load_recording("3mbwt.rgt"))
    test = three_m_backward_walk(res.strides)
    test.mean, [t.time_s for t in test.scored]

Definitions (onset, the body's progress, steps): :mod:`retrogait.clinical.trials` and docs/tests.md.
Published cut-offs: :mod:`retrogait.clinical.norms`.
"""

from __future__ import annotations

from retrogait.clinical.norms import CUTOFFS, MDC, cutoffs_for, interpret
from retrogait.clinical.trials import (
           TestResult,
           Trial,
           three_m_backward_walk,
           timed_walk,
)

__all__ = ["CUTOFFS", "MDC", "TestResult", "Trial", "cutoffs_for", "interpret", "three_m_backward_walk",
           "timed_walk"]
