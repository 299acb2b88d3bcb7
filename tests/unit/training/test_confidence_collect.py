"""Asking the confidence heads' training questions: each read by the model that never saw it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

import retrieval.rerank
from retrieval.retriever import Retriever
from training.confidence import Asked, _ask_all


class FoldScorer:
    """Stands for a fold's cross-encoder: records which questions it read and how many of
    its kind are alive at once."""

    read: ClassVar[dict[str, set[str]]] = {}
    loaded: ClassVar[list[str]] = []
    alive: ClassVar[int] = 0
    most_alive: ClassVar[int] = 0

    def __init__(self, path: Path) -> None:
        self.name = Path(path).name
        FoldScorer.loaded.append(self.name)
        FoldScorer.alive += 1
        FoldScorer.most_alive = max(FoldScorer.most_alive, FoldScorer.alive)

    def __del__(self) -> None:
        FoldScorer.alive -= 1

    def logits(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        FoldScorer.read.setdefault(question, set()).add(self.name)
        return np.zeros(len(sentences), dtype=np.float32)


def test_each_question_is_read_by_its_folds_model_one_model_at_a_time(
    fake_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retrieval.rerank, "SentenceScorer", FoldScorer)
    FoldScorer.read.clear()
    FoldScorer.loaded.clear()
    questions = [
        Asked("squad", "a", "Which products did Russia ban from Kazakhstan?", ("tomatoes",), 2),
        Asked("squad", "b", "Why did Kazakhstan refuse to join BRICS?", (), 0),
    ]
    cross = [Asked("squad-cross", "c", "Who chairs the Eurasian Economic Union?", (), 2)]
    retriever = Retriever(fake_index)
    first, second = _ask_all([(retriever, questions), (retriever, cross)], tmp_path / "models")
    assert [r["group"] for r in first] == ["a", "b"]  # each job's rows in its questions' order
    assert [(r["group"], r["set"]) for r in second] == [("c", "squad-cross")]
    assert FoldScorer.read == {
        "Which products did Russia ban from Kazakhstan?": {"fold2-model"},
        "Why did Kazakhstan refuse to join BRICS?": {"fold0-model"},
        "Who chairs the Eurasian Economic Union?": {"fold2-model"},
    }
    assert FoldScorer.loaded == ["fold0-model", "fold2-model"]  # once a fold, for both jobs
    assert FoldScorer.most_alive == 1
    assert all(r["reader"]["inputs"]["logit"] for r in first + second)
