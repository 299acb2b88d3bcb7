"""The learned second stage: a cross-encoder reads the question with the best sentences.

The first stage (hybrid search and fusion, :mod:`retrieval.stages.first_stage`) ranks passages and,
inside each, scores its sentences from stored vectors (cosine plus term overlap). The reader
takes the ``sentences`` best sentences of the first ``passages`` passages (by that score),
asks the cross-encoder (:mod:`retrieval.rerank`) how well each answers the question, and

- scores each sentence ``logit + mix * first_stage``;
- scores each passage ``fused_weight * its normalised fused score + its best sentence's
  score``; passages none of whose sentences was read follow those that were;
- highlights in each passage its best sentence.

Both weights were fitted on SQuAD 2.0's training articles and the documents written for
training (``bench/data/reader_training``), folds by document, by ``python -m training``
(:mod:`training.reader_fit`), which writes them to ``reader.json`` beside the cross-encoder;
:class:`ReaderSettings` reads them from there (:func:`load_blend`). The raw logits of the
sentences read are kept: the probability that a passage answers reads them
(:mod:`retrieval.stages.decide`).

Pure functions over arrays; the scorer is a parameter (a test double needs no model).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from ingest.errors import InvalidInputError
from retrieval.rerank.scorer import MODEL_DIR, ScorerModelError, read_model_json

#: The blend fitted for the shipped cross-encoder (``python -m training`` writes it).
BLEND_FILE = MODEL_DIR / "reader.json"


class Scorer(Protocol):
    """Anything that rates how well sentences answer a question."""

    def logits(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        """One raw score per sentence, in order (higher: more likely to answer)."""
        ...


@dataclass(frozen=True)
class Blend:
    """The reader's fitted weights, as ``reader.json`` holds them.

    Attributes:
        mix: Weight of a sentence's first-stage score beside the cross-encoder's logit.
        fused_weight: Weight of a passage's normalised first-stage score beside its best
            sentence's score.
    """

    mix: float
    fused_weight: float


def load_blend(path: Path | None = None) -> Blend:
    """The fitted blend in ``path`` (by default the shipped ``reader.json``).

    Raises:
        ScorerModelError: the file is missing, is not JSON, or lacks a weight (each must be
            a finite number, not negative); the message names the file and the fix.

    Example:
        >>> load_blend()  # doctest: +SKIP
        Blend(mix=10.0, fused_weight=3.0)
    """
    path = path or BLEND_FILE
    fix = "reinstall docqa, or rebuild it: python -m training --step fit"
    data = read_model_json(path, "the reader's fitted blend", fix)
    weights: dict[str, float] = {}
    for key in ("mix", "fused_weight"):
        value = data.get(key) if isinstance(data, dict) else None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            raise ScorerModelError(
                f"the reader's fitted blend {path} has {key}={value!r}, where a number "
                f"0 or more is needed; {fix}"
            )
        weights[key] = float(value)
    return Blend(**weights)


@functools.cache
def shipped_blend() -> Blend:
    """:func:`load_blend` of the shipped file, read once per process (when first needed)."""
    return load_blend()


def _shipped_mix() -> float:
    return shipped_blend().mix


def _shipped_fused_weight() -> float:
    return shipped_blend().fused_weight


@dataclass(frozen=True)
class ReaderSettings:
    """How much the second stage reads, and how it blends what it reads.

    Attributes:
        passages: First-stage passages whose sentences may be read (at least ``k`` are).
        sentences: Sentences scored per question, the first stage's best first: the
            answer is almost always among its best few. With the 6-layer model, 6 instead
            of 8 took SciFact's ``ask()`` p50 from 4.4x to 4.1x the tutorial retriever's
            at the same held-out figures within a question or two (2.5x since the query
            path stopped waking BLAS threads; MODEL_CARD.md, "Cost").
        mix: Weight of a sentence's first-stage score beside the cross-encoder's logit;
            by default the fitted one, read from ``reader.json`` (:func:`shipped_blend`).
        fused_weight: Weight of a passage's normalised first-stage score beside its best
            sentence's score; by default the fitted one, from ``reader.json``.

    Raises:
        ScorerModelError: a weight is left to its default and ``reader.json`` is missing
            or damaged.
    """

    passages: int = 8
    sentences: int = 6
    mix: float = field(default_factory=_shipped_mix)
    fused_weight: float = field(default_factory=_shipped_fused_weight)

    def __post_init__(self) -> None:
        if self.passages < 1 or self.sentences < 1:
            raise InvalidInputError(
                f"the reader must read at least one passage and one sentence "
                f"(passages={self.passages}, sentences={self.sentences})"
            )
        if self.mix < 0 or self.fused_weight < 0:
            raise InvalidInputError(
                f"mix={self.mix} and fused_weight={self.fused_weight} must not be negative"
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
        scores: Each passage's final score (by position); only their order means anything.
        highlight: Each passage's best sentence as a unit id, or -1 when none was read.
        units: The sentence units the cross-encoder read (none on the fast path) ...
        logits: ... and its raw logit for each.
    """

    order: np.ndarray
    scores: np.ndarray
    highlight: np.ndarray
    units: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    logits: np.ndarray = field(default_factory=lambda: np.zeros(0))


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
        >>> reading = read(q, candidates, texts, choose(candidates, 8), scorer, settings)
        ... # doctest: +SKIP
    """
    n = len(candidates.fused)
    logits = np.zeros(0, dtype=np.float64)
    if len(chosen):
        logits = np.asarray(scorer.logits(question, list(texts)), dtype=np.float64)
    sentence = logits + settings.mix * candidates.first_stage[chosen].astype(np.float64)
    best = np.full(n, -np.inf)
    highlight = np.full(n, -1, dtype=np.int64)
    for position, z in zip(chosen, sentence, strict=True):
        passage = int(candidates.passage[position])
        if z > best[passage]:
            best[passage] = z
            highlight[passage] = int(candidates.unit[position])
    fused = candidates.fused.astype(np.float64)
    spread = float(fused.max() - fused.min()) if n else 0.0
    first = (fused - fused.min()) / spread if spread > 0 else np.ones(n)
    read_any = np.isfinite(best)
    scores = settings.fused_weight * first + np.where(read_any, best, 0.0)
    if read_any.any() and not read_any.all():
        # Passages with no sentence read come after every passage with one, in fused order.
        floor = float(scores[read_any].min())
        scores = np.where(read_any, scores, floor - 1.0 - (1.0 - first) / 2)
    order = np.argsort(-scores, kind="stable")
    return Reading(
        order=order,
        scores=scores,
        highlight=highlight,
        units=candidates.unit[chosen].astype(np.int64),
        logits=logits,
    )
