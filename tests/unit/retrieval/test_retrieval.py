"""Retrieval over a fake-embedder index: citations, validation, filters, modes."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

from ingest.errors import IndexNotFoundError, InvalidInputError
from ingest.index.store import load_version
from retrieval import Answer, AskSettings, Passage, Retriever, ask


def test_every_passage_cites_its_text_exactly(fake_index: Path) -> None:
    answer = ask("Which organisation did Russia host in October 2024?", index=fake_index, k=5)
    docs = load_version(fake_index).documents
    assert len(answer.passages) == 5
    for p in answer.passages:
        assert docs[p.doc_id].text[p.start : p.end] == p.text
        assert len(p.text) <= 1200
        for a, b in p.highlights:
            assert p.start <= a < b <= p.end
    scores = [p.score for p in answer.passages]
    assert scores == sorted(scores, reverse=True)


def test_keyword_question_finds_its_passage_first(fake_index: Path) -> None:
    answer = ask(
        "Tengri News interview spokesperson Berik Uali",
        index=fake_index,
        settings=AskSettings(mode="keyword"),
    )
    assert "Berik Uali" in answer.passages[0].text


def test_highlight_is_a_sentence_of_the_top_passage(fake_index: Path) -> None:
    answer = ask("banned the import of grain tomatoes peppers", index=fake_index)
    assert answer.answer_sentence is not None
    assert "banned the import" in answer.answer_sentence


def test_answer_is_json_with_the_dataclass_fields(fake_index: Path) -> None:
    answer = ask("BRICS summit", index=fake_index, k=2)
    data = json.loads(json.dumps(answer.to_dict()))
    assert set(data) == {f.name for f in fields(Answer)}
    assert set(data["passages"][0]) == {f.name for f in fields(Passage)}


@pytest.mark.parametrize("question", ["", "   ", "x" * 2001, None])
def test_bad_questions_are_refused(fake_index: Path, question: object) -> None:
    with pytest.raises(InvalidInputError):
        ask(question, index=fake_index)  # type: ignore[arg-type]


@pytest.mark.parametrize("k", [0, -1, 51, 10**9, "abc", 2.5, True])
def test_bad_k_is_refused(fake_index: Path, k: object) -> None:
    with pytest.raises(InvalidInputError, match="k="):
        ask("BRICS", index=fake_index, k=k)  # type: ignore[arg-type]


def test_unknown_mode_is_refused(fake_index: Path) -> None:
    with pytest.raises(InvalidInputError, match="hybrid, dense, keyword"):
        ask("BRICS", index=fake_index, settings=AskSettings(mode="magic"))  # type: ignore[arg-type]


def test_document_filter(fake_index: Path, corpus_dir: Path) -> None:
    from ingest.sync.pipeline import ingest
    from tests.support.fakes import FakeEmbedder

    (corpus_dir / "tea.txt").write_text("Green tea is grown in Japan. Black tea in India.\n")
    ingest([corpus_dir], index=fake_index, embedder=FakeEmbedder())
    only_tea = ask(
        "Where is BRICS tea grown?", index=fake_index, settings=AskSettings(documents=["tea.txt"])
    )
    assert {p.doc_id for p in only_tea.passages} == {"tea.txt"}
    with pytest.raises(InvalidInputError, match="unknown document"):
        ask("tea", index=fake_index, settings=AskSettings(documents=["nope.md"]))


def test_a_new_version_is_picked_up(fake_index: Path, corpus_dir: Path) -> None:
    from ingest.sync.pipeline import ingest
    from tests.support.fakes import FakeEmbedder

    assert all(p.doc_id != "tea.txt" for p in ask("tea Japan", index=fake_index).passages)
    (corpus_dir / "tea.txt").write_text("Green tea is grown in Japan.\n")
    ingest([corpus_dir], index=fake_index, embedder=FakeEmbedder())
    assert ask("tea Japan", index=fake_index).passages[0].doc_id == "tea.txt"


def test_missing_index_error_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="docqa ingest"):
        Retriever(tmp_path / "none")


def test_confidence_is_a_probability_that_decides_abstention(fake_index: Path) -> None:
    retriever = Retriever(fake_index)
    threshold = retriever.settings.confidence.reader.threshold
    on_topic = retriever.answer("Which organisation did Russia host in October 2024?")
    off_topic = retriever.answer("zebra quasar marmalade xylophone")
    for answer in (on_topic, off_topic):
        confidences = [p.confidence for p in answer.passages]
        assert all(c is not None and 0.0 <= c <= 1.0 for c in confidences)
        assert answer.abstained == ((confidences[0] or 0.0) < threshold)
        shown = [c or 0.0 for c in confidences]
        assert shown == sorted(shown, reverse=True)  # one order, one score
    top_on, top_off = on_topic.passages[0].confidence, off_topic.passages[0].confidence
    assert top_on is not None and top_off is not None and top_on > top_off
