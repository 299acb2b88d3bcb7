"""The chat as used every day, in Chromium: the viewer keeps its place, a phone shows it all,
a new answer starts in view, cards say where they come from once, Markdown headings look like
headings, Escape closes the viewer and citations are real links.

One ``docqa serve`` (the fake embedder, so no model loads) over the bundled article and a
lighthouse history; each test opens its own page.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from ingest.sync.pipeline import ingest
from tests.support.browser import BRICS, ChatPage, chromium, server_env
from tests.support.fakes import FakeEmbedder
from tests.support.paths import CORPUS
from tests.support.servers import served
from ui.pdf_page import MAX_PIXELS, MAX_SIDE_PX

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ARTICLE = "Kazakhstan's Refusal of BRICS+: Understanding the Geopolitical Balance"
KEEN = "Which ex-Soviet countries are most keen to join BRICS+?"
LIGHTHOUSE_DOC = """# The Varnholm Lighthouse

## History

The Varnholm lighthouse was built from granite quarried on Skarvö island. Its lamp was
converted to electricity in 1931, and the last keeper left the tower in 1968.
"""
PHONE = {"width": 390, "height": 844}


def _thin_pdf(path: Path) -> None:
    """A PDF whose second page is a strip 3 points wide and 2,000 high (a page of that shape
    once rendered at the chat's width took gigabytes)."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="A4")
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 14, "Survey of the harbour wall. The strip on the next page is a tally.")
    pdf.add_page(format=(3, 2000))
    pdf.output(str(path))


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``docqa serve`` (fake embedder) over the article, a short history and a PDF with a
    page of an absurd shape."""
    root = tmp_path_factory.mktemp("everyday")
    docs = root / "docs"
    docs.mkdir()
    (docs / "lighthouse.md").write_text(LIGHTHOUSE_DOC, encoding="utf-8")
    _thin_pdf(docs / "thin.pdf")
    index = root / "index"
    ingest([CORPUS, docs], index=index, embedder=FakeEmbedder())
    command = [sys.executable, "-m", "tests.support.fake_cli", "serve", "--index", str(index)]
    command += ["--port", "0"]
    with served(command, env=server_env(), log_path=root / "server.log") as (_process, url, _):
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium under Playwright."""
    yield from chromium()


def _page(browser: Any, url: str, viewport: dict[str, int]) -> tuple[Any, ChatPage]:
    context = browser.new_context(viewport=viewport)
    chat = ChatPage(context.new_page(), url)
    chat.open()
    return context, chat


@pytest.fixture
def chat(browser: Any, url: str) -> Iterator[ChatPage]:
    """A fresh page at 1440 x 900."""
    context, chat = _page(browser, url, {"width": 1440, "height": 900})
    yield chat
    context.close()


@pytest.fixture
def phone(browser: Any, url: str) -> Iterator[ChatPage]:
    """A fresh page at a phone's 390 x 844."""
    context, chat = _page(browser, url, PHONE)
    yield chat
    context.close()


def _within(outer: Any, inner: Any) -> bool:
    """Whether ``inner``'s top lies in the visible part of ``outer`` (both locators)."""
    a, b = outer.bounding_box(), inner.bounding_box()
    return bool(a and b and a["y"] <= b["y"] < a["y"] + a["height"])


def _viewer_shows_its_target(chat: ChatPage) -> bool:
    """The viewer's body is on screen and shows the place it scrolled to (the passage's start)."""
    body = chat.page.locator("#dq-viewer .dq-vbody")
    target = chat.page.locator("#dq-viewer .dq-vtarget")
    return _within(body, target)


def _settled(chat: ChatPage) -> None:
    """Wait until the viewer's body stopped scrolling (two equal frames)."""
    chat.page.wait_for_function(
        """() => new Promise(done => {
            const body = document.querySelector('#dq-viewer .dq-vbody');
            if (!body) return done(false);
            const first = body.scrollTop;
            requestAnimationFrame(() => requestAnimationFrame(
                () => done(body.scrollTop === first && body.clientHeight > 0)));
        })"""
    )


def test_the_viewer_keeps_its_place_when_closed_and_opened_again(chat: ChatPage) -> None:
    from playwright.sync_api import expect

    answer = chat.ask(KEEN)
    viewer = chat.page.locator("#dq-viewer")
    cite = answer.locator(".dq-lead .dq-cite a").first
    for _ in range(2):  # the second time, the same place in the same, reused, viewer
        cite.click()
        expect(viewer.locator(".dq-vpos")).to_have_text("passage 1 of 5")
        _settled(chat)
        assert _viewer_shows_its_target(chat)
        assert _within(viewer.locator(".dq-vbody"), viewer.locator(".dq-vtext mark").first)
        chat.page.locator("#dq-viewer-close").click()
        expect(viewer).to_be_hidden()
    answer.locator("details.dq-card").nth(2).locator(".dq-title a").click()
    expect(viewer.locator(".dq-vpos")).to_have_text("passage 3 of 5")
    _settled(chat)
    assert _viewer_shows_its_target(chat)
    assert _within(viewer.locator(".dq-vbody"), viewer.locator(".dq-vpassage").first)


def test_on_a_phone_the_answer_and_the_viewer_fit_the_screen(phone: ChatPage) -> None:
    from playwright.sync_api import expect

    page = phone.page
    answer = phone.ask(KEEN)
    expect(answer.locator("details.dq-card")).to_have_count(5)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    ask = page.get_by_role("button", name="Ask", exact=True).bounding_box()
    assert ask is not None and ask["x"] >= 0 and ask["x"] + ask["width"] <= PHONE["width"]
    # No card title is broken inside a word: each word of each title lies on one line.
    split = page.evaluate(
        """() => {
            const broken = [];
            for (const title of document.querySelectorAll('.dq-card .dq-title')) {
                const walker = document.createTreeWalker(title, NodeFilter.SHOW_TEXT);
                for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                    for (const m of node.data.matchAll(/\\S+/g)) {
                        const range = document.createRange();
                        range.setStart(node, m.index);
                        range.setEnd(node, m.index + m[0].length);
                        const rects = [...range.getClientRects()];
                        const tops = new Set(rects.map(r => Math.round(r.top)));
                        if (tops.size > 1) broken.push(m[0]);
                    }
                }
            }
            return broken;
        }"""
    )
    assert split == []
    phone.screenshot("phone-answer.png")

    answer.locator(".dq-lead .dq-cite a").first.click()
    viewer = page.locator("#dq-viewer-col")
    expect(viewer.locator(".dq-vpos")).to_have_text("passage 1 of 5")
    _settled(phone)
    box = viewer.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    mark = viewer.locator(".dq-vtext mark").first.bounding_box()
    assert mark is not None and mark["x"] >= 0 and mark["x"] + mark["width"] <= PHONE["width"]
    assert 0 <= mark["y"] < PHONE["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot("phone-viewer.png")
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(page.locator("#dq-question textarea")).to_be_in_viewport()


def test_a_new_answer_shows_its_question_and_its_start_not_its_end(chat: ChatPage) -> None:
    chat.ask(BRICS)
    answer = chat.ask(KEEN)  # the second answer: the chat has more than a screen to scroll
    chat.page.wait_for_timeout(300)  # the scroll runs after the answer is drawn
    scroller = chat.page.locator("#dq-chat .bubble-wrap")
    question = chat.page.locator(".dq-question").last
    assert question.inner_text() == KEEN
    assert _within(scroller, question)
    assert _within(scroller, answer.locator(".dq-lead"))
    overflow = scroller.evaluate("e => e.scrollHeight - e.clientHeight - e.scrollTop")
    assert overflow > 0  # not followed to the bottom of the answer


def test_cards_name_their_section_and_the_document_once(chat: ChatPage) -> None:
    from playwright.sync_api import expect

    answer = chat.ask(KEEN)
    cards = answer.locator("details.dq-card")
    expect(cards).to_have_count(5)
    expect(answer.locator(".dq-sources-label")).to_contain_text(ARTICLE)
    titles = cards.locator(".dq-title").all_inner_texts()
    assert ARTICLE not in titles and all(titles)
    assert answer.locator(".dq-doc").count() == 0  # said once above, not on every card
    # Each card's tooltip has its whole place: the document, then its section path.
    assert all(
        (cards.nth(i).locator(".dq-title").get_attribute("title") or "").startswith(ARTICLE)
        for i in range(5)
    )


def test_the_viewer_shows_markdown_headings_as_headings(chat: ChatPage) -> None:
    from playwright.sync_api import expect

    answer = chat.ask(KEEN)
    answer.locator(".dq-lead .dq-cite a").first.click()
    text = chat.page.locator("#dq-viewer .dq-vtext")
    expect(text.locator(".dq-vh").first).to_be_visible()
    shown = text.inner_text()
    assert "## " not in shown and "\n#" not in shown
    heading = text.locator(".dq-vh2").first
    size = float(heading.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    body = float(text.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    assert size > body and heading.evaluate("e => getComputedStyle(e).fontWeight") == "700"


def test_escape_closes_the_viewer(chat: ChatPage) -> None:
    from playwright.sync_api import expect

    answer = chat.ask(KEEN)
    answer.locator(".dq-lead .dq-cite a").first.click()
    viewer = chat.page.locator("#dq-viewer")
    expect(viewer.locator(".dq-vtext mark").first).to_be_visible()
    chat.page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(chat.page.locator("#dq-side")).to_be_visible()


def test_a_citation_opens_its_place_in_a_new_tab(chat: ChatPage) -> None:
    from playwright.sync_api import expect

    answer = chat.ask(KEEN)
    cite = answer.locator(".dq-lead .dq-cite a").first
    viewer = chat.page.locator("#dq-viewer")
    sentence = answer.locator(".dq-lead").inner_text().rsplit("[", 1)[0].strip()
    with chat.page.context.expect_page() as opened:
        cite.click(modifiers=["Control"])
    tab = opened.value
    tab.wait_for_load_state("domcontentloaded")
    query = parse_qs(urlsplit(tab.url).query)
    assert query["doc"] == ["kazakhstan-brics-refusal.md"] and "start" in query
    expect(tab.locator("#dq-viewer .dq-vtext mark").first).to_have_text(sentence)
    expect(viewer).to_be_hidden()  # the chat's own page did not open its viewer
    tab.close()

    with chat.page.context.expect_page() as opened:
        cite.click(button="middle")
    middle = opened.value
    middle.wait_for_load_state("domcontentloaded")
    expect(middle.locator("#dq-viewer .dq-vtext mark").first).to_have_text(sentence)
    middle.close()


def test_a_page_of_an_absurd_shape_is_shown_within_the_pixel_caps(chat: ChatPage) -> None:
    from playwright.sync_api import expect

    chat.open("?doc=thin.pdf&pg=2&show=page")
    image = chat.page.locator("#dq-viewer .dq-pdfpage img")
    expect(image).to_be_visible()
    expect(chat.page.locator("#dq-viewer .dq-vcaption")).to_have_text("page 2 of 2")
    width, height = image.evaluate("i => [i.naturalWidth, i.naturalHeight]")
    assert width >= 1 and max(width, height) <= MAX_SIDE_PX
    assert width * height <= MAX_PIXELS * 1.01  # pdfium rounds each side up
    # The server still serves other people: another page view answers after it.
    chat.open("?doc=thin.pdf&pg=1&show=page")
    expect(chat.page.locator("#dq-viewer .dq-vcaption")).to_have_text("page 1 of 2")


def test_the_viewer_page_does_not_stay_in_the_session(chat: ChatPage) -> None:
    """The viewer's HTML comes through a hidden carrier that the server empties once the page
    has shown it: Gradio keeps every output's last value in the session, and a viewer page
    can hold 210,000 characters or a page image."""
    from playwright.sync_api import expect

    answer = chat.ask(KEEN)
    answer.locator(".dq-lead .dq-cite a").first.click()
    viewer = chat.page.locator("#dq-viewer")
    expect(viewer.locator(".dq-vtext mark").first).to_be_visible()
    # Only the server's event empties the carrier (the page's script leaves it as it is): an
    # empty box is the session's value being replaced.
    expect(chat.page.locator("#dq-viewer-carrier textarea")).to_have_value("")
    expect(viewer.locator(".dq-vtext mark").first).to_be_visible()
