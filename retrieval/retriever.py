"""Question -> resolve -> first stage -> read -> decide: cited, highlighted passages (or an
abstention). The stages are in :mod:`retrieval.stages`; :class:`Retriever` runs them over one
loaded index version."""

from __future__ import annotations

import copy
import functools
import time
from collections.abc import Collection, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from ingest.embedding.factory import make_embedder
from ingest.embedding.protocol import Embedder
from ingest.embedding.settings import EmbeddingSettings
from ingest.errors import IndexMismatchError, InvalidInputError
from ingest.index.backends.settings import BackendSettings
from ingest.index.integrity import rewritten_files
from ingest.index.store import IndexVersion, live_stamp, load_version
from retrieval.inputs import MAX_K, MAX_QUESTION_CHARS, validate_k, validate_question
from retrieval.passage_sentences import PassageSentences, unit_text
from retrieval.reader import Reading, Scorer
from retrieval.settings import SEARCH_MODES, SearchMode, SearchSettings
from retrieval.stages.cite import cite, ranked
from retrieval.stages.decide import Judged, judge
from retrieval.stages.first_stage import FirstStage, Ranking, Shortlist
from retrieval.stages.read import Reader, make_reader
from retrieval.stages.resolve import resolve_question
from retrieval.types import Answer, Passage

__all__ = [
    "MAX_K",
    "MAX_QUESTION_CHARS",
    "SEARCH_MODES",
    "Ranking",
    "Retriever",
    "SearchMode",
    "SearchSettings",
    "shipped_scorer",
    "validate_k",
    "validate_question",
]


class Retriever:
    """Answers questions from one loaded index version.

    Args:
        index: Index directory.
        embedder: Embedder to use for questions (default: the index's own model).
        settings: Retrieval settings.
        backend: The backend the index must be on, and its Milvus address (default: from
            the environment, see :meth:`BackendSettings.from_environment`).
        embedding: How the index's model runs (default: from the environment).
        scorer: The second stage's cross-encoder (default: the shipped one, loaded on first
            use and shared by every retriever of the process).
    """

    def __init__(
        self,
        index: str | Path,
        *,
        embedder: Embedder | None = None,
        settings: SearchSettings | None = None,
        backend: BackendSettings | None = None,
        embedding: EmbeddingSettings | None = None,
        scorer: Scorer | None = None,
    ) -> None:
        self.index_dir = Path(index)
        self.version: IndexVersion = load_version(self.index_dir, backend)
        self._backend = backend
        model = self.version.manifest.model
        if embedder is not None and embedder.model_id != model:
            raise IndexMismatchError(
                f"{self.index_dir} was built with model {model!r}, not {embedder.model_id!r}; "
                "rebuild it with: docqa ingest PATH --rebuild"
            )
        self.embedder = embedder or make_embedder(model, settings=embedding)
        self.settings = settings or SearchSettings()
        self._first = FirstStage(self.version, self.embedder)
        self._scorer = scorer

    def with_settings(self, settings: SearchSettings) -> Retriever:
        """A retriever over the same loaded index and model with other settings."""
        clone = copy.copy(self)
        clone.settings = settings
        return clone

    def with_scorer(self, scorer: Scorer) -> Retriever:
        """A retriever over the same loaded index and model whose second stage reads with
        ``scorer`` (a model trained without the documents it is measured on, say)."""
        clone = copy.copy(self)
        clone._scorer = scorer
        return clone

    def is_stale(self) -> bool:
        """True when a newer version of the index has been written since loading.

        A version folder of the same name that is not the one loaded (the index was deleted
        and built again) counts as newer.
        """
        now = live_stamp(self.index_dir, self._backend)
        return now is not None and now != self.version.stamp

    def rewritten_files(self) -> list[str]:
        """The loaded version's files rewritten in place since they were mapped (reading
        them could kill the process: see :mod:`ingest.index.integrity`)."""
        return rewritten_files(self.version.path, self.version.files)

    def rank(
        self,
        question: str,
        *,
        mode: SearchMode | None = None,
        documents: Collection[str] | None = None,
        history: Sequence[Answer] = (),
    ) -> Ranking:
        """Fused ranking of chunks for ``question`` (only from ``documents``, after ``history``):
        the question resolved in its conversation, then the first stage."""
        settings = replace(self.settings, mode=mode or self.settings.mode)
        allowed = self._document_mask(documents) if documents is not None else None
        resolved = resolve_question(
            question, history, self.version.sparse.tokenizer, settings.followup
        )
        return self._first.rank(resolved, settings, allowed)

    def _document_mask(self, documents: Collection[str]) -> np.ndarray:
        unknown = set(documents) - set(self.version.documents)
        if unknown:
            raise InvalidInputError(
                f"unknown document id(s): {', '.join(sorted(unknown))}; "
                "see `docqa list` for the indexed documents"
            )
        return self.version.chunks.in_documents(documents)

    def answer(
        self,
        question: str,
        *,
        k: int = 5,
        mode: SearchMode | None = None,
        documents: Collection[str] | None = None,
        history: Sequence[Answer] = (),
    ) -> Answer:
        """Answer ``question`` in ``k`` passages (from ``documents``, after ``history``).

        Resolve and rank (:meth:`rank`), shortlist as many passages as the reader needs,
        read them, judge how likely each of the first ``k`` is to answer and decide
        (:func:`retrieval.stages.decide.judge`), cite them. With
        ``settings.highlight`` off (bulk ranking) the ranked passages are returned as they
        are: no sentences, no reading, abstained only when nothing was found.
        """
        started = time.perf_counter()
        question = validate_question(question)
        k = validate_k(k)
        ranking = self.rank(question, mode=mode, documents=documents, history=history)
        if not self.settings.highlight:
            top = ranking.order[:k]
            passages = ranked(self.version, ranking.signals.rows[top], ranking.fused[top])
            return self._answered(question, passages, not passages, started)
        shortlist, reading, judged = self.judge(ranking, k)
        passages = cite(self.version, shortlist, reading, judged.shown)
        return self._answered(question, passages, judged.abstains, started)

    def judge(self, ranking: Ranking, k: int) -> tuple[Shortlist, Reading, Judged]:
        """Shortlist ``ranking`` for the reader, read it, and judge its first ``k`` passages
        (what :meth:`answer` cites, and what the confidence model is fitted on)."""
        reader = self.reader()
        shortlist = self._first.shortlist(ranking, reader.depth(k), self.settings)
        question = ranking.question.reading
        reading = reader.read(question, shortlist)
        judged = judge(
            self.version,
            shortlist,
            reading,
            k,
            question,
            self.settings.confidence,
            logits=functools.partial(reader.logits, question),
            reads=self.settings.reader is not None,
            threshold=self.settings.min_relevance,
        )
        return shortlist, reading, judged

    def passage_sentences(
        self, ranking: Ranking, rows: list[int], question: str
    ) -> PassageSentences:
        """The first stage's figures for the sentences of chunks ``rows`` of ``ranking``
        (``question``: the question ranked, which ``ranking`` also holds)."""
        return self._first.sentences(ranking, rows, self.settings)

    def reader(self) -> Reader:
        """The second stage its settings ask for (:func:`retrieval.stages.read.make_reader`)."""
        return make_reader(
            self.settings.reader,
            scorer=self.scorer,
            text=functools.partial(unit_text, self.version),
        )

    def scorer(self) -> Scorer:
        """The second stage's cross-encoder (the shipped one unless given; loaded once)."""
        if self._scorer is None:
            self._scorer = shipped_scorer()
        return self._scorer

    @staticmethod
    def _answered(
        question: str, passages: list[Passage], abstained: bool, started: float
    ) -> Answer:
        elapsed = (time.perf_counter() - started) * 1000
        return Answer(question, tuple(passages), abstained, round(elapsed, 2))


@functools.lru_cache(maxsize=1)
def shipped_scorer() -> Scorer:
    """docqa's own cross-encoder, shipped in :mod:`retrieval.rerank` (loaded once)."""
    from retrieval.rerank import SentenceScorer

    return SentenceScorer()
