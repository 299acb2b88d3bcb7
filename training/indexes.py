"""The first stage's indexes the second stage is fitted on: SQuAD's folds, the written documents.

Each SQuAD fold's index holds only that fold's two articles (written as Markdown by
:func:`retrieval.eval.squad.write_articles`), chunked with the default ``ChunkSettings``, so
its questions are asked only against their own articles. The written documents
(:mod:`training.written`) share one index, and each of their questions is asked against all
twelve. Both are rebuilt or brought up to date from the files; their embedding caches are kept
(a re-run embeds nothing).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from training.squad import SQUAD
from training.written import WRITTEN, load_written

#: SQuAD's folds of two articles each (:func:`retrieval.eval.squad.squad_folds`).
SQUAD_FOLDS = 4


def fold_index(
    k: int,
    titles: Sequence[str],
    squad: Any,
    articles: Path,
    folder: Path,
    embedder: Any,
    chunking: Any = None,
) -> tuple[Any, list[Any]]:
    """Index fold ``k``'s articles (``titles``, already written to ``articles``) at
    ``folder/index``, rebuilt, and write its questions to ``folder/questions.jsonl``; returns
    the ingest report and the fold's questions (``SquadQuestion``)."""
    from ingest.sync.pipeline import Ingestor
    from ingest.text.chunker import ChunkSettings
    from retrieval.eval.squad import write_questions

    chosen = [a for a in squad.articles if a.title in set(titles)]
    fold_questions = squad.questions_of(titles)
    write_questions(fold_questions, folder / "questions.jsonl")
    report = Ingestor(
        folder / "index", embedder=embedder, chunking=chunking or ChunkSettings()
    ).run([articles / a.file_name for a in chosen], rebuild=True)
    print(f"fold {k}: {report.summary()}", file=sys.stderr, flush=True)
    return report, fold_questions


def squad_fold_indexes(
    work: Path, *, squad_file: Path = SQUAD, n_folds: int = SQUAD_FOLDS
) -> list[Path]:
    """Every fold's index under ``work/fold-K/index`` (articles in ``work/articles``);
    returns their paths."""
    from ingest.embedding.factory import make_embedder
    from retrieval.eval.squad import read_squad, squad_folds, write_articles

    squad = read_squad(squad_file)
    folds = squad_folds([a.title for a in squad.articles], n=n_folds)
    articles = work / "articles"
    write_articles(squad.articles, articles)
    embedder = make_embedder(None)
    for k, titles in enumerate(folds):
        fold_index(k, titles, squad, articles, work / f"fold-{k}", embedder)
    return [work / f"fold-{k}" / "index" for k in range(len(folds))]


def _answers() -> dict[str, str | None]:
    """Every written question's answer span (None: unanswerable), by id."""
    found: dict[str, str | None] = {}
    for qfile in sorted((WRITTEN / "questions").glob("*.jsonl")):
        for line in qfile.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            found[str(row["id"])] = row.get("answer")
    return found


def written_questions(out: Path) -> Path:
    """The written questions as an evaluation file (``id``, ``question``, ``evidence``)."""
    docs = [p.read_text(encoding="utf-8") for p in (WRITTEN / "docs").glob("*.md")]
    articles, questions = load_written()
    spans = _answers()
    rows = []
    for q in questions:
        evidence: list[str] = []
        if q.answerable:
            answer = str(spans[q.qid])
            # The span when it names one place in all twelve documents, else its sentence.
            unique = len(answer) >= 12 and sum(text.count(answer) for text in docs) == 1
            sentence = articles[q.title].sentences[min(q.answers)]
            evidence = [answer if unique else sentence]
        rows.append({"id": q.qid, "question": q.text, "evidence": evidence})
    path = out / "questions.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def written_index(out: Path) -> tuple[Path, Path]:
    """``(index, question file)`` of the written documents under ``out``, built or brought up
    to date (an unchanged document is not embedded again)."""
    from ingest.sync.pipeline import Ingestor

    questions = written_questions(out)
    index = out / "index"
    Ingestor(index).run(sorted((WRITTEN / "docs").glob("*.md")))
    return index, questions
