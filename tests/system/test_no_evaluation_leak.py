"""What docqa is measured on never appears in the product: no evaluation question in its code,
and the chat's example questions are neither taken from an evaluation file nor paraphrased."""

from __future__ import annotations

import pytest

from tests.support.evaluation_questions import (
    SEED_QUESTIONS,
    content_words,
    evaluation_questions,
    normal,
)
from tests.support.paths import ROOT
from ui.app import EXAMPLES


def test_the_evaluation_files_are_there() -> None:
    # The checks below are only as good as the questions they see.
    assert len(evaluation_questions()) >= 100 or not SEED_QUESTIONS.is_file()


@pytest.mark.parametrize("package", ["ingest", "retrieval", "ui"])
def test_no_evaluation_question_is_written_into_the_product(package: str) -> None:
    questions = {normal(q) for q in evaluation_questions()}
    for path in (ROOT / package).rglob("*.py"):
        text = normal(path.read_text())
        leaked = [q for q in questions if q in text]
        assert leaked == [], f"{path.relative_to(ROOT)} holds evaluation questions: {leaked}"


def test_the_chat_examples_are_not_paraphrases_of_evaluation_questions() -> None:
    for example in (q for questions in EXAMPLES.values() for q in questions):
        words = content_words(example)
        for question in evaluation_questions():
            other = content_words(question)
            overlap = len(words & other) / len(words | other)
            assert overlap < 0.5, f"{example!r} is too close to {question!r} ({overlap:.2f})"


def test_the_overlap_check_catches_a_paraphrase() -> None:
    a, b = (
        content_words("When was the 16th BRICS summit held?"),
        content_words("When did the 16th BRICS summit take place?"),
    )
    assert len(a & b) / len(a | b) >= 0.5
