"""A page read by OCR in the viewer, in Chromium: a scanned PDF page and a photographed notice,
shown as their pictures with boxes over the cited passage and its sentence.

One ``docqa serve`` (the fake embedder) over documents made here and read by the packaged OCR
engine when the index is built. Screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ingest.index.store import load_version
from ingest.sync.pipeline import ingest
from tests.support.browser import ChatPage, chromium, server_env
from tests.support.fakes import FakeEmbedder
from tests.support.scans import png_bytes, scan, scanned_pdf
from tests.support.servers import served
from ui.links import Place, place_query

pytestmark = [pytest.mark.slow, pytest.mark.browser]

COVER = "Harbour board report. The cover page lists the members of the board and the office hours."
REPAIRS = [
    "Repairs to the north pier. The engineer found that thirty-eight timber piles had rotted "
    "below the waterline.",
    "The board agreed that the rotten piles would be replaced with steel piles before the "
    "autumn storms, at a cost of one million kroner.",
]
NOTICE = ["Notice to passengers. The ferry to Skarvo island leaves the east quay at noon."]


@pytest.fixture(scope="module")
def served_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("ocr-viewer")
    docs = root / "docs"
    docs.mkdir()
    scanned_pdf(docs / "harbour.pdf", [COVER, scan(REPAIRS)])
    (docs / "notice.png").write_bytes(png_bytes(scan(NOTICE)))
    index = root / "index"
    report = ingest([docs], index=index, embedder=FakeEmbedder())  # the packaged OCR engine
    assert not report.rejected
    command = [sys.executable, "-m", "tests.support.fake_cli", "serve", "--index", str(index)]
    command += ["--port", "0"]
    with served(command, env=server_env(), log_path=root / "server.log") as (_p, url, _port):
        yield url, index


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from chromium()


@pytest.fixture
def chat(browser: Any, served_index: tuple[str, Path]) -> Iterator[ChatPage]:
    context = browser.new_context(viewport={"width": 1440, "height": 960})
    chat = ChatPage(context.new_page(), served_index[0])
    chat.open()
    yield chat
    context.close()


def test_a_scanned_page_opens_as_its_picture_with_the_sentence_boxed(chat: ChatPage) -> None:
    from playwright.sync_api import expect

    answer = chat.ask("What will replace the rotten timber piles of the north pier?")
    card = answer.locator("details.dq-card").first
    expect(card.locator(".dq-page")).to_have_text("page 2")
    card.locator(".dq-title a").click()
    viewer = chat.page.locator("#dq-viewer .dq-viewer")
    expect(viewer.locator(".dq-vcaption")).to_have_text("page 2 of 2")
    expect(viewer.locator(".dq-pdfpage img")).to_be_visible()
    sentence = viewer.locator(".dq-pdf-sentence")
    expect(sentence.first).to_be_visible()
    tops = [box.evaluate("b => parseFloat(b.style.top)") for box in sentence.all()]
    assert all(3 < top < 40 for top in tops)  # the paragraphs are at the top of the page
    passage = viewer.locator(".dq-pdf-passage")
    assert passage.count() >= sentence.count()
    chat.screenshot("viewer-ocr-page.png")


def test_a_link_into_a_picture_shows_the_picture_with_its_boxes(
    chat: ChatPage, served_index: tuple[str, Path]
) -> None:
    from playwright.sync_api import expect

    document = load_version(served_index[1]).documents["notice.png"]
    start = document.text.index("The ferry")
    end = len(document.text)
    chat.open(place_query(Place("notice.png", start, end, highlight=(start, end))))
    viewer = chat.page.locator("#dq-viewer .dq-viewer")
    expect(viewer.locator(".dq-vcaption")).to_have_text("page 1 of 1")
    image = viewer.locator(".dq-pdfpage img")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.naturalWidth") == 900
    boxes = viewer.locator(".dq-pdf-sentence")
    expect(boxes.first).to_be_visible()
    left = boxes.first.evaluate("b => parseFloat(b.style.left)")
    assert left > 10  # the sentence starts after "Notice to passengers." on its line
    chat.screenshot("viewer-ocr-picture.png")
