"""Answerability: a calibrated probability that the top passage answers the question.

Two signals of the top-ranked passage feed a logistic model:

- ``sentence``: cosine similarity between the question and the passage's best sentence;
- ``coverage``: the share of the question's content-term weight (BM25 IDF) that the
  passage contains; terms the corpus has never seen weigh the most, so a question about
  something the documents never mention scores low even when its topic is near. Function
  words (``when``, ``why``, ``did``...) are left out: a document rarely contains a
  question's own wording, and counting them as missing content made answerable questions
  look unanswerable.

The coefficients are fitted by ``bench/calibrate.py`` on questions of our own and the SciFact
train split (never on the held-out checks); the answer abstains when the probability is below
``SearchSettings.min_relevance``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.index.sparse import Tokenizer


@dataclass(frozen=True)
class RelevanceModel:
    """``P(answerable) = sigmoid(bias + w_sentence * sentence + w_coverage * coverage)``."""

    bias: float = -8.058
    w_sentence: float = 13.532
    w_coverage: float = 7.987

    def probability(self, sentence: float, coverage: float) -> float:
        """The calibrated probability that the passage answers the question."""
        z = self.bias + self.w_sentence * sentence + self.w_coverage * coverage
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def question_terms(tokenizer: Tokenizer, question: str) -> list[str]:
    """The question's content terms, or all its tokens when it has no content word."""
    return tokenizer.content_terms(question) or tokenizer(question)


def coverage(
    question_terms: Sequence[str], passage_terms: set[str], idf: dict[str, float]
) -> float:
    """IDF-weighted share of the question's distinct terms found in the passage (0..1)."""
    terms = set(question_terms)
    if not terms:
        return 0.0
    total = sum(idf[t] for t in terms)
    found = sum(idf[t] for t in terms if t in passage_terms)
    return found / total if total else 0.0
