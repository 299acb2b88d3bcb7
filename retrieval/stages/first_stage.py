"""Stage 2: hybrid search and fusion rank the chunks; the best become the shortlist.

The question's vector and keyword scores (:class:`~retrieval.signals.QueryScores`) pick the
candidates from each side of the index (:func:`~retrieval.signals.gather`), fusion orders
them, and the documents earlier turns were answered from get their bonus. The shortlist is
the first passages of that order with their sentences' first-stage figures
(:mod:`retrieval.passage_sentences`), which the reader and the decision work from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ingest.embedding.protocol import Embedder
from ingest.index.store import IndexVersion
from retrieval.followup import Query
from retrieval.fusion import FusionWeights, blend, reciprocal_rank
from retrieval.passage_sentences import PassageSentences, score_passages, unit_cosines
from retrieval.settings import SearchSettings
from retrieval.signals import CandidateSources, QueryScores, Signals, gather
from retrieval.stages.resolve import Resolved


@dataclass(frozen=True)
class Ranking:
    """Candidates of one question, best first, with their signals and fused scores."""

    signals: Signals
    order: np.ndarray  # positions into signals, best first
    fused: np.ndarray  # fused score per signals position
    query_vector: np.ndarray | None
    question: Resolved  # what was searched: the question and the earlier turns it leans on

    @property
    def rows(self) -> np.ndarray:
        """Chunk rows, best first."""
        return self.signals.rows[self.order]


@dataclass(frozen=True)
class Shortlist:
    """The first stage's best passages, as the reader and the decision see them.

    Attributes:
        rows: Their chunk rows, best first.
        fused: Their fused first-stage scores, in the same order.
        sentences: Their sentences and the first stage's figures for them.
        chunk_cos: Each passage's cosine to the question (0 when the index has no vectors).
    """

    rows: list[int]
    fused: np.ndarray
    sentences: PassageSentences
    chunk_cos: np.ndarray


NO_SENTENCES = PassageSentences(units=(), cosines=(), scores=())


def query_scores(
    query: Query, embedder: Embedder, version: IndexVersion, weights: FusionWeights, dense: bool
) -> QueryScores:
    """What the first stage searches with: the query vector (if ``dense``), chunk BM25 and
    each chunk's section BM25 (each None when its fusion weight is zero)."""
    vector = query.vector(embedder.embed) if dense else None
    bm25 = query.keyword_scores(version.sparse.scores) if weights.bm25 else None
    section = None
    if weights.section:
        section = query.keyword_scores(version.section_sparse.scores)[version.sections]
    return QueryScores(vector, bm25, section)


class FirstStage:
    """Hybrid search and fusion over one loaded index version.

    Args:
        version: The loaded version searched.
        embedder: Embeds questions (the version's own model).
    """

    def __init__(self, version: IndexVersion, embedder: Embedder) -> None:
        self.version = version
        self.embedder = embedder
        self._offsets = version.units.offsets
        #: How many chunks each chunk's section has (the fusion weighs long sections less).
        self._section_chunks = np.bincount(version.sections)[version.sections]

    def rank(
        self, question: Resolved, settings: SearchSettings, allowed: np.ndarray | None = None
    ) -> Ranking:
        """Fused ranking of the chunks for ``question`` in ``settings.mode`` (only rows
        ``allowed`` when given)."""
        version = self.version
        weights = settings.weights_for(settings.mode)
        query = question.search
        scores = query_scores(query, self.embedder, version, weights, settings.mode != "keyword")
        sources = CandidateSources(
            n_chunks=len(version.chunks),
            dense=version.dense if weights.chunk else None,
            units=version.units,
            offsets=self._offsets,
            unit_dense=version.unit_dense if scores.vector is not None else None,
        )
        signals = gather(scores, sources, depth=settings.candidates, allowed=allowed)
        if settings.fusion == "rrf":
            fused = reciprocal_rank(signals, weights, k=settings.rrf_k)
        else:
            fused = blend(signals, weights, self._section_chunks[signals.rows])
        fused = query.with_prior(fused, version.chunks.in_documents, signals.rows)
        return Ranking(signals, np.argsort(-fused, kind="stable"), fused, scores.vector, question)

    def sentences(
        self,
        ranking: Ranking,
        rows: Sequence[int],
        settings: SearchSettings,
        vector: np.ndarray | None = None,
    ) -> PassageSentences:
        """The first stage's figures for the sentences of chunks ``rows`` of ``ranking``
        (``vector``: the question's, when already known)."""
        if not len(rows):
            return NO_SENTENCES
        question = ranking.question
        cosines = unit_cosines(
            self.version,
            self.embedder,
            ranking.signals,
            ranking.query_vector if vector is None else vector,
            rows,
            question.question,
        )
        return score_passages(
            self.version,
            rows,
            cosines,
            list(question.terms),
            lexical_weight=settings.lexical_weight,
        )

    def question_vector(self, ranking: Ranking) -> np.ndarray:
        """The vector the question was searched with (embedded now in keyword mode)."""
        if ranking.query_vector is not None:
            return ranking.query_vector
        return np.asarray(self.embedder.embed([ranking.question.question])[0])

    def shortlist(self, ranking: Ranking, size: int, settings: SearchSettings) -> Shortlist:
        """The first ``size`` passages of ``ranking`` with their sentences' figures and their
        cosine to the question."""
        top = ranking.order[:size]
        rows = [int(r) for r in ranking.signals.rows[top]]
        if not rows:
            return Shortlist(rows, ranking.fused[top], NO_SENTENCES, np.zeros(0, np.float32))
        vector = self.question_vector(ranking)
        dense = self.version.dense
        chunk_cos = (
            np.asarray(dense.inner_products(vector, np.array(rows, dtype=np.int64)), np.float32)
            if dense.size
            else np.zeros(len(rows), dtype=np.float32)
        )
        sentences = self.sentences(ranking, rows, settings, vector)
        return Shortlist(rows, ranking.fused[top], sentences, chunk_cos)
