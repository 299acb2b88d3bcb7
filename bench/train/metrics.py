"""Figures for one held-out fold: answer-sentence hit@1, answerability AUC and abstention.

A fold's scores are a :class:`FoldScores`: per question, its candidate sentences' bi-encoder
cosines, cross-encoder logits and whether each holds the answer. Three scorers are compared:

- ``bi-encoder``: the cosine alone (what docqa highlights with today, less its term share);
- ``cross-encoder``: the cross-encoder's probability;
- ``mix``: probability + cosine (both about 0..1; no weight is fitted).

A question's answerability score is its best candidate's score. The abstention threshold of a
held-out fold is chosen on the *other* folds' held-out scores (so neither the model nor the
threshold has seen the fold): the one that maximises balanced accuracy (the mean of the
abstention rate on unanswerable questions and the answer rate on answerable ones).

A fourth row, ``answerability head``, tries a second small model for the abstention alone: a
logistic regression over per-question features of the candidates' scores
(:func:`answerability_features`), fitted on the other folds' held-out scores; its hit@1 is
the cross-encoder's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SCORERS = ("bi-encoder", "cross-encoder", "mix")


@dataclass(frozen=True)
class FoldScores:
    """Per question (rows) and candidate (columns, best cosine first)."""

    cosine: np.ndarray  # float32 (questions, candidates)
    logit: np.ndarray  # float32 (questions, candidates)
    is_answer: np.ndarray  # bool (questions, candidates)
    answerable: np.ndarray  # bool (questions,)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, **{k: getattr(self, k) for k in self.__dataclass_fields__})

    @classmethod
    def load(cls, path: Path) -> FoldScores:
        with np.load(path) as data:
            return cls(**{k: data[k] for k in cls.__dataclass_fields__})

    def scores(self, scorer: str) -> np.ndarray:
        """The candidates' scores under ``scorer`` (one of :data:`SCORERS`)."""
        prob = 1.0 / (1.0 + np.exp(-self.logit.astype(np.float64)))
        table: dict[str, Callable[[], np.ndarray]] = {
            "bi-encoder": lambda: self.cosine.astype(np.float64),
            "cross-encoder": lambda: prob,
            "mix": lambda: prob + self.cosine,
        }
        if scorer not in table:
            raise ValueError(f"Unknown scorer {scorer!r}. Valid scorers are: {', '.join(table)}")
        return table[scorer]()


def auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    values = np.concatenate([positive, negative])
    order = values.argsort(kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    for v in np.unique(values):  # average ranks of ties
        tied = values == v
        if tied.sum() > 1:
            ranks[tied] = ranks[tied].mean()
    n_pos, n_neg = len(positive), len(negative)
    return float((ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def best_threshold(best: np.ndarray, answerable: np.ndarray) -> float:
    """The threshold on the best candidate's score that maximises balanced accuracy."""
    values = np.unique(best)
    cuts = np.concatenate([[values[0] - 1e-6], (values[1:] + values[:-1]) / 2, [values[-1] + 1]])
    answered = best[None, :] >= cuts[:, None]
    balanced = (answered[:, answerable].mean(axis=1) + (~answered[:, ~answerable]).mean(axis=1)) / 2
    return float(cuts[int(balanced.argmax())])


def fold_figures(fold: FoldScores, others: Sequence[FoldScores], scorer: str) -> dict[str, float]:
    """hit@1, AUC, and abstention at a threshold chosen on ``others`` (held-out scores)."""
    s = fold.scores(scorer)
    a = fold.answerable
    top = s.argmax(axis=1)
    hit = fold.is_answer[np.arange(len(s)), top][a].mean()
    best = s.max(axis=1)
    figures = {"hit@1": float(hit), "auc": auc(best[a], best[~a])}
    if others:
        pooled = [o.scores(scorer).max(axis=1) for o in others]
        threshold = best_threshold(
            np.concatenate(pooled), np.concatenate([o.answerable for o in others])
        )
        figures["threshold"] = threshold
        figures["abstention"] = float((best[~a] < threshold).mean())
        figures["false_abstention"] = float((best[a] < threshold).mean())
    return figures


def candidate_recall(fold: FoldScores) -> float:
    """Share of answerable questions whose answer sentence is among the candidates."""
    return float(fold.is_answer[fold.answerable].any(axis=1).mean())


def answerability_features(fold: FoldScores) -> np.ndarray:
    """Per question: best logit, its margin over the second, log-sum-exp of the logits, best
    cosine, and the cosine of the cross-encoder's pick."""
    logit = fold.logit.astype(np.float64)
    ranked = np.sort(logit, axis=1)[:, ::-1]
    pick = logit.argmax(axis=1)
    rows = np.arange(len(logit))
    return np.stack(
        [
            ranked[:, 0],
            ranked[:, 0] - ranked[:, 1],
            np.log(np.exp(logit).sum(axis=1)),
            fold.cosine.max(axis=1),
            fold.cosine[rows, pick],
        ],
        axis=1,
    )


def fit_logistic(x: np.ndarray, y: np.ndarray, *, l2: float = 1e-2) -> np.ndarray:
    """Weights (last one the bias) of an L2-regularised logistic regression, by Newton steps."""
    design = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(design.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-design @ w))
        gradient = design.T @ (p - y) + l2 * w
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + l2 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def head_figures(fold: FoldScores, others: Sequence[FoldScores]) -> dict[str, float]:
    """:func:`fold_figures` for the answerability head fitted on ``others``."""
    x_train = np.concatenate([answerability_features(o) for o in others])
    y_train = np.concatenate([o.answerable for o in others]).astype(np.float64)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0) + 1e-9
    w = fit_logistic((x_train - mean) / std, y_train)

    def head(f: FoldScores) -> np.ndarray:
        x = (answerability_features(f) - mean) / std
        return np.asarray(x @ w[:-1] + w[-1])

    s, a = head(fold), fold.answerable
    threshold = best_threshold(head(_concat(others)), y_train.astype(bool))
    figures = fold_figures(fold, [], "cross-encoder")
    figures.update(
        auc=auc(s[a], s[~a]),
        threshold=threshold,
        abstention=float((s[~a] < threshold).mean()),
        false_abstention=float((s[a] < threshold).mean()),
    )
    return figures


def _concat(folds: Sequence[FoldScores]) -> FoldScores:
    return FoldScores(
        **{
            k: np.concatenate([getattr(f, k) for f in folds])
            for k in FoldScores.__dataclass_fields__
        }
    )
