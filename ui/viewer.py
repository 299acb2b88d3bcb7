"""The document viewer beside the chat: a cited passage in its document, as text or as a page.

:func:`locate` turns a :class:`~ui.links.Place` (from a citation, a card or a shared link) into
a span of one document of the index; :func:`render_viewer` writes the viewer's HTML: title,
section path as a breadcrumb, page, previous/next passage of the answer, then the text around
the passage (the passage shaded, the answering sentence marked) or the page with boxes (a
PDF page, or a picture; on a page read by OCR the boxes are the OCR's own line boxes).
Only a window of text around the passage is sent (:data:`~ui.links.DEFAULT_CONTEXT`
characters a side, widened on request), so a long document costs no more than a short one.
Everything taken from a document is escaped.
"""

from __future__ import annotations

import base64
import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ingest.errors import InvalidInputError
from ingest.formats.document import Document, page_name
from ingest.index.store import IndexVersion
from retrieval.types import Answer, Passage
from ui.links import MAX_CONTEXT, MAX_PASSAGE, Place, View, place_query
from ui.ocr_page import page_image
from ui.pdf_page import PageUnavailableError
from ui.render import escape

#: How far a window edge may move to land on a line break (else on a space).
_SNAP = 300
#: Formats shown as pages: PDFs (rendered) and pictures (read by OCR).
_PAGED = ("pdf", "image")
#: An ATX heading line of Markdown: its marks, then its text (closing marks left out).
_MD_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*(?:[ \t]#+)?[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class Located:
    """A place made concrete in one document of the index.

    Attributes:
        place: The place asked for, with the document and offsets filled in.
        document: The document.
        passage: The passage's ``(start, end)`` (None: a whole page, nothing shaded).
        highlight: The answering sentence's ``(start, end)``, if any.
        page: The page holding the passage (PDFs), else None.
        section: The section path at the passage.
        view: What is shown: ``text`` or ``page``.
        siblings: The passages of the answer the place comes from (empty for a shared link).
    """

    place: Place
    document: Document
    passage: tuple[int, int] | None
    highlight: tuple[int, int] | None
    page: int | None
    section: tuple[str, ...]
    view: View
    siblings: tuple[Passage, ...] = ()


def _from_answer(place: Place, answers: Sequence[Answer]) -> tuple[Place, tuple[Passage, ...]]:
    """Fill ``place`` from passage ``number`` of answer ``turn`` when it names one."""
    if place.turn is None or place.number is None:
        return place, ()
    if place.turn >= len(answers) or place.number > len(answers[place.turn].passages):
        if place.doc_id is not None:
            return place, ()
        raise InvalidInputError(
            "this link points into another conversation; a shared link names the document "
            "(use the viewer's 'Copy link')"
        )
    passages = answers[place.turn].passages
    p = passages[place.number - 1]
    if place.doc_id is not None and (place.doc_id, place.start) != (p.doc_id, p.start):
        return place, ()
    filled = replace(
        place,
        doc_id=p.doc_id,
        start=p.start,
        end=p.end,
        highlight=p.highlights[0] if p.highlights else None,
        page=place.page if place.page is not None else p.page,
    )
    return filled, passages


def _passage_holding(version: IndexVersion, doc_id: str, offset: int) -> tuple[int, int] | None:
    """The span of the indexed passage of ``doc_id`` holding ``offset`` (chunks are in order)."""
    rows = np.flatnonzero(version.chunks.doc_rows == version.documents.row(doc_id))
    i = bisect.bisect_right(
        range(len(rows)), offset, key=lambda j: version.chunks[int(rows[j])].start
    )
    if i == 0:
        return None
    chunk = version.chunks[int(rows[i - 1])]
    return (chunk.start, chunk.end) if chunk.start <= offset < chunk.end else None


def _section_at(document: Document, offset: int) -> tuple[str, ...]:
    for section in document.sections:
        if section.start <= offset < section.end:
            return section.path
    return ()


def locate(place: Place, version: IndexVersion, answers: Sequence[Answer] = ()) -> Located:
    """Where ``place`` is in the index ``version`` (and the answer it comes from, if any).

    Raises:
        InvalidInputError: the document is not in the index, or the offsets or page do not
            lie in it; each message says which and what the document holds.
    """
    place, siblings = _from_answer(place, answers)
    doc_id = place.doc_id or ""
    if doc_id not in version.documents:
        raise InvalidInputError(
            f"the document {doc_id!r} is not in this index (removed, or another index); "
            "the documents are listed under 'Documents in the index'"
        )
    document = version.documents[doc_id]
    size = len(document.text)
    passage: tuple[int, int] | None = None
    if place.start is not None:
        if place.start >= size or (place.end is not None and place.end > size):
            raise InvalidInputError(
                f"characters {place.start}..{place.end or place.start} are past the end of "
                f"{document.title!r} ({size:,} characters); the document changed since the "
                "link was made"
            )
        if place.end is not None:  # a link's passage is shown up to MAX_PASSAGE characters
            passage = (place.start, min(place.end, place.start + MAX_PASSAGE))
        else:
            passage = _passage_holding(version, doc_id, place.start) or (place.start, place.start)
    anchor = passage[0] if passage else None
    page = place.page if place.page is not None else None
    if anchor is not None and page is None:
        page = document.page_at(anchor)
    if anchor is None or place.page is not None:  # a page asked for must exist
        pages = {p.number: p for p in document.pages}
        if place.page not in pages:
            unit = page_name(document.format)
            raise InvalidInputError(
                f"{document.title!r} has no {unit} {place.page} "
                f"({len(document.pages)} {unit}{'s' if len(document.pages) != 1 else ''})"
            )
        if anchor is None:
            anchor = pages[place.page].start
    highlight = place.highlight
    if highlight is not None and not 0 <= highlight[0] < highlight[1] <= size:
        highlight = None
    can_page = document.format in _PAGED and page is not None
    view: View = place.view or ("page" if can_page else "text")
    if view == "page" and not can_page:
        view = "text"
    return Located(
        place=place,
        document=document,
        passage=passage,
        highlight=highlight,
        page=page,
        section=_section_at(document, anchor),
        view=view,
        siblings=siblings,
    )


def text_window(text: str, start: int, end: int, *, before: int, after: int) -> tuple[int, int]:
    """The span of ``text`` shown around ``start..end``: up to ``before``/``after`` characters
    on each side, its edges moved to a line break (else a space) within a few hundred."""
    a, b = max(0, start - before), min(len(text), end + after)
    if a > 0:
        cut = text.find("\n", a, min(start, a + _SNAP))
        if cut < 0:
            cut = text.find(" ", a, min(start, a + _SNAP))
        a = cut + 1 if cut >= 0 else a
    if b < len(text):
        cut = text.rfind("\n", max(end, b - _SNAP), b)
        if cut < 0:
            cut = text.rfind(" ", max(end, b - _SNAP), b)
        b = cut if cut >= 0 else b
    return a, b


@dataclass(frozen=True)
class Heading:
    """A Markdown heading line shown as a heading: ``start..text`` are its ``#`` marks (not
    shown), ``text..end`` its words."""

    start: int
    text: int
    end: int
    level: int


def markdown_headings(document: Document, window: tuple[int, int]) -> list[Heading]:
    """The heading lines of a Markdown ``document`` inside ``window``.

    Only lines between sections are looked at (a section's span never holds its heading
    line), so a ``# comment`` in a code block stays text.
    """
    if document.format != "md":
        return []
    a, b = window
    gaps, cursor = [], 0
    for section in document.sections:
        gaps.append((cursor, section.start))
        cursor = section.end
    gaps.append((cursor, len(document.text)))
    found = []
    for start, end in gaps:
        start, end = max(start, a), min(end, b)
        if start >= end:
            continue
        for match in _MD_HEADING.finditer(document.text, start, end):
            if match.group(2):
                level = len(match.group(1))
                found.append(Heading(match.start(), match.start(2), match.end(2), level))
    return found


def marked_text(text: str, window: tuple[int, int], located: Located) -> str:
    """``text[window]`` escaped: the passage in a shaded span, the sentence in ``<mark>``, an
    empty ``dq-vtarget`` span where the passage (or the page) starts, to scroll to, and
    Markdown heading lines shown as headings (their ``#`` marks hidden)."""
    a, b = window
    anchor = max(a, min(b, _anchor(located)))
    cuts = {a, b, anchor}
    for span in (located.passage, located.highlight):
        if span is not None:
            cuts.update(x for x in span if a < x < b)
    headings = markdown_headings(located.document, window)
    for heading in headings:
        cuts.update((heading.start, heading.text, heading.end))
    points = sorted(cuts)
    out = []
    for s, e in itertools.pairwise(points):
        if s == anchor:
            out.append('<span class="dq-vtarget"></span>')
        piece = escape(text[s:e])
        for heading in headings:
            if heading.start <= s and e <= heading.text:
                piece = f'<span class="dq-vmarks" aria-hidden="true">{piece}</span>'
            elif heading.text <= s and e <= heading.end:
                piece = f'<span class="dq-vh dq-vh{heading.level}">{piece}</span>'
        if located.highlight and located.highlight[0] <= s and e <= located.highlight[1]:
            piece = f"<mark>{piece}</mark>"
        if located.passage and located.passage[0] <= s and e <= located.passage[1]:
            piece = f'<span class="dq-vpassage">{piece}</span>'
        out.append(piece)
    if anchor == b:
        out.append('<span class="dq-vtarget"></span>')
    return "".join(out)


def _anchor(located: Located) -> int:
    if located.passage is not None:
        return located.passage[0]
    pages = {p.number: p.start for p in located.document.pages}
    return pages.get(located.page or 0, 0)


def _link(place: Place, label: str, css: str, *, title: str = "") -> str:
    tip = f' title="{escape(title)}"' if title else ""
    return f'<a class="dq-open {css}" href="{escape(place_query(place))}"{tip}>{label}</a>'


def _text_body(located: Located) -> str:
    text, place = located.document.text, located.place
    anchor = _anchor(located)
    end = located.passage[1] if located.passage else anchor
    a, b = text_window(text, anchor, end, before=place.before, after=place.after)
    body = marked_text(text, (a, b), located)
    if a > 0:
        wider = replace(place, before=min(MAX_CONTEXT, place.before * 3), view="text")
        body = _link(wider, f"▴ Show earlier text ({a:,} characters before)", "dq-earlier") + body
    if b < len(text):
        wider = replace(place, after=min(MAX_CONTEXT, place.after * 3), view="text")
        more = f"▾ Show later text ({len(text) - b:,} characters after)"
        body += _link(wider, more, "dq-later")
    return f'<div class="dq-vbody dq-vtextview"><div class="dq-vtext">{body}</div></div>'


def _page_body(located: Located) -> str | None:
    page = located.page or 1
    try:
        image = page_image(located.document, page, located.passage, located.highlight)
    except PageUnavailableError:
        return None
    boxes = "".join(
        f'<div class="dq-pdfbox dq-pdf-{box.kind}{" dq-vtarget" if n == 0 else ""}" '
        f'style="left:{box.left:.4%};top:{box.top:.4%};width:{box.width:.4%};'
        f'height:{box.height:.4%}"></div>'
        for n, box in enumerate(sorted(image.boxes, key=lambda x: x.kind == "passage"))
    )
    source = base64.b64encode(image.png).decode("ascii")
    return (
        '<div class="dq-vbody dq-vpageview">'
        f'<div class="dq-pdfpage" style="aspect-ratio:{image.width}/{image.height}">'
        f'<img alt="page {page}" src="data:image/png;base64,{source}">{boxes}</div>'
        f'<div class="dq-vcaption">page {page} of {image.page_count}</div></div>'
    )


def _navigation(located: Located) -> str:
    place, siblings = located.place, located.siblings
    links = []
    if siblings and place.number is not None:
        n, total = place.number, len(siblings)
        links.append(f'<span class="dq-vpos">passage {n} of {total}</span>')
        for target, label, css in ((n - 1, "◂ Previous", "dq-prev"), (n + 1, "Next ▸", "dq-next")):
            if 1 <= target <= total:
                # The passage's own document and offsets too: the link then also opens in a
                # new tab, which has no conversation.
                sibling = siblings[target - 1]
                step = Place(
                    sibling.doc_id,
                    sibling.start,
                    sibling.end,
                    sibling.highlights[0] if sibling.highlights else None,
                    view=place.view,
                    turn=place.turn,
                    number=target,
                )
                tip = f"passage {target} of the answer"
                links.append(_link(step, label, css, title=tip))
            else:
                links.append(f'<span class="dq-disabled {css}">{label}</span>')
    if located.document.format in _PAGED and located.page is not None:
        for view, label in (("page", "Page"), ("text", "Text")):
            if view == located.view:
                links.append(f'<span class="dq-vcurrent dq-view-{view}">{label}</span>')
            else:
                links.append(_link(replace(place, view=view), label, f"dq-view-{view}"))  # type: ignore[arg-type]
    return f'<div class="dq-vnav">{"".join(links)}</div>'


def _share(located: Located) -> str:
    place = located.place
    shared = replace(
        place.shared(),
        highlight=located.highlight,
        page=located.page if located.view == "page" or located.passage is None else None,
    )
    query = escape(place_query(shared))
    return (
        '<div class="dq-vshare"><span>Link to this place:</span> '
        f'<a class="dq-share" href="{query}" target="_blank" rel="noopener">{query}</a>'
        '<button type="button" class="dq-copy dq-copy-link">Copy link</button>'
        f'<span class="dq-copy-text" hidden>{query}</span></div>'
    )


def render_viewer(located: Located) -> str:
    """The viewer's HTML for ``located`` (text window or PDF page, header, navigation, link)."""
    document = located.document
    path = located.section
    if len(path) > 1 and path[0] == document.title:
        path = path[1:]
    crumbs = "".join(f'<span class="dq-crumb">{escape(part)}</span>' for part in path)
    meta = [f'<span class="dq-vdoc">{escape(document.doc_id)}</span>']
    if located.page is not None:
        meta.append(f'<span class="dq-vpage">{page_name(document.format)} {located.page}</span>')
    body = _page_body(located) if located.view == "page" else None
    note = ""
    if located.view == "page" and body is None:
        note = (
            '<p class="dq-vnote">The page image cannot be shown (the file is missing or '
            "unreadable on the server); showing its extracted text.</p>"
        )
    if body is None:
        body = _text_body(located)
    return (
        '<div class="dq-viewer">'
        f'<div class="dq-vhead"><div class="dq-vtitle">{escape(document.title)}</div>'
        f'<nav class="dq-crumbs" aria-label="Section">{crumbs}</nav>'
        f'<div class="dq-vmeta">{" · ".join(meta)}</div>{_navigation(located)}</div>'
        f"{note}{body}{_share(located)}</div>"
    )


def render_viewer_error(message: str) -> str:
    """The viewer saying why a place cannot be shown."""
    return f'<div class="dq-viewer"><p class="dq-error">⚠ {escape(message)}</p></div>'
