"""Grid-search the fusion weights on SciFact's train split (never on test).

Signals are gathered once per query with every signal on; each weight combination then only
re-fuses them. Prints the best combinations by nDCG@10.

    python -m bench.tune [--scifact DIR] [--split train] [--top 10]
"""

from __future__ import annotations

import itertools
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def doc_ranking(retriever: Any, signals: Any, fused: np.ndarray, depth: int = 100) -> list[str]:
    """Document ids in the order of their best chunk."""
    chunks = retriever.version.chunks
    seen: dict[str, None] = {}
    for i in np.argsort(-fused, kind="stable"):
        seen.setdefault(chunks[int(signals.rows[i])].doc_id, None)
        if len(seen) >= depth:
            break
    return list(seen)


def main(argv: list[str] | None = None) -> int:
    """Search the grid and print the best rows."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from bench.arguments import experiment_parser

    parser = experiment_parser(__doc__)
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args(argv)

    from bench.quality import build_indexes
    from retrieval.eval.beir import ndcg_at, read_qrels, read_queries, recall_at
    from retrieval.fusion import FusionWeights, blend
    from retrieval.retriever import Retriever

    _, index, _ = build_indexes(args.scifact, args.out)
    retriever = Retriever(index)
    everything = FusionWeights(bm25=1, section=1, chunk=1, sentence=1)
    retriever = retriever.with_settings(
        replace(retriever.settings, weights=everything, highlight=False)
    )
    qrels = read_qrels(args.scifact, args.split)
    queries = read_queries(args.scifact)
    gathered = [(qid, retriever.rank(queries[qid]).signals) for qid in qrels]
    grid = [x / 10 for x in range(0, 11)]
    results = []
    for bm25, section, chunk in itertools.product(grid, grid, grid):
        sentence = round(1 - bm25 - section - chunk, 2)
        if sentence < 0:
            continue
        weights = FusionWeights(bm25=bm25, section=section, chunk=chunk, sentence=sentence)
        ndcg, recall = [], []
        for qid, signals in gathered:
            ranked = doc_ranking(retriever, signals, blend(signals, weights))
            ndcg.append(ndcg_at(ranked, qrels[qid], 10))
            recall.append(recall_at(ranked, qrels[qid], 100))
        results.append((float(np.mean(ndcg)), float(np.mean(recall)), weights))
    results.sort(key=lambda r: -r[0])
    for mean_ndcg, mean_recall, w in results[: args.top]:
        print(f"ndcg@10 {mean_ndcg:.4f} recall@100 {mean_recall:.4f} {w}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
