"""The document model: extracted text plus the sections and pages that locate spans in it."""

from __future__ import annotations

import bisect
import functools
import hashlib
import re
from dataclasses import dataclass, field

#: A word of :attr:`Document.words`: runs of letters, digits and underscores, joined by
#: single hyphens or apostrophes ("sars-cov-2", "o'brien").
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
_JOINT = re.compile(r"[-'’]")
#: The most runs one joined word of :attr:`Document.words` spans ("sars-cov-2": 3); a
#: longer chain ("1-2-3-4-5-6-7-8") gives its shorter stretches, so a document's words stay
#: in proportion to its length.
JOINED_RUNS = 6


@dataclass(frozen=True)
class Section:
    """A run of body text under one heading path.

    ``start``/``end`` are character offsets into :attr:`Document.text`; the heading
    line itself lies outside the span, so chunks never contain markup.
    """

    path: tuple[str, ...]
    start: int
    end: int


#: What a format calls the units its :class:`Page` spans count, where they are not pages.
PAGE_NAMES = {"pptx": "slide"}


def page_name(format: str) -> str:
    """What a page of a document of ``format`` is called: ``slide`` for a deck, else ``page``.

    Example:
        >>> page_name("pptx"), page_name("pdf")
        ('slide', 'page')
    """
    return PAGE_NAMES.get(format, "page")


@dataclass(frozen=True)
class Page:
    """A page of a paginated source (a PDF's page, a deck's slide); offsets into
    :attr:`Document.text`."""

    number: int
    start: int
    end: int


@dataclass(frozen=True)
class PageBox:
    """Where a span of the text lies on a picture of its page (a line read by OCR).

    Attributes:
        page: The page's number (as in :class:`Page`).
        start, end: Offsets into :attr:`Document.text`.
        left, top, width, height: The line's box as fractions (0..1) of the page's width
            and height, from its top-left corner.
    """

    page: int
    start: int
    end: int
    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class Document:
    """One source file as docqa sees it.

    Attributes:
        doc_id: Stable id derived from the path (relative to the ingested folder).
        title: Human title (first heading, metadata title, or the file stem).
        source: The path the document was read from.
        format: Loader name (``txt``, ``md``, ...).
        text: The extracted text; every offset in docqa refers to it.
        sections: Non-overlapping body spans in text order, each with its heading path.
        pages: Page spans for paginated formats (slides for a deck), else empty.
        metadata: Extra key/value pairs (front matter and the like).
        boxes: The lines read by OCR (pictures and scanned pages), in text order; empty
            for text read from a text layer.
    """

    doc_id: str
    title: str
    source: str
    format: str
    text: str
    sections: tuple[Section, ...]
    pages: tuple[Page, ...] = ()
    metadata: tuple[tuple[str, str], ...] = field(default=())
    boxes: tuple[PageBox, ...] = field(default=())

    @property
    def content_hash(self) -> str:
        """SHA-256 of the extracted text (hex), used to skip unchanged documents."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def page_at(self, offset: int) -> int | None:
        """Return the page number holding ``offset``, or None for unpaginated text."""
        # Pages are in text order; a binary search keeps chunking long PDFs linear.
        i = bisect.bisect_right(self._page_starts, offset) - 1
        if i >= 0 and self.pages[i].start <= offset < self.pages[i].end:
            return self.pages[i].number
        return None

    @functools.cached_property
    def words(self) -> frozenset[str]:
        """Every word of the text, lower-cased: each run of letters, digits and underscores,
        and each stretch of up to :data:`JOINED_RUNS` of those joined by single hyphens or
        apostrophes ("sars-cov-2": also "sars-cov" and "cov-2").

        Built once per loaded document, so asking whether a long document holds a word is
        a set lookup rather than a scan of its text.

        Example:
            >>> sorted(Document("d", "t", "s", "txt", "SARS-CoV-2 and BRICS+", ()).words)
            ['2', 'and', 'brics', 'cov', 'cov-2', 'sars', 'sars-cov', 'sars-cov-2']
        """
        found: set[str] = set()
        for match in _WORD.finditer(self.text.lower()):
            word = match.group()
            runs = _JOINT.split(word)
            found.update(runs)
            if len(runs) > 1:
                joints = _JOINT.findall(word)
                for i in range(len(runs) - 1):
                    joined = runs[i]
                    for j in range(i + 1, min(len(runs), i + JOINED_RUNS)):
                        joined += joints[j - 1] + runs[j]
                        found.add(joined)
        return frozenset(found)

    @functools.cached_property
    def _page_starts(self) -> list[int]:
        return [page.start for page in self.pages]
