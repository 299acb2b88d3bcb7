"""Pages read by OCR in the viewer: boxes from the document's line boxes, pictures as pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.formats.document import Document, Page, PageBox, Section
from ingest.formats.ocr.reader import OcrSettings
from ingest.index.store import load_version
from ingest.sync.pipeline import ingest
from tests.support.fakes import FakeEmbedder
from tests.support.scans import CountingEngine, png_bytes, scan, scanned_pdf
from ui.links import Place
from ui.ocr_page import render_picture, span_boxes
from ui.pdf_page import PageUnavailableError
from ui.viewer import locate, render_viewer

TEXT = "First line of text. Second line here."
DOCUMENT = Document(
    "scan.png",
    "scan",
    "/nowhere/scan.png",
    "image",
    TEXT,
    (Section((), 0, len(TEXT)),),
    (Page(1, 0, len(TEXT)),),
    boxes=(PageBox(1, 0, 19, 0.1, 0.1, 0.8, 0.02), PageBox(1, 20, 37, 0.1, 0.13, 0.4, 0.02)),
)


def test_a_span_covers_the_share_of_each_line_its_characters_cover() -> None:
    whole = span_boxes(DOCUMENT, 1, (0, len(TEXT)), "passage")
    assert [(b.left, b.width) for b in whole] == [(0.1, 0.8), (0.1, 0.4)]
    second_half = span_boxes(DOCUMENT, 1, (6, 19), "sentence")
    (box,) = second_half
    assert box.kind == "sentence" and box.left == pytest.approx(0.1 + 0.8 * 6 / 19)
    assert box.width == pytest.approx(0.8 * 13 / 19) and box.top == 0.1
    assert span_boxes(DOCUMENT, 2, (0, 10), "passage") == ()
    assert span_boxes(DOCUMENT, 1, None, "passage") == ()


def test_a_picture_is_rendered_as_a_page_within_the_chat_width(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    path.write_bytes(png_bytes(scan(["A short note."])))
    image = render_picture(path, 1, ())
    assert image.png.startswith(b"\x89PNG") and image.width == 900 and image.page_count == 1
    with pytest.raises(PageUnavailableError, match="no page 2"):
        render_picture(path, 2, ())
    with pytest.raises(PageUnavailableError, match="no longer at"):
        render_picture(tmp_path / "gone.png", 1, ())


def _boxes(html: str) -> list[tuple[str, float, float]]:
    found = re.findall(r'dq-pdf-(passage|sentence)[^"]*" style="left:([\d.]+)%;top:([\d.]+)%', html)
    return [(kind, float(left), float(top)) for kind, left, top in found]


def test_the_viewer_shows_a_scanned_page_and_a_picture_with_the_ocr_boxes(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    scanned_pdf(
        docs / "report.pdf",
        ["A typed cover page, long enough to be a text layer.", scan(["The scanned second page."])],
    )
    (docs / "notice.png").write_bytes(png_bytes(scan(["A photographed notice."])))
    index = tmp_path / "index"
    ingest([docs], index=index, embedder=FakeEmbedder(), ocr=OcrSettings(engine=CountingEngine()))
    version = load_version(index)
    for doc_id, page in (("report.pdf", 2), ("notice.png", 1)):
        document = version.documents[doc_id]
        (line,) = [b for b in document.boxes if b.page == page]
        place = Place(doc_id, line.start, line.end, highlight=(line.start, line.end))
        located = locate(place, version)
        assert located.view == "page" and located.page == page
        html = render_viewer(located)
        assert 'src="data:image/png;base64,' in html and f"page {page} of {page}" in html
        expected = (round(line.left * 100, 2), round(line.top * 100, 2))
        kinds = {
            kind for kind, left, top in _boxes(html) if (round(left, 2), round(top, 2)) == expected
        }
        assert kinds == {"passage", "sentence"}, html[:2000]
