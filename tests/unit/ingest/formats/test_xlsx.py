"""Excel workbooks: a section per sheet, each row with its header, values as shown, limits."""

from __future__ import annotations

import datetime as dt
import os
import time
import zipfile
from pathlib import Path

import pytest

import ingest.formats.xlsx
from ingest.errors import UnsupportedFileError
from ingest.formats.attachments import parse_file
from ingest.formats.cell_format import format_value
from ingest.formats.loaders import load_document
from ingest.formats.packages import MAX_XML_PART_BYTES, check_package
from tests.support.documents import write_xlsx

BUDGET: list[list[object]] = [
    ["Public works 2025"],
    ["Item", "Cost", "Start", "Share"],
    ["Bridge repair", 48500, dt.datetime(2025, 3, 1), 0.25],
    ["Harbour dredging", 1250000.5, None, 0.75],
]
FORMATS = {"Works!B3": '#,##0 "euros"', "Works!B4": "#,##0.00", "Works!D3": "0%"}


def _sections(path: Path) -> dict[tuple[str, ...], str]:
    doc = load_document(path)
    return {s.path: doc.text[s.start : s.end] for s in doc.sections}


def test_each_row_reads_with_its_header_and_values_as_the_sheet_shows_them(
    tmp_path: Path,
) -> None:
    path = write_xlsx(tmp_path / "budget.xlsx", {"Works": BUDGET}, formats=FORMATS)
    doc = load_document(path)
    assert doc.format == "xlsx" and doc.title == "budget" and doc.pages == ()
    assert _sections(path) == {
        ("Works",): "Public works 2025\n"
        "Row 3: Item: Bridge repair | Cost: 48,500 euros | Start: 2025-03-01 | Share: 25%\n"
        "Row 4: Item: Harbour dredging | Cost: 1,250,000.50 | Share: 0.75"
    }


def test_every_sheet_is_a_section_and_a_sheet_without_a_header_row_reads_plainly(
    tmp_path: Path,
) -> None:
    sheets: dict[str, list[list[object]]] = {"Works": BUDGET, "Log": [[2021, 14.5], [2022, 15.25]]}
    path = write_xlsx(tmp_path / "b.xlsx", sheets, formats=FORMATS)
    sections = _sections(path)
    assert list(sections) == [("Works",), ("Log",)]
    assert sections[("Log",)] == "Row 1: 2021 | 14.5\nRow 2: 2022 | 15.25"


def test_columns_without_a_header_are_named_by_their_letter(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "b.xlsx", {"S": [["Name", "Town"], ["Ana", "Oslo", "extra"]]})
    assert _sections(path)[("S",)] == "Row 2: Name: Ana | Town: Oslo | C: extra"


def test_a_large_sheet_is_cut_with_a_note_in_the_text_and_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest.formats.xlsx, "MAX_SHEET_CELLS", 30)
    rows: list[list[object]] = [["Day", "Reading"], *([f"day {n}", n] for n in range(1, 100))]
    path = write_xlsx(tmp_path / "log.xlsx", {"Log": rows, "Notes": [["Calm week."]]})
    parsed = parse_file(path, "log.xlsx", path.read_bytes())
    text = parsed.document.text
    assert "Row 15: Day: day 14 | Reading: 14" in text and "day 15 " not in text
    assert "[This sheet is cut: only its first 15 rows of about 100 are indexed" in text
    assert "Calm week." in text  # the next sheet is read with its own budget
    (warning,) = parsed.warnings
    assert warning.path == str(path)
    assert warning.message.startswith("sheet 'Log' is cut: only its first 15 rows of about 100")


def test_sheets_past_the_workbook_limit_are_named_and_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest.formats.xlsx, "MAX_CELLS", 4)
    sheets = {"A": [["x", 1], ["y", 2]], "B": [["z", 3]], "C": [["w", 4]]}
    parsed = parse_file(
        tmp_path / "w.xlsx", "w.xlsx", write_xlsx(tmp_path / "w.xlsx", sheets).read_bytes()
    )
    assert [s.path for s in parsed.document.sections] == [("A",)]
    assert [w.message for w in parsed.warnings] == [
        "sheets 'B', 'C' are left out: docqa reads up to 4 cells of a workbook"
    ]


def test_a_million_row_sheet_is_cut_in_seconds(tmp_path: Path) -> None:
    from tests.support.bad_input_files import million_row_xlsx

    path = million_row_xlsx(tmp_path / "huge.xlsx")
    started = time.perf_counter()
    parsed = parse_file(path, "huge.xlsx", path.read_bytes())
    seconds = time.perf_counter() - started
    assert "of about 1,000,000 are indexed" in parsed.document.text
    assert len(parsed.warnings) == 1 and seconds < 30, seconds


def test_a_truncated_workbook_is_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "cut.xlsx", {"Works": BUDGET})
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(UnsupportedFileError, match=r"cut.xlsx: not a readable .xlsx file"):
        load_document(path)


def test_a_zip_bomb_sheet_is_refused_though_sheets_are_streamed(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "bomb.xlsx", {"Works": BUDGET})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as package:
        package.writestr("xl/worksheets/sheet9.xml", b"<a>" + b"A" * 40_000_000 + b"</a>")
    with pytest.raises(UnsupportedFileError, match=r"would unpack .* possible zip bomb"):
        load_document(path)


def test_a_streamed_sheet_may_hold_more_xml_than_a_part_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as package:
        package.writestr("xl/worksheets/sheet1.xml", os.urandom(MAX_XML_PART_BYTES + 1))
    data = path.read_bytes()
    check_package(path, data, streamed=lambda name: name.startswith("xl/worksheets/"))
    with pytest.raises(UnsupportedFileError, match=r"bytes of XML; docqa reads parts of up to"):
        check_package(path, data)


@pytest.mark.parametrize(
    ("value", "number_format", "shown"),
    [
        (48500, '#,##0 "euros"', "48,500 euros"),
        (1234.5, "[$€-407] #,##0.00", "€ 1,234.50"),
        (-1234.5, "#,##0.00;(#,##0.00)", "(1,234.50)"),
        (0, '#,##0;-#,##0;"nil"', "nil"),
        (0.125, "0.0%", "12.5%"),
        (12345.678, "0.00E+00", "1.23E+04"),
        (42, "00000", "00042"),
        (1234567, "#,##0,", "1,235"),
        (0.1 + 0.2, "General", "0.3"),
        (3.0, "General", "3"),
        (dt.datetime(2025, 3, 1, 14, 30), "dd/mm/yyyy hh:mm", "2025-03-01 14:30"),
        (True, "General", "TRUE"),
        ("  two\nlines ", "@", "two lines"),
    ],
)
def test_cell_values_are_shown_as_their_format_says(
    value: object, number_format: str, shown: str
) -> None:
    assert format_value(value, number_format) == shown
