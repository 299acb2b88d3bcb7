"""The chat served by ``docqa serve``, driven in Debian's Chromium and through gradio_client.

One server (a subprocess running the real CLI on 127.0.0.1) and one browser are shared by the
module; each test opens its own page, so a test never depends on another's conversation.
The index is built from the bundled corpus plus a document full of HTML, with the real model.
"""

from __future__ import annotations

import json
import re
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ingest.embedding.protocol import Embedder
from ingest.sync.pipeline import ingest
from tests.support.browser import BRICS, CLOCK_DOC, CLOCK_TITLE, chromium, server_env
from tests.support.browser import ChatPage as Chat
from tests.support.paths import CORPUS
from tests.support.servers import served
from ui.app import EXAMPLES
from ui.cli import main as docqa
from ui.render import ABSTAIN_TEXT

pytestmark = [pytest.mark.model, pytest.mark.slow]

EVEREST = "How tall is Mount Everest?"
LIGHTHOUSE_DOC = """# The Varnholm Lighthouse

## History

The Varnholm lighthouse was built in 1887 from granite quarried on Skarvö island. Its lamp was
converted to electricity in 1931, and the last keeper left the tower in 1968.
"""
UPLOAD_LIMIT_MB = 1


def _ready(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url + "config", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="module")
def chat_index(tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder) -> Path:
    """The bundled corpus plus the HTML-laden clock-room note, indexed with the real model."""
    root = tmp_path_factory.mktemp("chat")
    note = root / "clock-room.md"
    note.write_text(CLOCK_DOC, encoding="utf-8")
    index = root / "index"
    ingest([CORPUS, note], index=index, embedder=real_embedder)
    return index


@pytest.fixture(scope="module")
def chat_url(chat_index: Path) -> Iterator[str]:
    """``docqa serve`` on 127.0.0.1 and a free port, with a 1 MB upload limit."""
    log_path = chat_index.parent / "server.log"
    env = server_env()
    command = [
        sys.executable,
        "-m",
        "ui.cli",
        "serve",
        "--index",
        str(chat_index),
        "--port",
        "0",
        "--max-upload-mb",
        str(UPLOAD_LIMIT_MB),
    ]
    with served(command, env=env, log_path=log_path) as (process, url, _port):
        deadline = time.monotonic() + 60
        while not _ready(url):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"docqa serve does not answer:\n{log_path.read_text()}")
            time.sleep(0.5)
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium under Playwright (never a downloaded browser)."""
    yield from chromium()


@pytest.fixture
def chat(browser: Any, chat_url: str) -> Iterator[Chat]:
    """A fresh page (own session) with the chat loaded."""
    context = browser.new_context(viewport={"width": 1320, "height": 1000})
    chat = Chat(context.new_page(), chat_url)
    chat.open()
    yield chat
    context.close()


@pytest.mark.browser
def test_a_question_gets_a_cited_answer_with_the_source_highlighted(chat: Chat) -> None:
    from playwright.sync_api import expect

    answer = chat.ask(BRICS)
    expect(chat.page.locator(".dq-question").last).to_have_text(BRICS)
    lead = answer.locator(".dq-lead")
    expect(lead).to_contain_text("From 22nd to 24th October 2024, Russia hosted the 16th BRICS")
    expect(lead.locator(".dq-cite").first).to_have_text("[1]")
    cards = answer.locator("details.dq-card")
    expect(cards).to_have_count(5)
    first = cards.first
    expect(answer.locator(".dq-sources-label")).to_contain_text(
        "Kazakhstan's Refusal of BRICS+: Understanding the Geopolitical Balance"
    )
    expect(first.locator("summary")).to_contain_text("[1]Introduction")
    expect(first.locator(".dq-meta")).to_contain_text(re.compile(r"likely answers · \d{1,3}%"))
    mark = first.locator("mark")
    expect(mark).to_be_visible()
    expect(mark).to_contain_text("Russia hosted the 16th BRICS summit")
    expect(cards.nth(1).locator(".dq-passage")).to_be_hidden()  # later cards start collapsed
    expect(answer.locator(".dq-footer")).to_contain_text("5 passages · hybrid")
    chat.screenshot("answer.png")


#: What people paste before their question: a page of background that answers nothing.
BACKGROUND = (
    "I am preparing a briefing for our trade committee and have been reading background "
    "material on Central Asia, on commodity markets and on how retaliatory measures play out "
    "between neighbouring economies. Our members export machinery parts and import farm goods, "
    "so we care about which product categories get caught up in political disputes, how "
    "quickly such measures are announced, and whether they are framed as safety concerns "
    "rather than as politics. The committee chair wants a one-page note with sources, and I "
    "would rather quote our documents than rely on news summaries. "
) * 3


@pytest.mark.browser
def test_a_long_question_is_read_for_what_it_asks_and_one_over_the_limit_stays(
    chat: Chat,
) -> None:
    from playwright.sync_api import expect

    box = chat.page.locator("#dq-question textarea")
    expect(box).to_have_attribute("placeholder", re.compile(r"up to 2,000 characters"))
    question = BACKGROUND + "Which Kazakh exports did the Russian ban cover?"
    assert 1_500 < len(question) <= 2_000
    answer = chat.ask(question)
    expect(answer.locator(".dq-lead")).to_contain_text("banned the import")
    expect(answer.locator(".dq-abstain")).to_have_count(0)

    too_long = BACKGROUND * 2
    box.fill(too_long)
    box.press("Enter")
    expect(chat.page.get_by_text(re.compile(r"the limit is 2,000"))).to_be_visible()
    expect(box).to_have_value(too_long.strip())  # kept, to shorten
    expect(chat.page.locator(".dq-answer")).to_have_count(1)


@pytest.mark.browser
def test_an_unanswerable_question_abstains_and_offers_the_nearest_passages(chat: Chat) -> None:
    from playwright.sync_api import expect

    answer = chat.ask(EVEREST)
    expect(answer.locator(".dq-lead")).to_have_text(ABSTAIN_TEXT)
    expect(answer.locator(".dq-cite")).to_have_count(0)
    nearest = answer.locator("details.dq-nearest")
    expect(nearest.locator(":scope > summary")).to_have_text("Nearest passages (5)")
    assert nearest.evaluate("element => element.open") is False
    expect(nearest.locator("details.dq-card").first).to_be_hidden()
    nearest.locator(":scope > summary").click()
    expect(nearest.locator("details.dq-card")).to_have_count(5)
    expect(nearest.locator("details.dq-card").first).to_be_visible()
    chat.screenshot("abstain.png")


@pytest.mark.browser
def test_uploaded_files_are_ingested_reported_and_answerable(
    chat: Chat, chat_index: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    good = tmp_path / "Lighthouse log.md"
    good.write_text(LIGHTHOUSE_DOC, encoding="utf-8")
    big = tmp_path / "big-notes.txt"
    big.write_text("word " * 300_000)  # 1.5 MB, over the 1 MB limit
    odd = tmp_path / "data.bin"
    odd.write_bytes(b"\x00\x01\x02")
    chat.page.locator("#dq-upload input[type=file]").set_input_files([good, big, odd])

    status = chat.page.locator("#dq-upload-status")
    expect(status.locator("li")).to_have_count(3)
    expect(status).to_contain_text("✓ added Lighthouse_log.md")
    expect(status).to_contain_text(
        "✗ rejected big-notes.txt — the file is 1.5 MB, over the upload limit of 1.0 MB"
    )
    expect(status).to_contain_text("✗ rejected data.bin — unsupported file type '.bin'")
    expect(chat.page.locator("#dq-docs")).to_contain_text("The Varnholm Lighthouse")
    assert (chat_index / "uploads" / "Lighthouse_log.md").read_text() == LIGHTHOUSE_DOC
    assert not (chat_index / "uploads" / "big-notes.txt").exists()

    answer = chat.ask("When was the Varnholm lighthouse built?")
    expect(answer.locator(".dq-lead")).to_contain_text("built in 1887")
    expect(answer.locator("details.dq-card").first.locator("summary")).to_contain_text(
        "The Varnholm Lighthouse"
    )
    chat.screenshot("upload.png")


@pytest.mark.browser
def test_html_in_documents_and_questions_is_shown_as_text(chat: Chat) -> None:
    from playwright.sync_api import expect

    question = 'What did the note on the quartz clock say? <img src=x onerror="window.__xss=3">'
    answer = chat.ask(question)
    expect(chat.page.locator(".dq-question").last).to_have_text(question)
    expect(answer.locator(".dq-lead")).to_contain_text(
        "<script>window.__xss=1;alert('xss')</script>"
    )
    card = answer.locator("details.dq-card").first
    # The card's title says where in the document; the document's title is in its tooltip
    # (an attribute, so the markup it holds is text there too).
    expect(card.locator(".dq-title")).to_have_attribute("title", re.compile(re.escape(CLOCK_TITLE)))
    expect(card.locator("mark")).to_contain_text(
        "<img src=x onerror=\"window.__xss=2;alert('img')\">"
    )
    expect(chat.page.locator("#dq-docs")).to_contain_text(CLOCK_TITLE)
    page = chat.page
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("#dq-chat script, #dq-docs script").count() == 0
    assert page.evaluate("[window.__xss, window.__xss_title]") == [None, None]
    assert chat.dialogs == []
    chat.screenshot("xss.png")


@pytest.mark.browser
def test_settings_choose_passages_mode_and_documents(chat: Chat) -> None:
    from playwright.sync_api import expect

    page = chat.page
    k_box = page.locator("#dq-k input[type=number]")
    expect(k_box).to_be_hidden()  # the tuning settings are closed until opened
    page.get_by_role("button", name="Passages and search mode").click()
    expect(k_box).to_be_editable()  # the panel has opened: a value typed now is taken
    k_box.fill("2")
    k_box.press("Enter")
    k_box.blur()
    expect(page.locator("#dq-k input[type=range]")).to_have_value("2")
    page.locator("#dq-mode").get_by_label("dense").check()
    filter_box = page.get_by_role("combobox", name="Only these documents")
    filter_box.click()
    page.get_by_role("option", name=CLOCK_TITLE).click()
    page.keyboard.press("Escape")

    answer = chat.ask(BRICS)
    expect(answer.locator(".dq-footer")).to_contain_text("1 passage · dense")
    expect(answer.locator("details.dq-card .dq-title")).to_have_attribute(
        "title", re.compile(re.escape(CLOCK_TITLE))
    )

    page.locator("#dq-mode").get_by_label("keyword").check()
    answer = chat.ask("Which products did Russia ban from Kazakhstan?")
    expect(answer.locator(".dq-lead")).to_have_text(ABSTAIN_TEXT)
    expect(answer.locator(".dq-footer")).to_contain_text("0 passages · keyword")

    page.locator("#dq-filter").get_by_role("button", name="Clear").first.click()
    answer = chat.ask("Which products did Russia ban from Kazakhstan?")
    expect(answer.locator(".dq-footer")).to_contain_text("2 passages · keyword")
    expect(answer.locator(".dq-lead")).to_contain_text("grain, tomatoes, peppers")


@pytest.mark.browser
def test_an_example_question_is_asked_on_click_and_clear_empties_the_chat(chat: Chat) -> None:
    from playwright.sync_api import expect

    page = chat.page
    example = EXAMPLES["kazakhstan-brics-refusal.md"][0]
    page.get_by_role("button", name=f"Select example 1: {example}").click()
    expect(page.locator(".dq-answer .dq-lead")).to_contain_text("Confidence-Building Measures")
    expect(page.locator(".dq-question")).to_have_text([example])
    page.locator("#dq-clear").click()
    expect(page.locator(".dq-answer")).to_have_count(0)
    expect(page.locator(".dq-question")).to_have_count(0)
    expect(page.get_by_role("button", name=f"Select example 1: {example}")).to_be_visible()


@pytest.mark.browser
def test_the_last_example_question_shows_an_abstention(chat: Chat) -> None:
    from playwright.sync_api import expect

    examples = EXAMPLES["kazakhstan-brics-refusal.md"]
    n = len(examples)
    chat.page.get_by_role("button", name=f"Select example {n}: {examples[-1]}").click()
    expect(chat.page.locator(".dq-answer").last).to_contain_text(ABSTAIN_TEXT)


def test_the_ask_endpoint_returns_what_docqa_ask_json_prints(
    chat_url: str, chat_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gradio_client import Client

    client = Client(chat_url, verbose=False)
    served = client.predict(BRICS, 3, "dense", api_name="/ask")
    assert (
        docqa(["ask", BRICS, "--index", str(chat_index), "--k", "3", "--mode", "dense", "--json"])
        == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert set(served) == {"question", "passages", "abstained", "elapsed_ms"}
    served.pop("elapsed_ms")
    printed.pop("elapsed_ms")
    assert served == printed
    assert len(served["passages"]) == 3 and served["abstained"] is False

    with pytest.raises(Exception, match="the question is empty"):
        client.predict("  ", 3, "hybrid", api_name="/ask")
