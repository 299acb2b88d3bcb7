"""The README's picture of the chat: the real model over the bundled article alone, in Chromium.

``make screenshots`` (``DOCQA_SCREENSHOTS=docs``) writes it to ``docs/chat.png``; a plain test
run writes it to ``tests/artifacts/``. The question is one of the chat's own examples (none
comes from an evaluation file), and the test checks the answer it pictures.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import ChatPage, chromium, server_env
from tests.support.servers import served
from ui.app import EXAMPLES

pytestmark = [pytest.mark.model, pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def article_url(real_index: Path) -> Iterator[str]:
    """``docqa serve`` over the bundled article, indexed with the real model."""
    command = [sys.executable, "-m", "ui.cli", "serve", "--index", str(real_index)]
    command += ["--port", "0"]
    log_path = real_index.parent / "screenshot-server.log"
    with served(command, env=server_env(), log_path=log_path) as (_process, url, _port):
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium under Playwright."""
    yield from chromium()


def test_the_readme_picture_shows_an_example_answered_and_cited(
    browser: Any, article_url: str
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1320, "height": 1000})
    try:
        chat = ChatPage(context.new_page(), article_url)
        chat.open()
        answer = chat.ask(EXAMPLES["kazakhstan-brics-refusal.md"][0])
        cards = answer.locator("details.dq-card")
        expect(cards).to_have_count(5)
        first = cards.first
        expect(first.locator("mark")).to_contain_text("Conference on Interaction")
        expect(first.locator(".dq-meta")).to_contain_text("likely answers")
        expect(answer.locator(".dq-lead .dq-cite").first).to_have_text("[1]")
        expect(chat.page.locator("#dq-side")).to_contain_text("1 document")
        chat.show_answer(chat.page.locator(".dq-question").last)
        path = chat.screenshot("chat.png")
        assert path.stat().st_size > 10_000
    finally:
        context.close()
