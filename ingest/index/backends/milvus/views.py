"""The row views of a version held in Milvus: dense, keyword, unit and section rows.

A collection holds the rows of every kept version, each under a content-derived key; a
version lists its keys in row order (``chunk_keys.npy``, ``unit_keys.npy``,
``section_keys.npy``) and the views below map Milvus's answers back to its rows, dropping
rows of other versions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

import numpy as np

from ingest.index.backends.milvus.collection import MAX_LIMIT
from ingest.index.backends.milvus.rows import SectionCollection, UnitCollection
from ingest.index.sparse import SparseSettings, Tokenizer
from ingest.index.tokens import TokenTable

#: Rows a Milvus keyword search returns. Rows past it score 0 when a candidate from the
#: dense side is rescored: a result page of every row would cost several times the search
#: (bench/backends.py measures what the cut costs in nDCG@10).
KEYWORD_DEPTH = 1_000


def milvus_views(
    milvus: Any,
    keys: np.ndarray,
    tokens: Callable[[], TokenTable | None],
    sparse: SparseSettings,
) -> tuple[MilvusDense, MilvusKeyword]:
    """The dense and keyword views of a version whose rows have ``keys`` in ``milvus``."""
    rows = KeyRows(keys, extra=max(0, milvus.count() - len(keys)))
    return MilvusDense(milvus, rows), MilvusKeyword(milvus, rows, tokens, sparse)


class KeyRows:
    """Chunk keys of one version and the way back from a key to its row."""

    def __init__(self, keys: np.ndarray, extra: int) -> None:
        self.keys = np.asarray(keys, dtype=np.int64)
        self.extra = extra  # rows of the collection this version does not list
        self._order = np.argsort(self.keys)
        self._sorted = self.keys[self._order]

    def rows(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, found)``: the row of each key, and which keys this version lists."""
        if not len(self._sorted):
            return np.zeros(len(keys), dtype=np.int64), np.zeros(len(keys), dtype=bool)
        pos = np.minimum(np.searchsorted(self._sorted, keys), len(self._sorted) - 1)
        return self._order[pos], self._sorted[pos] == keys


def search_rows(
    search: Callable[[int], tuple[np.ndarray, np.ndarray]], rows: KeyRows, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(scores, rows)`` of the best ``k`` rows of a version from ``search(limit)`` over a
    collection that also holds other versions' rows: the limit widens (up to Milvus's
    largest) until ``k`` rows of this version are found or the collection has no more, so a
    writer adding the next version's rows meanwhile costs a reader nothing but a retry."""
    limit = min(k + rows.extra + 16, MAX_LIMIT)
    while True:
        scores, keys = search(limit)
        found_rows, found = rows.rows(keys)
        if int(found.sum()) >= k or len(keys) < limit or limit >= MAX_LIMIT:
            return scores[found][:k], found_rows[found][:k]
        limit = min(limit * 4, MAX_LIMIT)


class MilvusDense:
    """Dense search over a version's rows in a Milvus collection."""

    def __init__(self, milvus: Any, rows: KeyRows) -> None:
        self._milvus = milvus
        self._rows = rows

    @property
    def size(self) -> int:
        """Rows of the version."""
        return len(self._rows.keys)

    @property
    def dimension(self) -> int:
        """Vector length."""
        return int(self._milvus.dimension)

    @property
    def kind(self) -> str:
        """The collection's dense index type, e.g. ``milvus-flat``."""
        return f"milvus-{self._milvus.stats().dense_index.lower()}"

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, rows)`` of the ``k`` nearest rows of this version, best first."""
        k = min(k, self.size)
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        return search_rows(lambda limit: self._milvus.search_dense(query, limit), self._rows, k)

    def reconstruct(self, rows: np.ndarray) -> np.ndarray:
        """Stored vectors of ``rows``."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.asarray(self._milvus.vectors(self._rows.keys[rows]), dtype=np.float32)

    def inner_products(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Inner product of ``query`` with the vector of each of ``rows``: computed by Milvus
        where it can (exact index), the rest from the vectors read back."""
        rows = np.asarray(rows, dtype=np.int64)
        out = self._milvus.inner_products(query, self._rows.keys[rows])
        missing = np.isnan(out)
        if missing.any():
            out[missing] = self.reconstruct(rows[missing]) @ np.asarray(query, dtype=np.float32)
        return out

    def vectors(self) -> np.ndarray:
        """All vectors, row i = chunk i."""
        return self.reconstruct(np.arange(self.size))


class MilvusKeyword:
    """Milvus full-text (BM25) scores over a version's rows; IDF from the stored tokens.

    Args:
        milvus: The collection (a :class:`~ingest.index.backends.milvus.chunks.ChunkCollection`).
        rows: The version's keys.
        tokens: Reads the version's BM25 tokens (for IDF), when first needed.
        settings: Tokenisation of the index.
    """

    def __init__(
        self,
        milvus: Any,
        rows: KeyRows,
        tokens: Callable[[], TokenTable | None],
        settings: SparseSettings,
    ) -> None:
        self._milvus = milvus
        self._rows = rows
        self._tokens = tokens
        self.tokenizer = Tokenizer(settings)
        self.size = len(rows.keys)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row in Milvus's top :data:`KEYWORD_DEPTH` (the rest score 0)."""
        out = np.zeros(self.size, dtype=np.float32)
        if not self.size:
            return out
        depth = min(self.size, KEYWORD_DEPTH)
        scores, rows = search_rows(
            lambda limit: self._milvus.search_sparse(query, limit), self._rows, depth
        )
        out[rows] = scores
        return out

    @cached_property
    def _document_frequency(self) -> tuple[dict[str, int], np.ndarray]:
        table = self._tokens()
        if table is None or not len(table):
            return {}, np.zeros(0, dtype=np.int64)
        lengths = np.diff(table.offsets)
        owner = np.repeat(np.arange(len(table), dtype=np.int64), lengths)
        pairs = np.unique(owner * len(table.vocab) + table.ids.astype(np.int64))
        df = np.bincount(pairs % len(table.vocab), minlength=len(table.vocab))
        return {t: i for i, t in enumerate(table.vocab)}, df

    def idf(self, terms: Sequence[str]) -> dict[str, float]:
        """Lucene-style IDF of each term over the version's chunks (as bm25s computes it)."""
        vocab, df = self._document_frequency
        n = max(self.size, 1)
        out = {}
        for term in terms:
            row = vocab.get(term)
            count = int(df[row]) if row is not None else 0
            out[term] = float(np.log(1.0 + (n - count + 0.5) / (count + 0.5)))
        return out


class MilvusUnitRows(MilvusDense):
    """Search and read the unit vectors of one version in the unit collection (the chunk
    view's reads, over the unit collection; searched by Milvus, unlike a flat float16 table).
    """

    def __init__(self, units: UnitCollection, rows: KeyRows) -> None:
        super().__init__(units, rows)

    @property
    def searchable(self) -> bool:
        """True: Milvus searches the unit vectors."""
        return True


class MilvusSectionRows:
    """Milvus BM25 scores of one version's sections (a section outside Milvus's top
    :data:`KEYWORD_DEPTH` scores 0, as chunks do); a
    :class:`~ingest.index.rows.SectionRows`.
    """

    def __init__(self, sections: SectionCollection, rows: KeyRows) -> None:
        self._sections = sections
        self._rows = rows
        self.size = len(rows.keys)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every section of the version for ``query``."""
        out = np.zeros(self.size, dtype=np.float32)
        if not self.size:
            return out
        found, rows = search_rows(
            lambda limit: self._sections.search_sparse(query, limit),
            self._rows,
            min(self.size, KEYWORD_DEPTH),
        )
        out[rows] = found
        return out
