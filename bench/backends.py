"""FAISS + bm25s against Milvus, side by side: same questions, same model, same fusion.

Indexes SciFact and the bundled article once per backend (the embedding cache is shared,
so the second backend embeds nothing; ``--seed-cache`` copies an existing cache in first),
then prints per backend: hit@1, hit@3 and citation validity on the seed questions, SciFact
test nDCG@10 and Recall@100, ingest seconds (a fresh version from a warm embedding cache),
the bytes the live version keeps in the local index folder, and ``ask()`` latency p50/p95
over the first 100 SciFact test queries (the two backends take turns on each query, so
both see the same machine load). On Milvus everything a question reads is in the engine:
the quality and latency rows are measured by a reader given only the URI and the
collection, with an empty folder of its own.

    python -m bench.backends [--milvus-uri bench/out/backends/milvus.db] [--seed-cache DIR]
    python -m bench.backends --latency-only      # latency again, over the indexes built
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _ingest(index: Path, documents: Any, backend: Any, seed_cache: Path | None) -> float:
    """A fresh version of ``documents`` on ``backend``; returns its seconds."""
    from ingest.index.backends.factory import version_store
    from ingest.sync.pipeline import Ingestor

    # Start from empty collections (on Milvus), so every row is written.
    version_store(index, backend, None).drop()
    if seed_cache is not None and seed_cache.is_dir() and not (index / "cache").exists():
        shutil.copytree(seed_cache, index / "cache")
    started = time.perf_counter()
    Ingestor(index, backend=backend).sync_documents(documents, prune=True, rebuild=True)
    return time.perf_counter() - started


def load_folder(folder: Path) -> list[Any]:
    """The documents of a folder's files."""
    from ingest.formats.loaders import load_document

    return [load_document(path) for path in sorted(folder.iterdir()) if path.is_file()]


def reader(index: Path) -> Any:
    """A retriever of ``index``; on Milvus one with no local folder, given the URI and the
    collection only (as a docqa on another machine)."""
    from ingest.index.backends.factory import reader_settings
    from ingest.index.store import current_version_path
    from retrieval.retriever import Retriever

    elsewhere = reader_settings(current_version_path(index))
    if elsewhere is None:
        return Retriever(index)
    return Retriever(index.parent / f"elsewhere-{index.name}", backend=elsewhere)


def local_bytes(index: Path) -> int:
    """Bytes of the live version's folder (what a reader on the index's machine reads)."""
    from ingest.index.store import current_version_path

    return sum(p.stat().st_size for p in current_version_path(index).rglob("*") if p.is_file())


def latency(retrievers: dict[str, Any], questions: list[str]) -> dict[str, tuple[float, float]]:
    """``ask()`` p50/p95 ms per backend, queries interleaved so both see the same load."""
    import numpy as np

    times: dict[str, list[float]] = {kind: [] for kind in retrievers}
    for question in questions:
        for kind, retriever in retrievers.items():
            started = time.perf_counter()
            retriever.answer(question, k=5)
            times[kind].append((time.perf_counter() - started) * 1000)
    return {
        kind: (round(float(np.percentile(t, 50)), 1), round(float(np.percentile(t, 95)), 1))
        for kind, t in times.items()
    }


def test_queries(scifact: Path) -> list[str]:
    """The SciFact test queries' texts."""
    from retrieval.eval.beir import read_qrels

    lines = (scifact / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    wanted = set(read_qrels(scifact, "test"))
    return [q["text"] for q in map(json.loads, filter(str.strip, lines)) if q["_id"] in wanted]


def measure(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    """Every figure of one backend but latency."""
    from ingest.index.backends.settings import BackendSettings
    from retrieval.eval.beir import evaluate_beir
    from retrieval.eval.beir_index import beir_documents, rank_documents
    from retrieval.eval.evaluation import evaluate, load_questions

    backend = BackendSettings(kind=kind, milvus_uri=args.milvus_uri)  # type: ignore[arg-type]
    out = args.out / kind
    article = out / "article-index"
    _ingest(article, load_folder(ROOT / "corpus"), backend, None)
    retriever = reader(article)
    docs = retriever.version.documents
    questions = load_questions(args.questions)
    seed = evaluate(questions, lambda q: retriever.answer(q, k=5), lambda d: docs[d].text)

    scifact = out / "scifact-index"
    seconds = _ingest(scifact, beir_documents(args.scifact), backend, args.seed_cache)
    ranker = reader(scifact)
    bulk = ranker.with_settings(replace(ranker.settings, highlight=False, candidates=300))
    beir = evaluate_beir(args.scifact, lambda q, d: rank_documents(bulk, q, d), split="test")
    return {
        "backend": kind,
        "hit@1": seed["hit@1"],
        "hit@3": seed["hit@3"],
        "citation_validity": seed["citation_validity"],
        "ndcg@10": beir["ndcg@10"],
        "recall@100": beir["recall@100"],
        "ingest_s": round(seconds, 1),
        "local_version_bytes": local_bytes(scifact),
    }


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """The figures as a Markdown table, one column per backend."""
    keys = [k for k in rows[0] if k != "backend"]
    lines = ["| | " + " | ".join(r["backend"] for r in rows) + " |"]
    lines.append("|---|" + "---:|" * len(rows))
    lines += [f"| {k} | " + " | ".join(str(r[k]) for r in rows) + " |" for k in keys]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the side-by-side table."""
    from ingest.index.backends.settings import BACKENDS

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    shared = ROOT.parent / "shared" / "eval"
    out = ROOT / "bench" / "out" / "backends"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scifact", type=Path, default=shared / "beir" / "scifact")
    parser.add_argument("--questions", type=Path, default=shared / "seed_questions.jsonl")
    parser.add_argument("--out", type=Path, default=out)
    parser.add_argument("--milvus-uri", default=str(out / "milvus.db"))
    parser.add_argument("--seed-cache", type=Path, help="embedding cache to copy in first")
    parser.add_argument("--only", choices=BACKENDS, help="measure one backend")
    parser.add_argument("--latency-queries", type=int, default=100)
    parser.add_argument(
        "--latency-only", action="store_true", help="only latency, over the indexes already built"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    kinds: list[str] = [kind for kind in BACKENDS if args.only in (None, kind)]
    rows: list[dict[str, Any]] = []
    for kind in kinds:
        rows.append({"backend": kind} if args.latency_only else measure(kind, args))
        print(json.dumps(rows[-1]), file=sys.stderr)
    retrievers = {kind: reader(args.out / kind / "scifact-index") for kind in kinds}
    times = latency(retrievers, test_queries(args.scifact)[: args.latency_queries])
    for row in rows:
        row["query_p50_ms"], row["query_p95_ms"] = times[row["backend"]]
    print(json.dumps(rows) if args.json else markdown_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
