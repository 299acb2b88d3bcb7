"""The training questions written for the cross-encoder load, and none is an evaluation
question or a paraphrase of one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.evaluation_questions import content_words, evaluation_questions
from training.squad import Question
from training.written import WRITTEN, load_written


def test_every_written_document_loads_with_both_kinds_of_question() -> None:
    articles, questions = load_written()
    assert len(articles) == len(list((WRITTEN / "docs").glob("*.md"))) >= 10
    for title, article in articles.items():
        asked = [q for q in questions if q.title == title]
        answerable = [q for q in asked if q.answerable]
        assert len(answerable) >= 20 and len(asked) - len(answerable) >= 20, title
        assert all(q.near_misses for q in asked if not q.answerable), title
        assert all(max(q.answers) < len(article.sentences) for q in answerable), title


def test_every_written_document_has_yes_no_questions_of_both_kinds() -> None:
    _, questions = load_written()
    for title in {q.title for q in questions}:
        asked = [q for q in questions if q.title == title and q.yes_no]
        assert sum(q.answerable for q in asked) >= 10, title
        assert sum(not q.answerable for q in asked) >= 5, title


def test_a_yes_no_question_is_told_by_its_opening_verb() -> None:
    def question(text: str) -> Question:
        return Question("1", "t", 0, text, frozenset({0}), frozenset())

    assert question("Did the harbour open in 1874?").yes_no
    assert question(" will it reopen?").yes_no
    assert not question("When did the harbour open?").yes_no
    assert not question("Isolation wards: how many?").yes_no


def test_no_written_question_is_taken_from_an_evaluation_file() -> None:
    evaluation = [content_words(q) for q in evaluation_questions()]
    _, questions = load_written()
    for q in questions:
        words = content_words(q.text)
        assert all(len(words & e) / len(words | e) < 0.5 for e in evaluation), q.text


def _folder(tmp_path: Path, line: str) -> Path:
    (tmp_path / "docs").mkdir(parents=True)
    (tmp_path / "questions").mkdir()
    (tmp_path / "docs" / "d.md").write_text(
        "# Harbour\n\nThe harbour opened in 1874. It was built by Mara Lind.\n\n"
        "## Trade\n\nFish was the main export. Salt came second, after 1874.\n"
    )
    (tmp_path / "questions" / "d.jsonl").write_text(line + "\n")
    return tmp_path


def test_an_answer_is_located_in_its_sentence_and_a_near_miss_too(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path,
        '{"id": "1", "question": "Who built it?", "answer": "Mara Lind", "near": null}\n'
        '{"id": "2", "question": "What did it cost?", "answer": null, "near": "Salt came"}',
    )
    articles, (built, cost) = load_written(folder)
    sentences = articles["d"].sentences
    assert "Harbour" not in " ".join(sentences)  # headings are not sentences
    assert [sentences[i] for i in built.answers] == ["It was built by Mara Lind."]
    assert not cost.answerable
    assert [sentences[i] for i in cost.near_misses] == ["Salt came second, after 1874."]


def test_an_ambiguous_answer_or_a_missing_near_miss_is_refused(tmp_path: Path) -> None:

    twice = '{"id": "1", "question": "When?", "answer": "1874", "near": null}'
    with pytest.raises(ValueError, match="occurs 2 times"):
        load_written(_folder(tmp_path / "a", twice))
    bare = '{"id": "1", "question": "What did it cost?", "answer": null, "near": null}'
    with pytest.raises(ValueError, match="needs its 'near' span"):
        load_written(_folder(tmp_path / "b", bare))


def test_a_question_kind_is_kept_and_an_unknown_one_refused(tmp_path: Path) -> None:
    line = '{"id": "1", "kind": "%s", "question": "Was it built by Mara Lind?", '
    line += '"answer": "Mara Lind", "near": null}'
    _, (built,) = load_written(_folder(tmp_path / "a", line % "yes-no"))
    assert built.kind == "yes-no" and built.answerable
    with pytest.raises(ValueError, match="kind 'yes/no'"):
        load_written(_folder(tmp_path / "b", line % "yes/no"))


def test_a_recipe_trains_on_yes_no_questions_only_when_it_says_so() -> None:
    from training.reranker import RECIPES, training_data

    _, without = training_data(RECIPES["listwise-w"])
    _, with_them = training_data(RECIPES["listwise-wy"])
    assert not any(q.kind == "yes-no" for q in without)
    added = {q.qid for q in with_them} - {q.qid for q in without}
    assert added and all(q.kind == "yes-no" for q in with_them if q.qid in added)


def test_the_shipped_model_was_trained_by_the_recipe_make_train_runs() -> None:
    import json
    from dataclasses import asdict

    from training import MODEL_DIR, SHIPPED
    from training.reranker import RECIPES

    exported = json.loads((MODEL_DIR / "export.json").read_text(encoding="utf-8"))["recipe"]
    assert exported == asdict(RECIPES[SHIPPED])
    assert RECIPES[SHIPPED].written  # the written documents are part of its data
