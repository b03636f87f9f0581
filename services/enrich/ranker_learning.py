"""Learning the ranker's weights from gold: a conditional logit over each toponym's readings.

Each example is one toponym of a gold story: its readings' feature vectors and which of
them are right (the gold's entry, or any reading within 161 km of the gold point; or the
reading "no place here" for a name the gold does not count as a place). The model gives
reading ``i`` the probability ``exp(w·x_i) / sum_j exp(w·x_j)`` and is fitted by maximum
likelihood of "one of the right readings" with an L2 penalty: Newton steps (on the
Fisher information while the Hessian is not yet definite), halved until the likelihood
rises.
Small, deterministic and explainable; numpy only. Used by ``make learn`` and ``make eval``,
never at run time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from msgspec import Struct

L2 = 0.1  # the penalty on the squared weights (features on a 0..1 scale): held out,
# 0.1 scored 0.5 points above 0.3 (1.8 on lgl-dev, where the source prior's weight grows),
# 0.05 no more; 1 and 3 lower
MAX_STEPS = 60
TOLERANCE = 1e-6


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
    value, gradient, metrics = _objective(batch, w, l2)
    for _ in range(MAX_STEPS):
        moved = _step(batch, w, value, gradient, metrics, l2)
        if moved is None:
            break
        improvement = moved[1] - value
        w = moved[0]
        value, gradient, metrics = _objective(batch, w, l2)
        if improvement < TOLERANCE * max(1.0, abs(value)):
            break
    weights[list(columns)] = w
    return weights


def _step(batch: _Batch, w, value: float, gradient, metrics, l2: float):
    """The Newton step on the first metric that raises the likelihood, halved until it
    does; None when none does."""
    for metric in metrics:
        step = np.linalg.solve(metric, gradient)
        size = 1.0
        while size > 1e-6:
            trial = w + size * step
            trial_value = _value(batch, trial, l2)
            if trial_value >= value:
                return trial, trial_value
            size /= 2
    return None


def _value(batch: _Batch, w: np.ndarray, l2: float) -> float:
    """The penalised log-likelihood alone (for the line search)."""
    log_right, log_all, _, _ = _log_sums(batch, batch.x @ w)
    return float(np.sum(log_right - log_all)) - 0.5 * l2 * float(w @ w)


def _log_sums(batch: _Batch, scores: np.ndarray):
    """Per example, log sum exp of the right readings' scores and of all; and each
    reading's exp(score) shifted by its example's top score and by its top right score."""
    exps = np.exp(scores - batch.group_max(scores)[batch.owner])
    right_scores = np.where(batch.right, scores, -np.inf)
    right_top = batch.group_max(right_scores)
    right_exps = np.exp(right_scores - right_top[batch.owner])
    log_all = np.log(batch.group_sum(exps)) + batch.group_max(scores)
    log_right = np.log(batch.group_sum(right_exps)) + right_top
    return log_right, log_all, exps, right_exps


def _objective(
    batch: _Batch, w: np.ndarray, l2: float
) -> tuple[float, np.ndarray, list[np.ndarray]]:
    """Penalised log-likelihood, its gradient, and the metrics of a Newton step to try in
    turn: the negated Hessian where it is positive definite (best near the optimum), then
    the covariance of the readings plus the penalty (the Fisher information: always
    positive definite, steady far from the optimum)."""
    log_right, log_all, exps, right_exps = _log_sums(batch, batch.x @ w)
    value = float(np.sum(log_right - log_all)) - 0.5 * l2 * float(w @ w)
    p_all = exps / batch.group_sum(exps)[batch.owner]
    p_right = right_exps / batch.group_sum(right_exps)[batch.owner]
    gradient = batch.x.T @ (p_right - p_all) - l2 * w
    fisher = _covariance(batch, p_all) + l2 * np.eye(len(w))
    hessian = fisher - _covariance(batch, p_right)
    try:
        np.linalg.cholesky(hessian)
    except np.linalg.LinAlgError:
        return value, gradient, [fisher]
    return value, gradient, [hessian, fisher]


def _covariance(batch: _Batch, p: np.ndarray) -> np.ndarray:
    """The sum over examples of the covariance of their readings under ``p``."""
    mean = batch.group_sum(batch.x * p[:, None])
    return (batch.x * p[:, None]).T @ batch.x - mean.T @ mean


def confidence_knee(
    groups: Sequence[Sequence[tuple[float, bool]]], right: float = 0.99
) -> float:
    """The least raw confidence (on a grid of 0.001, from 0.9) such that in every group of
    (raw confidence, right) pairs the answers at least that sure were right at least
    ``right`` of the time: the raw value the confidence 0.9 is put at, so that "0.9 or
    more" means "right 98 % of the time" on every corpus. Learned to 99 % on the
    training folds: at 98.5 % the held-out published answers of GeoWebNews and lgl-dev
    came out at 97.7-97.9 % (a few dozen answers per corpus: one error is 2 points)."""
    for thousandths in range(900, 999):
        knee = thousandths / 1000
        if all(_share_right(pairs, knee) >= right for pairs in groups):
            return knee
    return 0.999


def _share_right(pairs: Sequence[tuple[float, bool]], threshold: float) -> float:
    sure = [ok for raw, ok in pairs if raw >= threshold]
    return sum(sure) / len(sure) if sure else 1.0
