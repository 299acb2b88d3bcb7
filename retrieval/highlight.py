"""Helpers for choosing the answering sentence of a passage."""

from __future__ import annotations

from collections.abc import Sequence


def term_overlap(question_terms: set[str], sentence_terms: Sequence[str]) -> float:
    """Share of the question's distinct terms that the sentence contains (0..1)."""
    if not question_terms:
        return 0.0
    return len(question_terms.intersection(sentence_terms)) / len(question_terms)
