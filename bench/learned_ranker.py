"""A learned ranker over docqa's signals, cross-validated on SciFact's train split.

Features per candidate chunk: the four fusion signals (min-max scaled, raw, log rank), the
IDF-weighted share of the question's terms in the chunk, the blend score and its rank, how
many candidate chunks share the chunk's document, the document's best sentence cosine and the
question's term count. A LightGBM LambdaMART model is fitted with five-fold cross-validation
in two ways: folds of random questions, and folds that keep questions citing the same abstract
together (SciFact has several claims per abstract, so random folds let a model recognise
abstracts it was trained on). Needs ``pip install lightgbm`` (in the ``bench`` extra).

    python -m bench.learned_ranker [--scifact DIR] [--json]
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

MODELS = {
    "300 trees, 15 leaves": {"n_estimators": 300, "learning_rate": 0.03, "num_leaves": 15},
    "600 trees, 15 leaves": {"n_estimators": 600, "learning_rate": 0.03, "num_leaves": 15},
    "300 trees, 31 leaves": {"n_estimators": 300, "learning_rate": 0.05, "num_leaves": 31},
}


def features(retriever: Any, question: str, chunk_terms: list[set[str]]) -> tuple[Any, ...]:
    """The candidates' signals, their document ids, feature matrix and blend score."""
    from retrieval.fusion import minmax, ranks
    from retrieval.relevance import coverage, question_terms

    version = retriever.version
    ranking = retriever.rank(question)
    s = ranking.signals
    terms = question_terms(version.sparse.tokenizer, question)
    idf = version.sparse.idf(terms)
    docs = np.array([version.chunks[int(row)].doc_id for row in s.rows])
    signals = [s.bm25, s.section_bm25, s.chunk_cos, s.sent_cos]
    columns = [minmax(v) for v in signals] + [np.asarray(v, np.float64) for v in signals]
    columns += [np.log(ranks(v)) for v in signals]
    _, inverse, counts = np.unique(docs, return_inverse=True, return_counts=True)
    doc_best = np.full(len(counts), -1.0)
    np.maximum.at(doc_best, inverse, s.sent_cos)
    columns += [
        np.array([coverage(terms, chunk_terms[int(row)], idf) for row in s.rows]),
        ranking.fused,
        np.log(ranks(ranking.fused)),
        counts[inverse].astype(np.float64),
        doc_best[inverse],
        np.full(len(docs), float(len(terms))),
    ]
    return s, docs, np.stack(columns, axis=1), ranking.fused


def grouped_folds(qids: list[str], qrels: dict[str, dict[str, int]], k: int) -> np.ndarray:
    """Fold of each question; questions sharing a relevant document share a fold."""
    parent = list(range(len(qids)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, qid in enumerate(qids):
        for doc in qrels[qid]:
            if doc in owner:
                parent[root(i)] = root(owner[doc])
            else:
                owner[doc] = i
    roots = sorted({root(i) for i in range(len(qids))})
    shuffled = np.random.default_rng(0).permutation(len(roots))
    fold_of = {r: int(shuffled[j]) % k for j, r in enumerate(roots)}
    return np.array([fold_of[root(i)] for i in range(len(qids))])


def main(argv: list[str] | None = None) -> int:
    """Print cross-validated figures for the blend and each learned model."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from bench.arguments import experiment_parser

    parser = experiment_parser(__doc__)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        import lightgbm
    except ImportError:
        print("needs lightgbm: pip install -e '.[bench]'", file=sys.stderr)
        return 2

    from bench.quality import build_indexes, markdown_table
    from bench.tune import doc_ranking
    from retrieval.eval.beir import ndcg_at, read_qrels, read_queries, recall_at
    from retrieval.retriever import Retriever

    _, index, _ = build_indexes(args.scifact, args.out)
    retriever = Retriever(index)
    retriever = retriever.with_settings(replace(retriever.settings, highlight=False))
    version = retriever.version
    tokenizer = version.sparse.tokenizer
    chunk_terms = [set(tokenizer(version.chunks[i].text)) for i in range(len(version.chunks))]
    qrels = read_qrels(args.scifact, args.split)
    queries = read_queries(args.scifact)
    qids = list(qrels)
    per_question = [features(retriever, queries[q], chunk_terms) for q in qids]
    labels = [
        np.array([qrels[q].get(d, 0) > 0 for d in docs], int)
        for q, (_, docs, _, _) in zip(qids, per_question, strict=True)
    ]

    def figures(scores: list[np.ndarray]) -> tuple[float, float]:
        ndcg, recall = [], []
        for qid, (signals, _, _, _), score in zip(qids, per_question, scores, strict=True):
            ranked = doc_ranking(retriever, signals, score)
            ndcg.append(ndcg_at(ranked, qrels[qid], 10))
            recall.append(recall_at(ranked, qrels[qid], 100))
        return round(float(np.mean(ndcg)), 4), round(float(np.mean(recall)), 4)

    def cross_validated(params: dict[str, Any], folds: np.ndarray) -> list[np.ndarray]:
        scores: list[np.ndarray] = [np.zeros(0)] * len(qids)
        for fold in range(5):
            train = [i for i in range(len(qids)) if folds[i] != fold]
            model = lightgbm.LGBMRanker(
                objective="lambdarank", min_child_samples=50, verbose=-1, **params
            )
            model.fit(
                np.concatenate([per_question[i][2] for i in train]),
                np.concatenate([labels[i] for i in train]),
                group=[len(labels[i]) for i in train],
            )
            for i in np.flatnonzero(folds == fold):
                scores[i] = np.asarray(model.predict(per_question[i][2]), dtype=np.float64)
        return scores

    random_folds = np.random.default_rng(0).permutation(len(qids)) % 5
    abstract_folds = grouped_folds(qids, qrels, 5)
    ndcg, recall = figures([fused for _, _, _, fused in per_question])
    rows = [{"ranker": "blend (default)", "folds": "-", "ndcg@10": ndcg, "recall@100": recall}]
    for name, params in MODELS.items():
        for label, folds in (("random questions", random_folds), ("by abstract", abstract_folds)):
            ndcg, recall = figures(cross_validated(params, folds))
            rows.append({"ranker": name, "folds": label, "ndcg@10": ndcg, "recall@100": recall})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(json.dumps(rows, indent=1) if args.json else markdown_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
