"""The pure helpers of the train-split experiments in bench/."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from bench.chunking import settings_grid
from bench.context_windows import window_texts
from bench.learned_ranker import grouped_folds
from ingest.index.units import UnitTable


def test_questions_citing_one_abstract_share_a_fold() -> None:
    qids = [f"q{i}" for i in range(40)]
    # q0..q9 chain through shared abstracts (q_i and q_i+1 share one); the rest stand alone.
    qrels = {f"q{i}": {f"a{i}": 1, f"a{i + 1}": 1} for i in range(10)}
    qrels.update({f"q{i}": {f"b{i}": 1} for i in range(10, 40)})
    folds = grouped_folds(qids, qrels, 5)
    assert len(set(folds[:10].tolist())) == 1
    assert set(folds.tolist()) == set(range(5))


def test_window_texts_widen_inside_a_document_only() -> None:
    a = "One. Two. Three."
    b = "Four. Five."
    units = UnitTable(
        chunk=np.array([0, 0, 1, 2, 2]),
        start=np.array([0, 5, 10, 0, 6]),
        end=np.array([4, 9, 16, 5, 11]),
    )
    chunks = [SimpleNamespace(doc_id="a"), SimpleNamespace(doc_id="a"), SimpleNamespace(doc_id="b")]
    documents = {"a": SimpleNamespace(text=a), "b": SimpleNamespace(text=b)}
    version = SimpleNamespace(units=units, chunks=chunks, documents=documents)
    assert window_texts(version, 0, 0) == ["One.", "Two.", "Three.", "Four.", "Five."]
    assert window_texts(version, 1, 0) == [
        "One.",
        "One. Two.",
        "Two. Three.",
        "Four.",
        "Four. Five.",
    ]
    assert window_texts(version, 1, 1) == [
        "One. Two.",
        "One. Two. Three.",
        "Two. Three.",
        "Four. Five.",
        "Four. Five.",
    ]


def test_chunking_grid_tries_overlap_at_the_default_size_only() -> None:
    assert settings_grid([400, 800], [0, 1, 2]) == [
        (400, 0, False),
        (800, 0, False),
        (800, 1, False),
        (800, 2, False),
    ]
    assert settings_grid([800], [0], [1200]) == [(800, 0, False), (1200, 0, True)]


def test_reader_features_are_the_pipelines_own(fake_index: Path) -> None:
    """The features the blend is fitted on are the ones answer() reads: same passages,
    same sentences, same first-stage scores (a refactor of the retriever cannot silently
    break ``make train``)."""
    from bench.quality import ConstantScorer
    from retrieval.retriever import Retriever
    from tests.support.fakes import FakeEmbedder
    from training.reader_features import question_features

    retriever = Retriever(fake_index, embedder=FakeEmbedder())
    question = "When was the 16th BRICS summit held?"
    row = question_features(retriever, ConstantScorer(), question, ("October 2024",), 4, 8)
    ranking = retriever.rank(question)
    assert len(row["fused"]) == min(4, len(ranking.order))
    assert np.allclose(row["fused"], ranking.fused[ranking.order[:4]])
    assert np.isfinite(row["logit"]).sum() == min(8, len(row["logit"]))


def test_reliability_measures_the_gap_between_shown_and_right() -> None:
    from bench.confidence import Outcome, reliability

    # Ten cards shown at 0.95, half of them right; ten at 0.05, none right.
    outcomes = [Outcome(False, (i % 2 == 0,), (0.95,)) for i in range(10)]
    outcomes += [Outcome(True, (False,), (0.05,)) for _ in range(10)]
    figures = reliability(outcomes, "made up")
    assert figures["ece"] == pytest.approx(0.5 * 0.45 + 0.5 * 0.05)
    assert figures["likely_right"] == pytest.approx(0.5)
    assert figures["likely_cards"] == 10


def test_the_viewer_loads_long_document_is_markdown_of_the_size_asked(tmp_path: Path) -> None:
    from bench.viewer_load import big_document

    path = tmp_path / "big.md"
    length = big_document(path, size=50_000)
    text = path.read_text(encoding="utf-8")
    assert len(text) == length and 50_000 <= length < 50_500
    assert text.startswith("# Harbour ledger\n\n## Year 1800\n\n")
    assert text.count("\n## Year ") == len(
        set(line for line in text.splitlines() if line.startswith("## "))
    )


def test_the_names_benchmark_times_both_ways_and_restores_the_lookup() -> None:
    import retrieval.stages.decide as decide
    from bench.named_lookup import lookup_figures, scanning

    text = "Ferries leave Tallinn for Helsinki; the SARS-CoV-2 rules ended."
    figures = lookup_figures(text, ["When do ferries leave Tallinn?", "Is SARS-CoV-2 here?"])
    assert figures["characters"] == len(text)
    assert figures["questions_naming_something"] == 2
    lookup = decide.named_share
    with scanning():
        assert decide.named_share is not lookup
        # The scan ignores the words it is given: here they would say "absent".
        assert decide.named_share(("Tallinn",), text, frozenset()) == 1.0
    assert decide.named_share is lookup
