"""A PDF page as an image, with boxes over the lines of a passage and of its answering sentence.

The page is rendered locally with pypdfium2. To place the boxes, the text docqa extracted (with
pypdf) is searched for in pdfium's own text of the page: both sides are compared without
whitespace, hyphens or case, so line breaks, hyphenation and spacing differences between the
two extractors do not matter. The matched characters' rectangles are merged line by line.
When the text is not found (the file changed since it was indexed, an odd font), the page is
shown without boxes; nothing here makes the viewer fail. A page read by OCR has no text to
search: its boxes are given (:mod:`ui.ocr_page` makes them from the document's line boxes).
"""

from __future__ import annotations

import functools
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ingest.formats.pdf_pictures import PDFIUM_LOCK

#: Width of the rendered page image, in pixels (less for a page too tall or too big for the
#: caps below).
PAGE_WIDTH_PX = 900
#: The longest side and the most pixels a page image may have, whatever the page's shape (a
#: 3 x 2,000 pt page scaled to 900 px wide would be 600,000 px tall).
MAX_SIDE_PX = 4_000
MAX_PIXELS = 4_000_000
#: Characters dropped before comparing texts: they differ between extractors.
_IGNORED = frozenset("-\u2010\u2011\u2012\u2013\u2014\u00ad")
#: pdfium is not thread-safe; the chat answers several requests at once while an upload's
#: ingest may render scanned pages: one lock for both.
_PDFIUM = PDFIUM_LOCK

BoxKind = Literal["passage", "sentence"]


@dataclass(frozen=True)
class Box:
    """A highlighted line on the page, as fractions (0..1) of the page's width and height.

    Attributes:
        kind: ``passage`` (the cited passage) or ``sentence`` (the answering sentence).
        left, top, width, height: Position from the page's top-left corner.
    """

    kind: BoxKind
    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class PageImage:
    """One rendered page.

    Attributes:
        png: The page as a PNG image.
        width, height: The image's size in pixels.
        page_count: Pages in the file.
        boxes: The highlighted lines (empty when the text was not found on the page).
    """

    png: bytes
    width: int
    height: int
    page_count: int
    boxes: tuple[Box, ...]


class PageUnavailableError(LookupError):
    """The page cannot be shown (no such file or page, or not a readable PDF)."""


def _key(text: str) -> tuple[str, list[int]]:
    """``text`` without whitespace or hyphens, NFKC-normalised and case-folded, with the index
    in ``text`` of each character kept."""
    chars: list[str] = []
    where: list[int] = []
    for i, raw in enumerate(text):
        for c in unicodedata.normalize("NFKC", raw).casefold():
            if c.isspace() or c in _IGNORED or not c.isprintable():
                continue
            chars.append(c)
            where.append(i)
    return "".join(chars), where


def find_text(page_text: str, needle: str) -> tuple[int, int] | None:
    """The ``(first, last)`` character indexes of ``needle`` in ``page_text``, or None.

    Whitespace, hyphens and case are ignored on both sides (see the module docstring).
    """
    haystack, where = _key(page_text)
    key, _ = _key(needle)
    if not key:
        return None
    at = haystack.find(key)
    if at < 0:
        return None
    return where[at], where[at + len(key) - 1]


def line_boxes(
    rects: list[tuple[float, float, float, float]], page_width: float, page_height: float
) -> list[tuple[float, float, float, float]]:
    """Character rectangles ``(left, bottom, right, top)`` in PDF points merged into lines,
    returned as ``(left, top, width, height)`` fractions of the page from its top-left."""
    lines: list[list[float]] = []
    for left, bottom, right, top in rects:
        if right <= left or top <= bottom:
            continue
        if lines:
            line = lines[-1]
            middle = (bottom + top) / 2
            if line[1] <= middle <= line[3] and left >= line[0] - 1:
                line[:] = [
                    min(line[0], left),
                    min(line[1], bottom),
                    max(line[2], right),
                    max(line[3], top),
                ]
                continue
        lines.append([left, bottom, right, top])
    return [
        (
            a / page_width,
            (page_height - t) / page_height,
            (c - a) / page_width,
            (t - b) / page_height,
        )
        for a, b, c, t in lines
    ]


def _boxes(textpage: Any, kind: BoxKind, needle: str, size: tuple[float, float]) -> list[Box]:
    count = textpage.count_chars()
    text = textpage.get_text_range()
    if len(text) != count:  # characters outside the BMP: read them one by one
        text = "".join(textpage.get_text_range(index=i, count=1)[:1] or " " for i in range(count))
    found = find_text(text, needle)
    if found is None:
        return []
    rects = [
        textpage.get_charbox(i, loose=True)
        for i in range(found[0], found[1] + 1)
        if not text[i].isspace()
    ]
    return [Box(kind, *box) for box in line_boxes(rects, *size)]


def render_scale(width: float, height: float) -> float:
    """Pixels per point for a ``width`` x ``height`` pt page: :data:`PAGE_WIDTH_PX` wide,
    unless that breaks :data:`MAX_SIDE_PX` or :data:`MAX_PIXELS`.

    Raises:
        PageUnavailableError: the page has no area.
    """
    if not (width > 0 and height > 0):
        raise PageUnavailableError(f"the page measures {width:g} x {height:g} points")
    return min(
        PAGE_WIDTH_PX / width,
        MAX_SIDE_PX / max(width, height),
        (MAX_PIXELS / (width * height)) ** 0.5,
    )


@functools.lru_cache(maxsize=16)
def _render(
    path: str,
    mtime_ns: int,
    page_number: int,
    passage: str,
    sentence: str,
    given: tuple[Box, ...] | None,
) -> PageImage:
    import pypdfium2 as pdfium

    with _PDFIUM:
        try:
            pdf = pdfium.PdfDocument(path)
        except (pdfium.PdfiumError, OSError) as exc:
            raise PageUnavailableError(f"{Path(path).name} cannot be opened ({exc})") from exc
        try:
            count = len(pdf)
            if not 1 <= page_number <= count:
                raise PageUnavailableError(f"{Path(path).name} has no page {page_number}")
            page = pdf[page_number - 1]
            width, height = page.get_size()
            if given is not None:
                boxes = list(given)
            else:
                textpage = page.get_textpage()
                boxes = _boxes(textpage, "passage", passage, (width, height)) if passage else []
                if sentence:
                    boxes += _boxes(textpage, "sentence", sentence, (width, height))
            image = page.render(scale=render_scale(width, height)).to_pil()
            buffer = io.BytesIO()
            image.save(buffer, format="PNG", optimize=True)
            return PageImage(buffer.getvalue(), image.width, image.height, count, tuple(boxes))
        finally:
            pdf.close()


def render_page(
    source: str | Path,
    page_number: int,
    *,
    passage: str = "",
    sentence: str = "",
    boxes: tuple[Box, ...] | None = None,
) -> PageImage:
    """Page ``page_number`` (1-based) of the PDF at ``source``, with boxes over ``passage`` and
    ``sentence`` where their text is found on the page (or the ``boxes`` given, for a page
    read by OCR: no text is searched then).

    Raises:
        PageUnavailableError: the file is missing or unreadable, or has no such page.

    Example:
        >>> image = render_page("report.pdf", 3, sentence="Revenue grew by 4%.")  # doctest: +SKIP
        >>> [box.kind for box in image.boxes]  # doctest: +SKIP
        ['sentence']
    """
    path = Path(source)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise PageUnavailableError(f"the PDF is no longer at {path}") from exc
    return _render(str(path), mtime, page_number, passage, sentence, boxes)
