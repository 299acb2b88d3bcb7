"""Read PDF files with pypdf: text per page, in reading order, including two-column pages.

pypdf's ``layout`` extraction renders each page as a fixed-width character grid that keeps
horizontal positions and marks vertical gaps with blank lines. From that grid this module
finds a column gutter (a vertical strip of blank characters with text on both sides in many
lines), reads the left column before the right one, and reflows the lines of each
paragraph into one line (joining words hyphenated across lines). Pages are separated by a
blank line in the document text and recorded as :class:`~ingest.formats.document.Page` spans.

The PDF's outline (its bookmarks) gives the sections: each bookmark starts a section where its
title first appears on its page (else at the page's start), nested bookmarks give the path
(parent > child), and a section ends where the next one starts. Text before the first
bookmark is a section with an empty path. Without a usable outline the whole text is one
section.

A page without a usable text layer that holds a picture (a scan: see
:mod:`ingest.formats.pdf_pictures`) is rendered and read by OCR instead; its text replaces
the page's few extracted characters (never both), and its lines' boxes are kept as the
document's :attr:`~ingest.formats.document.Document.boxes`. With OCR off such pages are
skipped with a note.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest.errors import UnsupportedFileError
from ingest.formats.document import Document, Page, Section
from ingest.formats.ocr.reader import PageReader
from ingest.formats.paged import join_pages
from ingest.formats.pdf_pictures import read_scanned

#: A gutter needs this many lines with text on both of its sides.
MIN_TWO_SIDED_LINES = 4
#: ... and left/right text of this average length (prose, not a narrow table).
MIN_COLUMN_CHARS = 12

_SPACE_RUN = re.compile(r"[ \t\u00a0]{2,}")
_HYPHENATED = re.compile(r"[^\W\d_]-$")
_END = object()  # end of an outline level (None may be an item of a broken outline)


#: Every character ``str.isspace`` holds true (the blanks ``str.strip`` removes).
_SPACE_CODES = np.array([c for c in range(0x3001) if chr(c).isspace()], dtype=np.uint32)
#: Pages whose layout grid (non-blank lines x width) holds more cells than this are read as
#: one column: finding a gutter on them would cost more than reading them.
MAX_GRID_CELLS = 20_000_000
#: Candidate gutters examined at once (bounds the working arrays to lines x this).
_BLOCK = 512


def _gutter(lines: list[str]) -> int | None:
    """The character column separating two text columns, or None for one column.

    The gutter is the column ``x`` in the middle three fifths of the page with the most
    lines that have text on both sides of it and none in ``x - 1 .. x + 1``, provided that
    such lines outnumber the lines crossing it, number at least :data:`MIN_TWO_SIDED_LINES`
    and hold on average :data:`MIN_COLUMN_CHARS` on each side (the first such column on a
    tie). Computed over the grid as arrays, one block of columns at a time.
    """
    width = max((len(line) for line in lines), default=0)
    rows = [line for line in lines if line.strip()]
    lo, hi = max(width // 5, 1), width * 4 // 5
    if not rows or hi <= lo or len(rows) * width > MAX_GRID_CELLS:
        return None
    grid = "".join(row.ljust(width) for row in rows).encode("utf-32-le")
    ink = ~np.isin(np.frombuffer(grid, dtype=np.uint32).reshape(len(rows), width), _SPACE_CODES)
    columns = np.arange(width, dtype=np.int32)
    # Last ink column <= j and first ink column >= j, for every line and column j.
    last_upto = np.maximum.accumulate(np.where(ink, columns, -1), axis=1)
    first_from = np.minimum.accumulate(np.where(ink, columns, width)[:, ::-1], axis=1)[:, ::-1]
    first, last = first_from[:, :1], last_upto[:, -1:]
    padded = np.pad(ink, ((0, 0), (0, 1)))
    best, best_count = None, 0
    for block in range(lo, hi, _BLOCK):
        xs = np.arange(block, min(hi, block + _BLOCK))
        crossing = padded[:, xs - 1] | padded[:, xs] | padded[:, xs + 1]
        left_end, right_start = last_upto[:, xs - 1], first_from[:, xs]
        both = ~crossing & (left_end >= 0) & (right_start < width)
        two_sided = both.sum(axis=0)
        left_chars = np.where(both, left_end - first + 1, 0).sum(axis=0)
        right_chars = np.where(both, last - right_start + 1, 0).sum(axis=0)
        good = (
            (two_sided >= MIN_TWO_SIDED_LINES)
            & (two_sided > crossing.sum(axis=0))
            & (left_chars >= MIN_COLUMN_CHARS * two_sided)
            & (right_chars >= MIN_COLUMN_CHARS * two_sided)
        )
        counts = np.where(good, two_sided, 0)
        top = int(counts.argmax())
        if counts[top] > best_count:
            best, best_count = int(xs[top]), int(counts[top])
    return best


def reading_order(lines: list[str]) -> list[str]:
    """Reorder a layout grid's lines so that a left column is read before the right one.

    Lines crossing the gutter (titles, full-width figures) stay where they are and cut
    the page into bands; within a band the left halves come first. Blank strings mark
    paragraph breaks.
    """
    gutter = _gutter(lines)
    if gutter is None:
        return lines
    out: list[str] = []
    left: list[str] = []
    right: list[str] = []

    def flush() -> None:
        out.extend(left)
        if left and right:
            out.append("")
        out.extend(right)
        left.clear()
        right.clear()

    for line in lines:
        if line[gutter - 1 : gutter + 2].strip():
            flush()
            out.append(line)
        else:
            left.append(line[:gutter])
            right.append(line[gutter:])
    flush()
    return out


def reflow(lines: list[str]) -> str:
    """Join the lines of each paragraph; paragraphs are separated by a blank line."""
    paragraphs: list[str] = []
    current: list[str] = []  # the paragraph's lines so far, joined by spaces at its end
    for raw in lines:
        line = _SPACE_RUN.sub(" ", raw).strip()
        if not line:
            if current:
                paragraphs.append(" ".join(current))
            current = []
        elif not current:
            current = [line]
        elif _HYPHENATED.search(current[-1], max(0, len(current[-1]) - 2)) and line[0].islower():
            current[-1] = current[-1][:-1] + line
        else:
            current.append(line)
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def _normalise(text: str) -> str:
    # Ligatures and presentation forms become plain letters; soft hyphens go.
    return unicodedata.normalize("NFKC", text).replace("\u00ad", "").replace("\x00", "")


def _page_text(page: Any) -> str:
    try:
        grid = str(page.extract_text(extraction_mode="layout"))
    except Exception:  # layout mode gives up on some fonts: fall back to stream order
        grid = str(page.extract_text())
    return reflow(reading_order(_normalise(grid).split("\n")))


@dataclass(frozen=True)
class Bookmark:
    """An outline entry that resolved to a page.

    Attributes:
        path: Titles from the top-level bookmark down to this one (blank titles skipped).
        page: Index of the target page (0 = first page).
    """

    path: tuple[str, ...]
    page: int


def _bookmark_title(item: Any) -> str:
    title = getattr(item, "title", None)
    if isinstance(title, bytes):
        title = title.decode("utf-8", "replace")
    if not isinstance(title, str):
        return ""
    return " ".join(_normalise(title).split())


def _bookmark_page(reader: Any, item: Any, page_count: int) -> int | None:
    try:
        number = reader.get_destination_page_number(item)
    except Exception:  # a destination pypdf cannot resolve is skipped, never fatal
        return None
    if isinstance(number, int) and not isinstance(number, bool) and 0 <= number < page_count:
        return number
    return None


def outline_bookmarks(reader: Any) -> list[Bookmark]:
    """The bookmarks of a pypdf ``PdfReader`` that point at one of its pages, in outline order.

    pypdf gives the outline as a list of destinations in which a nested list holds the
    children of the destination before it. Entries that do not resolve to a page, or are
    not destinations at all, are skipped (their children keep their place in the tree); an
    outline that cannot be read gives no bookmarks. Never raises.
    """
    try:
        return _walk_outline(reader, reader.outline, len(reader.pages))
    except Exception:  # a damaged outline must not cost the document its text
        return []


def _walk_outline(reader: Any, outline: Any, page_count: int) -> list[Bookmark]:
    # Iterative, so that no outline depth can exhaust the stack.
    found: list[Bookmark] = []
    seen: set[int] = set()  # lists already walked: a cycle is walked once
    # One frame per open level: its remaining items, its parent path, its latest item's path.
    levels: list[tuple[Iterator[Any], tuple[str, ...]]] = []
    latest: list[tuple[str, ...]] = []

    def enter(items: Any, parent: tuple[str, ...]) -> None:
        if isinstance(items, list) and id(items) not in seen:
            seen.add(id(items))
            levels.append((iter(items), parent))
            latest.append(parent)

    enter(outline, ())
    while levels:
        items, parent = levels[-1]
        item = next(items, _END)
        if item is _END:
            levels.pop()
            latest.pop()
        elif isinstance(item, list):
            enter(item, latest[-1])
        elif title := _bookmark_title(item):
            latest[-1] = (*parent, title)
            page = _bookmark_page(reader, item, page_count)
            if page is not None:
                found.append(Bookmark(latest[-1], page))
        else:
            latest[-1] = parent
    return found


def _find_title(text: str, title: str, start: int, end: int) -> int | None:
    """Where ``title`` first appears in ``text[start:end]``, ignoring case and spacing."""
    pattern = r"\s+".join(re.escape(word) for word in title.split())
    found = re.compile(pattern, re.IGNORECASE).search(text, start, end)
    return found.start() if found else None


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def outline_sections(
    text: str, pages: Sequence[Page], bookmarks: Sequence[Bookmark]
) -> tuple[Section, ...]:
    """Cut a PDF's text into sections at its bookmarks.

    A bookmark starts at the first match of its title on its page, searched after the
    previous bookmark on the same page; when the title is not found it starts at the page's
    start (or at the previous bookmark on that page, which it then replaces). Sections are
    trimmed, in text order, and end where the next one starts; text before the first
    bookmark keeps the empty path. No bookmarks: no sections.

    Example:
        >>> text = "Cover.\\n\\nChapter 2\\n\\nStars."
        >>> pages = [Page(1, 0, 6), Page(2, 8, len(text))]
        >>> sections = outline_sections(text, pages, [Bookmark(("Chapter 2",), 1)])
        >>> [(s.path, text[s.start : s.end]) for s in sections]
        [((), 'Cover.'), (('Chapter 2',), 'Chapter 2\\n\\nStars.')]
    """
    starts: list[tuple[int, int, tuple[str, ...]]] = [(0, -1, ())]
    previous: dict[int, int] = {}  # page index -> start of its latest bookmark
    for order, mark in enumerate(bookmarks):
        page = pages[mark.page]
        before = previous.get(mark.page)
        search_from = page.start if before is None else before + 1
        found = _find_title(text, mark.path[-1], search_from, page.end)
        at = found if found is not None else page.start if before is None else before
        previous[mark.page] = at
        starts.append((at, order, mark.path))
    if len(starts) == 1:
        return ()
    # Stable on equal offsets: of bookmarks starting at one place the last one keeps the text.
    starts.sort(key=lambda entry: (entry[0], entry[1]))
    sections: list[Section] = []
    for (begin, _, path), (finish, _, _) in zip(
        starts, [*starts[1:], (len(text), 0, ())], strict=True
    ):
        a, b = _trim(text, begin, finish)
        if b > a:
            sections.append(Section(path, a, b))
    return tuple(sections)


def load_pdf(path: Path, doc_id: str, data: bytes, ocr: PageReader | None = None) -> Document:
    """Load a PDF: one text per page (in reading order), pages as spans, outline sections.

    The sections follow the outline (see :func:`outline_sections`); a PDF without a usable
    outline is one section. Pages without a text layer that hold a picture are read by
    ``ocr`` (default: a :class:`~ingest.formats.ocr.reader.PageReader` of its own; one made
    with ``enabled=False`` skips them with a note).

    Raises:
        UnsupportedFileError: the file is not a readable PDF, needs a password, or OCR
            failed on it.
        OcrUnavailableError: a page needs OCR and the engine cannot be loaded.
    """
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnsupportedFileError(
                f"{path}: the PDF is encrypted and needs a password; save an unprotected copy"
            )
        texts = [_page_text(page) for page in reader.pages]
        bookmarks = outline_bookmarks(reader)
        metadata = reader.metadata
        title = str(metadata.get("/Title") or "").strip() if metadata else ""
    except UnsupportedFileError:
        raise
    except (PdfReadError, PyPdfError) as exc:
        if "decrypt" in str(exc).lower() or "password" in str(exc).lower():
            raise UnsupportedFileError(
                f"{path}: the PDF is encrypted and cannot be read ({exc})"
            ) from exc
        raise UnsupportedFileError(f"{path}: not a readable PDF ({exc})") from exc
    except Exception as exc:  # pypdf raises many plain exceptions on damaged files
        raise UnsupportedFileError(f"{path}: damaged PDF ({type(exc).__name__}: {exc})") from exc
    scanned = read_scanned(path, data, texts, ocr)
    full, pages, boxes = join_pages([scanned.get(i, text) for i, text in enumerate(texts)])
    sections: tuple[Section, ...] = ()
    if full.strip():
        # Without a usable outline the whole text is one section, as it always was.
        sections = outline_sections(full, pages, bookmarks) or (Section((), 0, len(full)),)
    return Document(
        doc_id,
        title or path.stem,
        str(path),
        "pdf",
        full,
        sections,
        pages,
        boxes=boxes,
    )
