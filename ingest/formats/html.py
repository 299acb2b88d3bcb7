"""Read HTML files with Beautiful Soup: title, h1-h6 as sections, no scripts or navigation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.errors import UnsupportedFileError
from ingest.formats.blocks import Block, assemble, clean_inline
from ingest.formats.document import Document

#: Elements whose content is never document text.
DROPPED = frozenset(
    ["script", "style", "nav", "noscript", "template", "svg", "canvas", "iframe", "head"]
)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
#: Elements that end the current paragraph where they start and where they end.
_BLOCK = frozenset(
    {
        *("address", "article", "aside", "blockquote", "body", "dd", "details", "dialog"),
        *("div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "header"),
        *("hr", "li", "main", "ol", "p", "section", "summary", "ul"),
    }
)


def _table(table: Any) -> str:
    rows = []
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is not table:
            continue  # a nested table's rows are read as part of its cell
        cells = [
            " ".join(clean_inline(c.get_text(" ")).split())
            for c in tr.find_all(["td", "th"])
            if c.find_parent("tr") is tr
        ]
        cells = [c for c in cells if c]
        if cells:
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _blocks(root: Any) -> Iterator[Block]:
    """Walk the tree in document order (iteratively: pages can nest deeply)."""
    from bs4 import NavigableString, Tag
    from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

    skipped = (Comment, Declaration, Doctype, ProcessingInstruction)
    inline: list[str] = []

    def flush() -> Iterator[Block]:
        text = clean_inline("".join(inline))
        inline.clear()
        if text:
            yield Block(text)

    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if isinstance(node, NavigableString):
            if not isinstance(node, skipped):
                inline.append(str(node).replace("\n", " "))
            continue
        if not isinstance(node, Tag):
            continue
        name = node.name.lower()
        if leaving:
            if name in _BLOCK:
                yield from flush()
            continue
        if name in DROPPED:
            continue
        if name == "br":
            inline.append("\n")
        elif name in _HEADINGS:
            yield from flush()
            yield Block(node.get_text(" "), _HEADINGS[name])
        elif name == "pre":
            yield from flush()
            yield Block("\n".join(line.rstrip() for line in node.get_text().split("\n")))
        elif name == "table":
            yield from flush()
            yield Block(_table(node))
        else:
            if name in _BLOCK:
                yield from flush()
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.contents))
    yield from flush()


def html_blocks(data: bytes | str) -> tuple[str, list[Block]]:
    """The ``<title>`` of an HTML page and its body as blocks (h1-h6 as heading blocks).

    Scripts, styles, navigation and other non-text elements are dropped; a mail's HTML body
    is read by the same rules (:mod:`ingest.formats.eml`).
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")
    title_tag = soup.find("title")
    page_title = " ".join(title_tag.get_text().split()) if title_tag else ""
    return page_title, list(_blocks(soup.body or soup))


def load_html(path: Path, doc_id: str, data: bytes) -> Document:
    """Load an HTML page: body text in reading order, h1-h6 as the section path.

    The title is ``<title>``, else the first top-level heading, else the file name.
    Scripts, styles, navigation and other non-text elements are dropped.

    Raises:
        UnsupportedFileError: the file is binary.
    """
    if b"\x00" in data[:8192]:
        raise UnsupportedFileError(f"{path}: looks like a binary file, not HTML")
    page_title, blocks = html_blocks(data)
    text, sections, headings = assemble(blocks)
    first = min((level for level, _ in headings), default=0)
    heading = next((h for level, h in headings if level == first), "")
    return Document(doc_id, page_title or heading or path.stem, str(path), "html", text, sections)
