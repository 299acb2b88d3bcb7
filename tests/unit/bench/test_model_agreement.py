"""The comparison of two cross-encoders' logits (``bench.model_agreement``)."""

from __future__ import annotations

import numpy as np
import pytest

from bench.model_agreement import agreement


def test_a_model_agrees_with_itself_entirely() -> None:
    logits = np.array([[0.0, 2.0, 1.0], [3.0, -1.0, 0.5]])
    found = agreement(logits, logits.copy())
    assert found.pairs == 6 and found.questions == 2
    assert found.correlation == pytest.approx(1.0)
    assert found.max_gap == 0.0 and found.same_best == 2


def test_gaps_and_a_changed_best_sentence_are_counted() -> None:
    first = np.array([[0.0, 2.0, 1.0], [3.0, -1.0, 0.5]])
    second = first + np.array([[0.0, 0.0, 1.5], [0.0, 0.0, 0.0]])
    found = agreement(first, second)
    assert found.same_best == 1
    assert found.max_gap == pytest.approx(1.5)
    assert found.mean_gap == pytest.approx(0.25)
    assert found.correlation < 1.0


def test_tables_of_other_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="differ in shape"):
        agreement(np.zeros((2, 3)), np.zeros((3, 2)))
