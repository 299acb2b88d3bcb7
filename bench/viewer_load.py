"""Load on the chat's document viewer, in Chromium: what opening places costs the server's memory.

Two phases against one ``docqa serve`` (``bench.load`` starts it):

- ``--viewer-requests`` opens (default 2,000) of passages of the bundled article, spread over a
  few browser sessions, through the page's own open button (the path a click on a citation
  takes);
- ``--long-opens`` (default 300) new sessions, each opening the whole of a long Markdown
  document with a shared link (``?doc=big.md&start=0&end=<its length>``): the window the
  viewer sends is bounded, and no session keeps the viewer's HTML.

The server's resident memory is printed before, between and after. Figures, not pass/fail.
Needs the development extra (Playwright) and Debian's Chromium (``make browser``).
"""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The long document: about 2.3 MB of Markdown, sections of varied ledger entries.
BIG_NAME = "big.md"
_ENTRY = (
    "Entry {n}: the harbour stores received {n} coils of rope, {m} barrels of tar and "
    "{k} casks of lamp oil; the clerk noted the weather as {w} and the tide as {t}.\n\n"
)
_WEATHER = ("fair", "foggy", "stormy", "calm", "wet")
_TIDES = ("rising", "falling", "high", "low")
OPEN_JS = """(link) => {
    window.dqViewerRequest = link;
    document.querySelector('#dq-viewer-open').click();
}"""
SHOWN_JS = """(start) => {
    const share = document.querySelector('#dq-viewer .dq-vshare a.dq-share');
    return share !== null && share.getAttribute('href').includes('start=' + start + '&');
}"""


def big_document(path: Path, size: int = 2_300_000) -> int:
    """Write the long document at ``path``; returns its length in characters."""
    parts, n = ["# Harbour ledger\n\n"], 0
    length = len(parts[0])
    while length < size:
        if n % 200 == 0:
            heading = f"## Year {1800 + n // 200}\n\n"
            parts.append(heading)
            length += len(heading)
        entry = _ENTRY.format(n=n, m=n * 7 % 97, k=n * 13 % 41, w=_WEATHER[n % 5], t=_TIDES[n % 4])
        parts.append(entry)
        length += len(entry)
        n += 1
    text = "".join(parts)
    path.write_text(text, encoding="utf-8")
    return len(text)


@dataclass
class ViewerFigures:
    """What the viewer load measured (milliseconds, megabytes)."""

    requests: int = 0
    sessions: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    rss_ready_mb: float = 0.0
    rss_after_requests_mb: float = 0.0
    long_opens: int = 0
    long_p50_ms: float = 0.0
    rss_after_long_mb: float = 0.0
    long_kb_per_session: float = 0.0
    errors: list[str] = field(default_factory=list)


def _chromium(playwright: Any) -> Any:
    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError("Debian's chromium is not installed; `make browser` installs it")
    return playwright.chromium.launch(
        executable_path=executable, headless=True, args=["--no-sandbox", "--disable-gpu"]
    )


def _open(page: Any, link: str, start: int) -> float:
    """Open ``link`` in the page's viewer the way a click does; milliseconds until shown."""
    began = time.perf_counter()
    page.evaluate(OPEN_JS, link)
    page.wait_for_function(SHOWN_JS, arg=start, timeout=60_000)
    return (time.perf_counter() - began) * 1000


def article_places(index: Path, doc_id: str, limit: int = 20) -> list[tuple[int, int]]:
    """``(start, end)`` of the first ``limit`` indexed passages of ``doc_id``."""
    import numpy as np

    from ingest.index.store import load_version

    version = load_version(index)
    rows = np.flatnonzero(version.chunks.doc_rows == version.documents.row(doc_id))
    chunks = [version.chunks[int(row)] for row in rows[:limit]]
    return [(chunk.start, chunk.end) for chunk in chunks]


def drive_viewer(
    url: str,
    places: Sequence[tuple[int, int]],
    *,
    doc_id: str,
    big_length: int,
    requests: int,
    sessions: int,
    long_opens: int,
    rss: Callable[[], float],
) -> ViewerFigures:
    """Run both phases against the chat at ``url`` (``places``: passages of ``doc_id``)."""
    from playwright.sync_api import sync_playwright

    figures = ViewerFigures(sessions=sessions, rss_ready_mb=round(rss(), 1))
    with sync_playwright() as playwright:
        browser = _chromium(playwright)
        pages = []
        for _ in range(sessions):
            page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
            page.goto(url, wait_until="domcontentloaded")
            page.locator("#dq-question textarea").wait_for()
            pages.append(page)
        times = []
        for n in range(requests):
            start, end = places[n % len(places)]
            link = f"?doc={doc_id}&start={start}&end={end}"
            try:
                times.append(_open(pages[n % sessions], link, start))
            except Exception as exc:
                figures.errors.append(f"open {link}: {exc}"[:200])
        figures.requests = len(times)
        if times:
            figures.p50_ms = round(statistics.median(times), 1)
            figures.p95_ms = round(statistics.quantiles(times, n=20)[-1], 1)
        figures.rss_after_requests_mb = round(rss(), 1)
        for page in pages:
            page.context.close()

        long_times = []
        for _ in range(long_opens):
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            page = context.new_page()
            began = time.perf_counter()
            try:
                page.goto(f"{url}?doc={BIG_NAME}&start=0&end={big_length}")
                page.wait_for_function(SHOWN_JS, arg=0, timeout=60_000)
                long_times.append((time.perf_counter() - began) * 1000)
            except Exception as exc:
                figures.errors.append(f"long open: {exc}"[:200])
            context.close()
        figures.long_opens = len(long_times)
        if long_times:
            figures.long_p50_ms = round(statistics.median(long_times), 1)
        figures.rss_after_long_mb = round(rss(), 1)
        if long_opens:
            grown = figures.rss_after_long_mb - figures.rss_after_requests_mb
            figures.long_kb_per_session = round(grown * 1024 / long_opens, 1)
        browser.close()
    return figures


def viewer_report(figures: ViewerFigures) -> str:
    """The viewer figures for people."""
    lines = [
        f"viewer opens      {figures.requests} over {figures.sessions} sessions: "
        f"p50 {figures.p50_ms} ms, p95 {figures.p95_ms} ms",
        f"server RSS        {figures.rss_ready_mb} MB ready -> "
        f"{figures.rss_after_requests_mb} MB after the opens",
        f"long-window opens {figures.long_opens} new sessions on {BIG_NAME} "
        f"(p50 {figures.long_p50_ms} ms a page load and open)",
        f"server RSS        {figures.rss_after_long_mb} MB after them "
        f"({figures.long_kb_per_session:+} KB a session)",
    ]
    lines += [f"  error: {e}" for e in figures.errors[:10]]
    return "\n".join(lines)
