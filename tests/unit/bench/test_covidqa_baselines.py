"""The other systems' side of covidqa-train: paragraphs, articles, and how their passages score."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bench.covidqa import owned_questions
from bench.covidqa_baselines import (
    Built,
    Found,
    Returned,
    paragraphs,
    parse_systems,
    read_articles,
    system_row,
)


def test_paragraphs_split_on_blank_lines_only() -> None:
    text = "Title\n\nFirst line\nsame paragraph\n \t\n\n\nLast one  \n"
    assert paragraphs(text) == ["Title", "First line\nsame paragraph", "Last one"]


def test_paragraphs_of_blank_text_are_none() -> None:
    assert paragraphs("\n \n\t\n") == []


def test_articles_are_read_by_stem_and_an_empty_folder_is_named(tmp_path: Path) -> None:
    (tmp_path / "b-second.txt").write_text("B text", encoding="utf-8")
    (tmp_path / "a-first.txt").write_text("A text", encoding="utf-8")
    (tmp_path / "notes.md").write_text("not an article", encoding="utf-8")
    assert read_articles(tmp_path) == {"a-first": "A text", "b-second": "B text"}
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match=r"empty: no \.txt articles"):
        read_articles(empty)


def test_unknown_systems_are_named_with_the_valid_ones() -> None:
    assert parse_systems("tutorial, txtai") == ["tutorial", "txtai"]
    with pytest.raises(argparse.ArgumentTypeError, match="unknown system bm25; valid: txtai"):
        parse_systems("txtai,bm25")


def test_a_system_row_scores_passages_by_evidence_and_article() -> None:
    articles = {
        "a": "Intro.\n\nThe virus binds ACE2 on cells.",
        "b": "Another paper.\n\nIt binds ACE2 too.",
    }
    questions = [
        argparse.Namespace(question="What does it bind?", evidence=("binds ACE2 on cells",)),
        argparse.Namespace(question="Anything else?", evidence=("Another paper",)),
    ]
    asked = owned_questions(questions, articles)
    answers = {
        # Right article, evidence second: doc@1 counts, hit@1 does not.
        "What does it bind?": (Found("a", "Intro."), Found("a", "The virus binds ACE2 on cells.")),
        # Wrong article first, no passage holds the evidence.
        "Anything else?": (Found("a", "Intro."), Found("b", "It binds ACE2 too.")),
    }
    built = Built(lambda q: Returned(answers[q]), seconds=1.26, entries=4)
    row = system_row(built, asked, articles)
    assert row == {
        "hit@1": 0.0,
        "hit@3": 0.5,
        "mrr@5": 0.25,
        "doc@1": 0.5,
        "ingest_s": 1.3,
        "entries": 4,
    }
