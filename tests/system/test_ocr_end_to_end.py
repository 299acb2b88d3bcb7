"""Questions answered from a scanned PDF and a photographed page: the real OCR engine and the
real model, documents made in the test; the first passage is the right one, cited with its page."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.embedding.protocol import Embedder
from ingest.index.store import load_version
from ingest.sync.pipeline import ingest
from retrieval import ask
from tests.support.scans import png_bytes, scan, scanned_pdf

pytestmark = [pytest.mark.model, pytest.mark.slow]

COVER = [
    "Annual report of the Varnholm Lighthouse Trust. This report describes the work of the "
    "trust during the year, its volunteers, its visitors and the state of its accounts.",
]
REPAIRS = [
    "Repairs. The lantern room was repainted in June. The old copper roof of the tower was "
    "replaced with zinc sheets in August, at a cost of 86,000 kroner paid from the "
    "restoration fund.",
]
NOTICE = [
    "Notice to visitors. The tower is open every Saturday from May to September. Guided "
    "tours start at eleven o'clock and last forty minutes; children under seven may not "
    "climb the spiral stairs.",
]


@pytest.fixture(scope="module")
def scanned_index(tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder) -> Path:
    folder = tmp_path_factory.mktemp("scans")
    scanned_pdf(folder / "report.pdf", [scan(COVER), scan(REPAIRS)])
    (folder / "notice.png").write_bytes(png_bytes(scan(NOTICE)))
    index = folder / "index"
    report = ingest(
        [folder / "report.pdf", folder / "notice.png"], index=index, embedder=real_embedder
    )
    assert not report.rejected and len(report.added) == 2
    return index


@pytest.mark.parametrize(
    ("question", "doc_id", "page", "evidence"),
    [
        ("What was the tower's copper roof replaced with?", "report.pdf", 2, "zinc sheets"),
        ("At what time do the guided tours of the tower start?", "notice.png", 1, "eleven"),
    ],
)
def test_the_first_passage_answers_and_cites_its_page(
    scanned_index: Path, question: str, doc_id: str, page: int, evidence: str
) -> None:
    answer = ask(question, index=scanned_index, k=3)
    first = answer.passages[0]
    assert (first.doc_id, first.page) == (doc_id, page)
    assert evidence in first.text
    document = load_version(scanned_index).documents[doc_id]
    assert document.text[first.start : first.end] == first.text
    on_page = [b for b in document.boxes if b.page == page and first.start <= b.start < first.end]
    assert on_page  # the viewer has the passage's line boxes to draw
