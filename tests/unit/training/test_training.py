"""The training package on small, made-up data: candidates, training groups, calibration
pairs, the fold split and the steps of ``python -m training`` (no model is trained here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import training.__main__ as entry
from training.candidates import Group, Ranked, rank_by_cosine, training_groups
from training.reranker import RECIPES, calibration_pairs, fold_groups
from training.squad import Article, Question

SENTENCES = (
    "The harbour opened in 1874.",
    "It was built by Mara Lind.",
    "Fish was the main export.",
    "Salt came second.",
    "The lighthouse is older.",
    "Ferries leave at noon.",
    "The quay was rebuilt in 1990.",
    "Storms closed it twice.",
)


def _article(fold: int = 0, title: str = "harbour") -> Article:
    return Article(title, fold, SENTENCES, paragraphs=(0, 0, 0, 1, 1, 2, 2, 2))


def _question(
    qid: str, text: str, answers: set[int], misses: frozenset[int] = frozenset(), fold: int = 0
) -> Question:
    return Question(qid, "harbour", fold, text, frozenset(answers), frozenset(misses))


def _ranked(order: list[int]) -> Ranked:
    return Ranked(order=np.array(order), cosine=np.linspace(0.9, 0.1, len(order), dtype=np.float32))


def test_an_answerable_group_is_its_answer_then_the_hardest_negatives() -> None:
    q = _question("1", "Who built the harbour?", {1})
    (group,) = training_groups(
        {"harbour": _article()}, [q], [_ranked([0, 2, 1, 3, 4, 5, 6, 7])], hard=2, easy=0, seed=1
    )
    assert group == Group(
        question="Who built the harbour?",
        sentences=(SENTENCES[1], SENTENCES[0], SENTENCES[2]),
        labels=(1, 0, 0),
        answerable=True,
    )


def test_an_unanswerable_group_leads_with_its_near_miss() -> None:
    q = _question("2", "What did the harbour cost?", set(), frozenset({3}))
    (group,) = training_groups(
        {"harbour": _article()}, [q], [_ranked([0, 1, 2, 3, 4, 5, 6, 7])], hard=2, easy=0, seed=1
    )
    assert group.sentences == (SENTENCES[3], SENTENCES[0], SENTENCES[1])
    assert group.labels == (0, 0, 0) and not group.answerable


def test_random_negatives_are_drawn_the_same_way_for_a_seed() -> None:
    q = _question("1", "Who built the harbour?", {1})
    ranked = [_ranked([1, 0, 2, 3, 4, 5, 6, 7])]
    articles = {"harbour": _article()}

    def draw(seed: int) -> tuple[str, ...]:
        return training_groups(articles, [q], ranked, hard=1, easy=1, seed=seed)[0].sentences

    assert draw(5) == draw(5)
    assert len(draw(5)) == 3 and draw(5)[2] in SENTENCES[7:]  # past the 2 * hard + 5 best


def test_a_sentence_is_read_with_the_one_before_it_in_its_paragraph_only() -> None:
    article = _article()
    assert article.reading(1) == SENTENCES[1]
    assert article.reading(1, context=1) == f"{SENTENCES[1]} [SEP] {SENTENCES[0]}"
    assert article.reading(3, context=1) == SENTENCES[3]  # first of its paragraph


def test_a_fold_model_never_trains_on_its_fold() -> None:
    articles = {"harbour": _article()}
    questions = [
        _question("a", "Who built the harbour?", {1}, fold=0),
        _question("b", "When did it open?", {0}, fold=1),
        _question("c", "What came second?", {3}, fold=2),
    ]
    ranked = [_ranked(list(range(8)))] * 3
    groups = fold_groups(RECIPES["listwise"], 1, articles, questions, ranked)
    assert [g.question for g in groups] == ["Who built the harbour?", "What came second?"]


def test_calibration_pairs_spread_over_the_groups() -> None:
    groups = [Group(f"q{i}", (f"s{i}a", f"s{i}b", f"s{i}c"), (1, 0, 0), True) for i in range(100)]
    pairs = calibration_pairs(groups, count=10)
    assert len(pairs) == 10
    assert pairs[:2] == [("q0", "s0a"), ("q0", "s0c")]
    assert [q for q, _ in pairs[::2]] == ["q0", "q20", "q40", "q60", "q80"]


def test_sentences_are_ranked_by_the_embedders_cosine(monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.embedding import factory as embedder_module
    from tests.support.fakes import FakeEmbedder

    monkeypatch.setattr(embedder_module, "make_embedder", lambda name: FakeEmbedder())
    (ranked,) = rank_by_cosine({"harbour": _article()}, [_question("1", "Mara Lind built", {1})])
    assert int(ranked.order[0]) == 1
    assert sorted(ranked.order.tolist()) == list(range(len(SENTENCES)))
    assert list(ranked.cosine) == sorted(ranked.cosine, reverse=True)


def test_the_entry_runs_the_steps_asked_for_in_their_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import training.confidence
    import training.indexes
    import training.reranker

    ran: list[Any] = []

    def collect(work: Path) -> list[Any]:
        ran.append("collect")
        return []

    monkeypatch.setattr(training.confidence, "collect", collect)
    monkeypatch.setattr(
        training.confidence, "fit", lambda rows, target: ran.append(("confidence", target))
    )
    monkeypatch.setattr(
        training.reranker, "train_final", lambda recipe, target, out: ran.append(("final", target))
    )
    monkeypatch.setattr(
        training.reranker, "train_folds", lambda recipe, folds, out: ran.append(("folds", folds))
    )
    monkeypatch.setattr(training.indexes, "squad_fold_indexes", lambda work: ran.append("squad"))
    monkeypatch.setattr(training.indexes, "written_index", lambda work: ran.append("written"))
    assert entry.main(["--step", "indexes", "--step", "final", "--target", str(tmp_path)]) == 0
    assert ran == [("final", tmp_path), "squad", "written"]
    ran.clear()
    assert entry.main(["--step", "confidence", "--target", str(tmp_path)]) == 0
    assert ran == ["collect", ("confidence", tmp_path / "confidence.json")]
    with pytest.raises(SystemExit):
        entry.main(["--step", "export"])
    assert entry.STEPS == ("final", "folds", "indexes", "fit", "confidence")


def test_a_new_export_keeps_the_files_later_steps_refit(tmp_path: Path) -> None:
    from training.export import KEPT_FILES, replace_folder

    target, work = tmp_path / "model", tmp_path / "work"
    target.mkdir()
    work.mkdir()
    for name in (*KEPT_FILES, "model.bin", "stale.txt"):
        (target / name).write_text(f"old {name}")
    (work / "model.bin").write_text("new model.bin")
    replace_folder(work, target)
    # The fit and confidence steps that follow an export build retrievers, which load the
    # blend and the heads: a full `make train` needs them there until it refits them.
    assert {"reader.json", "confidence.json", "MODEL_CARD.md"} <= set(KEPT_FILES)
    assert sorted(p.name for p in target.iterdir()) == sorted([*KEPT_FILES, "model.bin"])
    assert (target / "model.bin").read_text() == "new model.bin"
    assert all((target / name).read_text() == f"old {name}" for name in KEPT_FILES)
    assert not work.exists() and not (tmp_path / ".model.old").exists()
