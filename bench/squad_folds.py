"""SQuAD 2.0 by article folds: docqa's default settings on eight Wikipedia articles.

Converts ``squad2-8-articles.json`` (``retrieval.eval.squad``) into one Markdown file per
article and a question file per fold, builds one index per fold holding only that fold's two
articles (questions are asked only against their own articles), and evaluates the fold's
questions with the default ``SearchSettings``. Prints per-fold and pooled figures (hit@k,
answered_hit@k, where an abstained answer is a miss, sentence_hit@1, abstention on the
unanswerable questions, false abstention) and the passage-unit statistic: SQuAD paragraphs
cut across two chunks, chunks holding pieces of two paragraphs, and answers that no chunk
holds whole.

Each fold's index is rebuilt from the files every run (so chunks follow the current code)
while its embedding cache (``fold-K/index/cache``) is kept: a re-run embeds nothing.
Writes ``squad_folds.md`` and ``squad_folds.json`` to ``--out``; the articles, question files
and indexes go to ``--out/squad_folds/``, so a fold is also ``docqa eval
OUT/squad_folds/fold-K/questions.jsonl --index OUT/squad_folds/fold-K/index``.

    python -m bench.squad_folds [--squad FILE] [--folds 4] [--only 0,2] [--fast] [--json]

The second stage reads with the cross-encoder trained without the fold's articles
(``--reader-models``); ``--fast`` measures the fast path.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.tables import ANSWER_FIGURES as FIGURES
from bench.tables import markdown_table
from training import FOLD_MODELS
from training.indexes import fold_index
from training.squad import SQUAD

ROOT = Path(__file__).resolve().parent.parent

Span = tuple[int, int]


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def passage_units(
    paragraphs: Sequence[Span], chunks: Sequence[Span], answers: Sequence[Sequence[Span]] = ()
) -> dict[str, int]:
    """How well one document's chunks follow its paragraphs.

    Args:
        paragraphs: ``(start, end)`` of each paragraph.
        chunks: ``(start, end)`` of each chunk of the same document.
        answers: Per answerable question, the spans of its answers.

    Returns:
        ``paragraphs``, ``chunks``, ``paragraphs_cut`` (paragraphs overlapping two or more
        chunks), ``chunks_mixed`` (chunks overlapping two or more paragraphs), ``answers``
        and ``answers_cut`` (questions none of whose answer spans lies whole in one chunk).
    """
    cut = sum(sum(_overlaps(p, c) for c in chunks) > 1 for p in paragraphs)
    mixed = sum(sum(_overlaps(c, p) for p in paragraphs) > 1 for c in chunks)
    unheld = sum(
        not any(c[0] <= a[0] and a[1] <= c[1] for a in spans for c in chunks) for spans in answers
    )
    return {
        "paragraphs": len(paragraphs),
        "chunks": len(chunks),
        "paragraphs_cut": cut,
        "chunks_mixed": mixed,
        "answers": len(answers),
        "answers_cut": unheld,
    }


def _replay(questions: Sequence[Any], answers: Sequence[Any]) -> Callable[[str], Any]:
    """``question -> Answer`` handing back precomputed answers, in the questions' order."""
    pending: Iterator[tuple[Any, Any]] = iter(zip(questions, answers, strict=True))

    def answer(question: str) -> Any:
        asked, result = next(pending)
        if asked.question != question:
            raise RuntimeError(f"answers replayed out of order at {question!r}")
        return result

    return answer


def run_fold(
    k: int,
    titles: Sequence[str],
    squad: Any,
    articles: Path,
    folder: Path,
    embedder: Any,
    reader: Any = None,
    chunking: Any = None,
) -> tuple[dict[str, Any], list[Any], list[Any], dict[str, str]]:
    """Index fold ``k``'s articles, answer its questions; returns (row, questions, answers,
    doc texts). ``reader``: ``(scorer, ReaderSettings)`` of a second stage trained without
    this fold's articles, or None for the fast path (first stage only)."""
    from retrieval.eval.evaluation import evaluate
    from retrieval.retriever import Retriever

    chosen = [a for a in squad.articles if a.title in set(titles)]
    report, fold_questions = fold_index(k, titles, squad, articles, folder, embedder, chunking)
    index = folder / "index"
    retriever = Retriever(index, embedder=embedder)
    if reader is None:
        retriever = retriever.with_settings(replace(retriever.settings, reader=None))
    else:
        scorer, settings = reader
        retriever = Retriever(index, embedder=embedder, scorer=scorer)
        retriever = retriever.with_settings(replace(retriever.settings, reader=settings))
    docs = {d: doc.text for d, doc in retriever.version.documents.items()}
    questions = [q.as_question() for q in fold_questions]
    answers, times = [], []
    for q in questions:
        started = time.perf_counter()
        answers.append(retriever.answer(q.question, k=5))
        times.append((time.perf_counter() - started) * 1000)
    figures = evaluate(questions, _replay(questions, answers), docs.__getitem__)
    units = _units(chosen, fold_questions, retriever.version)
    times.sort()
    row = {
        "fold": str(k),
        "articles": ", ".join(titles),
        "questions": len(questions),
        "answerable": figures["n_answerable"],
        "unanswerable": figures["n_unanswerable"],
        **{key: figures[key] for key in FIGURES},
        "p50_ms": round(times[len(times) // 2], 1) if times else 0.0,
        **units,
        "chunks_embedded": report.chunks_embedded,
        "sentences_embedded": report.sentences_embedded,
    }
    return row, questions, answers, docs


def _units(articles: Sequence[Any], questions: Sequence[Any], version: Any) -> dict[str, int]:
    """:func:`passage_units` summed over the fold's articles (found by their file names)."""
    documents, chunks = version.documents, version.chunks
    by_file = {Path(doc.source).name: doc_id for doc_id, doc in documents.items()}
    by_doc: dict[str, list[Span]] = {}
    for c in chunks:
        by_doc.setdefault(c.doc_id, []).append((c.start, c.end))
    total: dict[str, int] = {}
    for article in articles:
        spans = [q.spans for q in questions if q.title == article.title and q.spans]
        held = by_doc[by_file[article.file_name]]
        counts = passage_units(article.paragraphs, held, spans)
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value
    return total


def pooled_row(
    rows: Sequence[dict[str, Any]],
    n_articles: int,
    questions: Sequence[Any],
    answers: Sequence[Any],
    docs: dict[str, str],
) -> dict[str, Any]:
    """All folds' questions scored as one set (not a mean of fold means)."""
    from retrieval.eval.evaluation import evaluate

    figures = evaluate(questions, _replay(questions, answers), docs.__getitem__)
    row: dict[str, Any] = {
        "fold": "pooled",
        "articles": f"{n_articles} articles",
        "questions": len(questions),
        "answerable": figures["n_answerable"],
        "unanswerable": figures["n_unanswerable"],
        **{key: figures[key] for key in FIGURES},
        "p50_ms": "-",
    }
    for key in rows[0]:
        if key not in row:
            row[key] = sum(r[key] for r in rows)
    return row


class ReaderChoice:
    """The second stage for the folds: its settings and where each fold's scorer comes from.

    ``scorer``: a folder of per-fold models (``foldK-model``, trained without fold K's
    articles), or one scorer object for every fold (a test double, a constant).
    """

    def __init__(self, scorer: Any, settings: Any = None) -> None:
        from retrieval.reader import ReaderSettings

        self.scorer = scorer
        self.settings = settings or ReaderSettings()

    def for_fold(self, k: int) -> tuple[Any, Any]:
        """``(scorer, ReaderSettings)`` for fold ``k``."""
        if isinstance(self.scorer, Path):
            from retrieval.rerank import SentenceScorer

            return SentenceScorer(self.scorer / f"fold{k}-model"), self.settings
        return self.scorer, self.settings


def read_squad_file(path: Path) -> Any:
    """The SQuAD file as ``retrieval.eval.squad`` reads it."""
    from retrieval.eval.squad import read_squad

    return read_squad(path)


def squad_rows(
    reader: ReaderChoice | None,
    *,
    squad_file: Path = SQUAD,
    n_folds: int = 4,
    only: str | None = None,
    out: Path = ROOT / "bench" / "out",
    chunking: Any = None,
) -> list[dict[str, Any]]:
    """Per-fold rows and the pooled row (last) of the folds-by-article evaluation.

    ``reader``: the second stage (None: the fast path, first stage only); ``chunking``: the
    ``ChunkSettings`` of the fold indexes (None: the default).
    """
    from ingest.embedding.factory import make_embedder
    from retrieval.eval.squad import squad_folds, write_articles

    squad = read_squad_file(squad_file)
    folds = squad_folds([a.title for a in squad.articles], n=n_folds)
    wanted = [int(k) for k in only.split(",")] if only else list(range(len(folds)))
    work = out / "squad_folds"
    articles = work / "articles"
    write_articles(squad.articles, articles)
    embedder = make_embedder(None)
    rows: list[dict[str, Any]] = []
    all_questions: list[Any] = []
    all_answers: list[Any] = []
    all_docs: dict[str, str] = {}
    for k in wanted:
        row, questions, answers, docs = run_fold(
            k,
            folds[k],
            squad,
            articles,
            work / f"fold-{k}",
            embedder,
            reader.for_fold(k) if reader is not None else None,
            chunking,
        )
        rows.append(row)
        all_questions += questions
        all_answers += answers
        all_docs.update(docs)
        print(json.dumps(row), file=sys.stderr, flush=True)
    n_articles = sum(len(folds[k]) for k in wanted)
    rows.append(pooled_row(rows, n_articles, all_questions, all_answers, all_docs))
    return rows


def main(argv: list[str] | None = None) -> int:
    """Build the fold indexes, evaluate, print and write the tables."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import argparse

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--squad", type=Path, default=SQUAD)
    parser.add_argument("--folds", type=int, default=4, help="number of folds (default 4)")
    parser.add_argument("--only", help="comma-separated fold numbers to run (default: all)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--reader-models",
        type=Path,
        default=FOLD_MODELS,
        help="folder of per-fold cross-encoders (foldK-model, trained without fold K's "
        "articles: python -m bench.train.reranker --folds); the shipped model saw every "
        "article, so it is never used here",
    )
    parser.add_argument(
        "--fast", action="store_true", help="the fast path: first stage only, no reader"
    )
    parser.add_argument("--max-chars", type=int, default=800, help="chunk size limit")
    parser.add_argument(
        "--paragraphs", action="store_true", help="chunks follow paragraphs (ChunkSettings)"
    )
    parser.add_argument("--name", default="squad_folds", help="output file name (no suffix)")
    args = parser.parse_args(argv)

    from retrieval.eval.squad import squad_folds

    reader: Any = None if args.fast else ReaderChoice(args.reader_models)
    from ingest.text.chunker import ChunkSettings

    chunking = ChunkSettings(max_chars=args.max_chars, paragraphs=args.paragraphs)
    rows = squad_rows(
        reader,
        squad_file=args.squad,
        n_folds=args.folds,
        only=args.only,
        out=args.out,
        chunking=chunking,
    )
    folds = squad_folds([a.title for a in read_squad_file(args.squad).articles], n=args.folds)
    unit_keys = ("paragraphs", "chunks", "paragraphs_cut", "chunks_mixed", "answers", "answers_cut")
    run_keys = ("chunks_embedded", "sentences_embedded")
    figures = [{k: v for k, v in r.items() if k not in unit_keys + run_keys} for r in rows]
    units = [{"fold": r["fold"], **{k: r[k] for k in unit_keys}} for r in rows]
    result = {"squad": str(args.squad), "folds": [list(f) for f in folds], "rows": rows}
    pooled = rows[-1]
    tables = (
        markdown_table(figures)
        + "\n\nPassage units (SQuAD paragraphs against docqa chunks; answers_cut: answerable"
        + " questions none of whose answers lies whole in one chunk):\n\n"
        + markdown_table(units)
        + f"\n\nEmbedded this run: {pooled['chunks_embedded']} chunks,"
        + f" {pooled['sentences_embedded']} sentences (the rest came from the embedding caches)."
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.md").write_text(tables + "\n", encoding="utf-8")
    (args.out / f"{args.name}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(json.dumps(result, indent=1) if args.json else tables)
    return 0


if __name__ == "__main__":
    sys.exit(main())
