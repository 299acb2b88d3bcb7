"""Stage 1: the question in its conversation, read once into what the later stages use."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ingest.index.sparse import Tokenizer
from retrieval.focus import focus
from retrieval.followup import FollowupSettings, Query, resolve
from retrieval.types import Answer


@dataclass(frozen=True)
class Resolved:
    """A question as the later stages see it.

    Attributes:
        question: The question as asked.
        search: What the first stage searches with: the question and the earlier turns it
            leans on (:class:`retrieval.followup.Query`; just the question when it stands
            alone).
        reading: What the reader reads: the question, after the earlier questions a
            follow-up leans on ("when was it built?" alone gives a cross-encoder nothing).
        terms: The content terms sentences and passages are checked against (a follow-up's
            own and its context questions').
    """

    question: str
    search: Query
    reading: str
    terms: tuple[str, ...]


def resolve_question(
    question: str,
    history: Sequence[Answer],
    tokenizer: Tokenizer,
    settings: FollowupSettings,
) -> Resolved:
    """``question`` after the turns in ``history`` (oldest first); a long question is read as
    what it asks (:func:`retrieval.focus.focus`).

    Raises:
        InvalidInputError: ``history`` is not a sequence of :class:`Answer`.

    Example:
        >>> resolve_question("When was it built?", [], tokenizer, FollowupSettings()).reading
        ... # doctest: +SKIP
        'When was it built?'
    """
    query = resolve(focus(question), history, tokenizer, settings)
    return Resolved(question, query, query.reading(), tuple(query.terms(tokenizer)))
