"""Split documents into sentence-aware, section-aware chunks with exact offsets."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.errors import InvalidInputError
from ingest.formats.document import Document, Section
from ingest.text.sentences import sentence_spans


@dataclass(frozen=True)
class ChunkSettings:
    """How documents are cut into chunks.

    Attributes:
        max_chars: Upper bound of a chunk's length; only a single sentence longer than
            this is cut inside (at whitespace).
        overlap_sentences: Sentences repeated from the end of one chunk at the start of the
            next, inside a section.
        paragraphs: Every paragraph break ends a chunk (a paragraph is cut only past
            ``max_chars``). Off: a chunk ends at a paragraph break once it is half full, so
            short paragraphs share a chunk and a long one may be cut across two.
    """

    max_chars: int = 800
    overlap_sentences: int = 0
    paragraphs: bool = False

    def __post_init__(self) -> None:
        if not 50 <= self.max_chars <= 1200:
            raise InvalidInputError(
                f"max_chars={self.max_chars} is out of range; choose 50..1200 "
                "(a cited passage is at most 1,200 characters)"
            )
        if not 0 <= self.overlap_sentences <= 5:
            raise InvalidInputError(
                f"overlap_sentences={self.overlap_sentences} is out of range; choose 0..5"
            )


@dataclass(frozen=True)
class Chunk:
    """A span of a document's text: ``document.text[start:end] == text``."""

    chunk_id: str
    doc_id: str
    start: int
    end: int
    section: tuple[str, ...]
    page: int | None
    text: str


def _split_long(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """Cut one over-long sentence at whitespace into pieces of at most ``limit`` chars."""
    pieces = []
    while end - start > limit:
        cut = text.rfind(" ", start + 1, start + limit + 1)
        if cut <= start:
            cut = start + limit
        end_of_piece = cut
        while text[end_of_piece - 1].isspace():  # a run of spaces before the cut
            end_of_piece -= 1
        pieces.append((start, end_of_piece))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        pieces.append((start, end))
    return pieces


def _units(document: Document, section: Section, limit: int) -> list[tuple[int, int]]:
    units: list[tuple[int, int]] = []
    for a, b in sentence_spans(document.text, section.start, section.end):
        # A page break inside a sentence is allowed; between sentences it is a unit edge.
        units.extend(_split_long(document.text, a, b, limit))
    return units


def _breaks_here(document: Document, prev_end: int, next_start: int) -> bool:
    """A paragraph or page boundary lies between two units."""
    gap = document.text[prev_end:next_start]
    if document.pages and document.page_at(prev_end - 1) != document.page_at(next_start):
        return True
    return gap.count("\n") >= 2


def chunk_document(document: Document, settings: ChunkSettings | None = None) -> list[Chunk]:
    """Cut a document into chunks.

    Sentences are packed greedily up to ``max_chars``; a chunk never spans two sections or
    two pages, and prefers to end at a paragraph boundary once it is half full.

    Example:
        >>> from ingest.formats.loaders import load_markdown
        >>> from pathlib import Path
        >>> doc = load_markdown(Path("a.md"), "a.md", b"# T\\n\\nOne. Two.")
        >>> [c.text for c in chunk_document(doc)]
        ['One. Two.']
    """
    settings = settings or ChunkSettings()
    limit = settings.max_chars
    chunks: list[Chunk] = []
    for section in document.sections:
        units = _units(document, section, limit)
        i = 0
        while i < len(units):
            j = i + 1
            while j < len(units):
                if units[j][1] - units[i][0] > limit:
                    break
                if _breaks_here(document, units[j - 1][1], units[j][0]):
                    hard = bool(document.pages) and document.page_at(
                        units[j - 1][1] - 1
                    ) != document.page_at(units[j][0])
                    filled = units[j - 1][1] - units[i][0]
                    if hard or settings.paragraphs or filled >= limit // 2:
                        break
                j += 1
            start, end = units[i][0], units[j - 1][1]
            chunks.append(
                Chunk(
                    chunk_id=f"{document.doc_id}#{len(chunks)}",
                    doc_id=document.doc_id,
                    start=start,
                    end=end,
                    section=section.path,
                    page=document.page_at(start),
                    text=document.text[start:end],
                )
            )
            i = max(j - settings.overlap_sentences, i + 1) if j < len(units) else j
    return chunks
