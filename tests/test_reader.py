"""The learned second stage, with a deterministic scorer: ranking, highlights, abstention."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ingest.errors import InvalidInputError
from retrieval.reader import Candidates, ReaderSettings, choose, read
from retrieval.retriever import Retriever


class KeywordScorer:
    """Probability 0.9 for a sentence holding ``word``, 0.1 otherwise; records what it read."""

    def __init__(self, word: str) -> None:
        self.word = word
        self.seen: list[list[str]] = []

    def score(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        self.seen.append(list(sentences))
        hit = re.compile(rf"\b{re.escape(self.word)}\b", re.IGNORECASE)
        return np.array([0.9 if hit.search(s) else 0.1 for s in sentences], dtype=np.float32)


def _candidates() -> Candidates:
    # Passage 0 (first-stage best) holds units 10, 11; passage 1 holds unit 20.
    return Candidates(
        passage=np.array([0, 0, 1]),
        unit=np.array([10, 11, 20]),
        first_stage=np.array([0.5, 0.4, 0.3]),
        fused=np.array([1.0, 0.0]),
    )


def test_the_passage_with_the_answering_sentence_moves_up() -> None:
    candidates = _candidates()
    texts = ["Otters swim.", "Otters eat crabs.", "Herons eat frogs."]
    chosen = choose(candidates, 3)
    scorer = KeywordScorer("frogs")
    settings = ReaderSettings(weight=0.7)
    reading = read("What do herons eat?", candidates, texts, chosen, scorer, settings)
    assert reading.order.tolist() == [1, 0]  # 0.7 * 0.9 + 0.3 * 0 > 0.7 * 0.1 + 0.3 * 1
    even = read("What do herons eat?", candidates, texts, chosen, scorer, ReaderSettings())
    assert even.order.tolist() == [0, 1]  # at 0.5 the first stage's lead still holds
    assert reading.highlight.tolist() == [10, 20]
    assert reading.best == pytest.approx(0.9)


def test_only_the_best_first_stage_sentences_are_read() -> None:
    candidates = _candidates()
    chosen = choose(candidates, 2)
    assert chosen.tolist() == [0, 1]
    scorer = KeywordScorer("crabs")
    reading = read(
        "q", candidates, ["Otters swim.", "Otters eat crabs."], chosen, scorer, ReaderSettings()
    )
    assert scorer.seen == [["Otters swim.", "Otters eat crabs."]]
    assert reading.highlight.tolist() == [11, -1]  # passage 1 had no sentence read


def test_no_sentence_above_the_threshold_is_an_abstention() -> None:
    candidates = _candidates()
    reading = read(
        "q",
        candidates,
        ["a.", "b.", "c."],
        choose(candidates, 3),
        KeywordScorer("absent"),
        ReaderSettings(),
    )
    assert reading.best < ReaderSettings().min_answer


def test_settings_are_checked() -> None:
    with pytest.raises(InvalidInputError, match="at least one passage"):
        ReaderSettings(passages=0)
    with pytest.raises(InvalidInputError, match=r"must lie in 0\.\.1"):
        ReaderSettings(weight=1.5)


def _reading(index: Path, scorer: KeywordScorer) -> Retriever:
    retriever = Retriever(index, scorer=scorer)
    return retriever.with_settings(replace(retriever.settings, reader=ReaderSettings()))


def test_the_retriever_highlights_what_the_reader_picks(fake_index: Path) -> None:
    scorer = KeywordScorer("tomatoes")
    retriever = _reading(fake_index, scorer)
    answer = retriever.answer("Which products did Russia ban from Kazakhstan?", k=3)
    assert scorer.seen and not answer.abstained
    top = answer.passages[0]
    ((start, end),) = top.highlights
    assert "tomatoes" in top.text[start - top.start : end - top.start]


def test_the_reader_decides_abstention(fake_index: Path) -> None:
    question = "Which products did Russia ban from Kazakhstan?"
    assert not _reading(fake_index, KeywordScorer("tomatoes")).answer(question).abstained
    assert _reading(fake_index, KeywordScorer("absent-word")).answer(question).abstained


def test_the_fast_path_reads_nothing(fake_index: Path) -> None:
    scorer = KeywordScorer("tomatoes")
    retriever = Retriever(fake_index, scorer=scorer)
    retriever = retriever.with_settings(replace(retriever.settings, reader=None))
    assert retriever.answer("Which products did Russia ban?").passages
    assert scorer.seen == []
