"""OCR lines back into text: reading order, rows, paragraphs, hyphens, and each line's span."""

from __future__ import annotations

from ingest.formats.ocr.engine import OcrLine
from ingest.formats.ocr.layout import find_gutter, page_text

W, H = 1000, 1400


def line(text: str, left: float, top: float, right: float, height: float = 20) -> OcrLine:
    return OcrLine(text, (left, top, right, top + height), 0.99)


def column(x0: float, x1: float, top: float, texts: list[str]) -> list[OcrLine]:
    return [line(t, x0, top + 30 * n, x1) for n, t in enumerate(texts)]


def test_every_span_holds_its_lines_text_and_box() -> None:
    lines = [line("Second line here.", 100, 130, 600), line("First line here.", 100, 100, 600)]
    page = page_text(lines, W, H)
    assert page.text == "First line here. Second line here."
    assert [page.text[s.start : s.end] for s in page.lines] == [
        "First line here.",
        "Second line here.",
    ]
    assert page.lines[0].box == (0.1, round(100 / H, 4), 0.5, round(20 / H, 4))


def test_a_hyphen_at_a_line_end_joins_the_word_and_leaves_both_spans_exact() -> None:
    lines = [line("the tempera-", 100, 100, 600), line("ture rose.", 100, 130, 400)]
    page = page_text(lines, W, H)
    assert page.text == "the temperature rose."
    assert [page.text[s.start : s.end] for s in page.lines] == ["the tempera", "ture rose."]


def test_a_hyphen_before_a_capital_or_a_number_stays() -> None:
    lines = [line("Jean-", 100, 100, 600), line("Paul and COVID-", 100, 130, 600)]
    lines.append(line("19 cases.", 100, 160, 600))
    assert page_text(lines, W, H).text == "Jean- Paul and COVID- 19 cases."


def test_a_wide_gap_starts_a_paragraph() -> None:
    lines = [
        line("One.", 100, 100, 600),
        line("Two.", 100, 130, 600),
        line("Three.", 100, 200, 600),
    ]
    assert page_text(lines, W, H).text == "One. Two.\n\nThree."


def test_boxes_on_one_height_are_one_row_read_left_to_right() -> None:
    lines = [line("Total", 100, 100, 200), line("42", 700, 102, 760), line("Net", 100, 130, 200)]
    lines.append(line("40", 700, 131, 760))
    assert page_text(lines, W, H).text == "Total 42 Net 40"


def test_two_columns_are_read_left_then_right_under_a_full_width_title() -> None:
    left = column(50, 480, 200, [f"Left column line number {n} of prose." for n in range(6)])
    right = column(520, 950, 200, [f"Right column line number {n} of prose." for n in range(6)])
    title = line("A title across both columns of the page", 50, 100, 950)
    page = page_text([*right, title, *left], W, H)
    paragraphs = page.text.split("\n\n")
    assert paragraphs[0] == "A title across both columns of the page"
    assert paragraphs[1].startswith("Left column line number 0") and "Right" not in paragraphs[1]
    assert paragraphs[2].startswith("Right column line number 0")
    assert find_gutter([*left, *right], W) is not None


def test_one_column_with_short_lines_has_no_gutter() -> None:
    lines = column(50, 950, 100, ["A long line of prose across the page."] * 6)
    lines.append(line("End.", 50, 300, 200))
    assert find_gutter(lines, W) is None


def test_no_lines_no_text() -> None:
    assert page_text([line("   ", 0, 0, 10)], W, H).text == ""
