"""Pick the answering sentence(s) of a passage: semantic similarity plus term overlap."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ingest.sentences import sentence_spans
from ingest.sparse import Tokenizer


@dataclass(frozen=True)
class ScoredSentence:
    """A sentence span in the document text and how well it answers the question."""

    start: int
    end: int
    score: float


def passage_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside ``text[start:end]`` (document offsets)."""
    return sentence_spans(text, start, end)


def term_overlap(question_terms: set[str], sentence_terms: Sequence[str]) -> float:
    """Share of the question's distinct terms that the sentence contains (0..1)."""
    if not question_terms:
        return 0.0
    return len(question_terms.intersection(sentence_terms)) / len(question_terms)


def score_sentences(
    question_vector: np.ndarray,
    sentence_vectors: np.ndarray,
    question_terms: set[str],
    sentence_texts: Sequence[str],
    tokenizer: Tokenizer,
    *,
    lexical_weight: float,
) -> np.ndarray:
    """Cosine similarity to the question plus ``lexical_weight`` times term overlap."""
    cosine = sentence_vectors @ question_vector if len(sentence_vectors) else np.zeros(0)
    lexical = np.array([term_overlap(question_terms, tokenizer(t)) for t in sentence_texts])
    return np.asarray(cosine + lexical_weight * lexical, dtype=np.float64)
