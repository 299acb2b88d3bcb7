"""The evaluation protocol's arithmetic, on hand-made answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.errors import InvalidInputError
from retrieval.eval.beir import evaluate_beir, mrr_at, ndcg_at, read_qrels, read_queries, recall_at
from retrieval.eval.evaluation import (
    Question,
    contains_evidence,
    evaluate,
    load_questions,
    normalise,
)
from retrieval.types import Answer, Passage

TEXT = "Alpha beta. The “answer” is here. Gamma delta."


def _passage(start: int, end: int, highlight: tuple[int, int] | None = None) -> Passage:
    return Passage(
        "d", "t", (), None, start, end, TEXT[start:end], 1.0, (highlight,) if highlight else ()
    )


def test_normalise_folds_quotes_case_and_space() -> None:
    assert normalise("  The “Answer”\n is ") == 'the "answer" is'
    assert contains_evidence(TEXT, ['the "ANSWER"'])


def test_figures_on_known_answers() -> None:
    questions = [
        Question("a", "q1", ("answer",)),
        Question("b", "q2", ("gamma",)),
        Question("c", "q3", ()),
    ]
    answers = {
        "q1": Answer("q1", (_passage(12, 33, (12, 33)), _passage(0, 11)), False, 1.0),
        "q2": Answer("q2", (_passage(0, 11), _passage(12, 33), _passage(34, 46)), True, 1.0),
        "q3": Answer("q3", (_passage(0, 11),), True, 1.0),
    }
    figures = evaluate(questions, answers.__getitem__, lambda d: TEXT)
    assert figures["hit@1"] == 0.5
    assert figures["hit@3"] == 1.0
    assert figures["mrr@5"] == pytest.approx((1 + 1 / 3) / 2, abs=1e-4)
    assert figures["sentence_hit@1"] == 0.5
    assert figures["abstention_accuracy"] == 1.0
    assert figures["false_abstention_rate"] == 0.5
    assert figures["citation_validity"] == 1.0
    assert (figures["n_answerable"], figures["n_unanswerable"]) == (2, 1)


def test_invalid_citations_are_counted() -> None:
    bad = Passage("d", "t", (), None, 0, 5, "WRONG", 1.0, ())
    figures = evaluate(
        [Question("a", "q", ("x",))], lambda q: Answer(q, (bad,), False, 1.0), lambda d: TEXT
    )
    assert figures["citation_validity"] == 0.0


def test_question_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"id": "1", "question": "q"}) + "\n")
    with pytest.raises(InvalidInputError, match=r"q\.jsonl:1"):
        load_questions(path)
    with pytest.raises(InvalidInputError, match="no such"):
        load_questions(tmp_path / "none.jsonl")


def test_ranking_metrics() -> None:
    relevant = {"a": 1, "b": 1}
    assert ndcg_at(["a", "b", "c"], relevant, 10) == pytest.approx(1.0)
    assert ndcg_at(["c", "a"], {"a": 1}, 10) == pytest.approx(1 / 1.5849625, abs=1e-6)
    assert recall_at(["a", "c"], relevant, 100) == 0.5
    assert mrr_at(["c", "b"], relevant, 10) == 0.5


def _beir_folder(root: Path) -> Path:
    (root / "qrels").mkdir(parents=True)
    queries = [{"_id": "1", "text": "first claim"}, {"_id": "2", "text": "second claim"}]
    (root / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in queries) + "\n")
    (root / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n1\tdA\t1\n2\tdB\t1\n2\tdC\t1\n"
    )
    return root


def test_beir_split_is_scored_with_the_query_texts(tmp_path: Path) -> None:
    folder = _beir_folder(tmp_path / "beir")
    assert read_queries(folder) == {"1": "first claim", "2": "second claim"}
    assert read_qrels(folder, "test") == {"1": {"dA": 1}, "2": {"dB": 1, "dC": 1}}
    asked: list[tuple[str, int]] = []

    def rank(query: str, depth: int) -> list[str]:
        asked.append((query, depth))
        return ["dA", "dX"] if query == "first claim" else ["dX", "dB"]

    figures = evaluate_beir(folder, rank, split="test")
    assert asked == [("first claim", 100), ("second claim", 100)]
    assert figures["n_queries"] == 2
    assert figures["recall@100"] == 0.75  # (1 + 1/2) / 2
    assert figures["mrr@10"] == 0.75  # (1 + 1/2) / 2
    with pytest.raises(InvalidInputError, match="no qrels"):
        read_qrels(folder, "train")
