"""Stage 4: how likely each passage is to answer, and whether to answer at all.

Each passage to be cited gets the probability that it answers (:mod:`retrieval.confidence`),
from inputs that describe the question and the passage alone: what the cross-encoder read of
it, its cosines to the question, how much of the question's wording it holds, weighed by the
language, and how many of the names the question uses its document holds. Nothing in them
moves when unrelated documents are indexed, so neither does the decision: the answer
abstains when its first passage is less likely than the head's threshold to answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ingest.index.store import IndexVersion
from retrieval.background import covered, question_weights
from retrieval.confidence import ConfidenceModel, Head, non_increasing
from retrieval.names import named_share, question_names
from retrieval.reader import Reading
from retrieval.stages.first_stage import Shortlist

#: Weight of the question's words a sentence holds beside its cosine, when choosing the
#: sentences read for a passage's probability (as the first stage weighs its own overlap).
LEXICAL_WEIGHT = 0.5


@dataclass(frozen=True)
class Judged:
    """The probabilities of the passages an answer cites, in the reader's order.

    Attributes:
        positions: Their shortlist positions, best first.
        inputs: Each feature of :data:`retrieval.confidence.FEATURES`, one value per passage.
        probabilities: Each one's probability of answering, from its own inputs.
        shown: As cards show them: none above the card before it (the order stands).
        threshold: The first passage's head's abstention threshold.
    """

    positions: np.ndarray
    inputs: dict[str, np.ndarray]
    probabilities: np.ndarray
    shown: tuple[float, ...]
    threshold: float

    @property
    def abstains(self) -> bool:
        """True when nothing was found, or the first passage is less likely than the
        threshold to answer."""
        return not self.shown or self.shown[0] < self.threshold


def confidence_units(
    version: IndexVersion,
    shortlist: Shortlist,
    position: int,
    weights: dict[str, float],
    count: int,
) -> np.ndarray:
    """The ``count`` sentences of the passage at ``position`` the cross-encoder reads for its
    probability: the best by cosine plus the weighted share of the question's words each
    holds, weighed by the language. Unlike the reader's own choice (weighed by the index),
    it does not depend on what else is indexed."""
    units = shortlist.sentences.units[position]
    if not len(units):
        return units
    tokenizer = version.sparse.tokenizer
    text = version.documents[version.chunks[shortlist.rows[position]].doc_id].text
    starts, ends = version.units.start, version.units.end
    overlap = np.array([covered(weights, set(tokenizer(text[starts[u] : ends[u]]))) for u in units])
    score = shortlist.sentences.cosines[position] + LEXICAL_WEIGHT * overlap
    return units[np.argsort(-score, kind="stable")[:count]]


def passage_inputs(
    version: IndexVersion,
    shortlist: Shortlist,
    reading: Reading,
    positions: Sequence[int] | np.ndarray,
    question: str,
    logits: Callable[[np.ndarray], np.ndarray | None],
    sentences: int,
    needs_logit: Sequence[bool] | None = None,
) -> dict[str, np.ndarray]:
    """The confidence inputs of the shortlist's passages at ``positions`` for ``question``
    (the question as read, with the earlier questions a follow-up leans on). ``logits``
    gives the cross-encoder's logits of sentences the reader did not read (None: no
    cross-encoder; every ``logit`` is then NaN); ``sentences``: how many of each passage's
    sentences it reads (:func:`confidence_units`); ``needs_logit``: which positions need
    the logit at all (default: every one; the others' is NaN, and costs nothing)."""
    tokenizer = version.sparse.tokenizer
    weights = question_weights(tokenizer, question)
    at = np.asarray(positions, dtype=np.int64)
    cosines = shortlist.sentences.cosines
    needs = [True] * len(at) if needs_logit is None else list(needs_logit)
    empty = np.zeros(0, dtype=np.int64)
    wanted = [
        confidence_units(version, shortlist, int(p), weights, sentences) if need else empty
        for p, need in zip(at, needs, strict=True)
    ]
    known = dict(zip(reading.units.tolist(), reading.logits.tolist(), strict=True))
    missing = np.array(
        sorted({int(u) for units in wanted for u in units} - set(known)), dtype=np.int64
    )
    found = logits(missing) if len(missing) else np.zeros(0)
    if found is None:
        best = np.full(len(at), np.nan)
    else:
        known.update(
            zip(missing.tolist(), np.asarray(found, dtype=np.float64).tolist(), strict=True)
        )
        best = np.array(
            [max((known[int(u)] for u in units), default=np.nan) for units in wanted],
            dtype=np.float64,
        )
    names = question_names(question)
    documents = [version.chunks[shortlist.rows[p]].doc_id for p in at]
    named: dict[str, float] = {}
    for d in set(documents):
        document = version.documents[d]
        # A question that names nothing needs no document's words built.
        named[d] = named_share(names, document.text, document.words) if names else 1.0
    return {
        "logit": best,
        "sentence": np.array(
            [float(cosines[p].max()) if len(cosines[p]) else 0.0 for p in at], dtype=np.float64
        ),
        "chunk": np.asarray(shortlist.chunk_cos, dtype=np.float64)[at],
        "coverage": np.array(
            [covered(weights, set(tokenizer(version.chunks[shortlist.rows[p]].text))) for p in at],
            dtype=np.float64,
        ),
        "named": np.array([named[d] for d in documents], dtype=np.float64),
    }


def judge(
    version: IndexVersion,
    shortlist: Shortlist,
    reading: Reading,
    k: int,
    question: str,
    model: ConfidenceModel,
    *,
    logits: Callable[[np.ndarray], np.ndarray | None],
    reads: bool = True,
    threshold: float | None = None,
) -> Judged:
    """The probabilities of the first ``k`` passages the reader put first, and the decision.

    When the cross-encoder reads (``reads``) the ``reader`` heads judge, else (the fast
    path) the ``first_stage`` heads; the first card by the first-card head, the others by its
    ``_lower`` twin. A card whose head reads the logit but that has no sentence to read is
    judged by the first-stage head of its place. The first card's head's threshold decides,
    unless ``threshold`` overrides it.
    """
    positions = np.asarray(reading.order[:k], dtype=np.int64)
    places = [model.reader if i == 0 else model.reader_lower for i in range(len(positions))]
    needs = [reads and "logit" in head.features for head in places]
    inputs = passage_inputs(
        version, shortlist, reading, positions, question, logits, model.sentences, needs
    )
    heads: list[Head] = []
    for i, need in enumerate(needs):
        fallback = model.first_stage if i == 0 else model.first_stage_lower
        if not reads or (need and not np.isfinite(inputs["logit"][i])):
            heads.append(fallback)
        else:
            heads.append(places[i])
    probabilities = np.array(
        [
            float(
                head.probabilities(
                    {name: np.nan_to_num(values[i : i + 1]) for name, values in inputs.items()}
                )[0]
            )
            for i, head in enumerate(heads)
        ]
    )
    return Judged(
        positions=positions,
        inputs=inputs,
        probabilities=probabilities,
        shown=tuple(non_increasing([float(p) for p in probabilities])),
        threshold=(heads[0] if heads else model.reader).threshold
        if threshold is None
        else threshold,
    )
