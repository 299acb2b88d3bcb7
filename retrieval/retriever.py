"""Question -> hybrid search -> fused, highlighted, cited passages (or an abstention)."""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np

from ingest.embedding.embedder import Embedder, make_embedder
from ingest.embedding.settings import EmbeddingSettings
from ingest.errors import IndexMismatchError, InvalidInputError
from ingest.index.backend import BackendSettings
from ingest.index.store import IndexVersion, current_version_path, load_version
from retrieval.fusion import FusionWeights, blend, reciprocal_rank
from retrieval.relevance import RelevanceModel, coverage, question_terms
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
    """

    mode: SearchMode = "hybrid"
    candidates: int = 100
    fusion: FusionKind = "blend"
    weights: FusionWeights = field(default_factory=FusionWeights)
    rrf_k: float = 60.0
    min_relevance: float = 0.61
    relevance: RelevanceModel = field(default_factory=RelevanceModel)
    lexical_weight: float = 0.5
    highlight: bool = True

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


def _stamp(version: Path) -> tuple[int, int] | None:
    """Identity of a version folder's manifest file (inode, modification time)."""
    try:
        status = (version / "manifest.json").stat()
    except OSError:
        return None
    return status.st_ino, status.st_mtime_ns


class Retriever:
    """Answers questions from one loaded index version.

    Args:
        index: Index directory.
        embedder: Embedder to use for questions (default: the index's own model).
        settings: Retrieval settings.
        backend: The backend the index must be on, and its Milvus address (default: from
            the environment, see :meth:`BackendSettings.from_environment`).
        embedding: How the index's model runs (default: from the environment).
    """

    def __init__(
        self,
        index: str | Path,
        *,
        embedder: Embedder | None = None,
        settings: SearchSettings | None = None,
        backend: BackendSettings | None = None,
        embedding: EmbeddingSettings | None = None,
    ) -> None:
        self.index_dir = Path(index)
        self.version: IndexVersion = load_version(self.index_dir, backend)
        self._stamp = _stamp(self.version.path)
        model = self.version.manifest.model
        if embedder is not None and embedder.model_id != model:
            raise IndexMismatchError(
                f"{self.index_dir} was built with model {model!r}, not {embedder.model_id!r}; "
                "rebuild it with: docqa ingest PATH --rebuild"
            )
        self.embedder = embedder or make_embedder(model, settings=embedding)
        self.settings = settings or SearchSettings()
        self._offsets = self.version.units.offsets

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
        try:
            path = current_version_path(self.index_dir)
        except Exception:
            return False
        return path != self.version.path or _stamp(path) != self._stamp

    def rank(
        self,
        question: str,
        *,
        mode: SearchMode | None = None,
        documents: Collection[str] | None = None,
    ) -> Ranking:
        """Fused ranking of chunks for ``question``, optionally only from ``documents``."""
        mode = mode or self.settings.mode
        _check_mode(mode)
        version = self.version
        weights = self.settings.weights_for(mode)
        allowed = self._document_mask(documents) if documents is not None else None
        qv = self.embedder.embed([question])[0] if mode != "keyword" else None
        bm25 = version.sparse.scores(question) if weights.bm25 else None
        section_bm25 = (
            version.section_sparse.scores(question)[version.sections] if weights.section else None
        )
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
        return Ranking(signals, np.argsort(-fused, kind="stable"), fused, qv)

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
    ) -> Answer:
        """Answer ``question`` with up to ``k`` passages (optionally only from ``documents``)."""
        started = time.perf_counter()
        question = validate_question(question)
        k = validate_k(k)
        ranking = self.rank(question, mode=mode, documents=documents)
        top = ranking.order[:k]
        signals = ranking.signals
        passages = [self._passage(int(signals.rows[i]), float(ranking.fused[i])) for i in top]
        abstained = not passages
        if passages and self.settings.highlight:
            terms = question_terms(self.version.sparse.tokenizer, question)
            idf = self.version.sparse.idf(terms)
            qv = ranking.query_vector
            if qv is None:
                qv = self.embedder.embed([question])[0]
            marked = [
                self._highlight(p, int(r), qv, terms, idf)
                for p, r in zip(passages, signals.rows[top], strict=True)
            ]
            passages = [p for p, _ in marked]
            # The best sentence cosine of the top passage, whatever the mode ranked by.
            relevance = self._relevance(terms, idf, int(signals.rows[top[0]]), marked[0][1])
            abstained = relevance < self.settings.min_relevance
        elapsed = (time.perf_counter() - started) * 1000
        return Answer(question, tuple(passages), abstained, round(elapsed, 2))

    def _relevance(
        self, terms: list[str], idf: dict[str, float], row: int, sentence_cos: float
    ) -> float:
        """Calibrated probability that chunk ``row`` answers a question of content ``terms``."""
        chunk_terms = set(self.version.sparse.tokenizer(self.version.chunks[row].text))
        cov = coverage(terms, chunk_terms, idf)
        return self.settings.relevance.probability(sentence_cos, cov)

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

    def _highlight(
        self,
        passage: Passage,
        row: int,
        qv: np.ndarray,
        terms: list[str],
        idf: dict[str, float],
    ) -> tuple[Passage, float]:
        """Mark the sentence that best answers (sentence cosine plus the IDF-weighted share
        of the question's content terms it holds); also return the passage's best sentence
        cosine."""
        units = self.version.units
        span = np.arange(self._offsets[row], self._offsets[row + 1])
        if not len(span):
            return passage, 0.0
        cos = self.version.unit_dense.reconstruct(span) @ qv
        text = self.version.documents[passage.doc_id].text
        tokenizer = self.version.sparse.tokenizer
        overlap = np.array(
            [
                coverage(terms, set(tokenizer(text[units.start[u] : units.end[u]])), idf)
                for u in span
            ]
        )
        best = int(span[int(np.argmax(cos + self.settings.lexical_weight * overlap))])
        marked = replace(passage, highlights=((int(units.start[best]), int(units.end[best])),))
        return marked, float(cos.max())
