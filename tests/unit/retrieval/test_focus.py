"""A long question is read as what it asks; a question of ordinary length is read whole."""

from __future__ import annotations

from retrieval.focus import FOCUS_WORDS, focus

BACKGROUND = (
    "Our committee meets next week and I am writing the briefing note for its members. "
    "They care about concrete facts, dates and the agencies involved, not general politics. "
) * 6


def test_an_ordinary_question_is_read_whole() -> None:
    question = "Is the harbour open in winter? And who runs the ferry?"
    assert focus(question) == question
    at_limit = " ".join(["word"] * FOCUS_WORDS)
    assert focus(at_limit) == at_limit


def test_a_question_after_a_page_of_background_is_read_alone() -> None:
    question = "Which exports did the ban cover?"
    assert len((BACKGROUND + question).split()) > FOCUS_WORDS
    assert focus(BACKGROUND + question) == question
    # The last of several questions, and its closing quote or bracket kept.
    assert (
        focus(BACKGROUND + "Was it legal? " + "When did the strike end?)")
        == "When did the strike end?)"
    )


def test_the_asking_clause_of_a_long_sentence_is_kept() -> None:
    text = BACKGROUND + "With all of that in mind and thanking you, which agency announced the ban?"
    assert focus(text) == "which agency announced the ban?"


def test_a_short_question_keeps_the_sentence_it_leans_on() -> None:
    text = BACKGROUND + "The lighthouse at Varnholm was rebuilt in bronze. When was it built?"
    assert focus(text) == "The lighthouse at Varnholm was rebuilt in bronze. When was it built?"


def test_without_a_question_mark_the_last_sentence_is_read_and_bounded() -> None:
    assert focus(BACKGROUND + "Tell me the date of the summit.") == (
        "Tell me the date of the summit."
    )
    endless = "alpha " * 200 + "omega?"
    assert focus(endless).split() == endless.split()[-FOCUS_WORDS:]
