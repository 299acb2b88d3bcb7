"""The knobs of retrieval: one frozen settings object, validated when made."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ingest.errors import InvalidInputError
from retrieval.confidence import ConfidenceModel, shipped_confidence
from retrieval.followup import FollowupSettings
from retrieval.fusion import FusionWeights
from retrieval.reader import ReaderSettings

SearchMode = Literal["hybrid", "dense", "keyword"]
FusionKind = Literal["blend", "rrf"]
SEARCH_MODES: tuple[SearchMode, ...] = ("hybrid", "dense", "keyword")


@dataclass(frozen=True)
class SearchSettings:
    """Knobs of retrieval; defaults are the measured best (see docs/quality.md).

    Attributes:
        mode: ``hybrid`` (dense + BM25), ``dense`` or ``keyword``.
        candidates: Chunks taken from each side before fusion.
        fusion: ``blend`` (weighted min-max-normalised scores) or ``rrf`` (reciprocal rank).
        weights: Weights of BM25, chunk cosine and best-sentence cosine in the fusion.
        rrf_k: Reciprocal-rank fusion constant.
        min_relevance: Abstention threshold on the probability that the first passage
            answers (None: the fitted head's own, from ``confidence.json``).
        confidence: The probability that a passage answers (:mod:`retrieval.confidence`).
        lexical_weight: Weight of term overlap when choosing the highlighted sentence.
        highlight: Compute highlights and answerability (off for bulk ranking: the first
            stage's passages alone, no sentences read and no abstention decision).
        reader: The learned second stage (:mod:`retrieval.reader`, on by default): it
            re-ranks the first passages and picks each one's answering sentence; ``None``
            reads with the :class:`~retrieval.stages.read.NullReader` (first stage only:
            highlights from the stored sentence vectors, and the confidence head without the
            cross-encoder's logit).
        followup: How earlier turns inform a follow-up (:mod:`retrieval.followup`).
    """

    mode: SearchMode = "hybrid"
    #: SciFact train nDCG@10 / Recall@100 with 100, 200, 300: 0.7496 / 0.9553, 0.7513 / 0.9584,
    #: 0.7505 / 0.9584. Every figure docqa reports uses this setting.
    candidates: int = 200
    fusion: FusionKind = "blend"
    weights: FusionWeights = field(default_factory=FusionWeights)
    rrf_k: float = 60.0
    min_relevance: float | None = None
    confidence: ConfidenceModel = field(default_factory=shipped_confidence)
    lexical_weight: float = 0.5
    highlight: bool = True
    reader: ReaderSettings | None = field(default_factory=ReaderSettings)
    followup: FollowupSettings = field(default_factory=FollowupSettings)

    def __post_init__(self) -> None:
        check_mode(self.mode)
        if self.fusion not in ("blend", "rrf"):
            raise InvalidInputError(f"unknown fusion {self.fusion!r}; valid: blend, rrf")
        if self.min_relevance is not None and not 0.0 <= self.min_relevance <= 1.0:
            raise InvalidInputError(f"min_relevance={self.min_relevance} must lie in 0..1")

    def weights_for(self, mode: SearchMode) -> FusionWeights:
        """The fusion weights restricted to the signals a mode uses."""
        w = self.weights
        if mode == "keyword":
            return FusionWeights(bm25=w.bm25, section=w.section, chunk=0.0, sentence=0.0)
        if mode == "dense":
            return FusionWeights(bm25=0.0, section=0.0, chunk=w.chunk, sentence=w.sentence)
        return w


def check_mode(mode: object) -> None:
    """Raise :class:`InvalidInputError` unless ``mode`` is one of :data:`SEARCH_MODES`."""
    if mode not in SEARCH_MODES:
        raise InvalidInputError(
            f"unknown search mode {mode!r}; valid modes are: {', '.join(SEARCH_MODES)}"
        )
