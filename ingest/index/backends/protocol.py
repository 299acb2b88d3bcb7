"""What every version store does: name, write, open and collect versions, guard its writer.

An index directory keeps its versions in ``INDEX/versions/NNNNNN/`` and names the live one in
``INDEX/CURRENT`` (:mod:`ingest.index.store` stages a version folder, fsyncs it and switches
the pointer). Where a version's rows and files then live is up to its store: local files
(:class:`~ingest.index.backends.files.FileStore`) or Milvus
(:class:`~ingest.index.backends.milvus.store.MilvusStore`);
:mod:`ingest.index.backends.factory` chooses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ingest.formats.document import Document
from ingest.index.manifest import IndexVersion, Manifest, Stamp
from ingest.index.tokens import TokenTable
from ingest.index.units import UnitTable
from ingest.text.chunker import Chunk


def version_name(number: int) -> str:
    """The folder name of version ``number`` (``000007``)."""
    return f"{number:06d}"


@dataclass(frozen=True)
class VersionContent:
    """What a store writes of a version staged in a folder (whose common files, manifest
    included, :func:`ingest.index.store.write_version` has written already).

    Attributes:
        manifest: What the version holds.
        documents: Every document, in row order.
        chunks: Every chunk; row i of every chunk index is chunk i.
        vectors: ``(len(chunks), dimension)`` float32 chunk embeddings.
        tokens: The chunks' BM25 tokens.
        units: The chunks' sentence units.
        unit_vectors: ``(len(units), dimension)`` embeddings of the units.
        sections: Section row of each chunk.
    """

    manifest: Manifest
    documents: Sequence[Document]
    chunks: Sequence[Chunk]
    vectors: np.ndarray
    tokens: TokenTable
    units: UnitTable
    unit_vectors: np.ndarray
    sections: np.ndarray


class VersionStore(Protocol):
    """Where the versions of one index live (local files, or Milvus)."""

    @property
    def kind(self) -> str:
        """The backend's name, for messages: ``faiss`` or ``milvus``."""
        ...

    @property
    def place(self) -> tuple[str, str] | None:
        """Where the store keeps versions outside the index folder (None: nowhere); writers
        of one place, on any machine, take turns by its lease."""
        ...

    def next_name(self, taken: Iterable[int]) -> str:
        """The name of the next version, after the ``taken`` numbers of the local folder and
        any the store itself holds."""
        ...

    def write(self, staging: Path, name: str, content: VersionContent) -> None:
        """Write the store's part of version ``name``, staged in ``staging`` (not yet live)."""
        ...

    def open(self, version: Path, manifest: Manifest, stamp: Stamp | None) -> IndexVersion:
        """Load the version whose folder is ``version`` (it may hold only its manifest).

        Raises:
            CorruptIndexError: files or rows missing or inconsistent.
            BackendUnavailableError: the store cannot be reached.
        """
        ...

    def live(self) -> str | None:
        """The name of the live version the store itself names (None: it names none; a
        local folder's ``CURRENT`` is the pointer then)."""
        ...

    def read_live(self, index_dir: Path) -> tuple[str, Manifest]:
        """The live version's name and manifest, read from the store alone.

        Raises:
            IndexNotFoundError: the store holds no version of this index.
        """
        ...

    def stamp(self, name: str | None) -> Stamp | None:
        """The identity of version ``name`` (None: no version) in the store."""
        ...

    def collect(self, kept: Sequence[Path], live: Path) -> None:
        """After ``live`` went live: remove what no ``kept`` version lists."""
        ...

    def lease(self) -> AbstractContextManager[object]:
        """Hold the store's writer lease for the block (nothing for local files)."""
        ...

    def writer_guard(
        self, index_dir: Path, live: Path | None
    ) -> AbstractContextManager[str | None]:
        """What a writer of ``index_dir`` holds beside the folder's lock, ``live`` being its
        live version; yields the name of a version written elsewhere that the folder now
        follows (None: none)."""
        ...

    def drop(self) -> list[str]:
        """Remove everything the store keeps outside the index folder; returns what."""
        ...
