"""The column gutter of a PDF page's layout grid: the array search finds what the plain
line-by-line search finds, on any grid."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.formats.pdf import (
    MAX_GRID_CELLS,
    MIN_COLUMN_CHARS,
    MIN_TWO_SIDED_LINES,
    _gutter,
    reflow,
)


def reference_gutter(lines: list[str]) -> int | None:
    """The search as first written: every column, every line, strings sliced and stripped."""
    width = max((len(line) for line in lines), default=0)
    best, best_count = None, 0
    for x in range(width // 5, width * 4 // 5):
        two_sided, left_chars, right_chars, crossing = 0, 0, 0, 0
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


def two_columns(rng: random.Random, n_lines: int, column: int, gap: int) -> list[str]:
    """A page of two columns of words with a ragged right edge, a title and blank lines."""
    words = ["harbour", "ledger", "rope", "tar", "lamp", "oil", "stores", "ferry", "fog"]

    def text(limit: int) -> str:
        out = ""
        while len(out) < limit - 8:
            out += rng.choice(words) + " "
        return out.rstrip()

    lines = [" " * 10 + "A TITLE ACROSS THE WHOLE PAGE " * 3, ""]
    for i in range(n_lines):
        lines.append("" if i % 9 == 8 else text(column).ljust(column + gap) + text(column))
    return lines


@pytest.mark.parametrize("seed", range(6))
def test_the_array_search_finds_the_gutter_the_plain_search_finds(seed: int) -> None:
    rng = random.Random(seed)
    lines = two_columns(rng, rng.randint(5, 80), rng.randint(20, 70), rng.randint(2, 8))
    assert _gutter(lines) == reference_gutter(lines)
    assert _gutter(lines) is not None


_CHARS = st.sampled_from(["a", "b", " ", " ", " ", "\u00a0", "\t", "\u3000", "é", "\U0001f600"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(_CHARS, max_size=60), max_size=30))
def test_on_any_grid_both_searches_agree(lines: list[str]) -> None:
    assert _gutter(lines) == reference_gutter(lines)


@settings(max_examples=100, deadline=None)
@given(st.integers(4, 40), st.integers(12, 40), st.integers(1, 6), st.randoms())
def test_on_two_column_pages_both_searches_agree(
    n_lines: int, column: int, gap: int, rng: random.Random
) -> None:
    lines = two_columns(rng, n_lines, column, gap)
    assert _gutter(lines) == reference_gutter(lines)


def test_a_grid_over_the_cell_limit_is_read_as_one_column() -> None:
    width = 4_000
    lines = ["word " * (width // 5)] * (MAX_GRID_CELLS // width + 1)
    assert _gutter(lines) is None


def reference_reflow(lines: list[str]) -> str:
    """Paragraph joining as first written: the paragraph grows as one string."""
    paragraphs: list[str] = []
    current = ""
    for raw in lines:
        line = re.sub(r"[ \t\u00a0]{2,}", " ", raw).strip()
        if not line:
            if current:
                paragraphs.append(current)
            current = ""
        elif not current:
            current = line
        elif re.search(r"[^\W\d_]-$", current) and line[0].islower():
            current = current[:-1] + line
        else:
            current = f"{current} {line}"
    if current:
        paragraphs.append(current)
    return "\n\n".join(paragraphs)


_LINE_CHARS = st.sampled_from(["a", "B", "-", "-", " ", "\t", "1", "_", "é", "\u00a0"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(_LINE_CHARS, max_size=12), max_size=25))
def test_reflow_joins_lines_as_the_plain_version_did(lines: list[str]) -> None:
    assert reflow(lines) == reference_reflow(lines)


class _CountingPattern:
    """A regex that counts the characters its searches may scan."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern, self.scanned = pattern, 0

    def search(self, text: str, pos: int = 0) -> re.Match[str] | None:
        self.scanned += len(text) - pos
        return self.pattern.search(text, pos)


def test_reflowing_a_page_of_one_long_paragraph_reads_each_line_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ingest.formats.pdf as pdf

    counting = _CountingPattern(pdf._HYPHENATED)
    monkeypatch.setattr(pdf, "_HYPHENATED", counting)
    lines = [f"line {n} of a paragraph that never ends, set in two columns" for n in range(3_000)]
    text = pdf.reflow(lines)
    # Checking the whole paragraph so far for a hyphen at its end made a page quadratic.
    assert counting.scanned <= 10 * len(lines) and len(text) > 150_000
