"""The learned second stage: a cross-encoder reads the question with each candidate sentence.

The first stage (hybrid search and fusion, :mod:`retrieval.retriever`) ranks passages and,
inside each, scores its sentences from stored vectors (cosine plus term overlap). The reader
takes the best sentences of the first ``passages`` passages, asks the cross-encoder
(:mod:`retrieval.rerank`) how likely each is to answer the question, and then

- orders those passages by a blend of their best sentence's probability and their
  first-stage score,
- highlights in each passage the sentence the cross-encoder rates highest,
- abstains when no sentence reaches ``min_answer``: "not stated" is told apart from "near the
  topic" by a model that reads both texts, not by similarity alone.

Pure functions over arrays; the scorer is a parameter (a test double needs no model).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ingest.errors import InvalidInputError


class Scorer(Protocol):
    """Anything that rates how well sentences answer a question (probabilities, 0..1)."""

    def score(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        """One probability per sentence, in order."""
        ...


@dataclass(frozen=True)
class ReaderSettings:
    """How much the second stage reads, and how it decides.

    Attributes:
        passages: First-stage passages whose sentences are read (at least ``k`` are).
        sentences: Most sentences scored per question, the first stage's best first.
        weight: Share of the best sentence's probability in a passage's final score (the
            rest is its first-stage score, min-max normalised over the passages read).
        min_answer: The answer abstains when no sentence's probability reaches this.
    """

    passages: int = 8
    sentences: int = 24
    weight: float = 0.5
    min_answer: float = 0.5

    def __post_init__(self) -> None:
        if self.passages < 1 or self.sentences < 1:
            raise InvalidInputError(
                f"the reader must read at least one passage and one sentence "
                f"(passages={self.passages}, sentences={self.sentences})"
            )
        if not 0.0 <= self.weight <= 1.0 or not 0.0 <= self.min_answer <= 1.0:
            raise InvalidInputError(
                f"weight={self.weight} and min_answer={self.min_answer} must lie in 0..1"
            )


@dataclass(frozen=True)
class Candidates:
    """The sentences of the passages read, with their first-stage scores.

    Attributes:
        passage: For each sentence, the position of its passage (0 = first-stage best).
        unit: For each sentence, its unit id in the index.
        first_stage: For each sentence, its first-stage score (higher is better).
        fused: For each passage, its first-stage fused score.
    """

    passage: np.ndarray
    unit: np.ndarray
    first_stage: np.ndarray
    fused: np.ndarray


@dataclass(frozen=True)
class Reading:
    """What the reader decided.

    Attributes:
        order: Positions of the passages read, best first.
        scores: Each passage's final score (by position).
        highlight: Each passage's best sentence as a unit id, or -1 when none was scored.
        probability: Each passage's best sentence probability (0 when none was scored).
        best: The highest probability of any sentence (0 when none was scored).
    """

    order: np.ndarray
    scores: np.ndarray
    highlight: np.ndarray
    probability: np.ndarray
    best: float


def choose(candidates: Candidates, limit: int) -> np.ndarray:
    """Positions of the ``limit`` sentences with the best first-stage scores, in that order."""
    order = np.argsort(-candidates.first_stage, kind="stable")
    return order[:limit]


def read(
    question: str,
    candidates: Candidates,
    texts: Sequence[str],
    chosen: np.ndarray,
    scorer: Scorer,
    settings: ReaderSettings,
) -> Reading:
    """Score the ``chosen`` sentences (``texts`` are theirs, in order) and rank the passages.

    Example:
        >>> reading = read(q, candidates, texts, choose(candidates, 24), scorer, settings)
        ... # doctest: +SKIP
    """
    n = len(candidates.fused)
    probability = np.zeros(0, dtype=np.float32)
    if len(chosen):
        probability = np.asarray(scorer.score(question, list(texts)), dtype=np.float32)
    per_passage = np.zeros(n, dtype=np.float32)
    highlight = np.full(n, -1, dtype=np.int64)
    for position, p in zip(chosen, probability, strict=True):
        passage = int(candidates.passage[position])
        if highlight[passage] < 0 or p > per_passage[passage]:
            per_passage[passage] = p
            highlight[passage] = int(candidates.unit[position])
    fused = candidates.fused.astype(np.float32)
    spread = float(fused.max() - fused.min()) if n else 0.0
    first = (fused - fused.min()) / spread if spread > 0 else np.ones(n, dtype=np.float32)
    scores = settings.weight * per_passage + (1.0 - settings.weight) * first
    order = np.argsort(-scores, kind="stable")
    best = float(probability.max()) if len(probability) else 0.0
    return Reading(
        order=order, scores=scores, highlight=highlight, probability=per_passage, best=best
    )
