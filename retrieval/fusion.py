"""Fusion of ranked lists / score arrays from the dense and the sparse side."""

from __future__ import annotations

import numpy as np


def reciprocal_rank(
    rankings: list[np.ndarray], size: int, *, k: float = 60.0, weights: list[float] | None = None
) -> np.ndarray:
    """Reciprocal-rank fusion: ``sum_i w_i / (k + rank_i)`` per row (0 where unranked)."""
    fused = np.zeros(size, dtype=np.float64)
    for i, rows in enumerate(rankings):
        w = 1.0 if weights is None else weights[i]
        fused[rows] += w / (k + np.arange(1, len(rows) + 1))
    return fused


def minmax(scores: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Scale ``scores[rows]`` to 0..1 over the candidate rows; an all-equal set maps to 0."""
    part = scores[rows]
    lo, hi = float(part.min(initial=0.0)), float(part.max(initial=0.0))
    if hi - lo <= 1e-12:
        return np.zeros(len(rows))
    return (part - lo) / (hi - lo)
