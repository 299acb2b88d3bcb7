"""Sentence-unit vectors at scale: float16 rows, memory-mapped, read by row, not searched.

A corpus holds several sentence units per chunk, so at a million chunks it has millions of
unit vectors: about 7.7 GB in float32 for five million, 1.9 GB even in 8-bit IVF cells. Up to
:data:`UNIT_SEARCH_MAX_ROWS` units the unit vectors are a :class:`~ingest.dense.DenseIndex`
(exact up to 200k, as every tuned corpus is), searched in the first stage of retrieval and
read for rescoring. Above, they are stored as float16 rows (``units.f16.npy``) that a
:class:`MappedVectors` maps without reading: retrieval then takes its candidates from the
chunk vectors and BM25 only, and reads the unit rows of those candidates to rescore them
(a few hundred rows, a few hundred kB, per question).
"""

from __future__ import annotations

import mmap
from pathlib import Path

import numpy as np

from ingest.arrays import HEADER_LOCK
from ingest.dense import DenseIndex, DenseKind

#: Most unit vectors kept in a searchable index; above, float16 rows read by row.
UNIT_SEARCH_MAX_ROWS = 1_000_000
UNITS_INDEX, UNITS_ROWS = "units.faiss", "units.f16.npy"
_BLOCK = 65_536


class MappedVectors(DenseIndex):
    """Float16 vectors of a ``.npy`` file, memory-mapped; rows are read when asked for.

    ``reconstruct`` reads only the rows it is given; ``search`` scans every row (exact, and
    slow at the sizes this is used for), so :attr:`searchable` is False and retrieval does
    not search it in its first stage.
    """

    def __init__(self, matrix: np.ndarray) -> None:
        self._matrix = matrix
        self.nprobe = 0

    @property
    def size(self) -> int:
        """Number of stored vectors."""
        return int(self._matrix.shape[0])

    @property
    def dimension(self) -> int:
        """Length of the stored vectors."""
        return int(self._matrix.shape[1])

    @property
    def kind(self) -> DenseKind:
        """Always ``rows-f16``."""
        return "rows-f16"

    @property
    def searchable(self) -> bool:
        """False: a search reads every row."""
        return False

    @staticmethod
    def write(path: Path, vectors: np.ndarray) -> None:
        """Write ``vectors`` (any float dtype, may itself be mapped) as float16, in blocks."""
        n, dim = int(vectors.shape[0]), int(vectors.shape[1])
        header = {
            "descr": np.lib.format.dtype_to_descr(np.dtype("<f2")),
            "fortran_order": False,
            "shape": (n, dim),
        }
        with open(path, "wb") as handle:
            np.lib.format.write_array_header_1_0(handle, header)
            for start in range(0, n, _BLOCK):
                block = np.ascontiguousarray(vectors[start : start + _BLOCK], dtype="<f2")
                handle.write(block.tobytes())

    def save(self, path: Path) -> None:
        """Write the vectors to ``path`` (see :meth:`write`)."""
        self.write(path, self._matrix)

    @classmethod
    def load(cls, path: Path) -> MappedVectors:
        """Map what :meth:`write` wrote; nothing is read until rows are asked for.

        Raises:
            ValueError: not a two-dimensional float16 array.
        """
        with open(path, "rb") as handle, HEADER_LOCK:
            version = np.lib.format.read_magic(handle)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(handle)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(handle)
            offset = handle.tell()
            if len(shape) != 2 or fortran or dtype != np.dtype("<f2"):
                raise ValueError(f"{path.name}: not a float16 matrix")
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        # Rows are read a few at a time, far apart: read-ahead would only fill memory.
        mapped.madvise(mmap.MADV_RANDOM)
        count = int(shape[0]) * int(shape[1])
        matrix = np.frombuffer(mapped, dtype=dtype, count=count, offset=offset)
        return cls(matrix.reshape(shape))

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Exact ``(scores, rows)`` of the ``k`` nearest rows, best first (reads every row)."""
        k = min(k, self.size)
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        scores = np.empty(self.size, dtype=np.float32)
        for start in range(0, self.size, _BLOCK):
            scores[start : start + _BLOCK] = self._matrix[start : start + _BLOCK] @ q
        rows = np.argpartition(-scores, k - 1)[:k]
        rows = rows[np.argsort(-scores[rows], kind="stable")]
        return scores[rows], rows.astype(np.int64)

    def vectors(self) -> np.ndarray:
        """All vectors as float32."""
        return np.asarray(self._matrix, dtype=np.float32)

    def reconstruct(self, rows: np.ndarray) -> np.ndarray:
        """The vectors of ``rows`` as float32, shape ``(len(rows), d)``; reads only those."""
        rows = np.asarray(rows, dtype=np.int64)
        return np.asarray(self._matrix[rows], dtype=np.float32).reshape(len(rows), -1)


def save_unit_vectors(folder: Path, vectors: np.ndarray) -> None:
    """Write the unit vectors: a searchable index up to :data:`UNIT_SEARCH_MAX_ROWS` rows,
    float16 rows above."""
    if len(vectors) <= UNIT_SEARCH_MAX_ROWS:
        DenseIndex.build(np.asarray(vectors, dtype=np.float32)).save(folder / UNITS_INDEX)
    else:
        MappedVectors.write(folder / UNITS_ROWS, vectors)


def load_unit_vectors(folder: Path) -> DenseIndex:
    """Read what :func:`save_unit_vectors` wrote."""
    if (folder / UNITS_ROWS).exists():
        return MappedVectors.load(folder / UNITS_ROWS)
    return DenseIndex.load(folder / UNITS_INDEX)
