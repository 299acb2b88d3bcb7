"""Stage 3: a reader orders the shortlist and picks each passage's highlighted sentence.

Two readers: the :class:`CrossEncoderReader` (the default second stage,
:mod:`retrieval.reader`) re-reads the first stage's best sentences; the :class:`NullReader`
reads nothing and keeps the first stage's order and its best sentence per passage (the fast
path). :func:`make_reader` chooses from :attr:`SearchSettings.reader
<retrieval.settings.SearchSettings.reader>`; nothing after it knows which one read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from retrieval.passage_sentences import PassageSentences
from retrieval.reader import Candidates, ReaderSettings, Reading, Scorer, choose, read
from retrieval.stages.first_stage import Shortlist


class Reader(Protocol):
    """Orders a shortlist of passages and picks each one's answering sentence."""

    def depth(self, k: int) -> int:
        """How many first-stage passages it needs to return ``k``."""
        ...

    def read(self, question: str, shortlist: Shortlist) -> Reading:
        """Its order of the shortlist, a score per passage, each one's highlighted unit (-1:
        none) by shortlist position, and the logits of what it read."""
        ...

    def logits(self, question: str, units: np.ndarray) -> np.ndarray | None:
        """The cross-encoder's raw logit for each sentence unit (None: this reader has none)."""
        ...


def first_stage_best(sentences: PassageSentences) -> np.ndarray:
    """Each passage's sentence with the best first-stage score, as a unit id (-1: none)."""
    return np.array(
        [
            int(span[int(np.argmax(scores))]) if len(span) else -1
            for span, scores in zip(sentences.units, sentences.scores, strict=True)
        ],
        dtype=np.int64,
    )


@dataclass(frozen=True)
class NullReader:
    """Reads nothing: the first stage's order, scores and best sentences stand."""

    def depth(self, k: int) -> int:
        """Exactly ``k``: nothing it does can bring a later passage forward."""
        return k

    def read(self, question: str, shortlist: Shortlist) -> Reading:
        """The shortlist as the first stage ordered it; nothing read."""
        return Reading(
            order=np.arange(len(shortlist.rows)),
            scores=shortlist.fused,
            highlight=first_stage_best(shortlist.sentences),
        )

    def logits(self, question: str, units: np.ndarray) -> np.ndarray | None:
        """None: it has no cross-encoder."""
        return None


@dataclass(frozen=True)
class CrossEncoderReader:
    """The learned second stage: a cross-encoder reads the best sentences of the shortlist.

    Attributes:
        settings: How much it reads and how it blends what it reads.
        scorer: Gives the cross-encoder (called on the first read: loading it is slow).
        text: The text of a sentence unit.
    """

    settings: ReaderSettings
    scorer: Callable[[], Scorer]
    text: Callable[[int], str]

    def depth(self, k: int) -> int:
        """``k``, or more when it reads more passages than it returns."""
        return max(k, self.settings.passages)

    def read(self, question: str, shortlist: Shortlist) -> Reading:
        """The shortlist re-ranked; a passage none of whose sentences was read keeps its best
        first-stage sentence as highlight."""
        found = shortlist.sentences
        if not shortlist.rows:
            empty = np.zeros(0, dtype=np.int64)
            return Reading(order=empty, scores=np.zeros(0), highlight=empty)
        candidates = Candidates(
            passage=np.concatenate([np.full(len(u), i) for i, u in enumerate(found.units)]),
            unit=np.concatenate(found.units),
            first_stage=np.concatenate(found.scores),
            fused=shortlist.fused,
        )
        chosen = choose(candidates, self.settings.sentences)
        texts = [self.text(int(u)) for u in candidates.unit[chosen]]
        reading = read(question, candidates, texts, chosen, self.scorer(), self.settings)
        fallback = first_stage_best(found)
        return replace(
            reading, highlight=np.where(reading.highlight >= 0, reading.highlight, fallback)
        )

    def logits(self, question: str, units: np.ndarray) -> np.ndarray | None:
        """The cross-encoder's raw logits for ``units`` (one call)."""
        if not len(units):
            return np.zeros(0)
        texts = [self.text(int(u)) for u in units]
        return np.asarray(self.scorer().logits(question, texts), dtype=np.float64)


def make_reader(
    settings: ReaderSettings | None, *, scorer: Callable[[], Scorer], text: Callable[[int], str]
) -> Reader:
    """The cross-encoder reader with ``settings``, or the :class:`NullReader` for None."""
    if settings is None:
        return NullReader()
    return CrossEncoderReader(settings, scorer, text)
