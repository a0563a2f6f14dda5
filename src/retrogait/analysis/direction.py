"""Walking direction per stride from physics, smoothed over consecutive strides.

Three features, all in the calibrated foot frame (never re-inferred from the session itself):

* F1: the angle between the stride displacement and the foot's horizontal forward axis at the start
  stance (~0 forward, ~180 deg backward, ~+-90 deg sideways). Valid on a treadmill because the
  zero-velocity-aided trajectory lives in the belt frame.
* F2: the pitch change over the swing, TC -> IC: forward swings go toe-down -> toe-up, backward swings
  the opposite.
* F3: the foot's pitch at landing relative to foot-flat: toe-up (heel first) forward, toe-down
  (toe first) backward.

The per-stride probabilities are smoothed with a small Viterbi pass inside each bout with a low switch
prior, which fixes ambiguous strides but cannot overrule strong evidence.
"""

from __future__ import annotations

import numpy as np

from retrogait.analysis.settings import DEFAULT, DirectionSettings
from retrogait.definitions import DIRECTIONS


def direction_probabilities(
    disp: np.ndarray, pitch_tc: np.ndarray, pitch_land: np.ndarray, pitch_flat: np.ndarray,
    s: DirectionSettings = DEFAULT.direction,
) -> np.ndarray:
    """(N, 5) probabilities in the order of :data:`retrogait.analysis.result.DIRECTIONS`.

    ``disp`` is the displacement in the start-stance local frame (x = foot forward, y = left).
    """
    dist = np.hypot(disp[:, 0], disp[:, 1])
    ang = np.arctan2(disp[:, 1], disp[:, 0])
    w_d = np.clip((dist - 0.05) / 0.15, 0.0, 1.0)
    f1 = np.cos(ang) * w_d
    f2 = np.tanh((pitch_land - pitch_tc) / 0.2)
    f3 = np.tanh((pitch_land - pitch_flat) / 0.1)
    score = 2.0 * f1 + 1.0 * f2 + 0.7 * f3
    p_fwd = 1.0 / (1.0 + np.exp(-3.0 * score))
    p_ip = 1.0 - np.clip((dist - s.in_place_below) / 0.08, 0.0, 1.0)
    side = w_d * np.clip((np.abs(np.sin(ang)) - s.sideways_sin) / 0.15, 0.0, 1.0)
    p_sag = (1.0 - p_ip) * (1.0 - side)
    p_side = (1.0 - p_ip) * side
    left = disp[:, 1] > 0
    return np.column_stack(
        [p_sag * p_fwd, p_sag * (1.0 - p_fwd), p_side * left, p_side * ~left, p_ip]
    )


def smooth_directions(prob: np.ndarray, bout: np.ndarray, switch_prob: float = DEFAULT.direction.switch_prob
                      ) -> np.ndarray:
    """Most likely class index per stride (Viterbi within each bout; ``switch_prob``: prior probability of a change between strides).

    ``prob`` (strides, classes) holds each stride's own class probabilities; ``bout`` the bout number
    of each stride (strides of a bout are consecutive). All bouts are stepped together, longest first,
    so a step works on a prefix of the bouts (a loop over the strides of the longest bout, never over
    every stride).
    """
    n, k = prob.shape
    out = np.zeros(n, dtype=np.int64)
    if n == 0:
        return out
    logp = np.log(np.clip(prob, 1e-4, 1.0))
    trans = np.full((k, k), np.log(switch_prob / (k - 1)))
    np.fill_diagonal(trans, np.log(1.0 - switch_prob))
    first = np.r_[0, np.flatnonzero(np.diff(bout)) + 1]
    lens = np.diff(np.r_[first, n])
    order = np.argsort(-lens, kind="stable")
    first, lens = first[order], lens[order]
    active = np.searchsorted(-lens, -np.arange(int(lens[0]) + 1), side="left")  # bouts longer than j
    score = logp[first].copy()
    back = np.zeros((n, k), dtype=np.int64)  # best previous class, per stride and class
    for j in range(1, int(lens[0])):
        m = int(active[j])
        rows = first[:m] + j
        cand = score[:m, :, None] + trans  # (bouts, from, to)
        back[rows] = np.argmax(cand, axis=1)
        score[:m] = cand.max(axis=1) + logp[rows]  # the value at the argmax
    state = np.argmax(score, axis=1)
    for j in range(int(lens[0]) - 1, -1, -1):
        m = int(active[j])
        rows = first[:m] + j
        out[rows] = state[:m]
        state[:m] = back[rows, state[:m]]
    return out


def classify(prob: np.ndarray, bout: np.ndarray, s: DirectionSettings = DEFAULT.direction
             ) -> tuple[np.ndarray, np.ndarray]:
    """Direction names and confidences (the probability of the chosen class for that stride alone)."""
    state = smooth_directions(prob, bout, s.switch_prob)
    names = np.array(DIRECTIONS)[state]
    conf = prob[np.arange(prob.shape[0]), state] if prob.shape[0] else np.zeros(0)
    return names, np.clip(conf / np.maximum(prob.sum(axis=1), 1e-12), 0.0, 1.0)
