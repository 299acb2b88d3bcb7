"""What an index version is: its manifest (validated before anything else is read) and the
loaded :class:`IndexVersion` that retrieval reads, whichever backend holds its rows."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest.errors import CorruptIndexError, IndexMismatchError
from ingest.index.integrity import FileStates
from ingest.index.records import ChunkStore, DocumentStore
from ingest.index.rows import DenseRows, KeywordRows, SectionRows, UnitRows
from ingest.index.sparse import SparseSettings
from ingest.index.tokens import TokenTable
from ingest.index.units import UnitTable
from ingest.text.chunker import ChunkSettings
from ingest.text.sentences import SENTENCE_RULES

FORMAT = "docqa-index"
FORMAT_VERSION = 4
#: Versions this code reads (3 added sentence units and section BM25; 4 stores chunks as
#: columns and maps texts, BM25 and unit vectors instead of reading them whole).
READABLE_VERSIONS = (4,)
_REQUIRED = ("format", "format_version", "model", "dimension", "chunking", "sparse", "documents")


@dataclass(frozen=True)
class Manifest:
    """What an index version holds and how it was made."""

    model: str
    dimension: int
    chunking: ChunkSettings
    sparse: SparseSettings
    documents: dict[str, dict[str, Any]]
    n_chunks: int
    #: The sentence rules its chunks and units were split by (absent in older manifests: 1).
    sentence_rules: int = SENTENCE_RULES

    def to_json(self) -> dict[str, Any]:
        """The manifest as written to ``manifest.json``."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "model": self.model,
            "dimension": self.dimension,
            "chunking": {
                "max_chars": self.chunking.max_chars,
                "overlap_sentences": self.chunking.overlap_sentences,
                # Written only when on: manifests of indexes chunked as before stay the same.
                **({"paragraphs": True} if self.chunking.paragraphs else {}),
            },
            "sparse": self.sparse.as_dict(),
            "documents": self.documents,
            "n_chunks": self.n_chunks,
            "sentence_rules": self.sentence_rules,
        }

    @classmethod
    def from_json(cls, data: Any, where: Path | str) -> Manifest:
        """Validate and parse a manifest; raises before anything else is read."""
        if not isinstance(data, dict) or any(key not in data for key in _REQUIRED):
            raise CorruptIndexError(
                f"{where}: not a docqa manifest; rebuild with docqa ingest --rebuild"
            )
        if data["format"] != FORMAT or data["format_version"] not in READABLE_VERSIONS:
            raise IndexMismatchError(
                f"{where}: index format {data['format']!r} version {data['format_version']!r}, "
                f"this docqa reads {FORMAT!r} version {FORMAT_VERSION}; "
                "rebuild it with: docqa ingest PATH --rebuild"
            )
        try:
            return cls(
                model=str(data["model"]),
                dimension=int(data["dimension"]),
                chunking=ChunkSettings(**data["chunking"]),
                sparse=SparseSettings(**data["sparse"]),
                documents=dict(data["documents"]),
                n_chunks=int(data.get("n_chunks", 0)),
                sentence_rules=int(data.get("sentence_rules", 1)),
            )
        except (TypeError, ValueError) as exc:
            raise CorruptIndexError(f"{where}: invalid manifest ({exc})") from exc


def read_manifest(version: Path) -> Manifest:
    """Read and validate ``manifest.json`` of a version folder."""
    where = version / "manifest.json"
    try:
        data = json.loads(where.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CorruptIndexError(f"{where}: unreadable manifest ({exc})") from exc
    return Manifest.from_json(data, where)


#: What identifies a loaded version, to tell when a newer one has gone live.
Stamp = tuple[object, ...]


@dataclass(frozen=True)
class IndexVersion:
    """One loaded, immutable version of an index."""

    path: Path  # its folder (for a version held in Milvus: the manifest's folder, if any)
    manifest: Manifest
    documents: DocumentStore  # a Mapping[str, Document]
    chunks: ChunkStore  # a Sequence[Chunk]
    dense: DenseRows  # chunk vectors: DenseIndex (FAISS) or a Milvus view
    sparse: KeywordRows  # chunk BM25: SparseIndex (bm25s) or a Milvus view
    units: UnitTable
    unit_dense: UnitRows  # unit vectors: DenseIndex / MappedVectors or a Milvus view
    sections: np.ndarray  # section row of each chunk
    section_sparse: SectionRows  # section BM25: SparseIndex (bm25s) or a Milvus view
    #: The version's identity when it was loaded (see :func:`ingest.index.store.live_stamp`).
    stamp: Stamp | None = None
    #: Reads the chunks' stored BM25 tokens (None: from ``path / "tokens"``).
    read_tokens: Callable[[], TokenTable | None] | None = None
    #: Each file of the version folder as it was before it was mapped (see
    #: :mod:`ingest.index.integrity`); empty when nothing local is mapped.
    files: FileStates = ()


@dataclass(frozen=True)
class VersionParts:
    """The loaded parts of one version, before they are checked against each other."""

    documents: DocumentStore
    chunks: ChunkStore
    dense: DenseRows
    sparse: KeywordRows
    units: UnitTable
    unit_dense: UnitRows
    sections: np.ndarray
    section_sparse: SectionRows


def checked_version(
    version: Path,
    manifest: Manifest,
    parts: VersionParts,
    *,
    stamp: Stamp | None,
    read_tokens: Callable[[], TokenTable | None] | None = None,
    files: FileStates = (),
) -> IndexVersion:
    """The loaded version, once its ``parts`` agree with each other and with the manifest.

    Raises:
        CorruptIndexError: counts or dimensions differ.
    """
    chunks, dense, unit_dense = parts.chunks, parts.dense, parts.unit_dense
    if (
        dense.size != len(chunks)
        or manifest.n_chunks != len(chunks)
        or len(parts.sections) != len(chunks)
        or unit_dense.size != len(parts.units)
    ):
        raise CorruptIndexError(f"{version}: chunk count differs between files; rebuild the index")
    for vectors in (dense, unit_dense):
        if vectors.dimension != manifest.dimension:
            raise CorruptIndexError(
                f"{version}: vectors of dimension {vectors.dimension}, but the manifest says "
                f"{manifest.dimension}; rebuild with docqa ingest PATH --rebuild"
            )
    return IndexVersion(
        version,
        manifest,
        parts.documents,
        chunks,
        dense,
        parts.sparse,
        parts.units,
        unit_dense,
        parts.sections,
        parts.section_sparse,
        stamp,
        read_tokens,
        files,
    )
