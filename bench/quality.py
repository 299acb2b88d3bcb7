"""Retrieval quality, one row per configuration: every choice backed by an ablation.

Builds (or reuses) an index of SciFact and of the bundled article with the default model, then
for each configuration prints SciFact test nDCG@10 / Recall@100 (and false abstention for the
last rows), and on each of the article's question files hit@1, hit@3, sentence_hit@1,
abstention on unanswerable questions and false abstention. The last three rows (the fast
path, the reader's blend without learning, the default with the cross-encoder) also run the
SQuAD 2.0 training articles by folds (``bench/squad_folds.py``; each fold read by the
cross-encoder trained without its articles) and covidqa-train's questions over its 49 long
articles (``bench/covidqa.py``: hit@1, hit@3, MRR@5, sentence_hit@1 and sentence overlap;
each question read by the cross-encoder trained without its article).

    python -m bench.quality [--scifact DIR] [--questions FILE ...] [--no-squad] [--no-covidqa]
        [--json]
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

from bench.tables import ANSWER_FIGURES, markdown_table
from training import FOLD_MODELS

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Config:
    """A named retrieval configuration (an ablation row).

    ``scorer``: the second stage's cross-encoder: ``shipped`` (on SQuAD, the fold's model
    trained without its articles), ``none`` (a constant: passages ordered by their best
    first-stage sentence, no learning). Rows with ``squad`` also run the SQuAD folds.
    """

    name: str
    settings: Any
    sparse: Any = None  # SparseSettings of a replacement BM25 index, or None
    scorer: str = "shipped"
    squad: bool = False


class ConstantScorer:
    """The same logit for every sentence: the reader's blend without its learned part."""

    def logits(self, question: str, sentences: Any) -> Any:
        """Zeros, one per sentence."""
        import numpy as np

        return np.zeros(len(sentences), dtype=np.float32)


def configurations() -> list[Config]:
    """The ablation rows, from single signals to the default."""
    from ingest.index.sparse import SparseSettings
    from retrieval.fusion import FusionWeights
    from retrieval.retriever import SearchSettings

    final = SearchSettings()
    fast = replace(final, reader=None)
    w = final.weights

    def only(**weights: float) -> Any:
        return replace(
            fast,
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
        Config("fast path: + best-sentence vectors", fast, squad=True),
        Config("+ passages led by their best sentence", final, scorer="none", squad=True),
        Config("default: + cross-encoder", final, squad=True),
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


#: Short column prefixes of the article's question files.
PREFIXES = {"seed_questions": "seed", "article_dev": "dev", "article_paraphrase": "para"}
#: The figures reported per question file.
ARTICLE_KEYS = {
    "hit@1": "hit@1",
    "hit@3": "hit@3",
    "sentence_hit@1": "sent@1",
    "abstention_accuracy": "abst",
    "false_abstention_rate": "false",
}


def article_figures(retriever: Any, files: list[Path]) -> dict[str, float]:
    """The evaluation protocol over the article's question files, merged. (Every passage's
    citation is exact by construction, a test holds it: it is no column here.)"""
    from retrieval.eval.evaluation import evaluate, load_questions

    questions = [q for f in files for q in load_questions(f)]
    docs = retriever.version.documents
    figures = evaluate(questions, lambda q: retriever.answer(q, k=5), lambda d: docs[d].text)
    return {key: figures[key] for key in ANSWER_FIGURES}


def figures_per_file(retriever: Any, files: list[Path]) -> dict[str, float]:
    """:func:`article_figures` of each question file, its columns named after the file."""
    out: dict[str, float] = {}
    for path in files:
        prefix = PREFIXES.get(path.stem, path.stem)
        figures = article_figures(retriever, [path])
        out.update({f"{prefix} {short}": figures[key] for key, short in ARTICLE_KEYS.items()})
    return out


def squad_figures(config: Config, models: Path) -> dict[str, Any]:
    """SQuAD 2.0 training articles, folds by article, pooled (``bench/squad_folds.py``)."""
    from bench.squad_folds import ReaderChoice, squad_rows

    reader = config.settings.reader
    choice = None
    if reader is not None:
        scorer: Any = ConstantScorer() if config.scorer == "none" else models
        choice = ReaderChoice(scorer, reader)
    pooled = squad_rows(choice)[-1]
    return {
        "squad hit@1": pooled["hit@1"],
        "squad sent@1": pooled["sentence_hit@1"],
        "squad abst": pooled["abstention_accuracy"],
        "squad false": pooled["false_abstention_rate"],
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
        "--fold-models",
        type=Path,
        default=FOLD_MODELS,
        help="per-fold cross-encoders for the SQuAD folds and covidqa-train (python -m "
        "training --step folds); the shipped model saw every article of both",
    )
    parser.add_argument(
        "--no-squad", action="store_true", help="skip the SQuAD folds (several minutes a row)"
    )
    parser.add_argument(
        "--no-covidqa", action="store_true", help="skip covidqa-train (several minutes a row)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from bench.covidqa import build_index, covid_figures, load_asked
    from retrieval.retriever import Retriever

    article_index, scifact_index, seconds = build_indexes(args.scifact, args.out)
    article = Retriever(article_index)
    scifact = Retriever(scifact_index, embedder=article.embedder)
    covid_index = None if args.no_covidqa else build_index(args.out)
    covid = {}
    if covid_index is not None:
        covid = {
            "shipped": Retriever(covid_index, embedder=article.embedder),
            "none": Retriever(covid_index, embedder=article.embedder, scorer=ConstantScorer()),
        }
    asked = load_asked(covid["shipped"]) if covid else []
    constant = {
        "article": Retriever(article_index, embedder=article.embedder, scorer=ConstantScorer()),
        "scifact": Retriever(scifact_index, embedder=article.embedder, scorer=ConstantScorer()),
    }
    rows = []
    for config in configurations():
        if args.only and args.only not in config.name:
            continue
        a, s = article, scifact
        if config.scorer == "none":
            a, s = constant["article"], constant["scifact"]
        a, s = a.with_settings(config.settings), s.with_settings(config.settings)
        if config.sparse is not None:
            a, s = _with_sparse(a, config.sparse), _with_sparse(s, config.sparse)
        row: dict[str, Any] = {"configuration": config.name}
        row.update(scifact_figures(s, args.scifact, args.split, abstention=config.squad))
        row.update(figures_per_file(a, args.questions))
        if config.squad and not args.no_squad:
            row.update(squad_figures(config, args.fold_models))
        if config.squad and covid:
            reading = covid[config.scorer].with_settings(config.settings)
            models = args.fold_models if config.scorer == "shipped" else None
            figures = covid_figures(reading, asked, models)
            row.update({f"covid {key}": value for key, value in figures.items()})
        rows.append(row)
        if not args.json:
            print(json.dumps(row), file=sys.stderr, flush=True)
    keys = {key: None for row in rows for key in row}
    rows = [{key: row.get(key, "-") for key in keys} for row in rows]
    if args.json:
        print(json.dumps({"index_seconds": round(seconds, 1), "rows": rows}, indent=1))
    else:
        print(markdown_table(rows))
        print(
            f"\nSciFact split: {args.split}; questions: {', '.join(str(q) for q in args.questions)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
