"""BEIR evaluation: index a BEIR folder, rank documents, compute nDCG@10, Recall@100, MRR@10."""

from __future__ import annotations

import csv
import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingest.errors import InvalidInputError


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def read_queries(folder: Path) -> dict[str, str]:
    """``{query_id: text}`` from ``queries.jsonl``."""
    return {str(q["_id"]): str(q["text"]) for q in _read_jsonl(folder / "queries.jsonl")}


def read_qrels(folder: Path, split: str) -> dict[str, dict[str, int]]:
    """``{query_id: {doc_id: grade}}`` from ``qrels/SPLIT.tsv``."""
    path = folder / "qrels" / f"{split}.tsv"
    if not path.is_file():
        raise InvalidInputError(f"{path}: no qrels for split {split!r}")
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter="\t")
        next(reader, None)
        for row in reader:
            if len(row) >= 3:
                qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    return qrels


def export_corpus(folder: Path, out: Path) -> int:
    """Write each BEIR record as a text file (title, blank line, text); returns the count.

    Files are only rewritten when missing, so a second run reuses the index untouched.
    """
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for row in _read_jsonl(folder / "corpus.jsonl"):
        name = out / f"{row['_id']}.txt"
        body = f"{row.get('title', '').strip()}\n\n{row.get('text', '').strip()}\n".lstrip()
        if not name.exists() or name.read_text(encoding="utf-8") != body:
            name.write_text(body, encoding="utf-8")
        n += 1
    return n


def ndcg_at(ranked: list[str], relevant: dict[str, int], k: int) -> float:
    """nDCG@k with graded relevance (BEIR/pytrec_eval convention, linear gain)."""
    dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: list[str], relevant: dict[str, int], k: int) -> float:
    """Share of relevant documents in the top k."""
    rel = {d for d, g in relevant.items() if g > 0}
    return len(rel.intersection(ranked[:k])) / len(rel) if rel else 0.0


def mrr_at(ranked: list[str], relevant: dict[str, int], k: int) -> float:
    """Reciprocal rank of the first relevant document within the top k."""
    for i, d in enumerate(ranked[:k]):
        if relevant.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def evaluate_beir(
    folder: Path,
    rank_documents: Callable[[str, int], list[str]],
    *,
    split: str = "test",
    index_seconds: float = 0.0,
) -> dict[str, Any]:
    """Score ``rank_documents(query, depth) -> doc ids`` on a BEIR split."""
    qrels = read_qrels(folder, split)
    queries = read_queries(folder)
    ndcg, recall, mrr = [], [], []
    started = time.perf_counter()
    for qid, relevant in qrels.items():
        ranked = rank_documents(queries[qid], 100)
        ndcg.append(ndcg_at(ranked, relevant, 10))
        recall.append(recall_at(ranked, relevant, 100))
        mrr.append(mrr_at(ranked, relevant, 10))
    n = len(qrels)
    return {
        "ndcg@10": round(sum(ndcg) / n, 4),
        "recall@100": round(sum(recall) / n, 4),
        "mrr@10": round(sum(mrr) / n, 4),
        "n_queries": n,
        "index_seconds": round(index_seconds, 1),
        "query_seconds": round(time.perf_counter() - started, 1),
    }
