"""Dense vector index (FAISS inner product over normalised vectors = cosine)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


class DenseIndex:
    """Exact inner-product search over one vector per chunk."""

    def __init__(self, index: Any) -> None:
        self._index = index

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def dimension(self) -> int:
        """Length of the stored vectors."""
        return int(self._index.d)

    @classmethod
    def build(cls, vectors: np.ndarray) -> DenseIndex:
        """Index ``vectors`` (float32, rows normalised); row i is chunk i."""
        import faiss

        index = faiss.IndexFlatIP(int(vectors.shape[1]))
        if len(vectors):
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index)

    def vectors(self) -> np.ndarray:
        """All stored vectors, row i = chunk i (to carry them into the next version)."""
        if not self.size:
            return np.zeros((0, int(self._index.d)), dtype=np.float32)
        return np.asarray(self._index.reconstruct_n(0, self.size), dtype=np.float32)

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        import faiss

        return cls(faiss.read_index(str(path)))

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(scores, rows)`` of the ``k`` nearest rows, best first."""
        k = min(k, self.size)
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        scores, rows = self._index.search(query.reshape(1, -1).astype(np.float32), k)
        keep = rows[0] >= 0
        return scores[0][keep], rows[0][keep]

    def reconstruct(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors of ``rows`` (exact for flat indexes), shape ``(len(rows), d)``."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return np.zeros((0, int(self._index.d)), dtype=np.float32)
        return np.asarray(self._index.reconstruct_batch(rows), dtype=np.float32)
