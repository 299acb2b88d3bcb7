"""What docqa is measured on never appears in the product: no evaluation question in its code,
and the chat's example questions are neither taken from an evaluation file nor paraphrased."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from tests.fakes import FUNCTION_WORDS
from ui.app import EXAMPLES

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "eval"
EVALUATION_FILES = [
    SHARED / "seed_questions.jsonl",
    ROOT / "bench" / "data" / "article_dev.jsonl",
    ROOT / "bench" / "data" / "article_paraphrase.jsonl",
    ROOT / "bench" / "data" / "article_near_topic.jsonl",
]
_WORD = re.compile(r"\w+")


def _normal(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _questions() -> list[str]:
    found = []
    for path in EVALUATION_FILES:
        if path.is_file():
            found += [json.loads(line)["question"] for line in path.read_text().splitlines()]
    return found


def _content(text: str) -> set[str]:
    return {w for w in _WORD.findall(_normal(text)) if w not in FUNCTION_WORDS}


def test_the_evaluation_files_are_there() -> None:
    # The checks below are only as good as the questions they see.
    assert len(_questions()) >= 100 or not (SHARED / "seed_questions.jsonl").is_file()


@pytest.mark.parametrize("package", ["ingest", "retrieval", "ui"])
def test_no_evaluation_question_is_written_into_the_product(package: str) -> None:
    questions = {_normal(q) for q in _questions()}
    for path in (ROOT / package).rglob("*.py"):
        text = _normal(path.read_text())
        leaked = [q for q in questions if q in text]
        assert leaked == [], f"{path.relative_to(ROOT)} holds evaluation questions: {leaked}"


def test_the_chat_examples_are_not_paraphrases_of_evaluation_questions() -> None:
    for example in (q for questions in EXAMPLES.values() for q in questions):
        words = _content(example)
        for question in _questions():
            other = _content(question)
            overlap = len(words & other) / len(words | other)
            assert overlap < 0.5, f"{example!r} is too close to {question!r} ({overlap:.2f})"


def test_the_overlap_check_catches_a_paraphrase() -> None:
    a, b = (
        _content("When was the 16th BRICS summit held?"),
        _content("When did the 16th BRICS summit take place?"),
    )
    assert len(a & b) / len(a | b) >= 0.5
