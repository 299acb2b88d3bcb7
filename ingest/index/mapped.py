"""Sentence-unit vectors at scale: float16 rows on disk, read by row, not searched.

A corpus holds several sentence units per chunk, so at a million chunks it has millions of
unit vectors: about 7.7 GB in float32 for five million, 1.9 GB even in 8-bit IVF cells. Up to
:data:`UNIT_SEARCH_MAX_ROWS` units the unit vectors are a :class:`~ingest.index.dense.DenseIndex`
(exact up to 200k, as every tuned corpus is), searched in the first stage of retrieval and
read for rescoring. Above, they are stored as float16 rows (``units.f16.npy``) that a
:class:`MappedVectors` reads only when asked: retrieval then takes its candidates from the
chunk vectors and BM25 only, and reads the unit rows of those candidates to rescore them
(a few hundred rows, a few hundred kB, per question).

Rows are read with ``pread``, one call per run of consecutive rows (a chunk's units are
consecutive), rather than through a memory map: the kernel maps up to 16 neighbouring pages
of the page cache on every fault, so scattered reads through a map grow the process's
resident memory towards the size of the file.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ingest.arrays import HEADER_LOCK
from ingest.index.dense import DenseIndex, DenseKind

#: Most unit vectors kept in a searchable index; above, float16 rows read by row.
UNIT_SEARCH_MAX_ROWS = 1_000_000
UNITS_INDEX, UNITS_ROWS = "units.faiss", "units.f16.npy"
_BLOCK = 65_536


class MappedVectors(DenseIndex):
    """Float16 vectors of a ``.npy`` file, read from disk when asked for.

    ``reconstruct`` reads only the rows it is given; ``search`` scans every row (exact, and
    slow at the sizes this is used for), so :attr:`searchable` is False and retrieval does
    not search it in its first stage.

    Args:
        path: The file (see :meth:`write`).
        shape: ``(rows, dimension)`` from its header.
        offset: Byte offset of row 0.
    """

    def __init__(self, path: Path, shape: tuple[int, int], offset: int) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 - held for the object's lifetime
        self._shape = shape
        self._offset = offset
        self._row_bytes = 2 * shape[1]
        self.nprobe = 0

    def __del__(self) -> None:
        file = getattr(self, "_file", None)
        if file is not None:
            file.close()

    @property
    def size(self) -> int:
        """Number of stored vectors."""
        return self._shape[0]

    @property
    def dimension(self) -> int:
        """Length of the stored vectors."""
        return self._shape[1]

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
        self.write(path, self.vectors())

    @classmethod
    def load(cls, path: Path) -> MappedVectors:
        """Open what :meth:`write` wrote; nothing but the header is read until rows are asked for.

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
            size = handle.seek(0, os.SEEK_END)
        if len(shape) != 2 or fortran or dtype != np.dtype("<f2"):
            raise ValueError(f"{path.name}: not a float16 matrix")
        rows, dim = int(shape[0]), int(shape[1])
        if size != offset + 2 * rows * dim:
            raise ValueError(f"{path.name}: {size} bytes, expected {offset + 2 * rows * dim}")
        return cls(path, (rows, dim), offset)

    def _read(self, start: int, count: int) -> np.ndarray:
        """Rows ``start:start + count`` as float16."""
        size = count * self._row_bytes
        data = os.pread(self._file.fileno(), size, self._offset + start * self._row_bytes)
        if len(data) != size:
            raise OSError(f"{self._file.name}: short read")
        return np.frombuffer(data, dtype="<f2").reshape(count, self.dimension)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Exact ``(scores, rows)`` of the ``k`` nearest rows, best first (reads every row)."""
        k = min(k, self.size)
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        scores = np.empty(self.size, dtype=np.float32)
        for start in range(0, self.size, _BLOCK):
            count = min(_BLOCK, self.size - start)
            scores[start : start + count] = self._read(start, count).astype(np.float32) @ q
        rows = np.argpartition(-scores, k - 1)[:k]
        rows = rows[np.argsort(-scores[rows], kind="stable")]
        return scores[rows], rows.astype(np.int64)

    def vectors(self) -> np.ndarray:
        """All vectors as float32."""
        return self._read(0, self.size).astype(np.float32)

    def reconstruct(self, rows: np.ndarray) -> np.ndarray:
        """The vectors of ``rows`` as float32, shape ``(len(rows), d)``; reads only those,
        one read per run of consecutive rows.

        Raises:
            IndexError: a row outside ``0..size - 1``.
        """
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        out = np.empty((len(rows), self.dimension), dtype=np.float32)
        if not len(rows):
            return out
        if rows.min() < 0 or rows.max() >= self.size:
            raise IndexError(f"rows outside 0..{self.size - 1}")
        wanted = np.unique(rows)
        breaks = np.flatnonzero(np.diff(wanted) != 1) + 1
        starts = np.concatenate([[0], breaks])
        ends = np.concatenate([breaks, [len(wanted)]])
        found = np.concatenate(
            [self._read(int(wanted[a]), int(b - a)) for a, b in zip(starts, ends, strict=True)]
        )
        out[:] = found[np.searchsorted(wanted, rows)]
        return out


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
