"""Retrieval quality, one row per configuration: every choice backed by an ablation.

Builds (or reuses) an index of SciFact and of the bundled article with the default model, then
for each configuration prints SciFact test nDCG@10 / Recall@100 / false abstention, and on the
article's question files hit@1, hit@3, sentence_hit@1, abstention on unanswerable questions and
false abstention.

    python bench/quality.py [--scifact DIR] [--questions FILE ...] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Config:
    """A named retrieval configuration (an ablation row)."""

    name: str
    settings: Any
    sparse: Any = None  # SparseSettings of a replacement BM25 index, or None


def configurations() -> list[Config]:
    """The ablation rows, from single signals to the default."""
    from ingest.index.sparse import SparseSettings
    from retrieval.fusion import FusionWeights
    from retrieval.retriever import SearchSettings

    final = SearchSettings()
    w = final.weights

    def only(**weights: float) -> Any:
        return replace(
            final,
            weights=FusionWeights(
                **{"bm25": 0, "section": 0, "chunk": 0, "sentence": 0, **weights}
            ),
        )

    return [
        Config("dense: chunk vectors", only(chunk=1)),
        Config("dense: best sentence", only(sentence=1)),
        Config("BM25 chunks, no stemming", only(bm25=1), SparseSettings(stemmer=None)),
        Config("BM25 chunks, stemmed", only(bm25=1)),
        Config("BM25 sections, stemmed", only(section=1)),
        Config(
            "hybrid RRF: BM25 + chunk vectors",
            replace(only(bm25=1, chunk=1), fusion="rrf"),
        ),
        Config("hybrid blend: BM25 + chunk vectors", only(bm25=0.35, chunk=0.65)),
        Config("+ section BM25", only(bm25=w.bm25, section=w.section, chunk=w.chunk + w.sentence)),
        Config("default: + best-sentence vectors", final),
    ]


def _with_sparse(retriever: Any, sparse: Any) -> Any:
    """The retriever with its BM25 index rebuilt under other tokeniser settings."""
    from ingest.index.sparse import SparseIndex

    version = retriever.version
    index = SparseIndex.build([c.text for c in version.chunks], sparse)
    clone = retriever.with_settings(retriever.settings)
    clone.version = replace(version, sparse=index)
    return clone


def scifact_figures(
    retriever: Any, folder: Path, split: str, *, abstention: bool = True
) -> dict[str, Any]:
    """nDCG@10 and Recall@100 (documents) and the share of questions abstained."""
    from retrieval.eval.beir import evaluate_beir, read_qrels
    from retrieval.eval.beir_index import rank_documents

    ranking = retriever.with_settings(replace(retriever.settings, highlight=False))
    figures = evaluate_beir(folder, lambda q, d: rank_documents(ranking, q, d), split=split)
    if not abstention:
        return {
            "ndcg@10": figures["ndcg@10"],
            "recall@100": figures["recall@100"],
            "scifact_false_abstention": "-",
        }
    lines = (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    queries = [json.loads(line) for line in lines if line.strip()]

    wanted = set(read_qrels(folder, split))
    texts = [q["text"] for q in queries if q["_id"] in wanted]
    abstained = sum(retriever.answer(t, k=1).abstained for t in texts)
    return {
        "ndcg@10": figures["ndcg@10"],
        "recall@100": figures["recall@100"],
        "scifact_false_abstention": round(abstained / len(texts), 4),
    }


def article_figures(retriever: Any, files: list[Path]) -> dict[str, float]:
    """The evaluation protocol over the article's question files, merged. (Every passage's
    citation is exact by construction, a test holds it: it is no column here.)"""
    from retrieval.eval.evaluation import evaluate, load_questions

    questions = [q for f in files for q in load_questions(f)]
    docs = retriever.version.documents
    figures = evaluate(questions, lambda q: retriever.answer(q, k=5), lambda d: docs[d].text)
    return {
        key: figures[key]
        for key in (
            "hit@1",
            "hit@3",
            "answered_hit@1",
            "answered_hit@3",
            "sentence_hit@1",
            "abstention_accuracy",
            "false_abstention_rate",
        )
    }


def build_indexes(scifact: Path, out: Path) -> tuple[Path, Path, float]:
    """Index SciFact and the bundled corpus (reusing what is there); returns their paths."""
    from ingest.sync.pipeline import Ingestor, ingest
    from retrieval.eval.beir_index import beir_documents

    article = out / "article-index"
    ingest([ROOT / "corpus"], index=article)
    started = time.perf_counter()
    index = out / "scifact-index"
    Ingestor(index).sync_documents(beir_documents(scifact), prune=True)
    return article, index, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Print the ablation table."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = ROOT.parent / "shared" / "eval"
    parser.add_argument("--scifact", type=Path, default=shared / "beir" / "scifact")
    parser.add_argument("--split", default="test")
    parser.add_argument(
        "--questions",
        type=Path,
        nargs="+",
        default=[
            shared / "seed_questions.jsonl",
            ROOT / "bench" / "data" / "article_dev.jsonl",
            ROOT / "bench" / "data" / "article_paraphrase.jsonl",
        ],
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--only", help="run only configurations whose name contains this")
    parser.add_argument(
        "--abstention-rows",
        default="default",
        help="measure SciFact abstention only for rows whose name contains this",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from retrieval.retriever import Retriever

    article_index, scifact_index, seconds = build_indexes(args.scifact, args.out)
    article = Retriever(article_index)
    scifact = Retriever(scifact_index, embedder=article.embedder)
    rows = []
    for config in configurations():
        if args.only and args.only not in config.name:
            continue
        a = article.with_settings(config.settings)
        s = scifact.with_settings(config.settings)
        if config.sparse is not None:
            a, s = _with_sparse(a, config.sparse), _with_sparse(s, config.sparse)
        row: dict[str, Any] = {"configuration": config.name}
        abstention = args.abstention_rows in config.name
        row.update(scifact_figures(s, args.scifact, args.split, abstention=abstention))
        row.update(article_figures(a, args.questions))
        rows.append(row)
        if not args.json:
            print(json.dumps(row), file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps({"index_seconds": round(seconds, 1), "rows": rows}, indent=1))
    else:
        print(markdown_table(rows))
        print(
            f"\nSciFact split: {args.split}; questions: {', '.join(str(q) for q in args.questions)}"
        )
    return 0


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """Rows as a Markdown table."""
    if not rows:
        return "(no rows)"
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for row in rows:
        lines.append("| " + " | ".join(str(row[k]) for k in keys) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
