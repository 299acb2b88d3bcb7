"""What the browser tests share: Debian's Chromium under Playwright and a page on the chat.

``tests/live/test_ui_chat.py`` and ``tests/live/test_ui_viewer.py`` each define their own
module-scoped ``browser`` fixture on :func:`chromium` and drive the chat through
:class:`ChatPage`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import ROOT

ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
BRICS = "When was the 16th BRICS summit held?"
CLOCK_TITLE = "Clock room notes <script>window.__xss_title=1</script>"
CLOCK_DOC = (
    f"# {CLOCK_TITLE}\n\n## Maintenance\n\n"
    "The brass quartz clock in the east tower is wound every Thursday by the caretaker. "
    "A prank note taped to it read <script>window.__xss=1;alert('xss')</script> and below it "
    "<img src=x onerror=\"window.__xss=2;alert('img')\"> in red ink.\n"
)


def server_env() -> dict[str, str]:
    """The environment for ``docqa serve``: offline, no analytics, no proxy for 127.0.0.1."""
    return {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }


def chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright (never a downloaded browser), for a fixture to yield
    from; skips the test if it is not installed (fails it with ``DOCQA_REQUIRE_BROWSER=1``)."""
    executable = shutil.which("chromium")
    if executable is None:
        message = "Debian's chromium is not installed; `make browser` installs it"
        if os.environ.get("DOCQA_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=60_000)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


class ChatPage:
    """One browser page on the chat, recording any dialog a script might open."""

    def __init__(self, page: Any, url: str) -> None:
        self.page = page
        self.url = url
        self.dialogs: list[str] = []
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, query: str = "") -> None:
        """Load the chat (with ``query``, a shared link's ``?...``) and wait until it is ready for
        questions: its load events have run (``<html data-dq-ready="1">``); typing earlier can
        be lost."""
        self.page.goto(self.url + query, wait_until="domcontentloaded")
        self.page.locator("html[data-dq-ready='1']").wait_for(state="attached")
        self.page.locator("#dq-question textarea").wait_for()

    def ask(self, question: str) -> Any:
        """Type ``question``, press Enter, and return the new answer's locator."""
        from playwright.sync_api import expect

        answers = self.page.locator(".dq-answer")
        before = answers.count()
        box = self.page.locator("#dq-question textarea")
        box.fill(question)
        box.press("Enter")
        expect(box).to_have_value("")  # taken: the chat empties the box as the question enters
        expect(answers).to_have_count(before + 1)
        return answers.last

    def show_answer(self, element: Any) -> None:
        """Scroll the chat so that ``element`` (a question or an answer) starts at its top, for
        screenshots."""
        element.evaluate("e => e.scrollIntoView({block: 'start'})")
        self.page.evaluate("window.scrollTo(0, 0)")

    def screenshots(self) -> Path:
        """The folder screenshots go to: ``tests/artifacts/``, or the folder
        ``$DOCQA_SCREENSHOTS`` names (``make screenshots``: ``docs``)."""
        return ROOT / os.environ.get("DOCQA_SCREENSHOTS", ARTIFACTS)

    def screenshot(self, name: str) -> Path:
        """Save a screenshot in :meth:`screenshots`."""
        folder = self.screenshots()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        self.page.screenshot(path=str(path))
        return path
