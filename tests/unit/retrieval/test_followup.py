"""Follow-up questions: earlier turns inform the search of a question that leans on them,
and leave a question that stands alone exactly as it was."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from unittest.mock import ANY

import pytest

from ingest.embedding.protocol import Embedder
from ingest.errors import InvalidInputError
from ingest.index.sparse import SparseSettings, Tokenizer
from ingest.sync.pipeline import ingest
from retrieval import Retriever, SearchSettings, ask
from retrieval.followup import FollowupSettings, leans_on_context, resolve
from retrieval.names import question_names
from retrieval.types import Answer, Passage
from tests.support.fakes import FakeEmbedder
from tests.support.paths import ROOT

LIGHTHOUSE = """# The Greywater lighthouse

## Keepers

Margit Olsen kept the Greywater lighthouse for thirty winters, trimming the lamp each dusk.
Her logbook records every passing steamer and every storm on the headland.

## Construction

Masons built the lighthouse tower on the headland in 1852 from granite quarried on the island.
"""

BRIDGE = """# The Vell river bridge

## Design

Engineer Tomas Brandt designed the Vell bridge, a steel arch over the river gorge.

## Construction

Crews built the bridge in 1921 and built its steel arch in two summers; trams crossed it
the following spring.
"""


def _two_topic_index(tmp_path: Path, fake_embedder: FakeEmbedder) -> Path:
    """An index of the lighthouse and the bridge documents, built with the fake embedder."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "lighthouse.md").write_text(LIGHTHOUSE, encoding="utf-8")
    (docs / "bridge.md").write_text(BRIDGE, encoding="utf-8")
    index = tmp_path / "index"
    ingest([docs], index=index, embedder=fake_embedder)
    return index


@pytest.fixture
def two_topics(tmp_path: Path, fake_embedder: FakeEmbedder) -> Retriever:
    """An index of two documents on different topics, with the fake embedder; first stage only
    (the second stage's cross-encoder is no part of how history informs the search)."""
    index = _two_topic_index(tmp_path, fake_embedder)
    return Retriever(index, embedder=fake_embedder, settings=SearchSettings(reader=None))


@pytest.fixture
def tokenizer() -> Tokenizer:
    return Tokenizer(SparseSettings())


def test_a_follow_up_with_a_pronoun_is_answered_from_the_previous_topic(
    two_topics: Retriever,
) -> None:
    first = two_topics.answer("Who kept the Greywater lighthouse?")
    assert first.passages[0].doc_id == "lighthouse.md"
    alone = two_topics.answer("When was it built?")
    assert alone.passages[0].doc_id == "bridge.md"  # "built" alone points to the bridge
    followed = two_topics.answer("When was it built?", history=[first])
    assert followed.passages[0].doc_id == "lighthouse.md"
    assert "1852" in followed.passages[0].text
    assert followed.question == "When was it built?"


def test_a_self_contained_question_after_an_unrelated_one_is_unchanged(
    two_topics: Retriever,
) -> None:
    first = two_topics.answer("Who kept the Greywater lighthouse?")
    question = "Which engineer designed the Vell river bridge?"
    alone = two_topics.answer(question)
    followed = two_topics.answer(question, history=[first])
    assert followed.passages == alone.passages
    assert followed.abstained == alone.abstained


def test_a_follow_up_of_a_follow_up_keeps_the_topic(two_topics: Retriever) -> None:
    first = two_topics.answer("Who kept the Greywater lighthouse?")
    second = two_topics.answer("When was it built?", history=[first])
    third = two_topics.answer("And from what stone?", history=[first, second])
    assert third.passages[0].doc_id == "lighthouse.md"
    assert "granite" in third.passages[0].text


def test_history_off_in_the_settings_searches_the_question_alone(
    two_topics: Retriever,
) -> None:
    first = two_topics.answer("Who kept the Greywater lighthouse?")
    off = two_topics.with_settings(
        SearchSettings(reader=None, followup=FollowupSettings(enabled=False))
    )
    assert off.answer("When was it built?", history=[first]).passages == (
        off.answer("When was it built?").passages
    )


@pytest.mark.parametrize(
    ("history", "named"),
    [
        ("Who kept the lighthouse?", "str"),
        (["Who kept the lighthouse?"], "history[0] is a str"),
        ([{"question": "Who kept the lighthouse?"}], "history[0] is a dict"),
        (None, "NoneType"),
        (42, "int"),
    ],
)
def test_bad_history_is_refused_with_a_clear_message(
    two_topics: Retriever, history: object, named: str
) -> None:
    with pytest.raises(InvalidInputError, match="Answer") as caught:
        two_topics.answer("When was it built?", history=history)  # type: ignore[arg-type]
    assert named in str(caught.value)


def _crafted(**fields: object) -> Answer:
    """A turn as a caller might build one by hand, any field replaced."""
    real = Passage("a.md", "A", (), None, 0, 11, "Some words.", 1.0, ((0, 11),), 0.5)
    values: dict[str, object] = {
        "question": "Who kept it?",
        "passages": (real,),
        "abstained": False,
        "elapsed_ms": 1.0,
    }
    return Answer(**(values | fields))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("turn", "named"),
    [
        (_crafted(question=None), "history[0].question: question must be text, not NoneType"),
        (_crafted(question=7), "history[0].question: question must be text, not int"),
        (_crafted(question="who \udc80 kept it"), "history[0].question"),
        (_crafted(question="w" * 5_000_000), "history[0].question: the question is 5,000,000"),
        (_crafted(passages=("x",)), "history[0].passages[0] is a str, not a Passage"),
        (_crafted(passages="x"), "history[0].passages must be a list"),
        (_crafted(abstained="no"), "history[0].abstained"),
        (
            _crafted(
                passages=(Passage("a.md", "A", (), None, 0, 3, "abc", 1.0, ((0, 99),), None),)
            ),
            "not a span inside the passage",
        ),
        (
            _crafted(passages=(Passage("a.md", "A", (), None, 0, 5, "x" * 2, 1.0, (), None),)),
            "start and end must span its text",
        ),
    ],
)
def test_every_field_of_a_crafted_history_is_checked(
    two_topics: Retriever, turn: Answer, named: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        two_topics.answer("When was it built?", history=[_crafted(), turn])
    assert named.replace("history[0]", "history[1]", 1) in str(caught.value)


def test_a_history_built_by_hand_like_ask_s_own_is_taken(two_topics: Retriever) -> None:
    assert two_topics.answer("When was it built?", history=[_crafted()]).passages


def test_ask_takes_the_history(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    index = _two_topic_index(tmp_path, fake_embedder)
    first = ask("Who kept the Greywater lighthouse?", index=index)
    followed = ask("When was it built?", history=[first], index=index)
    direct = Retriever(index, embedder=fake_embedder).answer("When was it built?", history=[first])
    assert followed.question == "When was it built?"
    assert followed.passages == direct.passages
    with pytest.raises(InvalidInputError, match="history"):
        ask("When was it built?", history="the lighthouse", index=index)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("question", "leans"),
    [
        ("When did that happen?", True),
        ("And its neighbours?", True),
        ("Who said so?", True),
        ("What about the keeper?", True),
        ("Why?", True),
        ("Which engineer designed the Vell river bridge?", False),
        ("When was the Greywater lighthouse built?", False),
    ],
)
def test_which_questions_lean_on_context(question: str, leans: bool, tokenizer: Tokenizer) -> None:
    assert leans_on_context(question, tokenizer, FollowupSettings()) is leans


def test_resolve_blends_the_previous_turn_only_for_a_follow_up(tokenizer: Tokenizer) -> None:
    earlier = Answer("Who kept the Greywater lighthouse?", (), False, 1.0)
    follow = resolve("When was it built?", [earlier], tokenizer)
    assert follow.follows
    assert [t for t, _ in follow.dense] == [earlier.question]  # no answer sentence: none
    assert "greywat" in follow.terms(tokenizer)
    # Read after the earlier question, on a line of its own: its first word names nothing.
    assert follow.reading() == "Who kept the Greywater lighthouse?\nWhen was it built?"
    assert question_names(follow.reading()) == ("Greywater",)
    alone = resolve("When was the Vell bridge built?", [earlier], tokenizer)
    assert not alone.follows
    assert resolve("When was it built?", [], tokenizer) == resolve(
        "When was it built?", (), tokenizer
    )


def test_follow_up_settings_are_checked() -> None:
    with pytest.raises(InvalidInputError, match=r"0\.\.1"):
        FollowupSettings(question_weight=2.0)
    with pytest.raises(InvalidInputError, match="turns"):
        FollowupSettings(turns=0)


CONVERSATIONS = ROOT / "bench" / "data"


def test_the_conversations_are_answerable_and_not_taken_from_evaluation_files() -> None:
    from retrieval.eval.evaluation import contains_evidence
    from tests.support.evaluation_questions import content_words, evaluation_questions

    texts = "\n".join(p.read_text() for p in (CONVERSATIONS / "conversation_docs").glob("*.md"))
    evaluation = [content_words(q) for q in evaluation_questions()]
    rows = [json.loads(line) for line in (CONVERSATIONS / "conversations.jsonl").open()]
    for turn in (t for row in rows for t in row["turns"]):
        assert turn["kind"] in ("opening", "followup", "switch")
        assert contains_evidence(texts, turn["evidence"]), turn
        for question in (turn["question"], turn["full_question"]):
            words = content_words(question)
            assert all(len(words & e) / len(words | e) < 0.5 for e in evaluation), question


def test_with_the_real_model_a_follow_up_stays_on_topic_and_a_new_topic_is_not_dragged(
    tmp_path: Path, real_embedder: Embedder
) -> None:
    index = tmp_path / "index"
    ingest([CONVERSATIONS / "conversation_docs"], index=index, embedder=real_embedder)
    retriever = Retriever(index, embedder=real_embedder)
    first = retriever.answer("Who spotted Comet Marrow first?")
    followed = retriever.answer("When did that happen?", history=[first])
    assert "14 March 2019" in followed.passages[0].text
    switch = "Who kept the Greywater light for thirty winters?"
    assert retriever.answer(switch, history=[first, followed]) == replace(
        retriever.answer(switch), elapsed_ms=ANY
    )
