"""Dense vector index (FAISS inner product over normalised vectors = cosine).

The index type follows the corpus size (see :func:`choose_kind`):

- ``flat``: exact search (``IndexFlatIP``), used up to :data:`EXACT_MAX_ROWS` vectors. A
  query reads every vector, so it is bound by memory bandwidth: about 17 ms at 100k on a
  2-core laptop-class CPU. The sentence-unit index (several units per chunk) stays exact at
  the sizes where retrieval was tuned (SciFact: about 90k units).
- ``ivf-sq8``: inverted lists over k-means cells with 8-bit scalar-quantised vectors
  (``IndexIVFScalarQuantizer``): a quarter of the memory of ``flat``, and each query scans
  only ``nprobe`` of the ``nlist`` cells. Used above :data:`EXACT_MAX_ROWS`.

HNSW was considered and left out: on this class of machine its graph takes about seven
times longer to build than ``ivf-sq8`` for the same recall, and every ingest rebuilds the
dense index.

``$DOCQA_DENSE_INDEX`` (``auto``, ``flat``, ``ivf-sq8``) or the ``kind``
argument of :meth:`DenseIndex.build` overrides the choice. ``bench/scale.py`` measures
recall against exact search, latency and memory up to a million chunks (docs/speed-and-scale.md,
Scale).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np

from ingest.errors import InvalidInputError

#: ``rows-f16`` is not built here: sentence-unit vectors at scale (see :mod:`ingest.index.mapped`).
DenseKind = Literal["flat", "ivf-sq8", "rows-f16"]
#: The index types :meth:`DenseIndex.build` makes.
DENSE_KINDS: tuple[DenseKind, ...] = ("flat", "ivf-sq8")
#: Environment variable that overrides the index type (``auto`` = by corpus size).
DENSE_INDEX_ENV = "DOCQA_DENSE_INDEX"
#: Largest corpus searched exactly when the type is chosen automatically.
EXACT_MAX_ROWS = 200_000
#: Training rows per k-means cell for ``ivf-sq8`` (FAISS warns below 39).
_TRAIN_PER_CELL = 40
#: k-means iterations: more cost build time and change recall little (bench/scale.py).
_KMEANS_ITERATIONS = 10
#: A search for more rows than this scans every cell.
_WIDE_K = 1_000
_SEED = 1234


def choose_kind(n_rows: int, requested: str | None = None) -> DenseKind:
    """The index type for ``n_rows`` vectors: ``requested``, ``$DOCQA_DENSE_INDEX``, or by size.

    Raises:
        InvalidInputError: an unknown index type.
    """
    name = requested or os.environ.get(DENSE_INDEX_ENV) or "auto"
    if name == "auto":
        return "flat" if n_rows <= EXACT_MAX_ROWS else "ivf-sq8"
    if name not in DENSE_KINDS:
        raise InvalidInputError(
            f"unknown dense index type {name!r}; valid types are: auto, {', '.join(DENSE_KINDS)}"
        )
    return cast(DenseKind, name)


def ivf_cells(n_rows: int) -> int:
    """Number of k-means cells for ``n_rows`` vectors: about ``2 * sqrt(n)``, a power of two."""
    target = max(2.0 * math.sqrt(max(n_rows, 1)), 16.0)
    return int(2 ** round(math.log2(target)))


def default_nprobe(nlist: int) -> int:
    """Cells scanned per query: a quarter of them, at least 16.

    Measured on 1M clustered synthetic vectors (2,048 cells): recall@10 against exact search
    is 0.89 probing 64 cells, 0.93 with 256 and 0.96 with 512, at 12.6 ms p50 per query.
    """
    return min(nlist, max(16, nlist // 4))


class DenseIndex:
    """Inner-product search over one vector per chunk (row i = chunk i).

    Args:
        index: A FAISS index.
        nprobe: Cells scanned per query by an ``ivf-sq8`` index (default :func:`default_nprobe`).
    """

    def __init__(self, index: Any, *, nprobe: int | None = None) -> None:
        self._index = index
        nlist = int(getattr(index, "nlist", 0))
        self.nprobe = nprobe or (default_nprobe(nlist) if nlist else 0)

    @property
    def size(self) -> int:
        """Number of indexed vectors."""
        return int(self._index.ntotal)

    @property
    def dimension(self) -> int:
        """Length of the stored vectors."""
        return int(self._index.d)

    @property
    def kind(self) -> DenseKind:
        """The index type, read from the FAISS object."""
        import faiss

        return "ivf-sq8" if isinstance(self._index, faiss.IndexIVF) else "flat"

    @property
    def searchable(self) -> bool:
        """True: :meth:`search` is what this index is for (see :mod:`ingest.index.mapped`)."""
        return True

    @classmethod
    def build(cls, vectors: np.ndarray, *, kind: str | None = None) -> DenseIndex:
        """Index ``vectors`` (float32, rows normalised); row i is chunk i.

        Args:
            vectors: ``(n, dimension)`` array.
            kind: ``auto`` / ``None`` (by size, see :func:`choose_kind`), ``flat`` or
                ``ivf-sq8``.

        Raises:
            InvalidInputError: an unknown index type.
        """
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = int(vectors.shape[0]), int(vectors.shape[1])
        chosen = choose_kind(n, kind)
        index: Any
        if chosen == "ivf-sq8" and n >= 2:
            nlist = min(ivf_cells(n), max(1, n // 39))
            quantizer = faiss.IndexFlatIP(dim)
            index = faiss.IndexIVFScalarQuantizer(
                quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
            )
            index.cp.seed = _SEED
            index.cp.niter = _KMEANS_ITERATIONS
            train = vectors
            if n > nlist * _TRAIN_PER_CELL:
                pick = np.random.default_rng(_SEED).choice(
                    n, nlist * _TRAIN_PER_CELL, replace=False
                )
                train = vectors[np.sort(pick)]
            index.train(train)
        else:
            index = faiss.IndexFlatIP(dim)
        if n:
            index.add(vectors)
        _with_direct_map(index)
        return cls(index)

    def save(self, path: Path) -> None:
        """Write the index to one FAISS file."""
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        """Read what :meth:`save` wrote."""
        import faiss

        return cls(_with_direct_map(faiss.read_index(str(path))))

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(scores, rows)`` of the ``k`` nearest rows, best first.

        ``ivf-sq8`` returns approximate scores; a search for more than 1,000 rows (a
        document filter asks for every row) scans all cells, so it misses none.
        """
        import faiss

        k = min(k, self.size)
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        x = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        params = None
        if isinstance(self._index, faiss.IndexIVF):
            nlist = int(self._index.nlist)
            params = faiss.SearchParametersIVF()
            params.nprobe = nlist if k > _WIDE_K else self.nprobe
        # One question is one thread's work: OpenMP's start-up and hand-off cost more than
        # they save at this size, and a server answers several questions at once anyway.
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            scores, rows = self._index.search(x, k, params=params)
        finally:
            faiss.omp_set_num_threads(threads)
        keep = rows[0] >= 0
        return scores[0][keep], rows[0][keep]

    def vectors(self) -> np.ndarray:
        """All stored vectors, row i = chunk i (to carry them into the next version).

        Exact for ``flat``; for ``ivf-sq8`` the 8-bit reconstructions.
        """
        if not self.size:
            return np.zeros((0, int(self._index.d)), dtype=np.float32)
        return np.asarray(self._index.reconstruct_n(0, self.size), dtype=np.float32)

    def inner_products(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Inner product of ``query`` with the stored vector of each of ``rows``.

        Computed on the calling thread (``einsum``, not BLAS): a few thousand rows take a
        fraction of a millisecond there, while OpenBLAS's threads, woken for them, spin on
        the cores the cross-encoder's next inference needs (``python -m bench.speed``:
        SciFact ``ask()`` p50 73.0 -> 49.3 ms on 2 cores, the same answers).
        """
        stored = self.reconstruct(rows)
        return np.einsum("ij,j->i", stored, np.asarray(query, dtype=np.float32))

    def reconstruct(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors of ``rows`` (exact for flat indexes), shape ``(len(rows), d)``."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return np.zeros((0, int(self._index.d)), dtype=np.float32)
        return np.asarray(self._index.reconstruct_batch(rows), dtype=np.float32)


def _with_direct_map(index: Any) -> Any:
    """IVF indexes need a row -> list map to reconstruct stored vectors by row."""
    import faiss

    if isinstance(index, faiss.IndexIVF) and index.direct_map.no():
        index.make_direct_map()
    return index
