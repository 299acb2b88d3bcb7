"""Sentence spans with exact offsets (a rule-based splitter, deterministic and fast)."""

from __future__ import annotations

import re

# A sentence ends at ., ! ? or … (plus closing quotes/brackets) followed by whitespace and
# something that can start a sentence; or at a line break before a line that does not
# continue in lower case; or at a blank line.
_END = re.compile(
    r"""(?:[.!?…]+["'”’)\]]*)(?=\s+["'“‘(\[]?[A-Z0-9À-ÖØ-Þ])"""
    r"""|(?:\n[ \t]*\n)"""
    r"""|(?:\n(?=[ \t]*[^a-z\s]))"""
)
_ABBREVIATIONS = frozenset(
    [
        "al",
        "approx",
        "cf",
        "dr",
        "e.g",
        "eg",
        "etc",
        "fig",
        "figs",
        "i.e",
        "ie",
        "inc",
        "jr",
        "ltd",
        "mr",
        "mrs",
        "ms",
        "no",
        "nos",
        "prof",
        "sr",
        "st",
        "vs",
        "vol",
        "pp",
        "ed",
        "eds",
        "dept",
        "univ",
        "est",
    ]
)
_WORD_BEFORE = re.compile(r"([\w.]+)[.]$")


def _is_abbreviation(text: str, end: int) -> bool:
    match = _WORD_BEFORE.search(text, max(0, end - 12), end)
    if not match:
        return False
    word = match.group(1).lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Split ``text[start:end]`` into sentences and return their spans in ``text``.

    Spans are trimmed of surrounding whitespace, in order, non-overlapping, and never empty;
    ``text[a:b]`` is the sentence.

    Example:
        >>> sentence_spans("One. Two!")
        [(0, 4), (5, 9)]
    """
    stop = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _END.finditer(text, start, stop):
        cut = match.end() if not match.group(0).startswith("\n") else match.start()
        if (
            match.group(0)[0] in ".!?…"
            and match.group(0).rstrip("\"'”’)]").endswith(".")
            and (_is_abbreviation(text, match.start() + len(match.group(0).rstrip("\"'”’)]"))))
        ):
            continue
        _append(text, cursor, cut, spans)
        cursor = cut
    _append(text, cursor, stop, spans)
    return spans


def _append(text: str, a: int, b: int, spans: list[tuple[int, int]]) -> None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if b > a:
        spans.append((a, b))
