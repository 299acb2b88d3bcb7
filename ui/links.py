"""Links to a place in a document: what the viewer opens, written as the chat page's query.

A place is a document and a span of its extracted text (the character offsets every citation
uses), or a page of a PDF. The link is the chat's own address with the place in its query, so
anyone served the same index can open it::

    /?doc=kazakhstan-brics-refusal.md&start=1204&end=1990&hl=1204-1377
    /?doc=report.pdf&start=5120&end=5800&hl=5200-5310&pg=3&show=page
    /?doc=report.pdf&pg=3
    /?doc=notes.md&start=1204

``doc`` is the document id; ``start``/``end`` the passage (``end`` left out: the indexed
passage holding ``start``); ``hl`` the answering sentence; ``pg`` a PDF page and ``show``
``text`` or ``page`` (Gradio itself reads ``page`` and ``view`` in a page's query). Inside
the chat, citations and cards link to ``?turn=T&n=N`` (passage ``N`` of the conversation's
answer ``T``, which also gives previous/next), so the chat's own markup never carries a
document's id or text in an attribute; ``before``/``after`` say how much text around the
passage the viewer shows. A shared link names the document instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

from ingest.errors import InvalidInputError

View = Literal["text", "page"]
VIEWS: tuple[View, ...] = ("text", "page")
#: Characters of text shown on each side of a passage unless a link asks for more.
DEFAULT_CONTEXT = 3_000
#: The most a link may ask for on one side: the viewer never sends a whole long document.
MAX_CONTEXT = 100_000
#: The most of a link's passage (``start`` to ``end``) the viewer shows: docqa's own passages
#: hold at most 800 characters, and a link naming a whole long document gets its start.
MAX_PASSAGE = 10_000
#: A number in a link: ASCII digits only (``isdigit`` also takes "²" and other scripts'
#: digits), and few enough that ``int`` never meets its digit limit.
_DIGITS = re.compile(r"[0-9]{1,15}")
_NUMBER = re.compile(r"-?[0-9]{1,15}")


@dataclass(frozen=True)
class Place:
    """Where the viewer opens.

    Attributes:
        doc_id: The document id (None: the passage ``number`` of answer ``turn``).
        start: First character of the passage (None: a page without a passage).
        end: End of the passage (None: the indexed passage holding ``start``).
        highlight: The answering sentence's ``(start, end)``, if any.
        page: A PDF page number (1-based).
        view: ``text`` or ``page`` (None: the page image for PDFs, else the text).
        turn: Which answer of the conversation the place comes from (chat only).
        number: Which passage of that answer, 1-based (chat only).
        before: Characters of text shown before the passage.
        after: Characters of text shown after it.
    """

    doc_id: str | None = None
    start: int | None = None
    end: int | None = None
    highlight: tuple[int, int] | None = None
    page: int | None = None
    view: View | None = None
    turn: int | None = None
    number: int | None = None
    before: int = DEFAULT_CONTEXT
    after: int = DEFAULT_CONTEXT

    def shared(self) -> Place:
        """The place without what only makes sense inside one conversation."""
        return replace(self, turn=None, number=None, before=DEFAULT_CONTEXT, after=DEFAULT_CONTEXT)


def _shown(raw: str) -> str:
    """A link's value as an error message quotes it: at most 40 characters."""
    return repr(raw if len(raw) <= 40 else raw[:40] + "...")


def _whole(raw: str, key: str) -> int:
    """``raw`` as a number written in ASCII digits (no other script's digits, at most 15)."""
    if not _NUMBER.fullmatch(raw):
        raise InvalidInputError(f"{key}={_shown(raw)} in the link is not a whole number")
    return int(raw)


def _int(query: Mapping[str, str], key: str, *, low: int = 0) -> int | None:
    raw = query.get(key)
    if raw is None or raw == "":
        return None
    value = _whole(raw, key)
    if value < low:
        raise InvalidInputError(f"{key}={value} in the link is below {low}")
    return value


def _span(raw: str | None) -> tuple[int, int] | None:
    if not raw:
        return None
    a, sep, b = raw.partition("-")
    if not sep or not _DIGITS.fullmatch(a) or not _DIGITS.fullmatch(b) or int(b) <= int(a):
        raise InvalidInputError(f"hl={_shown(raw)} in the link is not START-END with START < END")
    return int(a), int(b)


def parse_place(query: Mapping[str, str]) -> Place | None:
    """The place a link's query names, or None when it names no document.

    Raises:
        InvalidInputError: a value is malformed (each message names the key and the value).
    """
    doc_id = query.get("doc") or None
    turn, number = _int(query, "turn"), _int(query, "n", low=1)
    if doc_id is None and (turn is None or number is None):
        return None
    view = query.get("show") or None
    if view is not None and view not in VIEWS:
        raise InvalidInputError(f"show={view!r} in the link must be one of: {', '.join(VIEWS)}")
    start, end = _int(query, "start"), _int(query, "end")
    page = _int(query, "pg", low=1)
    if doc_id is not None and start is None and (end is not None or page is None):
        raise InvalidInputError("the link needs start=OFFSET (or pg=N for a PDF page)")
    if start is not None and end is not None and end <= start:
        raise InvalidInputError(f"end={end} in the link must be after start={start}")
    context = {
        key: min(MAX_CONTEXT, value)
        for key in ("before", "after")
        if (value := _int(query, key)) is not None
    }
    return Place(
        doc_id=doc_id,
        start=start,
        end=end,
        highlight=_span(query.get("hl")),
        page=page,
        view=view,  # checked against VIEWS above
        turn=turn,
        number=number,
        **context,
    )


def parse_link(link: str) -> Place | None:
    """The place of a link (a whole address or just its ``?query``); see :func:`parse_place`."""
    return parse_place(dict(parse_qsl(urlsplit(link).query, keep_blank_values=True)))


def place_query(place: Place) -> str:
    """The ``?query`` of a link to ``place`` (keys in a fixed order; defaults left out)."""
    pairs: list[tuple[str, str | int]] = []
    if place.doc_id is not None:
        pairs.append(("doc", place.doc_id))
    if place.start is not None:
        pairs.append(("start", place.start))
    if place.end is not None:
        pairs.append(("end", place.end))
    if place.highlight is not None:
        pairs.append(("hl", f"{place.highlight[0]}-{place.highlight[1]}"))
    if place.page is not None:
        pairs.append(("pg", place.page))
    if place.view is not None:
        pairs.append(("show", place.view))
    if place.turn is not None:
        pairs.append(("turn", place.turn))
    if place.number is not None:
        pairs.append(("n", place.number))
    if place.before != DEFAULT_CONTEXT:
        pairs.append(("before", place.before))
    if place.after != DEFAULT_CONTEXT:
        pairs.append(("after", place.after))
    return "?" + urlencode(pairs)
