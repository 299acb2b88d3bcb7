"""SQuAD 2.0's eight training articles as sentences, questions and folds by article.

Sentences are docqa's own (:func:`ingest.text.sentences.sentence_spans` over each paragraph,
which is how an ingested document's paragraphs are split), so what the cross-encoder learns to
pick is what docqa highlights. A question's answer sentence is the one holding its answer's
first character; an unanswerable question's *near miss* is the sentence holding the
"plausible answer" its writer had in mind (SQuAD 2.0 records one for most of them).

Folds: sorted titles, fold ``k`` is titles ``2k`` and ``2k + 1``; an article's questions are
never on both sides.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.text.sentences import sentence_spans
from training import ROOT

SQUAD = ROOT.parent / "shared" / "eval" / "squad2-train" / "squad2-8-articles.json"
#: Folds of two articles each.
FOLDS = 4
#: Questions answered by yes or no: they open with an auxiliary verb.
YES_NO = re.compile(
    r"\s*(is|are|was|were|do|does|did|has|have|had|will|would|can|could|should|may|might)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Article:
    """One article: its sentences in order (paragraph by paragraph)."""

    title: str
    fold: int
    sentences: tuple[str, ...]
    #: Each sentence's paragraph number (empty: every sentence its own paragraph).
    paragraphs: tuple[int, ...] = ()

    def reading(self, i: int, context: int = 0) -> str:
        """Sentence ``i`` as the cross-encoder reads it: alone, or followed by ``[SEP]`` and
        the ``context`` sentences before it in its paragraph (nearest last), which pair
        truncation trims first."""
        sentence = self.sentences[i]
        if not context or not self.paragraphs:
            return sentence
        first = i
        while (
            first > i - context and first > 0 and self.paragraphs[first - 1] == self.paragraphs[i]
        ):
            first -= 1
        if first == i:
            return sentence
        return f"{sentence} [SEP] {' '.join(self.sentences[first:i])}"


@dataclass(frozen=True)
class Question:
    """One question; sentence numbers index its article's ``sentences``.

    ``answers`` is empty for an unanswerable question; ``near_misses`` holds the sentences of
    an unanswerable question's plausible answer (empty for answerable ones).
    """

    qid: str
    title: str
    fold: int
    text: str
    answers: frozenset[int]
    near_misses: frozenset[int]
    #: What kind of question the writer meant it to be ("yes-no"), when the data says.
    kind: str = ""

    @property
    def answerable(self) -> bool:
        return bool(self.answers)

    @property
    def yes_no(self) -> bool:
        """True for a question that opens with an auxiliary verb ("Did ...?", "Is ...?")."""
        return YES_NO.match(self.text) is not None


def _sentence_of(spans: list[tuple[int, int]], offset: int) -> int:
    """The index of the span holding character ``offset`` (or the last one before it)."""
    best = 0
    for i, (a, _) in enumerate(spans):
        if a <= offset:
            best = i
    return best


def _located(
    qa: dict[str, Any], key: str, spans: list[tuple[int, int]], base: int
) -> frozenset[int]:
    """The article sentence numbers holding the start of each of ``qa[key]``."""
    return frozenset(base + _sentence_of(spans, int(a["answer_start"])) for a in qa.get(key, []))


def load_squad(path: Path = SQUAD) -> tuple[dict[str, Article], list[Question]]:
    """The articles by title and every question, in file order within sorted titles."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    titles = sorted(a["title"] for a in data)
    fold_of = {t: i // 2 for i, t in enumerate(titles)}
    articles: dict[str, Article] = {}
    questions: list[Question] = []
    for entry in sorted(data, key=lambda a: a["title"]):
        title = entry["title"]
        sentences: list[str] = []
        paragraphs: list[int] = []
        for number, paragraph in enumerate(entry["paragraphs"]):
            context = paragraph["context"]
            spans = sentence_spans(context)
            base = len(sentences)
            sentences += [context[a:b] for a, b in spans]
            paragraphs += [number] * len(spans)
            for qa in paragraph["qas"]:
                answerable = not qa["is_impossible"]
                questions.append(
                    Question(
                        qid=qa["id"],
                        title=title,
                        fold=fold_of[title],
                        text=qa["question"].strip(),
                        answers=_located(qa, "answers", spans, base) if answerable else frozenset(),
                        near_misses=(
                            frozenset()
                            if answerable
                            else _located(qa, "plausible_answers", spans, base)
                        ),
                    )
                )
        articles[title] = Article(
            title=title,
            fold=fold_of[title],
            sentences=tuple(sentences),
            paragraphs=tuple(paragraphs),
        )
    return articles, questions
