"""Fusion of the per-candidate signals into one ranking score."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrieval.signals import Signals


@dataclass(frozen=True)
class FusionWeights:
    """Weights of the min-max-normalised signals in the blend (they need not sum to 1).

    The defaults come from a grid search on SciFact's train split (``bench/tune.py``):
    section-level BM25 with chunk and best-sentence cosine, plus a little chunk BM25.
    """

    bm25: float = 0.1
    section: float = 0.3
    chunk: float = 0.2
    sentence: float = 0.4


def minmax(values: np.ndarray) -> np.ndarray:
    """Scale to 0..1 over the candidates; an all-equal set maps to 0."""
    if not len(values):
        return np.zeros(0)
    lo, hi = float(values.min()), float(values.max())
    if hi - lo <= 1e-12:
        return np.zeros(len(values))
    return (values.astype(np.float64) - lo) / (hi - lo)


def ranks(values: np.ndarray) -> np.ndarray:
    """1-based rank of each value, highest first (ties broken by position)."""
    order = np.argsort(-values, kind="stable")
    out = np.empty(len(values), dtype=np.float64)
    out[order] = np.arange(1, len(values) + 1)
    return out


def blend(signals: Signals, weights: FusionWeights) -> np.ndarray:
    """Weighted sum of min-max-normalised signals (zero-weight signals are skipped)."""
    total = np.zeros(len(signals.rows))
    for weight, values in _pairs(signals, weights):
        if weight:
            total += weight * minmax(values)
    return total


def reciprocal_rank(signals: Signals, weights: FusionWeights, *, k: float = 60.0) -> np.ndarray:
    """Reciprocal-rank fusion of the weighted signals: ``sum w / (k + rank)``."""
    total = np.zeros(len(signals.rows))
    for weight, values in _pairs(signals, weights):
        if weight:
            total += weight / (k + ranks(values))
    return total


def _pairs(signals: Signals, weights: FusionWeights) -> list[tuple[float, np.ndarray]]:
    return [
        (weights.bm25, signals.bm25),
        (weights.section, signals.section_bm25),
        (weights.chunk, signals.chunk_cos),
        (weights.sentence, signals.sent_cos),
    ]
