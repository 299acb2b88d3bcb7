"""The Gradio chat: cited answers over ``retrieval.ask``."""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from retrieval.types import Answer

ABSTAIN_TEXT = "Nothing in these documents answers that."


def render_answer(answer: Answer) -> str:
    """Markdown/HTML for one answer: answer sentence, then numbered, highlighted sources."""
    parts = []
    if answer.abstained:
        parts.append(f"**{ABSTAIN_TEXT}**")
    elif answer.answer_sentence:
        parts.append(f"{html.escape(answer.answer_sentence)} [1]")
    for n, p in enumerate(answer.passages, 1):
        text = p.text
        pieces, cursor = [], 0
        for a, b in sorted(p.highlights):
            pieces.append(html.escape(text[cursor : a - p.start]))
            pieces.append(f"<mark>{html.escape(text[a - p.start : b - p.start])}</mark>")
            cursor = b - p.start
        pieces.append(html.escape(text[cursor:]))
        where = html.escape(" › ".join(p.section[1:] or p.section) or p.title)
        page = f", page {p.page}" if p.page is not None else ""
        parts.append(
            f"<details{' open' if not answer.abstained and n == 1 else ''}><summary>[{n}] "
            f"{html.escape(p.title)} — {where}{page} (score {p.score:.3f})</summary>"
            f"<p>{''.join(pieces)}</p></details>"
        )
    return "\n\n".join(parts)


def build_app(index: str | Path | None = None) -> Any:
    """The Gradio Blocks app answering from ``index``."""
    import gradio as gr

    from retrieval.api import get_retriever

    retriever = get_retriever(index)

    def respond(message: Any, history: list[Any]) -> str:
        text = message if isinstance(message, str) else str(message.get("text", ""))
        from ingest.errors import DocqaError

        try:
            return render_answer(retriever.answer(text, k=5))
        except DocqaError as exc:
            return f"⚠️ {html.escape(str(exc))}"

    with gr.Blocks(title="docqa") as app:
        gr.Markdown("# docqa\nAsk about the documents; every answer is cited.")
        gr.ChatInterface(respond, examples=["When was the 16th BRICS summit held?"])
    return app


def serve(*, index: str | Path | None = None, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Load the model and index once, then serve the chat."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    build_app(index).launch(server_name=host, server_port=port, share=False, ssr_mode=False)
