"""Learning the ranker's weights from gold: a conditional logit over each toponym's readings.

Each example is one toponym of a gold story: its readings' feature vectors and which of
them are right (the gold's entry, or any reading within 161 km of the gold point; or the
reading "no place here" for a name the gold does not count as a place). The model gives
reading ``i`` the probability ``exp(w·x_i) / sum_j exp(w·x_j)`` and is fitted by maximum
likelihood of "one of the right readings" with an L2 penalty: Newton steps on the
covariance of the readings (the Fisher information), halved until the likelihood rises.
Small, deterministic and explainable; numpy only. Used by ``make learn`` and ``make eval``,
never at run time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from msgspec import Struct

L2 = 1.0  # the penalty on the squared weights (features are on a 0..1 scale)
MAX_STEPS = 60
TOLERANCE = 1e-7


class Example(Struct, frozen=True):
    rows: list[list[float]]  # one feature vector per reading
    right: list[bool]  # which readings are right answers (at least one)


class _Batch:
    """All examples' readings stacked: one matrix, with where each example starts."""

    def __init__(self, examples: Sequence[Example], columns: Sequence[int]) -> None:
        sizes = np.array([len(e.rows) for e in examples])
        self.starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        self.owner = np.repeat(np.arange(len(examples)), sizes)
        self.x = np.array([row for e in examples for row in e.rows], dtype=float)[:, columns]
        self.right = np.array([r for e in examples for r in e.right], dtype=bool)

    def group_max(self, values: np.ndarray) -> np.ndarray:
        return np.maximum.reduceat(values, self.starts)

    def group_sum(self, values: np.ndarray) -> np.ndarray:
        return np.add.reduceat(values, self.starts, axis=0)


def fit(
    examples: Sequence[Example], columns: Sequence[int], width: int, l2: float = L2
) -> np.ndarray:
    """Weights (``width`` of them, zero outside ``columns``) maximising the penalised
    likelihood of the right readings."""
    examples = [e for e in examples if any(e.right) and len(e.rows) > 1]
    weights = np.zeros(width)
    if not examples:
        return weights
    batch = _Batch(examples, columns)
    w = np.zeros(len(columns))
    value, gradient, fisher = _objective(batch, w, l2)
    for _ in range(MAX_STEPS):
        step = np.linalg.solve(fisher, gradient)
        size = 1.0
        while size > 1e-6:
            trial = w + size * step
            trial_value, trial_gradient, trial_fisher = _objective(batch, trial, l2)
            if trial_value >= value:
                break
            size /= 2
        else:
            break
        improvement = trial_value - value
        w, value, gradient, fisher = trial, trial_value, trial_gradient, trial_fisher
        if improvement < TOLERANCE * max(1.0, abs(value)):
            break
    weights[list(columns)] = w
    return weights


def _objective(batch: _Batch, w: np.ndarray, l2: float) -> tuple[float, np.ndarray, np.ndarray]:
    """Penalised log-likelihood, its gradient, and the covariance of the readings plus the
    penalty (positive definite: the Newton steps' metric)."""
    scores = batch.x @ w
    shifted = scores - batch.group_max(scores)[batch.owner]
    exps = np.exp(shifted)
    all_sum = batch.group_sum(exps)
    right_sum = batch.group_sum(np.where(batch.right, exps, 0.0))
    value = float(np.sum(np.log(right_sum) - np.log(all_sum))) - 0.5 * l2 * float(w @ w)
    p_all = exps / all_sum[batch.owner]
    p_right = np.where(batch.right, exps, 0.0) / right_sum[batch.owner]
    gradient = batch.x.T @ (p_right - p_all) - l2 * w
    mean = batch.group_sum(batch.x * p_all[:, None])
    fisher = (batch.x * p_all[:, None]).T @ batch.x - mean.T @ mean + l2 * np.eye(len(w))
    return value, gradient, fisher
