"""Read PDF files with pypdf: text per page, in reading order, including two-column pages.

pypdf's ``layout`` extraction renders each page as a fixed-width character grid that keeps
horizontal positions and marks vertical gaps with blank lines. From that grid this module
finds a column gutter (a vertical strip of blank characters with text on both sides in many
lines), reads the left column before the right one, and reflows the lines of each
paragraph into one line (joining words hyphenated across lines). Pages are separated by a
blank line in the document text and recorded as :class:`~ingest.formats.document.Page` spans.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from pathlib import Path
from typing import Any

from ingest.errors import UnsupportedFileError
from ingest.formats.document import Document, Page, Section

#: A gutter needs this many lines with text on both of its sides.
MIN_TWO_SIDED_LINES = 4
#: ... and left/right text of this average length (prose, not a narrow table).
MIN_COLUMN_CHARS = 12

_SPACE_RUN = re.compile(r"[ \t\u00a0]{2,}")
_HYPHENATED = re.compile(r"[^\W\d_]-$")


def _gutter(lines: list[str]) -> int | None:
    """The character column separating two text columns, or None for one column."""
    width = max((len(line) for line in lines), default=0)
    best, best_count = None, 0
    for x in range(width // 5, width * 4 // 5):
        two_sided, left_chars, right_chars = 0, 0, 0
        crossing = 0
        for line in lines:
            if not line.strip():
                continue
            if line[x - 1 : x + 2].strip():
                crossing += 1
                continue
            left, right = line[:x].strip(), line[x:].strip()
            if left and right:
                two_sided += 1
                left_chars += len(left)
                right_chars += len(right)
        if (
            two_sided >= MIN_TWO_SIDED_LINES
            and two_sided > crossing
            and left_chars >= MIN_COLUMN_CHARS * two_sided
            and right_chars >= MIN_COLUMN_CHARS * two_sided
            and two_sided > best_count
        ):
            best, best_count = x, two_sided
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
    current = ""
    for raw in lines:
        line = _SPACE_RUN.sub(" ", raw).strip()
        if not line:
            if current:
                paragraphs.append(current)
            current = ""
        elif not current:
            current = line
        elif _HYPHENATED.search(current) and line[0].islower():
            current = current[:-1] + line
        else:
            current = f"{current} {line}"
    if current:
        paragraphs.append(current)
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


def load_pdf(path: Path, doc_id: str, data: bytes) -> Document:
    """Load a PDF: one text per page (in reading order), pages as spans, one section.

    Raises:
        UnsupportedFileError: the file is not a readable PDF, or needs a password.
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
    parts: list[str] = []
    pages: list[Page] = []
    pos = 0
    for number, text in enumerate(texts, 1):
        if text and pos:
            parts.append("\n\n")
            pos += 2
        pages.append(Page(number, pos, pos + len(text)))
        parts.append(text)
        pos += len(text)
    full = "".join(parts)
    sections = (Section((), 0, len(full)),) if full.strip() else ()
    return Document(doc_id, title or path.stem, str(path), "pdf", full, sections, tuple(pages))
