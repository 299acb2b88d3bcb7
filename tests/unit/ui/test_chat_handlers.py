"""The chat's event handlers, called as Gradio calls them (no browser)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from retrieval.inputs import MAX_QUESTION_CHARS
from ui.app import ChatSettings, build_app


@pytest.fixture
def handlers(fake_index: Path) -> dict[str, Callable[..., Any]]:
    app = build_app(ChatSettings(index_dir=fake_index, max_upload_mb=20))
    return {block.name: block.fn for block in app.fns.values()}


def test_a_question_over_the_limit_stays_in_the_box_and_is_not_sent(
    handlers: dict[str, Callable[..., Any]],
) -> None:
    long = "word " * 500 + "Why did Kazakhstan decline the invitation?"
    with warnings.catch_warnings(record=True) as caught:  # gr.Warning outside a request
        warnings.simplefilter("always")
        box, history, sent = handlers["add_question"](long, [])
    assert box == long.strip() and history == [] and sent == ""
    assert any(f"the limit is {MAX_QUESTION_CHARS:,}" in str(w.message) for w in caught)


def test_a_question_within_the_limit_is_sent_and_the_box_emptied(
    handlers: dict[str, Callable[..., Any]],
) -> None:
    box, history, sent = handlers["add_question"]("  Who hosted the summit?  ", [])
    assert box == "" and sent == "Who hosted the summit?" and len(history) == 1
