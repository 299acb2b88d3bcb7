"""The row views retrieval reads of one version, whichever store holds them.

Row i of a chunk view is chunk i of the version, row i of a unit view is unit i, row i of a
section view is section i. Local files give :class:`~ingest.index.dense.DenseIndex`,
:class:`~ingest.index.mapped.MappedVectors` and :class:`~ingest.index.sparse.SparseIndex`,
which already are these views; Milvus gives its own (:mod:`ingest.index.backends.milvus`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np


class DenseRows(Protocol):
    """Dense search over the chunk rows of one version (row i = chunk i)."""

    @property
    def size(self) -> int: ...

    @property
    def dimension(self) -> int: ...

    @property
    def kind(self) -> str: ...

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...

    def reconstruct(self, rows: np.ndarray) -> np.ndarray: ...

    def inner_products(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Inner product of ``query`` with the stored vector of each of ``rows`` (a remote
        engine computes them where it can, rather than sending the vectors)."""
        ...

    def vectors(self) -> np.ndarray: ...


class UnitRows(DenseRows, Protocol):
    """Sentence-unit vectors of one version (row i = unit i); ``searchable`` is False when
    they are only read by row, not searched (see :mod:`ingest.index.mapped`)."""

    @property
    def searchable(self) -> bool: ...


class KeywordRows(Protocol):
    """BM25 over the chunk rows of one version."""

    size: int
    tokenizer: Any

    def scores(self, query: str) -> np.ndarray: ...

    def idf(self, terms: Sequence[str]) -> dict[str, float]: ...


class SectionRows(Protocol):
    """BM25 over the section rows of one version: only scores are read (questions' term
    weights come from the chunks)."""

    @property
    def size(self) -> int: ...

    def scores(self, query: str) -> np.ndarray: ...
