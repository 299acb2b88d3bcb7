"""The first stage's view of the sentences inside the passages it ranked.

For each passage (chunk row) this gives its sentence units, their cosine to the question, their
first-stage score (the cosine plus ``lexical_weight`` times the IDF-weighted share of the
question's content terms the sentence holds). The retriever highlights and hands the second
stage its candidates from this; the offline
benchmarks that fit the second stage read the same figures through
:meth:`retrieval.retriever.Retriever.passage_sentences`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ingest.embedding.protocol import Embedder
from ingest.index.store import IndexVersion
from retrieval.relevance import coverage
from retrieval.signals import Signals


@dataclass(frozen=True)
class PassageSentences:
    """Per passage, in the order asked: its sentence units and their first-stage figures.

    Attributes:
        units: Sentence unit ids of each passage, in text order.
        cosines: Their cosine to the question.
        scores: Their first-stage score (cosine plus weighted term overlap).
    """

    units: tuple[np.ndarray, ...]
    cosines: tuple[np.ndarray, ...]
    scores: tuple[np.ndarray, ...]


def unit_text(version: IndexVersion, unit: int) -> str:
    """The text of sentence unit ``unit`` (a span of its document)."""
    units = version.units
    row = int(units.chunk[unit])
    text = version.documents[version.chunks[row].doc_id].text
    return text[int(units.start[unit]) : int(units.end[unit])]


def unit_cosines(
    version: IndexVersion,
    embedder: Embedder,
    signals: Signals,
    query_vector: np.ndarray | None,
    rows: Sequence[int],
    question: str,
) -> list[np.ndarray]:
    """The cosine to the question of each sentence unit of each chunk in ``rows``: as the
    first stage gathered them, else read in one call (embedding the question if it was not)."""
    offsets = version.units.offsets
    spans = [np.arange(offsets[r], offsets[r + 1]) for r in rows]
    flat = np.concatenate(spans) if spans else np.zeros(0, dtype=np.int64)
    cos = signals.sentence_cosines(flat) if query_vector is not None else None
    if cos is None:
        qv = query_vector if query_vector is not None else embedder.embed([question])[0]
        cos = version.unit_dense.inner_products(qv, flat) if len(flat) else flat
    bounds = np.cumsum([len(span) for span in spans])[:-1]
    return np.split(np.asarray(cos, dtype=np.float32), bounds)


def score_passages(
    version: IndexVersion,
    rows: Sequence[int],
    cosines: Sequence[np.ndarray],
    terms: list[str],
    *,
    lexical_weight: float,
) -> PassageSentences:
    """The first-stage figures of the sentences of chunks ``rows`` (``cosines``: theirs, from
    :func:`unit_cosines`) for a question of content ``terms``."""
    tokenizer = version.sparse.tokenizer
    idf = version.sparse.idf(terms)
    units = version.units
    spans, scores = [], []
    for row, cos in zip(rows, cosines, strict=True):
        span = np.arange(units.offsets[row], units.offsets[row + 1])
        chunk = version.chunks[row]
        text = version.documents[chunk.doc_id].text
        overlap = np.array(
            [
                coverage(terms, set(tokenizer(text[units.start[u] : units.end[u]])), idf)
                for u in span
            ],
            dtype=np.float64,
        )
        spans.append(span)
        scores.append(cos + lexical_weight * overlap)
    return PassageSentences(units=tuple(spans), cosines=tuple(cosines), scores=tuple(scores))
