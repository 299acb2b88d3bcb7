"""Per-candidate relevance signals: BM25, chunk cosine, best-sentence cosine.

Candidates are the union of each side's top rows; every signal is then computed exactly for
every candidate (from stored vectors), so fusion never mixes a score with a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ingest.index.rows import DenseRows, UnitRows
from ingest.index.units import UnitTable


@dataclass(frozen=True)
class Signals:
    """Signals of candidate chunks (parallel arrays)."""

    rows: np.ndarray  # chunk rows
    bm25: np.ndarray  # BM25 score of the chunk
    section_bm25: np.ndarray  # BM25 score of the section holding the chunk
    chunk_cos: np.ndarray  # cosine of the chunk vector (0 when the index has none)
    sent_cos: np.ndarray  # cosine of the chunk's best sentence (0 when no sentence units)
    best_unit: np.ndarray  # unit row of that sentence (-1 when no sentence units)
    #: Every sentence unit of the candidates (ascending) and its cosine, read once per
    #: question so later stages need not fetch the vectors again (empty without units).
    unit_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    unit_cos: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))

    def sentence_cosines(self, units: np.ndarray) -> np.ndarray | None:
        """Cosines of ``units`` as gathered, or None when any of them was not gathered."""
        if not len(units):
            return np.zeros(0, dtype=np.float32)
        pos = np.searchsorted(self.unit_rows, units)
        if not len(self.unit_rows) or pos.max() >= len(self.unit_rows):
            return None
        if not np.array_equal(self.unit_rows[pos], units):
            return None
        return self.unit_cos[pos]


def top_rows(scores: np.ndarray, depth: int) -> np.ndarray:
    """Rows of the ``depth`` highest positive scores, best first."""
    if depth <= 0 or not len(scores):
        return np.zeros(0, dtype=np.int64)
    # Only rows with a positive score can be returned; keyword scores are zero for most
    # rows of a large index, so partitioning those alone is much cheaper.
    positive = np.flatnonzero(scores > 0)
    if len(positive) > depth:
        positive = positive[np.argpartition(-scores[positive], depth - 1)[:depth]]
    order = np.lexsort((positive, -scores[positive]))
    return positive[order].astype(np.int64)


def sentence_maxima(
    query: np.ndarray,
    rows: np.ndarray,
    units: UnitTable,
    offsets: np.ndarray,
    unit_dense: UnitRows,
) -> tuple[np.ndarray, np.ndarray]:
    """Best sentence cosine and its unit row, for each chunk row in ``rows``."""
    best_cos, best_unit, _, _ = sentence_cosines(query, rows, offsets, unit_dense)
    return best_cos, best_unit


def sentence_cosines(
    query: np.ndarray, rows: np.ndarray, offsets: np.ndarray, unit_dense: UnitRows
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For each chunk row in ``rows``: its best sentence cosine and that sentence's unit row;
    then every unit of those rows (in row order) and its cosine, in one call to the backend."""
    spans = [np.arange(offsets[r], offsets[r + 1]) for r in rows]
    flat = np.concatenate(spans) if spans else np.zeros(0, dtype=np.int64)
    cos = unit_dense.inner_products(query, flat) if len(flat) else np.zeros(0, dtype=np.float32)
    best_cos = np.zeros(len(rows), dtype=np.float32)
    best_unit = np.full(len(rows), -1, dtype=np.int64)
    cursor = 0
    for i, span in enumerate(spans):
        if len(span):
            j = int(np.argmax(cos[cursor : cursor + len(span)]))
            best_cos[i], best_unit[i] = cos[cursor + j], span[j]
        cursor += len(span)
    return best_cos, best_unit, flat.astype(np.int64), np.asarray(cos, dtype=np.float32)


@dataclass(frozen=True)
class QueryScores:
    """What one question scores over the whole index, before candidates are taken.

    Attributes:
        vector: The question's embedding (None: keyword only).
        bm25: BM25 scores of all chunks (None: dense only).
        section_bm25: BM25 score of each chunk's section, for all chunks (None: unused).
    """

    vector: np.ndarray | None
    bm25: np.ndarray | None
    section_bm25: np.ndarray | None = None


@dataclass(frozen=True)
class CandidateSources:
    """The parts of an index that candidates are taken from and scored with.

    Attributes:
        n_chunks: Chunks in the index.
        dense: Chunk vectors (None: no chunk cosine).
        units: Sentence units (None: no sentence cosine).
        offsets: ``offsets[i]:offsets[i + 1]`` are the unit rows of chunk ``i``.
        unit_dense: Sentence unit vectors (None: no sentence cosine).
    """

    n_chunks: int
    dense: DenseRows | None
    units: UnitTable | None
    offsets: np.ndarray | None
    unit_dense: UnitRows | None


def gather(
    query: QueryScores,
    sources: CandidateSources,
    *,
    depth: int,
    allowed: np.ndarray | None = None,
) -> Signals:
    """Collect candidates from every available side and score them on every signal.

    Args:
        query: The question's vector and keyword scores.
        sources: The index parts searched.
        depth: Candidates taken from each side.
        allowed: Boolean mask of chunk rows that may be returned (document filter).
    """
    query_vector, bm25, section_bm25 = query.vector, query.bm25, query.section_bm25
    dense, units, offsets, unit_dense = (
        sources.dense,
        sources.units,
        sources.offsets,
        sources.unit_dense,
    )
    pools: list[np.ndarray] = []
    for keyword in (bm25, section_bm25):
        if keyword is not None:
            scores = keyword if allowed is None else np.where(allowed, keyword, 0.0)
            pools.append(top_rows(scores, depth))
    if query_vector is not None:
        wide = depth if allowed is None else sources.n_chunks
        if dense is not None and dense.size:
            _, rows = dense.search(query_vector, wide)
            pools.append(rows if allowed is None else rows[allowed[rows]][:depth])
        if (
            units is not None
            and unit_dense is not None
            and unit_dense.size
            and unit_dense.searchable
        ):
            _, unit_rows = unit_dense.search(
                query_vector, wide * 2 if allowed is None else len(units)
            )
            chunk_rows = units.chunk[unit_rows]
            if allowed is not None:
                chunk_rows = chunk_rows[allowed[chunk_rows]]
            pools.append(_first_unique(chunk_rows, depth))
    rows = np.unique(np.concatenate(pools)) if pools else np.zeros(0, dtype=np.int64)
    rows = rows.astype(np.int64)
    zeros = np.zeros(len(rows), dtype=np.float32)
    chunk_cos, sent_cos, best_unit = zeros, zeros, np.full(len(rows), -1, dtype=np.int64)
    unit_rows, unit_cos = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    if query_vector is not None and dense is not None and dense.size:
        chunk_cos = dense.inner_products(query_vector, rows)
    if (
        query_vector is not None
        and units is not None
        and unit_dense is not None
        and offsets is not None
    ):
        sent_cos, best_unit, unit_rows, unit_cos = sentence_cosines(
            query_vector, rows, offsets, unit_dense
        )
    return Signals(
        rows=rows,
        bm25=bm25[rows].astype(np.float32) if bm25 is not None else zeros,
        section_bm25=section_bm25[rows].astype(np.float32) if section_bm25 is not None else zeros,
        chunk_cos=np.asarray(chunk_cos, dtype=np.float32),
        sent_cos=np.asarray(sent_cos, dtype=np.float32),
        best_unit=best_unit,
        unit_rows=unit_rows,
        unit_cos=unit_cos,
    )


def _first_unique(values: np.ndarray, limit: int) -> np.ndarray:
    """The first ``limit`` distinct values, in order of first appearance."""
    _, first = np.unique(values, return_index=True)
    return values[np.sort(first)][:limit]
