"""Read Excel workbooks (.xlsx) with openpyxl, streamed: one section per sheet, a line per row.

Each sheet is a section headed by its name. Each row is one line that keeps its header,
``Row 7: Item: Bridge repair | Cost: 48,500 euros``, so a passage cut from the middle of a
sheet still says what its numbers are, and the row number says where to look. The header
is the first row, among a sheet's first :data:`HEADER_SEARCH_ROWS` rows with cells, that
has two cells or more, all of them text, and a row after it; rows above it (a title, a
note) are kept as plain lines, and a sheet without one reads ``Row 7: a | b | c``. Values
are shown as the sheet formats them (:mod:`ingest.formats.cell_format`); formulas give the
value the file saved with them (a file never opened in a spreadsheet program has none).

The workbook is streamed in openpyxl's read-only mode and cut at :data:`MAX_SHEET_CELLS`
cells a sheet and :data:`MAX_CELLS` in all, so a sheet of a million rows costs seconds and
little memory; a cut sheet says so in its text and in a warning.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ingest.errors import UnsupportedFileError
from ingest.formats.blocks import Block, assemble
from ingest.formats.cell_format import format_value
from ingest.formats.document import Document
from ingest.formats.packages import check_package
from ingest.formats.parsed import Loaded, LoadWarning

#: Cells read from one sheet at most (empty cells inside a row count). Reading them takes
#: about a second; embedding them, each row a sentence, is the cost: a sheet of two columns
#: cut here (5,000 rows) took 85 s to ingest with the packaged model on 2 shared cores.
MAX_SHEET_CELLS = 10_000
#: Cells read from a whole workbook at most; later sheets are left out with a warning.
MAX_CELLS = 30_000
#: The header row is looked for among a sheet's first rows with cells.
HEADER_SEARCH_ROWS = 10
_SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")

Row = tuple[int, list[tuple[int, str]]]  # (row number, [(column index, shown text)])


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def _row_cells(cells: Sequence[Any]) -> Row | None:
    """The row number and the shown text of a row's non-empty cells (None if it has none)."""
    found, number = [], 0
    for column, cell in enumerate(cells, 1):
        value = getattr(cell, "value", None)
        if value is None:
            continue
        text = format_value(value, getattr(cell, "number_format", "General"))
        if text:
            found.append((column, text))
            number = number or int(cell.row)
    return (number, found) if found else None


def _is_header(row: Row) -> bool:
    return len(row[1]) >= 2 and all(not _looks_numeric(text) for _, text in row[1])


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[-+(]?[\d.,\s%€$£¥]+\)?", text)) or text in ("TRUE", "FALSE")


def _line(row: Row, header: dict[int, str]) -> str:
    number, cells = row
    if not header:
        return f"Row {number}: " + " | ".join(text for _, text in cells)
    shown = (f"{header.get(c) or _column_letter(c)}: {text}" for c, text in cells)
    return f"Row {number}: " + " | ".join(shown)


def _sheet_lines(rows: Iterator[Row]) -> Iterator[str]:
    """A sheet's lines: preamble rows plain, then each row with its header's names."""
    head: list[Row] = []
    for row in rows:
        head.append(row)
        if len(head) > HEADER_SEARCH_ROWS:
            break
    at = next((i for i, row in enumerate(head[:-1]) if _is_header(row)), None)
    header: dict[int, str] = {}
    if at is not None:
        yield from (" | ".join(text for _, text in row[1]) for row in head[:at])
        header = dict(head[at][1])
        head = head[at + 1 :]
    for row in head:
        yield _line(row, header)
    for row in rows:
        yield _line(row, header)


class _Budget:
    """Counts the cells read from a sheet, and stops the rows at its limit."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used, self.rows, self.cut = limit, 0, 0, False

    def rows_of(self, sheet: Any) -> Iterator[Row]:
        for cells in sheet.iter_rows():
            if self.used >= self.limit:
                self.cut = True
                return
            self.used += max(len(cells), 1)
            self.rows += 1
            row = _row_cells(cells)
            if row is not None:
                yield row


def _sheet_blocks(sheet: Any, budget: _Budget) -> tuple[list[Block], str | None]:
    """A sheet's blocks, and a warning when it was cut."""
    declared = sheet.max_row  # from the sheet's <dimension>, when it has one
    sheet.reset_dimensions()  # rows as wide as their own cells, whatever the file claims
    lines = list(_sheet_lines(budget.rows_of(sheet)))
    blocks = [Block(" ".join(sheet.title.split()) or "Sheet", 1), Block("\n".join(lines))]
    if not budget.cut:
        return blocks, None
    of = f" of about {declared:,}" if isinstance(declared, int) and declared > budget.rows else ""
    note = (
        f"only its first {budget.rows:,} rows{of} are indexed: docqa reads up to "
        f"{budget.limit:,} cells of a sheet"
    )
    blocks.append(Block(f"[This sheet is cut: {note}.]"))
    return blocks, f"sheet {sheet.title!r} is cut: {note}"


def _read(path: Path, data: bytes) -> tuple[str, list[Block], list[LoadWarning]]:
    import openpyxl

    blocks: list[Block] = []
    warnings: list[LoadWarning] = []
    left = MAX_CELLS
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        title = (workbook.properties.title or "").strip()
        skipped = []
        for sheet in workbook.worksheets:
            if left <= 0:
                skipped.append(sheet.title)
                continue
            budget = _Budget(min(MAX_SHEET_CELLS, left))
            sheet_blocks, warning = _sheet_blocks(sheet, budget)
            left -= budget.used
            blocks += sheet_blocks
            if warning:
                warnings.append(LoadWarning(str(path), warning))
        if skipped:
            names = ", ".join(repr(name) for name in skipped)
            note = (
                f"sheets {names} are left out: docqa reads up to {MAX_CELLS:,} cells of a workbook"
            )
            blocks.append(Block(f"[{note}.]"))
            warnings.append(LoadWarning(str(path), note))
    finally:
        workbook.close()
    return title, blocks, warnings


def load_xlsx(path: Path, doc_id: str, data: bytes) -> Loaded:
    """Load an .xlsx workbook: a section per sheet, a line per row with its header.

    The title is the core property ``title``, else the file name. Warnings say which
    sheets were cut at the cell limits.

    Raises:
        UnsupportedFileError: the file is encrypted, damaged, or a possible zip bomb.
    """
    from openpyxl.utils.exceptions import InvalidFileException

    check_package(path, data, streamed=lambda name: _SHEET_PART.fullmatch(name) is not None)
    try:
        title, blocks, warnings = _read(path, data)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UnsupportedFileError(f"{path}: not a readable .xlsx file ({exc})") from exc
    except Exception as exc:  # lxml and zip errors on damaged packages
        raise UnsupportedFileError(
            f"{path}: damaged .xlsx file ({type(exc).__name__}: {exc})"
        ) from exc
    text, sections, _ = assemble(blocks)
    document = Document(doc_id, title or path.stem, str(path), "xlsx", text, sections)
    return Loaded(document, warnings=tuple(warnings))
