"""The embedded backend: chunk vectors in a FAISS file, BM25 in bm25s files, per version.

A version's files are immutable, so :class:`FaissBackend` is an in-memory set of chunks
that is indexed when searched and written whole by :meth:`FaissBackend.save`; row i of the
files is the i-th chunk added (a version adds its chunks in row order, so key = row).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np

from ingest.index.backend import BackendKind, BackendStats
from ingest.index.dense import DenseIndex
from ingest.index.sparse import SparseIndex, SparseSettings
from ingest.index.tokens import TokenTable
from ingest.text.chunker import Chunk

DENSE_FILE, SPARSE_DIR = "dense.faiss", "sparse"


class FaissBackend:
    """Chunks with FAISS dense search and bm25s keyword search (see :class:`ChunkBackend`).

    Args:
        dimension: Vector length.
        sparse: BM25 tokenisation settings.
    """

    kind: BackendKind = "faiss"

    def __init__(self, dimension: int, sparse: SparseSettings | None = None) -> None:
        self._dimension = dimension
        self._settings = sparse or SparseSettings()
        self._keys = np.zeros(0, dtype=np.int64)
        self._doc_ids: list[str] = []
        self._texts: list[str] = []
        self._vectors: np.ndarray | None = np.zeros((0, dimension), dtype=np.float32)
        self._loaded: Sequence[Chunk] | None = None
        self._dense: DenseIndex | None = None
        self._sparse: SparseIndex | None = None

    @classmethod
    def load(cls, folder: Path, chunks: Sequence[Chunk], sparse: SparseSettings) -> FaissBackend:
        """Open the files :meth:`save` wrote; ``chunks`` are the version's, in row order."""
        dense = DenseIndex.load(folder / DENSE_FILE)
        backend = cls(dense.dimension, sparse)
        backend._keys = np.arange(len(chunks), dtype=np.int64)
        # Read only when chunks are added or deleted; a reader never walks every chunk.
        backend._loaded = chunks
        backend._vectors = None  # read from the FAISS index when first needed
        backend._dense = dense
        backend._sparse = SparseIndex.load(folder / SPARSE_DIR, sparse, len(chunks))
        return backend

    def save(self, folder: Path, tokens: TokenTable | None = None) -> None:
        """Write ``dense.faiss`` and ``sparse/`` (BM25 from ``tokens`` when given)."""
        dense, sparse = self._indexes(tokens)
        dense.save(folder / DENSE_FILE)
        sparse.save(folder / SPARSE_DIR)

    @property
    def dense(self) -> DenseIndex:
        """The dense index over the chunks (row i = i-th chunk)."""
        return self._indexes()[0]

    @property
    def sparse(self) -> SparseIndex:
        """The BM25 index over the chunks (row i = i-th chunk)."""
        return self._indexes()[1]

    def _indexes(self, tokens: TokenTable | None = None) -> tuple[DenseIndex, SparseIndex]:
        if self._dense is None or self._sparse is None or tokens is not None:
            self._dense = DenseIndex.build(self._all_vectors())
            if tokens is not None:
                self._sparse = SparseIndex.from_tokens(tokens, self._settings)
            else:
                self._columns()
                self._sparse = SparseIndex.build(self._texts, self._settings)
        return self._dense, self._sparse

    def _columns(self) -> None:
        if self._loaded is not None:
            self._doc_ids = [c.doc_id for c in self._loaded]
            self._texts = [c.text for c in self._loaded]
            self._loaded = None

    def _all_vectors(self) -> np.ndarray:
        if self._vectors is None:
            assert self._dense is not None
            self._vectors = self._dense.vectors()
        return self._vectors

    def add(self, keys: np.ndarray, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Store ``chunks`` under ``keys`` (a key already present is replaced)."""
        keys = np.asarray(keys, dtype=np.int64)
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(chunks), self._dimension)
        self._dense = self._sparse = None
        if not len(self._keys):  # a whole version at once: no copy, columns read lazily
            self._keys, self._vectors, self._loaded = keys, vectors, chunks
            return
        self._columns()
        replaced = np.isin(self._keys, keys)
        if replaced.any():
            self._keep(~replaced)
        self._vectors = np.concatenate([self._all_vectors(), vectors])
        self._keys = np.concatenate([self._keys, keys])
        self._doc_ids += [c.doc_id for c in chunks]
        self._texts += [c.text for c in chunks]

    def delete_documents(self, doc_ids: Collection[str]) -> int:
        """Remove every chunk of ``doc_ids``; returns how many were removed."""
        self._columns()
        wanted = set(doc_ids)
        keep = np.array([d not in wanted for d in self._doc_ids], dtype=bool)
        removed = int(len(keep) - keep.sum())
        if removed:
            self._keep(keep)
        return removed

    def _keep(self, mask: np.ndarray) -> None:
        self._vectors = self._all_vectors()[mask]
        self._keys = self._keys[mask]
        self._doc_ids = [d for d, m in zip(self._doc_ids, mask, strict=True) if m]
        self._texts = [t for t, m in zip(self._texts, mask, strict=True) if m]
        self._dense = self._sparse = None

    def search_dense(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, keys)`` of the ``k`` chunks of highest inner product, best first."""
        scores, rows = self.dense.search(query, k)
        return scores, self._keys[rows]

    def search_sparse(self, text: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, keys)`` of the ``k`` chunks of highest BM25 score (> 0), best first."""
        scores = self.sparse.scores(text)
        if not len(scores) or k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        rows = np.argsort(-scores, kind="stable")[:k]
        rows = rows[scores[rows] > 0]
        return scores[rows], self._keys[rows]

    def vectors(self, keys: np.ndarray) -> np.ndarray:
        """Stored vectors of ``keys``.

        Raises:
            KeyError: a key that is not stored.
        """
        keys = np.asarray(keys, dtype=np.int64)
        order = np.argsort(self._keys)
        pos = np.searchsorted(self._keys, keys, sorter=order)
        pos = np.minimum(pos, max(len(order) - 1, 0))
        if not len(order) or not np.all(self._keys[order[pos]] == keys):
            raise KeyError("chunk keys not stored in this index")
        return self.dense.reconstruct(order[pos])

    def stats(self) -> BackendStats:
        """Counts and index type."""
        dense = self.dense
        return BackendStats("faiss", dense.size, dense.kind, "local files")
