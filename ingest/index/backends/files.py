"""Versions in local files: FAISS for vectors, bm25s for BM25, beside the version's records.

A version folder holds, besides what every version holds (manifest, documents, chunk spans,
tokens, sentence units, chunk sections; see :mod:`ingest.index.store`)::

    dense.faiss                   FAISS index, row i = chunk i
    sparse/                       bm25s files, row i = chunk i
    units.faiss | units.f16.npy   the units' vectors (see :mod:`ingest.index.mapped`)
    section_sparse/               the sections' BM25

The folder's ``CURRENT`` names the live version; nothing lives outside the folder, so the
store has no writer lease and nothing to collect beyond old version folders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from ingest.arrays import load_array
from ingest.index.backends.protocol import VersionContent, version_name
from ingest.index.dense import DenseIndex
from ingest.index.durable import current_name, current_version_path
from ingest.index.integrity import file_states
from ingest.index.manifest import (
    IndexVersion,
    Manifest,
    Stamp,
    VersionParts,
    checked_version,
    read_manifest,
)
from ingest.index.mapped import load_unit_vectors, save_unit_vectors
from ingest.index.records import ChunkStore, read_store
from ingest.index.rows import DenseRows, KeywordRows
from ingest.index.sparse import SparseIndex
from ingest.index.units import UnitTable, section_tokens

DENSE_FILE, SPARSE_DIR, SECTION_SPARSE_DIR = "dense.faiss", "sparse", "section_sparse"
SECTIONS_FILE = "chunk_sections.npy"

#: Opens the chunk rows of a version folder: ``(dense, keyword)`` given its chunks.
ChunkRowsOpener = Callable[[ChunkStore], tuple[DenseRows, KeywordRows]]


def file_stamp(version: Path) -> Stamp | None:
    """Identity of a local version folder's manifest file (path, inode, modification time)."""
    try:
        status = (version / "manifest.json").stat()
    except OSError:
        return None
    return str(version), status.st_ino, status.st_mtime_ns


def open_folder(
    version: Path, manifest: Manifest, stamp: Stamp | None, chunk_rows: ChunkRowsOpener
) -> IndexVersion:
    """A version whose records, units and sections are local files, its chunk rows opened by
    ``chunk_rows``.

    Raises:
        OSError, ValueError, ...: missing or damaged files (the caller names the version).
    """
    files = file_states(version)  # before mapping: what the maps rely on
    documents, chunks = read_store(version)
    dense, sparse = chunk_rows(chunks)
    sections = load_array(version / SECTIONS_FILE)
    n_sections = int(sections.max()) + 1 if len(sections) else 0
    parts = VersionParts(
        documents=documents,
        chunks=chunks,
        dense=dense,
        sparse=sparse,
        units=UnitTable.load(version),
        unit_dense=load_unit_vectors(version),
        sections=sections,
        section_sparse=SparseIndex.load(version / SECTION_SPARSE_DIR, manifest.sparse, n_sections),
    )
    return checked_version(version, manifest, parts, stamp=stamp, files=files)


@dataclass(frozen=True)
class FileStore:
    """The versions of the index at ``index_dir`` as local files (see the module docstring)."""

    index_dir: Path
    kind: ClassVar[str] = "faiss"
    place: ClassVar[tuple[str, str] | None] = None

    def next_name(self, taken: Iterable[int]) -> str:
        """One past the highest version number in the folder."""
        return version_name(max(taken, default=0) + 1)

    def write(self, staging: Path, name: str, content: VersionContent) -> None:
        """Write the chunks' FAISS and BM25 files, the units' vectors and the sections' BM25."""
        manifest = content.manifest
        vectors = np.asarray(content.vectors, dtype=np.float32)
        DenseIndex.build(vectors.reshape(len(content.chunks), manifest.dimension)).save(
            staging / DENSE_FILE
        )
        SparseIndex.from_tokens(content.tokens, manifest.sparse).save(staging / SPARSE_DIR)
        save_unit_vectors(staging, content.unit_vectors)
        by_section = section_tokens(content.tokens, content.sections)
        SparseIndex.from_tokens(by_section, manifest.sparse).save(staging / SECTION_SPARSE_DIR)

    def open(self, version: Path, manifest: Manifest, stamp: Stamp | None) -> IndexVersion:
        """Map the version folder's files."""

        def chunk_rows(chunks: ChunkStore) -> tuple[DenseRows, KeywordRows]:
            dense = DenseIndex.load(version / DENSE_FILE)
            return dense, SparseIndex.load(version / SPARSE_DIR, manifest.sparse, len(chunks))

        return open_folder(version, manifest, stamp, chunk_rows)

    def live(self) -> str | None:
        """The name the folder's ``CURRENT`` holds."""
        return current_name(self.index_dir)

    def read_live(self, index_dir: Path) -> tuple[str, Manifest]:
        """The live version's name and manifest.

        Raises:
            IndexNotFoundError: there is no index.
        """
        version = current_version_path(index_dir)
        return version.name, read_manifest(version)

    def stamp(self, name: str | None) -> Stamp | None:
        """The identity of version ``name``'s manifest file (None: none, or unreadable)."""
        return None if name is None else file_stamp(self.index_dir / "versions" / name)

    def collect(self, kept: Sequence[Path], live: Path) -> None:
        """Nothing: old version folders are removed with the files in them."""

    def lease(self) -> AbstractContextManager[object]:
        """Nothing to hold: the folder's lock keeps writers apart."""
        return nullcontext()

    @contextmanager
    def writer_guard(self, index_dir: Path, live: Path | None) -> Iterator[str | None]:
        """Nothing beyond the folder's lock; follows nothing."""
        yield None

    def drop(self) -> list[str]:
        """Nothing: the store keeps nothing outside the index folder."""
        return []
