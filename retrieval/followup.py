"""Follow-up questions: how the earlier turns of a conversation inform the next search.

"When did that happen?" or "And its neighbours?" only mean something after an earlier
question. Without a language model, docqa reads such a question together with the turn
before it:

- it decides whether the question leans on that turn: a word that points back (``it``,
  ``that``, ``they``, ``there``...), an opening that continues (``and``, ``what about``), or
  hardly any content words of its own;
- if so, the search embeds the question with the previous turn's question and answer
  sentence at a lower weight (one blended vector), and adds the previous question's keyword
  scores at a lower weight to the question's own; a previous turn that was itself a
  follow-up passes its own context on, fainter;
- a question that stands on its own is searched exactly as without history, so an earlier,
  unrelated topic cannot drag its answer away.

Pure functions over the history and an embed/score callable: the resolve stage
(:mod:`retrieval.stages.resolve`) turns the history into a :class:`Query` once, and the first
stage (:mod:`retrieval.stages.first_stage`) searches with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ingest.errors import InvalidInputError
from ingest.index.sparse import Tokenizer
from retrieval.inputs import validate_history
from retrieval.relevance import question_terms
from retrieval.types import Answer

#: Words that point back to something said before.
POINTING_WORDS = frozenset(
    [
        "it",
        "its",
        "it's",
        "itself",
        "they",
        "them",
        "their",
        "theirs",
        "themselves",
        "this",
        "that",
        "these",
        "those",
        "he",
        "him",
        "his",
        "himself",
        "she",
        "her",
        "hers",
        "herself",
        "there",
        "then",
        "such",
        "former",
        "latter",
        "same",
    ]
)
#: Openings that continue the previous question ("And its neighbours?", "What about 1990?").
CONTINUING_OPENINGS = ("and ", "also ", "but ", "so ", "what about ", "how about ", "then ")
_WORD = re.compile(r"[\w']+")


@dataclass(frozen=True)
class FollowupSettings:
    """How much earlier turns weigh in the search of a question that leans on them.

    Attributes:
        enabled: Read the history at all (off: every question is searched alone).
        question_weight: Weight of the previous question's vector, relative to 1 for the
            question's own.
        answer_weight: Weight of the previous answer sentence's vector.
        keyword_weight: Weight of the previous question's BM25 scores, relative to 1.
        document_prior: Added to the fused score (0..1) of the passages of the document
            that answered the previous turn.
        decay: Factor applied to context handed on from turns further back.
        turns: Most earlier turns read (the last ones).
        max_content_terms: A question with at most this many content terms counts as a
            follow-up even without a pointing word.
        max_pointing_terms: A question with a pointing word counts as a follow-up only up
            to this many content terms (a long question names its own topic: "did the
            members repay their loans" needs no earlier turn).
    """

    enabled: bool = True
    question_weight: float = 0.3
    answer_weight: float = 0.15
    keyword_weight: float = 0.3
    document_prior: float = 0.2
    decay: float = 0.5
    turns: int = 3
    max_content_terms: int = 1
    max_pointing_terms: int = 4

    def __post_init__(self) -> None:
        weights = (
            self.question_weight,
            self.answer_weight,
            self.keyword_weight,
            self.document_prior,
            self.decay,
        )
        if any(not 0.0 <= w <= 1.0 for w in weights):
            raise InvalidInputError(
                "follow-up weights and decay must lie in 0..1 "
                f"(question={self.question_weight}, answer={self.answer_weight}, "
                f"keyword={self.keyword_weight}, prior={self.document_prior}, "
                f"decay={self.decay})"
            )
        if self.turns < 1 or min(self.max_content_terms, self.max_pointing_terms) < 0:
            raise InvalidInputError(
                f"turns={self.turns} must be at least 1 and "
                f"max_content_terms={self.max_content_terms} and "
                f"max_pointing_terms={self.max_pointing_terms} at least 0"
            )


@dataclass(frozen=True)
class Query:
    """What one search looks for: the question, and the earlier turns it leans on.

    Attributes:
        question: The question as asked.
        dense: ``(text, weight)`` pairs from earlier turns, blended into the question's
            vector (empty: the question stands alone).
        keyword: ``(text, weight)`` pairs from earlier turns, added to its BM25 scores.
        documents: ``(doc_id, bonus)`` pairs: documents that answered earlier turns, and
            what is added to the fused score of their passages.
    """

    question: str
    dense: tuple[tuple[str, float], ...] = ()
    keyword: tuple[tuple[str, float], ...] = ()
    documents: tuple[tuple[str, float], ...] = ()

    @property
    def follows(self) -> bool:
        """True when earlier turns inform this search."""
        return bool(self.dense or self.keyword or self.documents)

    def vector(self, embed: Callable[[Sequence[str]], np.ndarray]) -> np.ndarray:
        """The question's vector, blended with its context's (normalised)."""
        texts = [self.question, *(t for t, _ in self.dense)]
        vectors = embed(texts)
        if not self.dense:
            return np.asarray(vectors[0])
        weights = np.array([1.0, *(w for _, w in self.dense)], dtype=np.float32)
        blended = (weights[:, None] * vectors).sum(axis=0)
        norm = float(np.linalg.norm(blended))
        return (blended / norm if norm else blended).astype(np.float32)

    def keyword_scores(self, scores: Callable[[str], np.ndarray]) -> np.ndarray:
        """The question's keyword scores plus its context's, weighted."""
        if not self.keyword:
            return scores(self.question)
        total = np.asarray(scores(self.question), dtype=np.float64)
        for text, weight in self.keyword:
            total = total + weight * np.asarray(scores(text), dtype=np.float64)
        return total

    def with_prior(
        self, fused: np.ndarray, in_documents: Callable[[list[str]], np.ndarray], rows: np.ndarray
    ) -> np.ndarray:
        """``fused`` (scores of chunk ``rows``) plus the bonus of the earlier turns'
        documents; ``in_documents(ids)`` is the mask of all chunks in those documents."""
        if not self.documents or not len(rows):
            return fused
        bonus = np.zeros(len(rows))
        for doc_id, weight in self.documents:
            bonus = np.maximum(bonus, weight * in_documents([doc_id])[rows])
        return fused + bonus

    def reading(self) -> str:
        """The question as the second stage reads it: a follow-up after the earlier questions
        it leans on ("when was it built?" alone gives a cross-encoder nothing to match), the
        oldest first, as the conversation went, each on a line of its own (the cross-encoder
        reads a line break as a space; the names a question uses skip each line's first
        word: :mod:`retrieval.names`)."""
        return "\n".join([*(text for text, _ in reversed(self.keyword)), self.question])

    def terms(self, tokenizer: Tokenizer) -> list[str]:
        """Content terms that answers are checked against: the question's, and for a
        follow-up its context questions' too ("when did that happen?" alone names nothing)."""
        own = question_terms(tokenizer, self.question)
        if not self.keyword:
            return own
        extra = [t for text, _ in self.keyword for t in tokenizer.content_terms(text)]
        return own + [t for t in extra if t not in own]


def leans_on_context(question: str, tokenizer: Tokenizer, settings: FollowupSettings) -> bool:
    """True when ``question`` continues (``and ...``), points back (``that``, ``its``...)
    with at most ``settings.max_pointing_terms`` content terms, or names at most
    ``settings.max_content_terms`` content terms of its own."""
    lowered = question.strip().lower()
    if lowered.startswith(CONTINUING_OPENINGS):
        return True
    n_terms = len(set(tokenizer.content_terms(question)))
    if any(w in POINTING_WORDS for w in _WORD.findall(lowered)):
        return n_terms <= settings.max_pointing_terms
    return n_terms <= settings.max_content_terms


def resolve(
    question: str,
    history: Sequence[Answer],
    tokenizer: Tokenizer,
    settings: FollowupSettings | None = None,
) -> Query:
    """The search for ``question`` after the turns in ``history`` (oldest first).

    Raises:
        InvalidInputError: ``history`` is not a sequence of :class:`Answer`.

    Example:
        >>> first = ask("Who built the first telescope?")  # doctest: +SKIP
        >>> resolve("When was that?", [first], tokenizer).follows  # doctest: +SKIP
        True
    """
    history = validate_history(history)
    settings = settings or FollowupSettings()
    if not settings.enabled or not history:
        return Query(question)
    # Each earlier turn's own context, oldest first: a follow-up hands its context on.
    context = Query("")
    for turn in history[-settings.turns :]:
        context = _turn_query(turn, context, tokenizer, settings)
    if not leans_on_context(question, tokenizer, settings):
        return Query(question)
    return replace(context, question=question)


def _turn_query(
    turn: Answer, before: Query, tokenizer: Tokenizer, settings: FollowupSettings
) -> Query:
    """The context an earlier ``turn`` gives the next question (``before``: its own)."""
    dense: list[tuple[str, float]] = [(turn.question, settings.question_weight)]
    sentence = turn.answer_sentence
    if sentence:
        dense.append((sentence, settings.answer_weight))
    keyword: list[tuple[str, float]] = [(turn.question, settings.keyword_weight)]
    documents: list[tuple[str, float]] = []
    if not turn.abstained and turn.passages and settings.document_prior:
        documents.append((turn.passages[0].doc_id, settings.document_prior))
    if before.follows and leans_on_context(turn.question, tokenizer, settings):
        dense += [(t, w * settings.decay) for t, w in before.dense]
        keyword += [(t, w * settings.decay) for t, w in before.keyword]
        documents += [(d, w * settings.decay) for d, w in before.documents]
    return Query(turn.question, tuple(dense), tuple(keyword), tuple(documents))
