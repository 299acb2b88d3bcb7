"""Assemble a document's text from ordered blocks (paragraphs and headings) with sections.

Structured formats (DOCX, HTML) are read into :class:`Block` objects first; this module
turns them into one text, blocks separated by blank lines, and the section spans of the
body text under each heading path. Heading lines are part of the text but, as in Markdown,
lie outside every section span, so chunks hold body text only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ingest.formats.document import Section

_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


@dataclass(frozen=True)
class Block:
    """One paragraph-like unit of a document.

    Attributes:
        text: The block's text (may hold single line breaks, e.g. table rows).
        heading: ``None`` for body text, else the heading level (1 = top).
    """

    text: str
    heading: int | None = None


def clean_inline(text: str) -> str:
    """Collapse runs of spaces, strip each line, drop empty lines."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def assemble(blocks: Iterable[Block]) -> tuple[str, tuple[Section, ...], list[tuple[int, str]]]:
    """Join blocks into ``(text, sections, headings)``.

    ``headings`` lists ``(level, heading text)`` in document order (loaders pick titles
    from it). Empty blocks are skipped.

    Example:
        >>> text, sections, _ = assemble([Block("Intro", 1), Block("Hello.")])
        >>> text, [(s.path, text[s.start:s.end]) for s in sections]
        ('Intro\\n\\nHello.', [(('Intro',), 'Hello.')])
    """
    parts: list[str] = []
    sections: list[Section] = []
    headings: list[tuple[int, str]] = []
    stack: list[tuple[int, str]] = []
    path: tuple[str, ...] = ()
    pos = 0
    body: tuple[int, int] | None = None
    for block in blocks:
        text = block.text.strip()
        if block.heading is not None:
            text = " ".join(text.split())
        if not text:
            continue
        if parts:
            parts.append("\n\n")
            pos += 2
        start = pos
        parts.append(text)
        pos += len(text)
        if block.heading is None:
            body = (body[0] if body else start, pos)
            continue
        if body:
            sections.append(Section(path, *body))
            body = None
        level = block.heading
        headings.append((level, text))
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, text))
        path = tuple(h for _, h in stack)
    if body:
        sections.append(Section(path, *body))
    return "".join(parts), tuple(sections), headings
