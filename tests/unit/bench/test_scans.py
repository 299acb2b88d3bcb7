"""The clean scans bench.ingest measures OCR on: distinct pages, and the error rate's arithmetic."""

from __future__ import annotations

from bench.scans import character_error_rate, prose_pages


def test_prose_pages_are_distinct_plain_and_about_the_size_asked() -> None:
    text = "# Title\n\nFirst \u201cquoted\u201d paragraph.\n\n" + "Another paragraph. " * 30
    pages = prose_pages(text, 5, chars=300)
    assert len(pages) == 5 and len({tuple(p) for p in pages}) == 5
    for page in pages:
        assert sum(map(len, page)) >= 300 and not any(p.startswith("#") for p in page)
        assert all(all(ord(c) < 256 for c in p) for p in page)  # Latin-1 for the PDF fonts
    assert '"quoted"' in pages[0][1]


def test_the_error_rate_counts_edits_over_the_true_length_and_ignores_spacing() -> None:
    assert character_error_rate("the  cat\nsat", "the cat sat") == 0
    assert character_error_rate("the bat sat", "the cat sat") == 1 / 11
    assert character_error_rate("", "abcd") == 1
