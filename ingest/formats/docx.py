"""Read Word (.docx) files with python-docx: heading styles give sections, tables give rows."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.errors import UnsupportedFileError
from ingest.formats.blocks import Block, assemble, clean_inline
from ingest.formats.document import Document
from ingest.formats.packages import check_package

_HEADING_STYLE = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)


def _style_level(paragraph: Any) -> int | None:
    """0 for the "Title" style, N for "Heading N" (or a style based on it), else None."""
    style = paragraph.style
    while style is not None:
        name = (style.name or "").strip()
        if name.lower() == "title":
            return 0
        match = _HEADING_STYLE.match(name)
        if match:
            return int(match.group(1))
        style = style.base_style
    return None


def _table_rows(table: Any) -> Iterator[str]:
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell is repeated once per grid column
                continue
            seen.add(id(cell._tc))
            text = " ".join(clean_inline(cell.text).split("\n"))
            if text:
                cells.append(text)
        if cells:
            yield " | ".join(cells)


def _blocks(document: Any) -> Iterator[Block]:
    from docx.table import Table

    items = list(document.iter_inner_content())
    # A document with a "Title" paragraph nests its headings one level below the title.
    shift = int(any(not isinstance(i, Table) and _style_level(i) == 0 for i in items))
    for item in items:
        if isinstance(item, Table):
            yield Block("\n".join(_table_rows(item)))
            continue
        text = clean_inline(item.text)
        level = _style_level(item)
        if text:
            yield Block(text, None if level is None else level + shift)


def load_docx(path: Path, doc_id: str, data: bytes) -> Document:
    """Load a .docx file: paragraphs and tables in document order, headings as sections.

    The title is the core property ``title``, else the first "Title"/"Heading 1"
    paragraph, else the file name.

    Raises:
        UnsupportedFileError: the file is not a readable .docx package.
    """
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    check_package(path, data)
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = list(_blocks(document))
        core_title = (document.core_properties.title or "").strip()
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UnsupportedFileError(f"{path}: not a readable .docx file ({exc})") from exc
    except Exception as exc:  # lxml and zip errors on damaged packages
        raise UnsupportedFileError(
            f"{path}: damaged .docx file ({type(exc).__name__}: {exc})"
        ) from exc
    text, sections, headings = assemble(blocks)
    first = min((level for level, _ in headings), default=0)
    title = core_title or next((h for level, h in headings if level == first), "") or path.stem
    return Document(doc_id, title, str(path), "docx", text, sections)
