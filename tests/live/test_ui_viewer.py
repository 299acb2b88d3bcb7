"""The document viewer, shared links, the copy button and follow-up questions, in Chromium.

One ``docqa serve`` (the fake embedder, so no model loads) over the bundled article, a note
full of HTML, a lighthouse history, a long log and a two-page PDF. Each test opens its own
page. Screenshots go to ``tests/artifacts/``; ``make screenshots`` (``DOCQA_SCREENSHOTS=docs``)
writes the viewer's into ``docs/`` instead.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from ingest.sync.pipeline import ingest
from retrieval.confidence import shipped_confidence
from tests.support.browser import BRICS, CLOCK_DOC, ChatPage, chromium, server_env
from tests.support.documents import write_pdf
from tests.support.fakes import FakeEmbedder
from tests.support.paths import CORPUS
from tests.support.servers import served

pytestmark = [pytest.mark.slow, pytest.mark.browser]

LIGHTHOUSE_DOC = """# The Varnholm Lighthouse

## History

The Varnholm lighthouse was built from granite quarried on Skarvö island. Its lamp was
converted to electricity in 1931, and the last keeper left the tower in 1968.

## The great storm

A storm wrecked the Varnholm lighthouse gallery in the winter of 1902. The gallery was rebuilt
in bronze by the harbour board the following spring.
"""
FILLER = "The ledger lists routine deliveries of rope, tar and lamp oil to the harbour stores.\n\n"
LONG_DOC = (
    "# Harbour ledger\n\n## Entries\n\n"
    + FILLER * 2500
    + "The ferry Saltkråkan ran aground on the Hjortö sandbar during the October fog.\n\n"
    + FILLER * 2500
)
PDF_PAGES = [
    ["Observatory annual report. This page lists the staff and the visiting hours."],
    [
        "The refractor dome was repainted in a pale green colour during the summer.",
        "The meridian telescope was cleaned and its mirror recoated with fresh aluminium "
        "by technicians from the optics workshop. Visitors may view the telescope on "
        "Saturday evenings.",
    ],
]


@pytest.fixture(scope="module")
def viewer_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``docqa serve`` (fake embedder) over the article and the test documents."""
    root = tmp_path_factory.mktemp("viewer")
    docs = root / "docs"
    docs.mkdir()
    (docs / "clock-room.md").write_text(CLOCK_DOC, encoding="utf-8")
    (docs / "lighthouse.md").write_text(LIGHTHOUSE_DOC, encoding="utf-8")
    (docs / "harbour-ledger.md").write_text(LONG_DOC, encoding="utf-8")
    write_pdf(docs / "observatory.pdf", PDF_PAGES, title="Observatory report")
    index = root / "index"
    ingest([CORPUS, docs], index=index, embedder=FakeEmbedder())
    env = server_env()
    command = [sys.executable, "-m", "tests.support.fake_cli", "serve", "--index", str(index)]
    command += ["--port", "0"]
    with served(command, env=env, log_path=root / "server.log") as (_process, url, _port):
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium under Playwright."""
    yield from chromium()


class Chat(ChatPage):
    """One page on the chat, with the document viewer."""

    @property
    def viewer(self) -> Any:
        """The viewer's content."""
        return self.page.locator("#dq-viewer .dq-viewer")


@pytest.fixture
def chat(browser: Any, viewer_url: str) -> Iterator[Chat]:
    """A fresh page (own session, clipboard allowed) on the chat."""
    context = browser.new_context(
        viewport={"width": 1440, "height": 960}, permissions=["clipboard-read", "clipboard-write"]
    )
    chat = Chat(context.new_page(), viewer_url)
    chat.open()
    yield chat
    context.close()


def _place(card: Any) -> list[str]:
    """A card's document title, then its section path (the tooltip of its title)."""
    return str(card.locator(".dq-title").get_attribute("title")).split(" › ")


def _scrolled_into_view(body: Any, target: Any) -> bool:
    """Whether ``target`` lies inside the scrolled box ``body``'s visible part."""
    return bool(
        body.evaluate(
            """(body, target) => {
                const b = body.getBoundingClientRect(), t = target.getBoundingClientRect();
                return t.top >= b.top && t.top < b.bottom;
            }""",
            target.element_handle(),
        )
    )


def test_a_citation_opens_the_passage_in_its_document(chat: Chat) -> None:
    from playwright.sync_api import expect

    answer = chat.ask(BRICS)
    lead_sentence = answer.locator(".dq-lead").inner_text().rsplit("[", 1)[0].strip()
    card_section = answer.locator("details.dq-card").first.locator(".dq-title").inner_text()
    answer.locator(".dq-lead .dq-cite a").first.click()

    viewer = chat.viewer
    expect(viewer.locator(".dq-vtitle")).to_have_text(
        "Kazakhstan's Refusal of BRICS+: Understanding the Geopolitical Balance"
    )
    expect(viewer.locator(".dq-crumbs")).to_contain_text(card_section.split(" › ")[-1])
    expect(viewer.locator(".dq-vpos")).to_have_text("passage 1 of 5")
    mark = viewer.locator(".dq-vtext mark")
    expect(mark).to_have_text(lead_sentence)
    expect(viewer.locator(".dq-vpassage").first).to_be_visible()
    assert _scrolled_into_view(viewer.locator(".dq-vbody"), viewer.locator(".dq-vtarget"))
    # The whole article is in the window around the passage: more than the passage alone.
    window = viewer.locator(".dq-vtext").inner_text()
    passage = "".join(viewer.locator(".dq-vpassage").all_inner_texts())
    assert passage in window and len(window) > len(passage) + 500
    expect(chat.page.locator("#dq-side")).to_be_hidden()  # the viewer takes the settings' place

    viewer.locator("a.dq-next").click()
    expect(viewer.locator(".dq-vpos")).to_have_text("passage 2 of 5")
    second = _place(answer.locator("details.dq-card").nth(1))[0]
    expect(viewer.locator(".dq-vtitle")).to_have_text(second)
    viewer.locator("a.dq-prev").click()
    expect(viewer.locator(".dq-vpos")).to_have_text("passage 1 of 5")
    expect(viewer.locator(".dq-vtext mark")).to_have_text(lead_sentence)
    chat.show_answer(chat.page.locator(".dq-question").last)
    chat.screenshot("viewer.png")

    answer.locator("details.dq-card").nth(2).locator(".dq-title a").click()
    expect(viewer.locator(".dq-vpos")).to_have_text("passage 3 of 5")
    assert answer.locator("details.dq-card").nth(2).evaluate("card => card.open") is False
    chat.page.locator("#dq-viewer-close").click()
    expect(chat.page.locator("#dq-viewer")).to_be_hidden()
    expect(chat.page.locator("#dq-side")).to_be_visible()


def test_a_long_document_sends_only_the_text_around_the_passage(chat: Chat) -> None:
    from playwright.sync_api import expect

    answer = chat.ask("Which ferry ran aground on the Hjortö sandbar?")
    expect(answer.locator(".dq-lead")).to_contain_text("Saltkråkan ran aground")
    answer.locator(".dq-lead .dq-cite a").first.click()
    viewer = chat.viewer
    expect(viewer.locator(".dq-vtext mark")).to_contain_text("Saltkråkan ran aground")
    shown = len(viewer.locator(".dq-vtext").inner_text())
    assert shown < 10_000 < len(LONG_DOC) // 20
    body = viewer.locator(".dq-vbody")
    assert body.evaluate("body => body.scrollTop") > 0  # 3,000 characters precede the passage
    assert _scrolled_into_view(body, viewer.locator(".dq-vtarget"))
    earlier = viewer.locator("a.dq-earlier")
    expect(earlier).to_contain_text("characters before")
    label = earlier.inner_text()
    earlier.click()
    expect(earlier).not_to_have_text(label)  # fewer characters left before the window
    expect(viewer.locator(".dq-vtext mark")).to_contain_text("Saltkråkan ran aground")
    wider = len(viewer.locator(".dq-vtext").inner_text())
    assert shown < wider < len(LONG_DOC) // 5


def test_a_pdf_passage_opens_on_its_page_with_the_sentence_boxed(chat: Chat) -> None:
    from playwright.sync_api import expect

    answer = chat.ask("Who recoated the meridian telescope mirror with aluminium?")
    expect(answer.locator(".dq-lead")).to_contain_text("mirror recoated")
    card = answer.locator("details.dq-card").first
    expect(card.locator(".dq-page")).to_have_text("page 2")
    card.locator(".dq-title a").click()

    viewer = chat.viewer
    expect(viewer.locator(".dq-vmeta")).to_contain_text("page 2")
    expect(viewer.locator(".dq-vcaption")).to_have_text("page 2 of 2")
    image = viewer.locator(".dq-pdfpage img")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.naturalWidth") > 500
    sentence_boxes = viewer.locator(".dq-pdf-sentence")
    expect(sentence_boxes.first).to_be_visible()
    assert sentence_boxes.count() >= 2  # the sentence wraps over more than one line
    top = sentence_boxes.first.evaluate("box => parseFloat(box.style.top)")
    assert 5 < top < 50  # on the upper half of the page, where the paragraph is
    expect(viewer.locator(".dq-vnav .dq-vcurrent")).to_have_text("Page")
    chat.show_answer(chat.page.locator(".dq-question").last)
    chat.screenshot("viewer-pdf.png")

    viewer.locator("a.dq-view-text").click()
    expect(viewer.locator(".dq-vtext mark")).to_contain_text("mirror recoated")
    expect(viewer.locator(".dq-pdfpage")).to_have_count(0)
    viewer.locator("a.dq-view-page").click()
    expect(viewer.locator(".dq-pdf-sentence").first).to_be_visible()


def test_a_shared_link_reopens_the_viewer_at_the_same_place(
    chat: Chat, browser: Any, viewer_url: str
) -> None:
    from playwright.sync_api import expect

    answer = chat.ask(BRICS)
    answer.locator(".dq-lead .dq-cite a").first.click()
    viewer = chat.viewer
    sentence = viewer.locator(".dq-vtext mark").inner_text()
    share = viewer.locator("a.dq-share")
    expect(share).to_have_text(re.compile(r"^http://127\.0\.0\.1:\d+/\?doc="))
    link = share.get_attribute("href")
    assert link is not None
    query = parse_qs(urlsplit(link).query)
    assert "turn" not in query and query["doc"] == ["kazakhstan-brics-refusal.md"]

    viewer.locator("button.dq-copy-link").click()
    expect(viewer.locator("button.dq-copy-link")).to_have_text("Copied")
    copied = chat.page.evaluate("navigator.clipboard.readText()")
    assert copied == share.inner_text()

    colleague = browser.new_context(viewport={"width": 1440, "height": 960})
    try:
        other = Chat(colleague.new_page(), viewer_url)
        other.open(link)
        expect(other.viewer.locator(".dq-vtext mark")).to_have_text(sentence)
        expect(other.viewer.locator(".dq-vtitle")).to_have_text(
            viewer.locator(".dq-vtitle").inner_text()
        )
        body = other.viewer.locator(".dq-vbody")
        assert _scrolled_into_view(body, other.viewer.locator(".dq-vtarget"))
        expect(other.page.locator(".dq-answer")).to_have_count(0)  # nothing asked there
        expect(other.viewer.locator(".dq-vpos")).to_have_count(0)  # no answer to step through

        other.open("?doc=observatory.pdf&pg=2")
        expect(other.viewer.locator(".dq-vcaption")).to_have_text("page 2 of 2")
        expect(other.viewer.locator(".dq-pdfbox")).to_have_count(0)
        other.open("?doc=no-such-document.md&start=3")
        expect(other.viewer.locator(".dq-error")).to_contain_text("not in this index")
    finally:
        colleague.close()


def test_the_copy_button_puts_the_cited_sentence_on_the_clipboard(chat: Chat) -> None:
    from playwright.sync_api import expect

    answer = chat.ask(BRICS)
    sentence = answer.locator(".dq-lead").inner_text().rsplit("[", 1)[0].strip()
    card = answer.locator("details.dq-card").first
    title, *path = _place(card)
    section = " › ".join(path)
    button = answer.locator("button.dq-copy")
    button.click()
    expect(button).to_have_text("Copied")
    copied = chat.page.evaluate("navigator.clipboard.readText()")
    quote, _, rest = copied.partition("\n\n")
    assert quote.startswith("> ") and quote.endswith("[1]")
    assert " ".join(sentence.split()) in quote
    assert rest.startswith(f"[1] *{title}*, {section}: <{chat.url}?doc=")
    link = rest.split("<", 1)[1].split(">", 1)[0]
    assert parse_qs(urlsplit(link).query)["hl"]
    expect(button).to_have_text("Copy", timeout=5_000)


def test_a_card_labels_how_likely_its_passage_answers(chat: Chat) -> None:
    from playwright.sync_api import expect

    answer = chat.ask(BRICS)
    scores = answer.locator(".dq-score")
    expect(scores).to_have_count(5)
    labels = scores.all_inner_texts()
    pattern = re.compile(r"^(likely answers|may answer|related) · (\d+)%$")
    for label in labels:
        assert pattern.match(label), label
    percents = [int(pattern.match(label).group(2)) for label in labels]  # type: ignore[union-attr]
    # The answer was given: its first card is at least the decision threshold; the cards are
    # listed in the order of their percentages.
    threshold = shipped_confidence().reader.threshold
    assert percents[0] >= round(threshold * 100)
    assert percents == sorted(percents, reverse=True)
    assert percents != [100] * len(percents)
    assert not re.search(r"score \d", answer.locator(".dq-meta").first.inner_text())


def test_a_document_with_html_shows_it_as_text_in_the_viewer(chat: Chat) -> None:
    from playwright.sync_api import expect

    answer = chat.ask("What did the prank note on the brass quartz clock read?")
    expect(answer.locator("details.dq-card").first).to_contain_text("Clock room notes")
    answer.locator("details.dq-card").first.locator(".dq-title a").click()
    viewer = chat.viewer
    expect(viewer.locator(".dq-vtitle")).to_have_text(
        "Clock room notes <script>window.__xss_title=1</script>"
    )
    expect(viewer.locator(".dq-vtext")).to_contain_text(
        "<script>window.__xss=1;alert('xss')</script>"
    )
    expect(viewer.locator(".dq-vtext")).to_contain_text("<img src=x onerror=")
    page = chat.page
    assert page.locator("#dq-viewer script").count() == 0
    assert page.locator("#dq-viewer img[src='x']").count() == 0
    assert page.evaluate("[window.__xss, window.__xss_title]") == [None, None]
    assert chat.dialogs == []


def test_a_follow_up_question_is_answered_from_the_same_topic(chat: Chat, browser: Any) -> None:
    from playwright.sync_api import expect

    follow_up = "When did that happen?"
    first = chat.ask("What wrecked the Varnholm lighthouse gallery?")
    lighthouse = re.compile(r"^The Varnholm Lighthouse( › |$)")
    expect(first.locator("details.dq-card").first.locator(".dq-title")).to_have_attribute(
        "title", lighthouse
    )
    second = chat.ask(follow_up)
    expect(second.locator("details.dq-card").first.locator(".dq-title")).to_have_attribute(
        "title", lighthouse
    )
    expect(second.locator(".dq-lead")).to_contain_text("1902")
    chat.show_answer(first)
    chat.screenshot("followup.png")

    # Asked alone, the same words do not lead to the lighthouse: the history made it.
    alone = Chat(browser.new_page(), chat.url)
    try:
        alone.open()
        answer = alone.ask(follow_up)
        assert _place(answer.locator("details.dq-card").first)[0] != "The Varnholm Lighthouse"
    finally:
        alone.page.close()

    chat.page.locator("#dq-clear").click()  # Clear forgets the conversation
    expect(chat.page.locator(".dq-answer")).to_have_count(0)
    again = chat.ask(follow_up)
    assert _place(again.locator("details.dq-card").first)[0] != "The Varnholm Lighthouse"
