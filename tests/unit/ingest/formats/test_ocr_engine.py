"""The packaged OCR engine on clean 200-dpi scans of known text: under 2% of characters wrong."""

from __future__ import annotations

import pytest

from ingest.formats.ocr.engine import RapidOcrEngine
from ingest.formats.ocr.reader import PageReader
from tests.support.scans import character_error_rate, scan

pytestmark = pytest.mark.slow

PAGE_ONE = [
    "Minutes of the harbour board, 14 March 2023. The board met at 9:30 in the old customs "
    "house; seven of its nine members were present, and the chair, Ms. Ingrid Solberg, opened "
    "the meeting by thanking the staff for their work during the winter storms.",
    "The engineer reported that the north pier had lost 38 of its 412 timber piles, and that "
    "repairs would cost about 1.2 million kroner. Members asked whether the work could wait "
    "until autumn; the engineer advised against any delay.",
]
PAGE_TWO = [
    "Ferry timetable (summer): departures at 07:15, 11:40 and 18:05 every weekday; on Sundays "
    "only the 11:40 boat runs. Tickets cost 45 kroner for adults, 20 for children under 12, "
    "and bicycles travel free of charge if there is room on deck.",
    "Questions about fares should be sent to the ticket office, which is open from Monday to "
    "Friday between 8 and 16 o'clock.",
]


@pytest.fixture(scope="module")
def reader() -> PageReader:
    return PageReader(RapidOcrEngine())


@pytest.mark.parametrize(("paragraphs", "size"), [(PAGE_ONE, 12), (PAGE_TWO, 10)])
def test_character_error_rate_on_a_clean_scan(
    reader: PageReader, paragraphs: list[str], size: float
) -> None:
    page = reader.read(scan(paragraphs, size=size))
    rate = character_error_rate(page.text, " ".join(paragraphs))
    assert rate <= 0.02, (rate, page.text)
    assert page.text.count("\n\n") == len(paragraphs) - 1  # the paragraph break is seen
    for line in page.lines:  # each line's box lies on the page, around real text
        assert page.text[line.start : line.end].strip()
        left, top, width, height = line.box
        assert min(left, top) >= 0 and left + width <= 1 and top + height <= 1
