"""The fusion arithmetic."""

from __future__ import annotations

import numpy as np

from retrieval.fusion import FusionWeights, blend, minmax, reciprocal_rank, section_share
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


def test_a_long_section_hands_its_weight_to_chunk_bm25() -> None:
    # Two chunks of one long section share its BM25; the chunks' own BM25 tells them apart.
    signals = _signals(bm25=[0, 4, 8], section_bm25=[6, 6, 2])
    weights = FusionWeights(bm25=0.1, section=0.3, chunk=0, sentence=0, section_span=6)
    short = blend(signals, weights, np.array([3, 3, 2]))
    assert np.allclose(short, blend(signals, weights))  # sections within the span: unchanged
    long = blend(signals, weights, np.array([60, 60, 2]))
    kept = 0.3 * 6 / 60
    assert np.allclose(long[:2], [kept * 1.0, (0.4 - kept) * 0.5 + kept * 1.0])
    assert np.isclose(long[2], short[2])  # its own short section keeps the whole weight
    # The long section's chunk with none of the words no longer outranks the short one's.
    assert list(np.argsort(-short)) == [1, 0, 2] and list(np.argsort(-long)) == [1, 2, 0]


def test_section_share_is_whole_within_the_span_and_proportional_beyond() -> None:
    assert list(section_share(np.array([1, 6, 12, 0]), 6.0)) == [1.0, 1.0, 0.5, 1.0]
