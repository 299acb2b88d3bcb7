"""Fit the answerability model (retrieval.relevance.RelevanceModel) and its threshold.

Training questions (never the held-out checks):
- answerable: SciFact train claims against SciFact; our article questions with evidence;
- unanswerable: our article questions without evidence; SciFact train claims against the
  article and our article questions against SciFact (each corpus is silent on the other).

Prints the fitted coefficients, the chosen threshold and the training confusion figures.

    python -m bench.calibrate [--scifact DIR] [--questions FILE] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def features(retriever: Any, question: str) -> tuple[float, float]:
    """(best-sentence cosine, IDF coverage) of the top passage."""
    ranking = retriever.rank(question)
    top = int(ranking.order[0])
    row = int(ranking.signals.rows[top])
    from retrieval.relevance import coverage, question_terms

    terms = question_terms(retriever.version.sparse.tokenizer, question)

    chunk_terms = set(retriever.version.sparse.tokenizer(retriever.version.chunks[row].text))
    cov = coverage(terms, chunk_terms, retriever.version.sparse.idf(terms))
    return float(ranking.signals.sent_cos[top]), cov


def fit_logistic(x: np.ndarray, y: np.ndarray, *, steps: int = 5000, lr: float = 0.5) -> np.ndarray:
    """Class-balanced logistic regression by gradient descent; returns [bias, w...]."""
    xb = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(xb.shape[1])
    weight = np.where(y == 1, 0.5 / max(1, y.sum()), 0.5 / max(1, (1 - y).sum()))
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(xb @ w)))
        w -= lr * (xb.T @ (weight * (p - y)))
    return w


def main(argv: list[str] | None = None) -> int:
    """Fit and print."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scifact", type=Path, default=ROOT.parent / "shared/eval/beir/scifact")
    parser.add_argument("--questions", type=Path, default=ROOT / "bench/data/article_dev.jsonl")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument(
        "--max-recall-loss",
        type=float,
        default=0.03,
        help="largest share of answerable training questions allowed to abstain",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from bench.quality import build_indexes
    from retrieval.eval.beir import read_qrels, read_queries
    from retrieval.eval.evaluation import load_questions
    from retrieval.retriever import Retriever

    article_index, scifact_index, _ = build_indexes(args.scifact, args.out)
    article = Retriever(article_index)
    scifact = Retriever(scifact_index, embedder=article.embedder)
    article = article.with_settings(replace(article.settings, highlight=False))
    scifact = scifact.with_settings(replace(scifact.settings, highlight=False))
    queries = read_queries(args.scifact)
    claims = [queries[q] for q in read_qrels(args.scifact, "train")]
    own = load_questions(args.questions)
    samples: list[tuple[Any, str, int]] = [(scifact, c, 1) for c in claims]
    samples += [(article, q.question, int(bool(q.evidence))) for q in own]
    rng = random.Random(13)
    samples += [(article, c, 0) for c in rng.sample(claims, 150)]
    samples += [(scifact, q.question, 0) for q in own]
    x = np.array([features(r, q) for r, q, _ in samples])
    y = np.array([label for _, _, label in samples], dtype=float)
    w = fit_logistic(x, y)
    p = 1 / (1 + np.exp(-(np.hstack([np.ones((len(x), 1)), x]) @ w)))
    best = (0.0, 0.5)
    for threshold in np.arange(0.05, 0.951, 0.01):
        pos_keep = float(np.mean(p[y == 1] >= threshold))
        neg_abstain = float(np.mean(p[y == 0] < threshold))
        if 1 - pos_keep <= args.max_recall_loss and neg_abstain >= best[0]:
            best = (neg_abstain, float(round(threshold, 2)))
    threshold = best[1]
    result = {
        "bias": round(float(w[0]), 3),
        "w_sentence": round(float(w[1]), 3),
        "w_coverage": round(float(w[2]), 3),
        "min_relevance": threshold,
        "train_false_abstention": round(float(np.mean(p[y == 1] < threshold)), 4),
        "train_abstention_accuracy": round(float(np.mean(p[y == 0] < threshold)), 4),
        "n_answerable": int(y.sum()),
        "n_unanswerable": int((1 - y).sum()),
    }
    print(json.dumps(result, indent=None if args.json else 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
