"""The fusion arithmetic."""

from __future__ import annotations

import numpy as np

from retrieval.fusion import FusionWeights, blend, minmax, reciprocal_rank
from retrieval.signals import Signals, top_rows


def _signals(**values: list[float]) -> Signals:
    n = len(next(iter(values.values())))
    zeros = np.zeros(n, dtype=np.float32)
    arrays = {k: np.asarray(v, dtype=np.float32) for k, v in values.items()}
    return Signals(
        rows=np.arange(n),
        bm25=arrays.get("bm25", zeros),
        section_bm25=arrays.get("section_bm25", zeros),
        chunk_cos=arrays.get("chunk_cos", zeros),
        sent_cos=arrays.get("sent_cos", zeros),
        best_unit=np.full(n, -1),
    )


def test_blend_weights_normalised_signals() -> None:
    signals = _signals(bm25=[10, 0, 5], chunk_cos=[0.1, 0.9, 0.5])
    fused = blend(signals, FusionWeights(bm25=0.25, section=0, chunk=0.75, sentence=0))
    assert np.allclose(fused, [0.25, 0.75, 0.125 + 0.375])
    assert list(np.argsort(-fused)) == [1, 2, 0]


def test_rrf_ranks() -> None:
    signals = _signals(bm25=[3, 2, 1], chunk_cos=[0.1, 0.2, 0.3])
    fused = reciprocal_rank(signals, FusionWeights(1, 0, 1, 0), k=1)
    assert np.allclose(fused, [1 / 2 + 1 / 4, 1 / 3 + 1 / 3, 1 / 4 + 1 / 2])


def test_minmax_and_top_rows_edge_cases() -> None:
    assert list(minmax(np.array([2.0, 2.0]))) == [0.0, 0.0]
    assert list(top_rows(np.array([0.0, 3.0, 1.0, 0.0]), 3)) == [1, 2]
