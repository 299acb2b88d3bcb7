"""The offline re-reading of covidqa-train's dumped candidates."""

from __future__ import annotations

import numpy as np

from bench.covidqa_reader import figures, restricted


def _row() -> dict[str, object]:
    # Three passages; passage 2's sentence answers but only the deepest reading reaches it.
    return {
        "fused": np.array([0.9, 0.8, 0.7], dtype=np.float32),
        "passage_hit": np.array([False, False, True]),
        "passage": np.array([0, 0, 1, 2]),
        "unit": np.array([10, 11, 12, 13]),
        "first": np.array([0.5, 0.4, 0.3, 0.2], dtype=np.float32),
        "logit": np.array([-3.0, -3.0, -3.0, 5.0], dtype=np.float32),
        "sentence_hit": np.array([False, False, False, True]),
    }


def test_a_shallow_reading_never_sees_the_deep_answer_and_a_deep_one_does() -> None:
    row = _row()
    shallow = restricted(row, passages=2, sentences=8)
    assert list(shallow["unit"]) == [10, 11, 12] and len(shallow["fused"]) == 2
    assert figures([shallow], 10.0, 3.0) == (0.0, 0.0)
    assert figures([restricted(row, passages=3, sentences=8)], 10.0, 3.0) == (1.0, 1.0)
    # Three passages but only the three best sentences read: the answer is not read.
    few = restricted(row, passages=3, sentences=3)
    assert np.isnan(few["logit"][3]) and figures([few], 10.0, 3.0) == (0.0, 0.0)
