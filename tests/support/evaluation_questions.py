"""The questions docqa is measured on, and the content words that tell a paraphrase of one.

``tests/system/test_no_evaluation_leak.py`` keeps them out of the product; the follow-up
conversations and the written training questions are checked against them too.
"""

from __future__ import annotations

import json
import re
import unicodedata

from tests.support.fakes import FUNCTION_WORDS
from tests.support.paths import ROOT, SHARED

SEED_QUESTIONS = SHARED / "eval" / "seed_questions.jsonl"
EVALUATION_FILES = [
    SEED_QUESTIONS,
    ROOT / "bench" / "data" / "article_dev.jsonl",
    ROOT / "bench" / "data" / "article_paraphrase.jsonl",
    ROOT / "bench" / "data" / "article_near_topic.jsonl",
]
_WORD = re.compile(r"\w+")


def normal(text: str) -> str:
    """``text`` compared loosely: NFKC, case-folded, runs of white space as one space."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def evaluation_questions() -> list[str]:
    """Every question of the evaluation files that are present."""
    found = []
    for path in EVALUATION_FILES:
        if path.is_file():
            found += [json.loads(line)["question"] for line in path.read_text().splitlines()]
    return found


def content_words(text: str) -> set[str]:
    """The words of ``text`` that are not function words."""
    return {w for w in _WORD.findall(normal(text)) if w not in FUNCTION_WORDS}
