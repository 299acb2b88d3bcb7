"""Question -> hybrid search -> fused, highlighted, cited passages (or an abstention)."""

from __future__ import annotations

import copy
import functools
import re
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np

from ingest.embedding.embedder import Embedder, make_embedder
from ingest.embedding.settings import EmbeddingSettings
from ingest.errors import IndexMismatchError, InvalidInputError
from ingest.index.backends.settings import BackendSettings
from ingest.index.store import IndexVersion, live_stamp, load_version
from retrieval.followup import FollowupSettings, Query, resolve
from retrieval.fusion import FusionWeights, blend, reciprocal_rank
from retrieval.passage_sentences import PassageSentences, score_passages, unit_cosines, unit_text
from retrieval.reader import Candidates, ReaderSettings, Scorer, choose, read
from retrieval.relevance import RelevanceModel
from retrieval.signals import Signals, gather
from retrieval.types import Answer, Passage

SearchMode = Literal["hybrid", "dense", "keyword"]
FusionKind = Literal["blend", "rrf"]
SEARCH_MODES: tuple[SearchMode, ...] = ("hybrid", "dense", "keyword")
MAX_QUESTION_CHARS = 2000
MAX_K = 50
#: C0 and C1 control characters other than tab and line breaks (NUL, ESC, DEL...).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: Lone surrogates: what undecodable bytes in a command-line argument turn into.
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class SearchSettings:
    """Knobs of retrieval; defaults are the measured best (see README, Figures).

    Attributes:
        mode: ``hybrid`` (dense + BM25), ``dense`` or ``keyword``.
        candidates: Chunks taken from each side before fusion.
        fusion: ``blend`` (weighted min-max-normalised scores) or ``rrf`` (reciprocal rank).
        weights: Weights of BM25, chunk cosine and best-sentence cosine in the fusion.
        rrf_k: Reciprocal-rank fusion constant.
        min_relevance: Abstention threshold on the calibrated probability that the top
            passage answers the question (see :mod:`retrieval.relevance`).
        relevance: The calibrated answerability model.
        lexical_weight: Weight of term overlap when choosing the highlighted sentence.
        highlight: Compute highlights and answerability (off for bulk ranking).
        reader: The learned second stage (:mod:`retrieval.reader`, on by default): it
            re-ranks the first passages and picks each one's answering sentence; ``None`` is
            the fast path (first stage only: highlights from the stored sentence vectors).
            Abstention is the first stage's ``min_relevance`` decision either way.
    """

    mode: SearchMode = "hybrid"
    #: SciFact train nDCG@10 / Recall@100 with 100, 200, 300: 0.7496 / 0.9553, 0.7513 / 0.9584,
    #: 0.7505 / 0.9584. Every figure docqa reports uses this setting.
    candidates: int = 200
    fusion: FusionKind = "blend"
    weights: FusionWeights = field(default_factory=FusionWeights)
    rrf_k: float = 60.0
    min_relevance: float = 0.61
    relevance: RelevanceModel = field(default_factory=RelevanceModel)
    lexical_weight: float = 0.5
    highlight: bool = True
    reader: ReaderSettings | None = field(default_factory=ReaderSettings)
    followup: FollowupSettings = field(default_factory=FollowupSettings)  # retrieval.followup

    def __post_init__(self) -> None:
        _check_mode(self.mode)
        if self.fusion not in ("blend", "rrf"):
            raise InvalidInputError(f"unknown fusion {self.fusion!r}; valid: blend, rrf")
        if not 0.0 <= self.min_relevance <= 1.0:
            raise InvalidInputError(f"min_relevance={self.min_relevance} must lie in 0..1")

    def weights_for(self, mode: SearchMode) -> FusionWeights:
        """The fusion weights restricted to the signals a mode uses."""
        w = self.weights
        if mode == "keyword":
            return FusionWeights(bm25=w.bm25, section=w.section, chunk=0.0, sentence=0.0)
        if mode == "dense":
            return FusionWeights(bm25=0.0, section=0.0, chunk=w.chunk, sentence=w.sentence)
        return w


def _check_mode(mode: object) -> None:
    if mode not in SEARCH_MODES:
        raise InvalidInputError(
            f"unknown search mode {mode!r}; valid modes are: {', '.join(SEARCH_MODES)}"
        )


@dataclass(frozen=True)
class Ranking:
    """Candidates of one question, best first, with their signals and fused scores."""

    signals: Signals
    order: np.ndarray  # positions into signals, best first
    fused: np.ndarray  # fused score per signals position
    query_vector: np.ndarray | None
    query: Query  # what was searched: the question and the earlier turns it leans on

    @property
    def rows(self) -> np.ndarray:
        """Chunk rows, best first."""
        return self.signals.rows[self.order]


def validate_question(question: object) -> str:
    """Return the question stripped, or raise :class:`InvalidInputError` saying why."""
    if not isinstance(question, str):
        raise InvalidInputError(f"question must be text, not {type(question).__name__}")
    stripped = question.strip()
    if not stripped:
        raise InvalidInputError("the question is empty; type a question")
    if len(stripped) > MAX_QUESTION_CHARS:
        raise InvalidInputError(
            f"the question is {len(stripped):,} characters; the limit is {MAX_QUESTION_CHARS:,}"
        )
    control = _CONTROL.search(stripped)
    if control:
        raise InvalidInputError(
            f"the question contains a control character (U+{ord(control.group()):04X}); "
            "remove it and ask again"
        )
    if _SURROGATE.search(stripped):
        raise InvalidInputError(
            "the question holds bytes that are not valid UTF-8 text; retype it and ask again"
        )
    return stripped


def validate_k(k: object) -> int:
    """Return ``k`` if it is an int in 1..50, else raise :class:`InvalidInputError`."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise InvalidInputError(f"k={k!r} is not valid; choose a whole number from 1 to {MAX_K}")
    return k


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
        self._offsets = self.version.units.offsets
        self._scorer = scorer

    def with_settings(self, settings: SearchSettings) -> Retriever:
        """A retriever over the same loaded index and model with other settings."""
        clone = copy.copy(self)
        clone.settings = settings
        return clone

    def is_stale(self) -> bool:
        """True when a newer version of the index has been written since loading.

        A version folder of the same name that is not the one loaded (the index was deleted
        and built again) counts as newer.
        """
        now = live_stamp(self.index_dir, self._backend)
        return now is not None and now != self.version.stamp

    def rank(
        self,
        question: str,
        *,
        mode: SearchMode | None = None,
        documents: Collection[str] | None = None,
        history: Sequence[Answer] = (),
    ) -> Ranking:
        """Fused ranking of chunks for ``question`` (only from ``documents``, after ``history``)."""
        mode = mode or self.settings.mode
        _check_mode(mode)
        version = self.version
        weights = self.settings.weights_for(mode)
        allowed = self._document_mask(documents) if documents is not None else None
        query = resolve(question, history, version.sparse.tokenizer, self.settings.followup)
        qv, bm25, section_bm25 = query.inputs(self.embedder, version, weights, mode != "keyword")
        signals = gather(
            qv,
            bm25,
            section_bm25,
            n_chunks=len(version.chunks),
            depth=self.settings.candidates,
            dense=version.dense if weights.chunk else None,
            units=version.units,
            offsets=self._offsets,
            unit_dense=version.unit_dense if qv is not None else None,
            allowed=allowed,
        )
        if self.settings.fusion == "rrf":
            fused = reciprocal_rank(signals, weights, k=self.settings.rrf_k)
        else:
            fused = blend(signals, weights)
        fused = query.with_prior(fused, version.chunks.in_documents, signals.rows)
        return Ranking(signals, np.argsort(-fused, kind="stable"), fused, qv, query)

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
        """Answer ``question`` in ``k`` passages (from ``documents``, after ``history``)."""
        started = time.perf_counter()
        question = validate_question(question)
        k = validate_k(k)
        ranking = self.rank(question, mode=mode, documents=documents, history=history)
        reader = self.settings.reader if self.settings.highlight else None
        top = ranking.order[: max(k, reader.passages) if reader else k]
        rows = [int(r) for r in ranking.signals.rows[top]]
        fused = ranking.fused[top]
        if not rows or not self.settings.highlight:
            passages = [self._passage(r, float(s)) for r, s in zip(rows, fused, strict=True)]
            return self._answered(question, passages, not passages, started)
        found = self.passage_sentences(ranking, rows, question)
        confidence = found.confidence
        abstained = confidence[0] < self.settings.min_relevance
        if reader is None:
            passages = [
                replace(self._marked(r, float(s), span, combined), confidence=round(c, 4))
                for r, s, span, combined, c in zip(
                    rows, fused, found.units, found.scores, confidence, strict=True
                )
            ]
            return self._answered(question, passages, abstained, started)
        candidates = Candidates(
            passage=np.concatenate([np.full(len(u), i) for i, u in enumerate(found.units)]),
            unit=np.concatenate(found.units),
            first_stage=np.concatenate(found.scores),
            fused=fused,
        )
        chosen = choose(candidates, reader.sentences)
        texts = [unit_text(self.version, int(u)) for u in candidates.unit[chosen]]
        reading = read(ranking.query.reading(), candidates, texts, chosen, self.scorer(), reader)
        passages = []
        units = self.version.units
        for position in reading.order[:k]:
            span, combined = found.units[position], found.scores[position]
            unit = int(reading.highlight[position])
            marked = replace(
                self._marked(rows[position], float(reading.scores[position]), span, combined),
                confidence=round(confidence[position], 4),
            )
            if unit >= 0:
                marked = replace(
                    marked, highlights=((int(units.start[unit]), int(units.end[unit])),)
                )
            passages.append(marked)
        return self._answered(question, passages, abstained, started)

    def passage_sentences(
        self, ranking: Ranking, rows: list[int], question: str
    ) -> PassageSentences:
        """The first stage's figures for the sentences of chunks ``rows`` of ``ranking``."""
        cosines = unit_cosines(
            self.version, self.embedder, ranking.signals, ranking.query_vector, rows, question
        )
        return score_passages(
            self.version,
            rows,
            cosines,
            ranking.query.terms(self.version.sparse.tokenizer),
            lexical_weight=self.settings.lexical_weight,
            relevance=self.settings.relevance,
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

    def _passage(self, row: int, score: float) -> Passage:
        chunk = self.version.chunks[row]
        doc = self.version.documents[chunk.doc_id]
        return Passage(
            doc_id=chunk.doc_id,
            title=doc.title,
            section=chunk.section,
            page=chunk.page,
            start=chunk.start,
            end=chunk.end,
            text=chunk.text,
            score=round(score, 6),
            highlights=(),
        )

    def _marked(self, row: int, score: float, span: np.ndarray, combined: np.ndarray) -> Passage:
        """The passage of chunk ``row``, its best first-stage sentence highlighted."""
        passage = self._passage(row, score)
        if not len(span):
            return passage
        units = self.version.units
        best = int(span[int(np.argmax(combined))])
        return replace(passage, highlights=((int(units.start[best]), int(units.end[best])),))


@functools.lru_cache(maxsize=1)
def shipped_scorer() -> Scorer:
    """docqa's own cross-encoder, shipped in :mod:`retrieval.rerank` (loaded once)."""
    from retrieval.rerank import SentenceScorer

    return SentenceScorer()
