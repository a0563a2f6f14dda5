"""Gait analysis core: strides, direction (forward/backward/sideways), parameters, bouts, summary.

``analyze(recording, mount=None) -> AnalysisResult`` is the entry point; see
:mod:`retrogait.analysis.pipeline`.
"""

from __future__ import annotations

from retrogait.analysis.pipeline import analyze
from retrogait.analysis.result import AnalysisResult, StrideTable
from retrogait.definitions import DIRECTIONS

__all__ = ["analyze", "AnalysisResult", "StrideTable", "DIRECTIONS"]
