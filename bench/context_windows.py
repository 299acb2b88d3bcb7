"""Sentence vectors with their neighbours' context, measured on SciFact's train split.

The sentence signal of the default index embeds each sentence alone. This embeds each sentence
again with the sentence before it (``prev``) and with both neighbours (``prev+next``), inside
the same document, and ranks with those vectors in place of the sentence vectors, or with the
higher (``max``) or the mean of the two cosines. Every variant is embedded once, timed (the
stored sentences too, for a like-for-like baseline), so the table shows what each would add
to ingestion.

    python -m bench.context_windows [--scifact DIR] [--split train] [--json]
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def window_texts(version: Any, before: int, after: int) -> list[str]:
    """Each sentence unit's text widened by ``before``/``after`` units of the same document."""
    units, chunks = version.units, version.chunks
    doc_of = [chunks[int(row)].doc_id for row in units.chunk]
    texts = []
    for i in range(len(units)):
        first = i
        while first > i - before and first > 0 and doc_of[first - 1] == doc_of[i]:
            first -= 1
        last = i
        while last < i + after and last + 1 < len(units) and doc_of[last + 1] == doc_of[i]:
            last += 1
        text = version.documents[doc_of[i]].text
        texts.append(text[int(units.start[first]) : int(units.end[last])])
    return texts


def main(argv: list[str] | None = None) -> int:
    """Print one row per variant."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from bench.arguments import experiment_parser

    parser = experiment_parser(__doc__)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from bench.quality import build_indexes, markdown_table
    from bench.tune import doc_ranking
    from ingest.index.dense import DenseIndex
    from retrieval.eval.beir import ndcg_at, read_qrels, read_queries, recall_at
    from retrieval.fusion import blend
    from retrieval.retriever import Retriever
    from retrieval.signals import sentence_maxima

    _, index, _ = build_indexes(args.scifact, args.out)
    retriever = Retriever(index)
    retriever = retriever.with_settings(replace(retriever.settings, highlight=False))
    version = retriever.version
    weights = retriever.settings.weights_for("hybrid")
    embed = retriever.embedder.embed

    texts = {
        "sentence": window_texts(version, 0, 0),
        "prev": window_texts(version, 1, 0),
        "prev+next": window_texts(version, 1, 1),
    }
    vectors: dict[str, DenseIndex] = {}
    seconds: dict[str, float] = {}
    for name, batch in texts.items():
        started = time.perf_counter()
        vectors[name] = DenseIndex.build(np.asarray(embed(batch), dtype=np.float32), kind="flat")
        seconds[name] = round(time.perf_counter() - started, 1)
        print(f"{name}: {len(batch)} texts in {seconds[name]} s", file=sys.stderr, flush=True)

    qrels = read_qrels(args.scifact, args.split)
    queries = read_queries(args.scifact)
    offsets = version.units.offsets
    gathered = []
    for qid in qrels:
        ranking = retriever.rank(queries[qid])
        signals, qv = ranking.signals, ranking.query_vector
        assert qv is not None  # hybrid mode embeds the question
        cosines = {
            name: sentence_maxima(qv, signals.rows, version.units, offsets, v)[0]
            for name, v in vectors.items()
        }
        gathered.append((qid, signals, cosines))

    def score(combine: Callable[[dict[str, np.ndarray]], np.ndarray]) -> tuple[float, float]:
        ndcg, recall = [], []
        for qid, signals, cosines in gathered:
            fused = blend(replace(signals, sent_cos=combine(cosines)), weights)
            ranked = doc_ranking(retriever, signals, fused)
            ndcg.append(ndcg_at(ranked, qrels[qid], 10))
            recall.append(recall_at(ranked, qrels[qid], 100))
        return round(float(np.mean(ndcg)), 4), round(float(np.mean(recall)), 4)

    def combined(name: str, how: str) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
        def pick(c: dict[str, np.ndarray]) -> np.ndarray:
            if how == "max":
                return np.maximum(c["sentence"], c[name])
            if how == "mean":
                return (c["sentence"] + c[name]) / 2
            return c[name]

        return pick

    variants = [("sentence alone (default)", ["sentence"], combined("sentence", "only"))]
    for name in ("prev", "prev+next"):
        variants += [
            (f"{name} instead", [name], combined(name, "only")),
            (f"max(sentence, {name})", ["sentence", name], combined(name, "max")),
            (f"mean(sentence, {name})", ["sentence", name], combined(name, "mean")),
        ]
    rows = []
    for label, needs, combine in variants:
        ndcg, recall = score(combine)
        cost = sum(seconds[n] for n in needs)
        rows.append(
            {
                "sentence signal": label,
                f"{args.split} ndcg@10": ndcg,
                f"{args.split} recall@100": recall,
                "unit embedding s": cost,
                "vs default": f"{cost / seconds['sentence']:.2f}x",
            }
        )
    print(json.dumps(rows, indent=1) if args.json else markdown_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
