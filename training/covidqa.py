"""covidqa-train as training data: 49 long scientific articles and their 700 questions.

Each article (``corpus/*.txt``, sorted by name) is split into paragraphs at blank lines and
each paragraph into sentences by docqa's own splitter, as :mod:`training.written` does; its
fold is its position among the sorted names modulo :data:`training.squad.FOLDS`, so folds
hold whole articles. A question's evidence is located verbatim in its article (the first
article holding it); every sentence the evidence touches counts as an answer (COVID-QA's
evidence is often two or three sentences), so none of them is ever drawn as a negative. No
question is unanswerable by design.

Source, licence and what to watch for: ``shared/eval/covidqa-train/README.md``.
"""

from __future__ import annotations

import json
from pathlib import Path

from ingest.text.sentences import sentence_spans
from training.squad import FOLDS, ROOT, Article, Question

COVIDQA = ROOT.parent / "shared" / "eval" / "covidqa-train"


def _sentences(text: str) -> tuple[list[tuple[int, int]], list[int]]:
    """Every sentence span of ``text`` (document offsets) and its paragraph number."""
    spans: list[tuple[int, int]] = []
    numbers: list[int] = []
    offset = 0
    for number, block in enumerate(text.split("\n\n")):
        start = text.index(block, offset)
        offset = start + len(block)
        stripped = block.strip()
        if not stripped:
            continue
        base = start + block.index(stripped)
        spans += [(base + a, base + b) for a, b in sentence_spans(stripped)]
        numbers += [number] * (len(spans) - len(numbers))
    return spans, numbers


def touched(spans: list[tuple[int, int]], start: int, end: int) -> frozenset[int]:
    """Numbers of the spans sharing a character with ``[start, end)``."""
    return frozenset(i for i, (a, b) in enumerate(spans) if a < end and start < b)


def article_folds(folder: Path = COVIDQA) -> dict[str, int]:
    """Each article's fold by file name: its position among the sorted names modulo
    :data:`training.squad.FOLDS` (what the fold models were trained without)."""
    names = sorted(p.name for p in (folder / "corpus").glob("*.txt"))
    return {name: i % FOLDS for i, name in enumerate(names)}


def load_covidqa(folder: Path = COVIDQA) -> tuple[dict[str, Article], list[Question]]:
    """The articles by title (file stem) and the questions whose evidence is found in one,
    in file order; none when the folder is absent."""
    if not (folder / "corpus").is_dir():
        return {}, []
    articles: dict[str, Article] = {}
    texts: dict[str, str] = {}
    located: dict[str, list[tuple[int, int]]] = {}
    folds = article_folds(folder)
    for path in sorted((folder / "corpus").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        spans, numbers = _sentences(text)
        title = path.stem
        texts[title], located[title] = text, spans
        articles[title] = Article(
            title=title,
            fold=folds[path.name],
            sentences=tuple(text[a:b] for a, b in spans),
            paragraphs=tuple(numbers),
        )
    questions: list[Question] = []
    for line in (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        evidence = [e for e in row.get("evidence", []) if e]
        for title, text in texts.items():
            hit = next(((text.find(e), len(e)) for e in evidence if e in text), None)
            if hit is None:
                continue
            answers = touched(located[title], hit[0], hit[0] + hit[1])
            if answers:
                questions.append(
                    Question(
                        qid=str(row["id"]),
                        title=title,
                        fold=articles[title].fold,
                        text=str(row["question"]).strip(),
                        answers=answers,
                        near_misses=frozenset(),
                    )
                )
            break
    return articles, questions
