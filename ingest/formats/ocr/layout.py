"""OCR lines back into text in reading order, each line's box kept with its span of the text.

An OCR engine gives lines with boxes in no useful order. A page is read as a person would:
when a vertical gutter splits it into two columns (many prose lines on both sides of it,
few crossing it), lines crossing the gutter (titles, full-width figures) cut the page into
bands, and within a band the left column is read before the right one. In a column, boxes
whose middles lie on one height make a row, read left to right; rows are read top to
bottom, and a gap taller than :data:`PARAGRAPH_GAP` line heights starts a paragraph. Lines
of a paragraph are joined by a space, or with nothing when one ends in a hyphen after a
letter and the next starts in lower case (``infor-`` + ``mation``). Paragraphs are separated
by a blank line, as the PDF loader separates them.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.formats.ocr.engine import OcrLine

#: A gap between rows taller than this many median line heights starts a paragraph.
PARAGRAPH_GAP = 0.8
#: A gutter needs this many lines on each side of it ...
MIN_SIDE_LINES = 3
#: ... holding on average this many characters (prose, not a narrow table).
MIN_COLUMN_CHARS = 12
#: Candidate gutter positions tried across the middle of the page.
_GUTTER_STEPS = 200

_SPACES = re.compile(r"\s+")
_HYPHENATED = re.compile(r"[^\W\d_]-$")


@dataclass(frozen=True)
class LineSpan:
    """Where one OCR line's text lies in the page text, and its box on the page.

    Attributes:
        start, end: Offsets into :attr:`PageText.text`.
        box: ``(left, top, width, height)`` as fractions (0..1) of the page's width and
            height, from its top-left corner, rounded to 4 decimals.
    """

    start: int
    end: int
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class PageText:
    """A page's text as read by OCR, and the span and box of each of its lines."""

    text: str
    lines: tuple[LineSpan, ...]


def _clean(text: str) -> str:
    # Full-width punctuation of the recogniser's alphabet becomes ASCII; runs of blanks one.
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def _middle(line: OcrLine) -> float:
    return (line.box[1] + line.box[3]) / 2


def find_gutter(lines: Sequence[OcrLine], width: float) -> float | None:
    """The x (pixels) of a gutter between two columns of ``lines``, or None for one column.

    Among positions in the middle three fifths of the page, the one with the most lines
    wholly on either side of it minus the lines crossing it, provided each side holds
    :data:`MIN_SIDE_LINES` lines of :data:`MIN_COLUMN_CHARS` characters on average and the
    crossing lines are fewer than either side's.
    """
    best, best_score = None, 0
    for step in range(_GUTTER_STEPS + 1):
        x = width * (0.2 + 0.6 * step / _GUTTER_STEPS)
        left = [line for line in lines if line.box[2] < x]
        right = [line for line in lines if line.box[0] > x]
        crossing = len(lines) - len(left) - len(right)
        if min(len(left), len(right)) < MIN_SIDE_LINES or crossing >= min(len(left), len(right)):
            continue
        if any(
            sum(len(line.text) for line in side) < MIN_COLUMN_CHARS * len(side)
            for side in (left, right)
        ):
            continue
        score = len(left) + len(right) - crossing
        if score > best_score:
            best, best_score = x, score
    return best


def reading_blocks(lines: Sequence[OcrLine], width: float) -> list[list[OcrLine]]:
    """``lines`` grouped into blocks in reading order (bands cut by full-width lines, the left
    column before the right one); each block's lines are sorted top to bottom."""
    ordered = sorted(lines, key=lambda line: (_middle(line), line.box[0]))
    gutter = find_gutter(ordered, width)
    if gutter is None:
        return [ordered] if ordered else []
    blocks: list[list[OcrLine]] = []
    left: list[OcrLine] = []
    right: list[OcrLine] = []
    for line in ordered:
        if line.box[2] < gutter:
            left.append(line)
        elif line.box[0] > gutter:
            right.append(line)
        else:
            blocks.extend(side for side in (left, right) if side)
            left, right = [], []
            blocks.append([line])
    blocks.extend(side for side in (left, right) if side)
    return blocks


def rows(block: Sequence[OcrLine]) -> list[list[OcrLine]]:
    """The lines of one block as rows: boxes whose vertical middle lies inside the row's first
    box are one row, read left to right."""
    out: list[list[OcrLine]] = []
    for line in sorted(block, key=_middle):
        if out:
            first = out[-1][0]
            if first.box[1] <= _middle(line) <= first.box[3]:
                out[-1].append(line)
                continue
        out.append([line])
    return [sorted(row, key=lambda line: line.box[0]) for row in out]


def page_text(lines: Sequence[OcrLine], width: int, height: int) -> PageText:
    """The text of a ``width`` x ``height`` pixel page from its OCR ``lines`` (see the module
    docstring), with every line's span and box.

    Example:
        >>> a = OcrLine("Water boils at a hundred de-", (10, 10, 300, 30), 0.99)
        >>> b = OcrLine("grees at sea level.", (10, 40, 200, 60), 0.99)
        >>> page_text([b, a], 400, 400).text
        'Water boils at a hundred degrees at sea level.'
    """
    lines = [line for line in lines if _clean(line.text)]
    if not lines:
        return PageText("", ())
    typical = statistics.median(line.box[3] - line.box[1] for line in lines)
    parts: list[str] = []
    spans: list[LineSpan] = []
    pos = 0
    for block in reading_blocks(lines, width):
        previous_bottom: float | None = None
        for row in rows(block):
            top = min(line.box[1] for line in row)
            if previous_bottom is None or top - previous_bottom > PARAGRAPH_GAP * typical:
                joint = "\n\n" if pos else ""
            elif _HYPHENATED.search(parts[-1]) and _clean(row[0].text)[:1].islower():
                parts[-1] = parts[-1][:-1]  # the hyphen goes: its line's span ends before it
                pos -= 1
                spans[-1] = LineSpan(spans[-1].start, pos, spans[-1].box)
                joint = ""
            else:
                joint = " "
            previous_bottom = max(line.box[3] for line in row)
            for n, line in enumerate(row):
                text = _clean(line.text)
                glue = joint if n == 0 else " "
                parts.append(glue)
                pos += len(glue)
                parts.append(text)
                spans.append(LineSpan(pos, pos + len(text), _fractions(line.box, width, height)))
                pos += len(text)
    return PageText("".join(parts), tuple(spans))


def _fractions(
    box: tuple[float, float, float, float], width: int, height: int
) -> tuple[float, float, float, float]:
    left, top = max(0.0, box[0]), max(0.0, box[1])
    right, bottom = min(float(width), box[2]), min(float(height), box[3])
    return (
        round(left / width, 4),
        round(top / height, 4),
        round(max(0.0, right - left) / width, 4),
        round(max(0.0, bottom - top) / height, 4),
    )
