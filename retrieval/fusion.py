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

    ``section_span``: a section of at most this many chunks keeps the whole section weight;
    in a longer one, a chunk's section weight is scaled by ``section_span / chunks`` and the
    rest moves to its chunk BM25. Over a short section (an abstract, a heading's few
    paragraphs) the section's BM25 speaks for the passage; over a long one (a paper or a
    report with no headings inside: one section of 48 chunks) it is a document-level score
    that every passage of the document shares, and it cannot tell them apart. Chosen on the
    train sets: SciFact train nDCG@10 is the same for 6 as without it (sections of 3 chunks
    there), covidqa-train's first passage right 0.529 -> 0.576 on the fast path
    (docs/quality.md, "Long technical documents").
    """

    bm25: float = 0.1
    section: float = 0.3
    chunk: float = 0.2
    sentence: float = 0.4
    section_span: float = 6.0


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


def blend(
    signals: Signals, weights: FusionWeights, section_chunks: np.ndarray | None = None
) -> np.ndarray:
    """Weighted sum of min-max-normalised signals (zero-weight signals are skipped).

    ``section_chunks``: how many chunks each candidate's section has; with it, long
    sections hand their weight to chunk BM25 (:class:`FusionWeights`, ``section_span``)
    when chunk BM25 is in the blend.
    """
    total = np.zeros(len(signals.rows))
    for weight, values in _pairs(signals, weights):
        if weight:
            total += weight * minmax(values)
    if section_chunks is not None and weights.section and weights.bm25:
        moved = weights.section * (1.0 - section_share(section_chunks, weights.section_span))
        total += moved * (minmax(signals.bm25) - minmax(signals.section_bm25))
    return total


def section_share(section_chunks: np.ndarray, span: float) -> np.ndarray:
    """The share of the section weight a chunk keeps: 1 in a section of at most ``span``
    chunks, ``span / chunks`` in a longer one."""
    return np.minimum(1.0, span / np.maximum(np.asarray(section_chunks, np.float64), 1.0))


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
