"""Fit the reader's blend on the second stage's features, folds by article (``reader.json``).

The features (:mod:`training.reader_features`) of SQuAD's folds and of the written documents
(their fold ``k`` goes with SQuAD's fold ``k``). For each fold, the parameters are chosen on
the other three folds and applied to the held-out one; the figures are pooled over the four
held-out folds:

- a sentence's score: ``logit + mix * first_stage`` (the cross-encoder's logit and the first
  stage's cosine-plus-overlap score);
- a passage's score: ``fused_weight * normalised fused score + its best sentence score``;
  the highlight is the passage's best sentence;
- abstention: a logistic model over the question's best sentence score, best logit and
  the fast path's confidence, thresholded for a false-abstention rate on the training folds
  (measured only: the product abstains on the first stage's confidence).

The blend fitted on all folds, with its held-out figures, is what ``reader.json`` holds and
:class:`retrieval.reader.ReaderSettings` loads.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

MIXES = (2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 16.0, 20.0, 24.0, 32.0, 48.0, 1e6)
FUSED = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 1e6)


@dataclass(frozen=True)
class Params:
    """The reader's fitted parameters."""

    mix: float
    fused_weight: float
    coef: tuple[float, ...]
    threshold: float


def _sentence_scores(row: dict[str, Any], mix: float) -> np.ndarray:
    logit = np.where(np.isnan(row["logit"]), -1e3, row["logit"])
    if mix >= 1e6:
        return row["first"].astype(np.float64) + np.where(np.isnan(row["logit"]), -1e3, 0.0)
    return logit + mix * row["first"]


def decide(row: dict[str, Any], mix: float, fused_weight: float) -> tuple[int, int, float]:
    """(top passage, its highlighted sentence position, the top passage's best score)."""
    z = _sentence_scores(row, mix)
    n = len(row["fused"])
    best = np.full(n, -np.inf)
    arg = np.full(n, -1)
    for i, (p, s) in enumerate(zip(row["passage"], z, strict=True)):
        if s > best[p]:
            best[p], arg[p] = s, i
    fused = row["fused"].astype(np.float64)
    spread = fused.max() - fused.min()
    norm = (fused - fused.min()) / spread if spread > 0 else np.ones(n)
    if fused_weight >= 1e6:
        score = norm
    else:
        score = fused_weight * norm + np.where(np.isfinite(best), best, -1e3)
    top = int(np.argmax(score))
    if arg[top] < 0:  # no sentence of the top passage was scored: the first stage picks
        span = np.flatnonzero(row["passage"] == top)
        arg[top] = span[int(np.argmax(row["first"][span]))] if len(span) else -1
    return top, int(arg[top]), float(best[top]) if np.isfinite(best[top]) else -1e3


def features(row: dict[str, Any], mix: float, fused_weight: float) -> np.ndarray:
    """The reader's own abstention model's inputs for one question (kept for its figures;
    the shipped decision is :mod:`training.confidence`'s)."""
    _, _, best = decide(row, mix, fused_weight)
    logit = row["logit"][~np.isnan(row["logit"])]
    max_logit = float(logit.max()) if len(logit) else -10.0
    return np.array([1.0, best, max_logit])


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    l2: float = 1e-2,
    steps: int = 50,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Logistic regression by Newton's method (``x`` includes the bias column; ``weights``:
    one per row, 1 for all by default)."""
    w_rows = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
    mean, std = x[:, 1:].mean(0), x[:, 1:].std(0) + 1e-9
    xs = np.column_stack([x[:, 0], (x[:, 1:] - mean) / std])
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-xs @ w))
        grad = xs.T @ (w_rows * (p - y)) + l2 * w
        hess = (xs * (w_rows * p * (1 - p))[:, None]).T @ xs + l2 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    # Back to raw feature scale.
    raw = w.copy()
    raw[1:] = w[1:] / std
    raw[0] = w[0] - float(np.sum(w[1:] * mean / std))
    return raw


def figures(rows: Sequence[dict[str, Any]], params: Params) -> dict[str, float]:
    """hit@1, sentence_hit@1, abstention and false abstention of ``rows`` under ``params``."""
    hit, sent, abst, false = [], [], [], []
    for row in rows:
        top, s, _ = decide(row, params.mix, params.fused_weight)
        z = features(row, params.mix, params.fused_weight) @ np.array(params.coef)
        abstained = bool(1 / (1 + np.exp(-z)) < params.threshold)
        if row["answerable"]:
            hit.append(bool(row["passage_hit"][top]))
            sent.append(s >= 0 and bool(row["sentence_hit"][s]))
            false.append(abstained)
        else:
            abst.append(abstained)
    return {
        "hit@1": round(float(np.mean(hit)), 4),
        "sentence_hit@1": round(float(np.mean(sent)), 4),
        "abstention": round(float(np.mean(abst)), 4) if abst else float("nan"),
        "false_abstention": round(float(np.mean(false)), 4),
    }


def fit(rows: Sequence[dict[str, Any]], max_false: float) -> Params:
    """Choose the blend on answerable rows, then the abstention model and its threshold."""
    answerable = [r for r in rows if r["answerable"]]
    best: tuple[float, float, float] = (-1.0, 0.0, 0.0)
    for mix in MIXES:
        for fw in FUSED:
            score = float(
                np.mean(
                    [
                        r["sentence_hit"][s] if s >= 0 else False
                        for r in answerable
                        for _, s, _ in [decide(r, mix, fw)]
                    ]
                )
            )
            if score > best[0]:
                best = (score, mix, fw)
    _, mix, fw = best
    x = np.array([features(r, mix, fw) for r in rows])
    y = np.array([r["answerable"] for r in rows], dtype=np.float64)
    coef = fit_logistic(x, y)
    p = 1 / (1 + np.exp(-x @ coef))
    answerable_p = np.sort(p[y == 1])
    threshold = float(answerable_p[int(np.floor(max_false * len(answerable_p)))])
    return Params(mix=mix, fused_weight=fw, coef=tuple(float(c) for c in coef), threshold=threshold)


def _pooled(held: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Figures of held-out rows, each under the parameters fitted without its fold."""
    each = [(r["answerable"], figures([r], r["_params"])) for r in held]
    return {
        key: round(
            float(
                np.mean([f[key] for answerable, f in each if (key == "abstention") != answerable])
            ),
            4,
        )
        for key in ("hit@1", "sentence_hit@1", "abstention", "false_abstention")
    }


#: Passages' and sentences' scores of the first stage alone (no blend, no learning); it never
#: abstains here (the shipped decision is the confidence heads', :mod:`training.confidence`).
FIRST_STAGE = Params(mix=1e6, fused_weight=1e6, coef=(0.0, 0.0, 0.0), threshold=0.0)
#: Answerable questions the abstention model may abstain on, on the training folds.
MAX_FALSE = 0.10


@dataclass(frozen=True)
class Fitted:
    """The blend fitted on all folds and its held-out figures.

    Attributes:
        params: Fitted on every fold.
        held_out: Figures pooled over the held-out folds, each fold's parameters chosen on
            the others (``hit@1``, ``sentence_hit@1``, ``abstention``, ``false_abstention``).
        sources: The feature sets' names, in order (``squad``, ``written``).
    """

    params: Params
    held_out: dict[str, float]
    sources: tuple[str, ...]

    def blend(self) -> dict[str, Any]:
        """``reader.json``'s content."""
        return {
            "mix": self.params.mix,
            "fused_weight": self.params.fused_weight,
            "fitted_on": " + ".join(self.sources) + ", 4 folds by article, fold models",
            # The blend's figures, its weights chosen on the other folds each time.
            "held_out": {key: self.held_out[key] for key in ("hit@1", "sentence_hit@1")},
        }


def fit_folds(sets: dict[str, list[dict[str, Any]]], max_false: float = MAX_FALSE) -> Fitted:
    """Held-out figures by fold, then one fit on all folds, of the feature ``sets`` (by name);
    prints the figures of each fold and pooled (per set too, with several sets)."""
    rows: list[dict[str, Any]] = []
    for name, part in sets.items():
        rows += [dict(r, _source=name) for r in part]
    folds = sorted({r["fold"] for r in rows})
    held: list[dict[str, Any]] = []
    for k in folds:
        train = [r for r in rows if r["fold"] != k]
        test = [r for r in rows if r["fold"] == k]
        params = fit(train, max_false)
        print(f"fold {k}: {asdict(params)}", file=sys.stderr)
        print(
            f"  held out: {figures(test, params)}  first stage: {figures(test, FIRST_STAGE)}",
            file=sys.stderr,
        )
        held += [dict(r, _params=params) for r in test]
    pooled = _pooled(held)
    for source in sorted({r["_source"] for r in held}) if len(sets) > 1 else []:
        figures_of = _pooled([r for r in held if r["_source"] == source])
        print(f"pooled held-out, {source}:", json.dumps(figures_of))
    print("pooled held-out:", json.dumps(pooled))
    print("pooled first stage:", json.dumps(figures(rows, FIRST_STAGE)))
    final = fit(rows, max_false)
    print("fit on all folds:", json.dumps(asdict(final)))
    return Fitted(params=final, held_out=pooled, sources=tuple(sets))


def write_blend(fitted: Fitted, path: Path) -> None:
    """Write ``reader.json`` (the blend and its held-out figures) to ``path``."""
    path.write_text(json.dumps(fitted.blend(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}")
