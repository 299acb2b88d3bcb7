"""What a caller may pass to a question: the question, ``k`` and the conversation's history,
each checked before any work starts, with a message that says what is wrong."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from ingest.errors import InvalidInputError
from retrieval.types import Answer, Passage

MAX_QUESTION_CHARS = 2000
MAX_K = 50
#: The longest passage a history may carry (docqa's own passages hold at most 800 characters).
MAX_PASSAGE_CHARS = 10_000
#: The most earlier turns a history may carry.
MAX_TURNS = 1_000
#: C0 and C1 control characters other than tab and line breaks (NUL, ESC, DEL...).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: Lone surrogates: what undecodable bytes in a command-line argument turn into.
_SURROGATE = re.compile("[\ud800-\udfff]")


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


def validate_history(history: object) -> tuple[Answer, ...]:
    """Return ``history`` as a tuple of :class:`Answer`, or raise saying what is wrong.

    Every field a follow-up reads is checked as a question would be: each turn's question
    (text, not empty, at most :data:`MAX_QUESTION_CHARS`, no control characters or lone
    surrogates), its passages (:class:`Passage` objects whose text, offsets and highlights
    agree, at most :data:`MAX_PASSAGE_CHARS` each) and ``abstained``.

    Raises:
        InvalidInputError: ``history`` is not a list or tuple of the ``Answer`` objects that
            ``ask()`` returned (oldest first), or one of their fields is not what ``ask()``
            returns; the message names the turn and the field.
    """
    if isinstance(history, str | bytes) or not isinstance(history, Sequence):
        raise InvalidInputError(
            f"history must be a list of the earlier turns' Answers (oldest first), not "
            f"{type(history).__name__}; pass the Answer objects ask() returned"
        )
    if len(history) > MAX_TURNS:
        raise InvalidInputError(
            f"history holds {len(history):,} turns; the limit is {MAX_TURNS:,} (only the last "
            "few are read)"
        )
    for n, turn in enumerate(history):
        if not isinstance(turn, Answer):
            raise InvalidInputError(
                f"history[{n}] is a {type(turn).__name__}, not an Answer; history holds the "
                "Answer objects ask() returned for the earlier questions, oldest first"
            )
        _check_turn(turn, f"history[{n}]")
    return tuple(history)


def _check_turn(turn: Answer, where: str) -> None:
    try:
        validate_question(turn.question)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{where}.question: {exc}") from None
    if not isinstance(turn.abstained, bool):
        raise InvalidInputError(f"{where}.abstained must be True or False")
    passages = turn.passages
    if isinstance(passages, str | bytes) or not isinstance(passages, Sequence):
        raise InvalidInputError(f"{where}.passages must be a list of Passage objects")
    if len(passages) > MAX_K:
        raise InvalidInputError(f"{where} holds {len(passages)} passages; at most {MAX_K}")
    for m, passage in enumerate(passages):
        if not isinstance(passage, Passage):
            raise InvalidInputError(
                f"{where}.passages[{m}] is a {type(passage).__name__}, not a Passage"
            )
        _check_passage(passage, f"{where}.passages[{m}]")


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_passage(passage: Passage, where: str) -> None:
    if not isinstance(passage.doc_id, str) or not isinstance(passage.text, str):
        raise InvalidInputError(f"{where}: doc_id and text must be text")
    if len(passage.text) > MAX_PASSAGE_CHARS:
        raise InvalidInputError(
            f"{where}.text is {len(passage.text):,} characters; the limit is {MAX_PASSAGE_CHARS:,}"
        )
    if _SURROGATE.search(passage.text):
        raise InvalidInputError(f"{where}.text holds bytes that are not valid UTF-8 text")
    start, end = passage.start, passage.end
    if (
        not _whole(start)
        or not _whole(end)
        or not 0 <= start <= end
        or end - start != len(passage.text)
    ):
        raise InvalidInputError(f"{where}: start and end must span its text")
    if not isinstance(passage.score, int | float) or not math.isfinite(passage.score):
        raise InvalidInputError(f"{where}.score must be a finite number")
    highlights = passage.highlights
    if isinstance(highlights, str | bytes) or not isinstance(highlights, Sequence):
        raise InvalidInputError(f"{where}.highlights must be a list of (start, end) pairs")
    for pair in highlights:
        if (
            not isinstance(pair, Sequence)
            or len(pair) != 2
            or not all(_whole(x) for x in pair)
            or not start <= pair[0] < pair[1] <= end
        ):
            raise InvalidInputError(
                f"{where}.highlights: {str(pair)[:40]} is not a span inside the passage"
            )
