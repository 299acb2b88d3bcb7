"""Read PowerPoint (.pptx) decks with python-pptx: one section and one page per slide.

Each slide's title is its heading (``Slide N`` when it has none); under it come the slide's
text boxes, tables (rows as ``a | b``) and grouped shapes in reading order (top to bottom,
then left to right), then its speaker notes under a ``Notes`` sub-heading. A slide's span is
recorded as a :class:`~ingest.formats.document.Page` numbered like the slide, so a citation
reads "slide N".
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ingest.errors import UnsupportedFileError
from ingest.formats.blocks import Block, assemble, clean_inline
from ingest.formats.document import Document, Page, Section
from ingest.formats.packages import check_package

#: The sub-heading of a slide's speaker notes.
NOTES_HEADING = "Notes"
_GROUP = 6  # MSO_SHAPE_TYPE.GROUP


def _frame_text(frame: Any) -> str:
    # python-pptx writes a line break inside a paragraph as a vertical tab.
    return clean_inline(frame.text.replace("\v", "\n"))


def _table_text(table: Any) -> str:
    rows = []
    for row in table.rows:
        cells = [" ".join(_frame_text(cell.text_frame).split("\n")) for cell in row.cells]
        cells = [cell for cell in cells if cell]
        if cells:
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _reading_order(shapes: Iterable[Any]) -> list[Any]:
    return sorted(shapes, key=lambda s: (s.top or 0, s.left or 0))


def _shape_blocks(shapes: Iterable[Any], title_id: int | None) -> Iterator[Block]:
    """The text of ``shapes`` (groups opened) in reading order, the title shape left out."""
    for shape in _reading_order(shapes):
        if title_id is not None and shape.shape_id == title_id:
            continue
        if shape.shape_type is not None and int(shape.shape_type) == _GROUP:
            yield from _shape_blocks(shape.shapes, title_id)
        elif getattr(shape, "has_table", False) and shape.has_table:
            yield Block(_table_text(shape.table))
        elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            yield Block(_frame_text(shape.text_frame))


def _slide_blocks(slide: Any, number: int) -> tuple[str, list[Block]]:
    """The slide's title and its blocks: the title as heading, body, then notes.

    A slide with a title alone is read as ``Slide N`` holding the title, so it can be cited.
    """
    title_shape = slide.shapes.title
    title, title_id = "", None
    if title_shape is not None:
        title, title_id = (
            " ".join(_frame_text(title_shape.text_frame).split()),
            title_shape.shape_id,
        )
    body = list(_shape_blocks(slide.shapes, title_id))
    if slide.has_notes_slide:
        frame = slide.notes_slide.notes_text_frame
        notes = _frame_text(frame) if frame is not None else ""
        if notes:
            body += [Block(NOTES_HEADING, 2), Block(notes)]
    if not any(b.text.strip() for b in body if b.heading is None):
        return title, [Block(f"Slide {number}", 1), Block(title)] if title else []
    return title, [Block(title or f"Slide {number}", 1), *body]


def _read(path: Path, data: bytes) -> tuple[str, list[tuple[str, list[Block]]]]:
    """The deck's core title and each slide's title and blocks."""
    from pptx import Presentation
    from pptx.exc import PackageNotFoundError

    try:
        deck = Presentation(io.BytesIO(data))
        slides = [_slide_blocks(slide, n) for n, slide in enumerate(deck.slides, 1)]
        return (deck.core_properties.title or "").strip(), slides
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UnsupportedFileError(f"{path}: not a readable .pptx file ({exc})") from exc
    except Exception as exc:  # lxml and zip errors on damaged packages
        raise UnsupportedFileError(
            f"{path}: damaged .pptx file ({type(exc).__name__}: {exc})"
        ) from exc


def load_pptx(path: Path, doc_id: str, data: bytes) -> Document:
    """Load a .pptx deck: one page and one section (its title as heading) per slide.

    The title is the core property ``title``, else the first slide's title, else the file
    name. Slides without any text are left out (the others keep their numbers).

    Raises:
        UnsupportedFileError: the file is encrypted, damaged, or a possible zip bomb.
    """
    check_package(path, data)
    core_title, slides = _read(path, data)
    parts: list[str] = []
    sections: list[Section] = []
    pages: list[Page] = []
    offset = 0
    for number, (_, blocks) in enumerate(slides, 1):
        text, slide_sections, _ = assemble(blocks)
        if not slide_sections:
            continue
        if parts:
            parts.append("\n\n")
            offset += 2
        pages.append(Page(number, offset, offset + len(text)))
        sections.extend(Section(s.path, s.start + offset, s.end + offset) for s in slide_sections)
        parts.append(text)
        offset += len(text)
    title = core_title or (slides[0][0] if slides else "") or path.stem
    return Document(doc_id, title, str(path), "pptx", "".join(parts), tuple(sections), tuple(pages))
