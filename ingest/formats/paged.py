"""A paginated document's text from its pages' texts: pages as spans, OCR lines as boxes."""

from __future__ import annotations

from collections.abc import Sequence

from ingest.formats.document import Page, PageBox
from ingest.formats.ocr.layout import PageText


def join_pages(
    texts: Sequence[str | PageText],
) -> tuple[str, tuple[Page, ...], tuple[PageBox, ...]]:
    """Join page texts (a text layer's, or OCR's with its lines) into one text.

    Non-empty pages are separated by a blank line; every page, empty or not, gets its
    :class:`Page` span (numbered from 1), and every OCR line a :class:`PageBox` with offsets
    into the joined text.

    Example:
        >>> text, pages, boxes = join_pages(["One.", "", "Two."])
        >>> text, [(p.number, p.start, p.end) for p in pages]
        ('One.\\n\\nTwo.', [(1, 0, 4), (2, 4, 4), (3, 6, 10)])
    """
    parts: list[str] = []
    pages: list[Page] = []
    boxes: list[PageBox] = []
    pos = 0
    for number, item in enumerate(texts, 1):
        text = item.text if isinstance(item, PageText) else item
        if text and pos:
            parts.append("\n\n")
            pos += 2
        pages.append(Page(number, pos, pos + len(text)))
        if isinstance(item, PageText):
            boxes.extend(PageBox(number, pos + s.start, pos + s.end, *s.box) for s in item.lines)
        parts.append(text)
        pos += len(text)
    return "".join(parts), tuple(pages), tuple(boxes)
