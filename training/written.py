"""Training questions docqa's developers wrote over documents written for the purpose.

``bench/data/reader_training/`` holds Markdown documents (``docs/SLUG.md``) and one question
file per document (``questions/SLUG.jsonl``), one JSON object per line::

    {"id": "SLUG-001", "question": "...", "answer": "exact text" | null,
     "near": "exact text" | null}

and optionally ``"kind": "yes-no"`` (a question answered by yes or no: recipes train on
these only when they say so).

``answer`` is a short span copied exactly from the document (it must occur there once); the
sentence holding it is the answer sentence. An unanswerable question has ``answer: null`` and
``near``: a span of the sentence a careless reader would answer it from. Documents are read as
:mod:`training.squad` reads SQuAD: heading lines dropped, paragraphs split on blank lines,
docqa's own sentences per paragraph. Document ``i`` (sorted by name) is in fold ``i % 4``: a
fold's model trains on SQuAD's other articles and the other folds' documents, and its
held-out figures are kept apart for SQuAD and for these documents.

    python -m training.written            # check every file, print counts
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ingest.text.sentences import sentence_spans
from training.squad import FOLDS, ROOT, Article, Question

WRITTEN = ROOT / "bench" / "data" / "reader_training"
#: The kinds a question line may name (``"kind"``; none: an ordinary question).
KINDS = ("", "yes-no")


def _paragraphs(text: str) -> list[tuple[int, str]]:
    """``(offset, paragraph)`` of every non-heading paragraph of a Markdown text."""
    found: list[tuple[int, str]] = []
    offset = 0
    for block in text.split("\n\n"):
        start = text.index(block, offset)
        offset = start + len(block)
        stripped = block.strip()
        if stripped and not stripped.startswith("#"):
            found.append((start + block.index(stripped), stripped))
    return found


def _sentence_at(spans: list[tuple[int, int]], at: int) -> int:
    """The number of the sentence span holding document offset ``at``."""
    for i, (a, b) in enumerate(spans):
        if a <= at < b:
            return i
    raise ValueError(f"offset {at} is in no sentence (a heading?)")


def _locate(text: str, span: str, what: str, where: str) -> int:
    """The offset of the one occurrence of ``span`` in ``text``; ValueError otherwise."""
    count = text.count(span)
    if count != 1:
        raise ValueError(f"{where}: {what} {span!r} occurs {count} times in the document")
    return text.index(span)


def load_document(doc: Path, questions: Path, fold: int = 0) -> tuple[Article, list[Question]]:
    """One written document as an :class:`Article` in ``fold`` and its questions; ValueError
    on any malformed line (the message names the file and the line)."""
    text = doc.read_text(encoding="utf-8")
    spans: list[tuple[int, int]] = []
    numbers: list[int] = []
    for number, (start, paragraph) in enumerate(_paragraphs(text)):
        found_spans = sentence_spans(paragraph)
        spans += [(start + a, start + b) for a, b in found_spans]
        numbers += [number] * len(found_spans)
    title = doc.stem
    article = Article(
        title=title,
        fold=fold,
        sentences=tuple(text[a:b] for a, b in spans),
        paragraphs=tuple(numbers),
    )
    found: list[Question] = []
    seen: set[str] = set()
    for n, line in enumerate(questions.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{questions.name}:{n}"
        row = json.loads(line)
        qid, question = str(row["id"]), str(row["question"]).strip()
        if qid in seen or not question:
            raise ValueError(f"{where}: repeated id or empty question")
        seen.add(qid)
        answer, near, kind = row.get("answer"), row.get("near"), str(row.get("kind", ""))
        if kind not in KINDS:
            raise ValueError(f"{where}: kind {kind!r} is none of {', '.join(KINDS)}")
        if answer:
            at = _locate(text, answer, "answer", where)
            answers = frozenset({_sentence_at(spans, at)})
            misses: frozenset[int] = frozenset()
        elif near:
            answers = frozenset()
            misses = frozenset({_sentence_at(spans, _locate(text, near, "near", where))})
        else:
            raise ValueError(f"{where}: an unanswerable question needs its 'near' span")
        found.append(
            Question(
                qid=qid,
                title=title,
                fold=fold,
                text=question,
                answers=answers,
                near_misses=misses,
                kind=kind,
            )
        )
    return article, found


def load_written(folder: Path = WRITTEN) -> tuple[dict[str, Article], list[Question]]:
    """Every written document and its questions (none when the folder is absent)."""
    articles: dict[str, Article] = {}
    questions: list[Question] = []
    docs = sorted((folder / "docs").glob("*.md")) if folder.is_dir() else []
    for i, doc in enumerate(docs):
        article, qs = load_document(doc, folder / "questions" / f"{doc.stem}.jsonl", i % FOLDS)
        articles[article.title] = article
        questions += qs
    return articles, questions


def main() -> int:
    """Check every written file; print per-document counts."""
    problems = 0
    for doc in sorted((WRITTEN / "docs").glob("*.md")):
        qfile = WRITTEN / "questions" / f"{doc.stem}.jsonl"
        try:
            article, qs = load_document(doc, qfile)
        except (ValueError, KeyError, FileNotFoundError, json.JSONDecodeError) as error:
            print(f"{doc.name}: {error}")
            problems += 1
            continue
        answerable = sum(q.answerable for q in qs)
        print(
            f"{doc.name}: {len(article.sentences)} sentences, {answerable} answerable, "
            f"{len(qs) - answerable} unanswerable"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
