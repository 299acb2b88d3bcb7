"""Term overlap for ranking sentences: how much of a question's content a text holds.

A question's content terms (function words such as ``when``, ``why``, ``did`` left out: a
document rarely repeats a question's own wording) are weighed by the index's BM25 IDF, so a
term every document holds counts for little. This only orders sentences inside one answer;
the probability that a passage answers never reads it (it moves with what else is indexed;
see :mod:`retrieval.confidence`).
"""

from __future__ import annotations

from collections.abc import Sequence

from ingest.index.sparse import Tokenizer


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
