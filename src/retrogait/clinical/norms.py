"""Published reference values for the instrumented walk tests, with their source and population.

Each entry carries a tag as in docs/metrics.md: ``V`` checked in this project against the source's
abstract or a citing paper's text (the search corpora), ``R`` recalled and not re-checked. See
docs/tests.md for the full table and what each value means.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class CutOff:
    """A published cut-off: a score at or beyond ``value`` (``worse`` = "above" or "below") was
    associated with ``outcome`` in ``population``."""

    test: str  # "3mbwt" | "timed-walk-forward" | "timed-walk-backward"
    value: float
    unit: str
    worse: str  # "above" (times) | "below" (speeds)
    outcome: str
    population: str
    source: str
    tag: str  # "V" | "R"
    accuracy: str = ""

    def sentence(self, score: float) -> str:
        """Where ``score`` falls against this cut-off, in plain words."""
        side = "above" if score > self.value else "below" if score < self.value else "at"
        return (f"{side} the {self.value:g} {self.unit} cut-off that {self.source} associated with "
                f"{self.outcome} in {self.population} [{self.tag}]")

    def beyond(self, score: float) -> bool:
        """True when ``score`` is on the worse side of the cut-off (or at it)."""
        return score >= self.value if self.worse == "above" else score <= self.value


CUTOFFS: tuple[CutOff, ...] = (
    CutOff("3mbwt", 4.5, "s", "above", "falls in the past year (retrospective)",
           "community-dwelling older adults without a neurological diagnosis",
           "Carter et al. 2019 (J Geriatr Phys Ther)", "V",
           "high-risk score 4.5 s, low-risk score 3.0 s, as cited by Carter et al. 2020 (Top Geriatr "
           "Rehabil 36:140); the 2019 paper's own text not checked"),
    CutOff("3mbwt", 5.5, "s", "above", "falls in the past 12 months (retrospective)",
           "483 community-dwelling older adults (mean age 76)",
           "Polo-Ferrero et al. 2025 (J Funct Morphol Kinesiol 10:154)", "V",
           "sensitivity 59.5 %, specificity 68.6 %; below 3.5 s: sensitivity 98 %"),
    CutOff("3mbwt", 8.15, "s", "above", "falls in the next 4 months (prospective)",
           "217 nursing-home residents (median age 80)",
           "Kapan et al. 2025 (J Am Med Dir Assoc)", "V", "AUC 0.74"),
    CutOff("3mbwt", 9.31, "s", "above", "falls in the past 12 months (retrospective)",
           "217 nursing-home residents (median age 80)",
           "Kapan et al. 2025 (J Am Med Dir Assoc)", "V", "AUC 0.75"),
    CutOff("timed-walk-forward", 0.76, "m/s", "below", "falls in the past year (retrospective)",
           "217 community-dwelling older adults (median age 82)",
           "a self-selected walking speed study (PMC4912425)", "V",
           "sensitivity 65.4 %, specificity 70.9 %"),
)

#: Minimal detectable changes (MDC95) of the test scores, for history comparisons.
MDC = {
    "3mbwt": (1.69, "s", ("3-m backward walk test, people with multiple sclerosis, Soke et al. 2022 "
                          "(Int J Rehabil Res 45:209) [V]")),
    "timed-walk-backward": (0.11, "m/s", ("3MBWT speed over the middle 3 m, chronic stroke "
                                          "(subacute: 0.07 m/s), Physiother Theory Pract 2023;39:2698 [V]")),
    "timed-walk-forward": (0.13, "m/s", "IMU 10-m walk, older neurological patients, Caronni 2024 [V]"),
}


def cutoffs_for(test: str) -> list[CutOff]:
    """The cut-offs of ``test``, lowest value first."""
    return sorted((c for c in CUTOFFS if c.test == test), key=lambda c: c.value)


def interpret(test: str, score: float) -> list[str]:
    """One plain-words line per published cut-off of ``test`` (empty when none or no score)."""
    if not math.isfinite(score):
        return []
    return [c.sentence(score) for c in cutoffs_for(test)]
