"""covidqa-train's figures: where evidence lies, and what counts as a hit."""

from __future__ import annotations

from types import SimpleNamespace

from bench.covidqa import Asked, long_document_figures, owned_questions

TEXT = "Header line.\n\nThe virus binds ACE2. It enters cells by endocytosis. Trials are on."
OTHER = "A paper about something else. The virus binds ACE2."


def _passage(doc_id: str, text: str, sentence: tuple[int, int] | None) -> SimpleNamespace:
    start = {"a": TEXT, "b": OTHER}[doc_id].find(text)
    highlights = [sentence] if sentence else []
    return SimpleNamespace(doc_id=doc_id, start=start, text=text, highlights=highlights)


def test_questions_are_placed_in_the_article_holding_their_evidence() -> None:
    questions = [
        SimpleNamespace(question="How?", evidence=("enters cells by endocytosis",)),
        SimpleNamespace(question="Missing?", evidence=("not in any article",)),
    ]
    asked = owned_questions(questions, {"b": OTHER, "a": TEXT})
    assert len(asked) == 1
    at = TEXT.find("enters")
    assert (asked[0].doc_id, asked[0].start, asked[0].end) == ("a", at, at + 27)


def test_a_sentence_inside_long_evidence_overlaps_but_does_not_contain_it() -> None:
    evidence = "The virus binds ACE2. It enters cells by endocytosis."
    start = TEXT.find(evidence)
    asked = [Asked("How does it enter?", (evidence,), "a", start, start + len(evidence))]
    second = TEXT.find("It enters")
    body = TEXT[start:]
    answers = {
        "right": [_passage("a", body, (second, second + 32))],
        "other article": [_passage("b", OTHER, (30, 51)), _passage("a", body, None)],
    }
    right = long_document_figures(
        asked, lambda q: SimpleNamespace(passages=answers["right"]), lambda d: TEXT
    )
    assert right["hit@1"] == 1.0
    assert right["sentence_hit@1"] == 0.0  # the sentence is only part of the evidence
    assert right["sentence_overlap@1"] == 1.0
    assert right["doc@1"] == 1.0
    texts = {"a": TEXT, "b": OTHER}
    wrong = long_document_figures(
        asked, lambda q: SimpleNamespace(passages=answers["other article"]), texts.__getitem__
    )
    assert (wrong["hit@1"], wrong["hit@3"], wrong["mrr@5"]) == (0.0, 1.0, 0.5)
    # The other article's sentence has the same characters' positions but another document.
    assert wrong["sentence_overlap@1"] == 0.0
    assert wrong["doc@1"] == 0.0
