"""The index directory: versioned, plain files, switched atomically.

Layout::

    INDEX/CURRENT                 name of the live version (replaced atomically)
    INDEX/versions/NNNNNN/        one complete, immutable version
        manifest.json             format, model, settings, documents (validated first)
        texts.txt                 every document's extracted text, back to back
        documents.jsonl, .npy     each document's metadata, sections, pages; byte spans
        doc_ids.json              document ids in row order
        chunks.npy, headings.json chunk spans as columns (text is the document text's span)
        dense.faiss               FAISS index, row i = chunk i       (FAISS backend)
        sparse/                   bm25s files, row i = chunk i       (FAISS backend)
        backend.json              Milvus URI and collection          (Milvus backend)
        chunk_keys.npy            collection key of row i            (Milvus backend)
        tokens/                   BM25 token ids per chunk, reused by the next version
        units.*.npy               sentence units (see :mod:`ingest.index.units`)
        units.faiss | units.f16.npy   their vectors (see :mod:`ingest.index.mapped`)
        chunk_sections.npy        section row of each chunk; section_sparse/ their BM25
    INDEX/cache/MODEL/            embedding cache (see :mod:`ingest.embedding.cache`)

A writer (holding ``INDEX/LOCK``) builds a new version folder completely, fsyncs it, then
replaces ``CURRENT``; readers only ever see complete versions, and the version before the
live one is kept for readers still loading it. Nothing is pickled. Where the chunk
vectors and keyword index live is up to the backend (:mod:`ingest.index.chunk_index`).

Loading maps the large files rather than reading them (see :mod:`ingest.index.records`): chunks
and documents are made when asked for, BM25 matrices and unit rows are paged in on use.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest.arrays import load_array
from ingest.errors import CorruptIndexError, DocqaError, IndexMismatchError, IndexNotFoundError
from ingest.formats.document import Document
from ingest.index.backend import BackendSettings, DenseRows, KeywordRows
from ingest.index.chunk_index import Target, collect_rows, open_chunk_index, write_chunk_index
from ingest.index.dense import DenseIndex
from ingest.index.mapped import load_unit_vectors, save_unit_vectors
from ingest.index.records import ChunkStore, DocumentStore, read_store, write_store
from ingest.index.sparse import SparseIndex, SparseSettings, Tokenizer
from ingest.index.tokens import TokenTable, assemble_tokens
from ingest.index.units import UnitTable, chunk_sections, section_tokens
from ingest.text.chunker import Chunk, ChunkSettings
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
    def from_json(cls, data: Any, where: Path) -> Manifest:
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


@dataclass(frozen=True)
class IndexVersion:
    """One loaded, immutable version of an index."""

    path: Path
    manifest: Manifest
    documents: DocumentStore  # a Mapping[str, Document]
    chunks: ChunkStore  # a Sequence[Chunk]
    dense: DenseRows  # chunk vectors: DenseIndex (FAISS) or a Milvus view
    sparse: KeywordRows  # chunk BM25: SparseIndex (bm25s) or a Milvus view
    units: UnitTable
    unit_dense: DenseIndex
    sections: np.ndarray  # section row of each chunk
    section_sparse: SparseIndex


def current_version_path(index_dir: Path) -> Path:
    """The folder of the live version; raises :class:`IndexNotFoundError` when there is none."""
    pointer = index_dir / "CURRENT"
    try:
        name = pointer.read_text().strip()
    except FileNotFoundError:
        raise IndexNotFoundError(
            f"no docqa index at {index_dir}; build one with: docqa ingest PATH --index {index_dir}"
        ) from None
    except NotADirectoryError:
        raise IndexNotFoundError(
            f"{index_dir} is a file, not an index directory; give the folder of an index"
        ) from None
    except OSError as exc:
        raise CorruptIndexError(f"{pointer}: unreadable ({exc.strerror or exc})") from None
    path = index_dir / "versions" / name
    if not name or not path.is_dir():
        raise CorruptIndexError(
            f"{index_dir}: CURRENT names a missing version {name!r}; "
            "rebuild the index with: docqa ingest PATH --rebuild"
        )
    return path


def read_manifest(version: Path) -> Manifest:
    """Read and validate ``manifest.json`` of a version folder."""
    where = version / "manifest.json"
    try:
        data = json.loads(where.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CorruptIndexError(f"{where}: unreadable manifest ({exc})") from exc
    return Manifest.from_json(data, where)


def _load_files(
    index_dir: Path, version: Path, manifest: Manifest, backend: BackendSettings
) -> IndexVersion:
    try:
        documents, chunks = read_store(version)
        dense, sparse = open_chunk_index(
            index_dir,
            version,
            chunks=chunks,
            dimension=manifest.dimension,
            sparse=manifest.sparse,
            settings=backend,
        )
        units = UnitTable.load(version)
        unit_dense = load_unit_vectors(version)
        sections = load_array(version / "chunk_sections.npy")
        n_sections = int(sections.max()) + 1 if len(sections) else 0
        section_sparse = SparseIndex.load(version / "section_sparse", manifest.sparse, n_sections)
    except DocqaError:
        raise
    except (OSError, KeyError, IndexError, TypeError, ValueError, RuntimeError) as exc:
        raise CorruptIndexError(
            f"{version}: damaged index files ({exc}); rebuild with docqa ingest PATH --rebuild"
        ) from exc
    if (
        dense.size != len(chunks)
        or manifest.n_chunks != len(chunks)
        or len(sections) != len(chunks)
        or unit_dense.size != len(units)
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
        documents,
        chunks,
        dense,
        sparse,
        units,
        unit_dense,
        sections,
        section_sparse,
    )


#: How often a reader starts over when a writer retires the version it was reading.
LOAD_ATTEMPTS = 5


def load_version(index_dir: str | Path, backend: BackendSettings | None = None) -> IndexVersion:
    """Load the live version of an index directory.

    ``backend`` (default: from ``$DOCQA_BACKEND`` and ``$DOCQA_MILVUS_URI``) may name the
    backend the index must be on and another address of its Milvus.

    A version that a writer removes while it is being read (it keeps the two newest) is
    detected by ``CURRENT`` having moved on; the load then starts over with the new one.

    Raises:
        IndexNotFoundError: nothing is there.
        IndexMismatchError: another format version, or another backend than ``backend``.
        CorruptIndexError: files missing or inconsistent.
        BackendUnavailableError: the index's Milvus cannot be reached.
    """
    index_dir = Path(index_dir)
    backend = backend or BackendSettings.from_environment()
    for attempt in range(LOAD_ATTEMPTS):
        seen = _current_name(index_dir)
        try:
            version = current_version_path(index_dir)
            return _load_files(index_dir, version, read_manifest(version), backend)
        except CorruptIndexError:
            if _current_name(index_dir) == seen or attempt == LOAD_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _current_name(index_dir: Path) -> str | None:
    try:
        return (index_dir / "CURRENT").read_text().strip()
    except OSError:
        return None


def load_tokens(version: IndexVersion) -> TokenTable | None:
    """The tokenised chunks stored with a version (None for versions written without)."""
    table = TokenTable.load(version.path / "tokens")
    return table if table is not None and len(table) == len(version.chunks) else None


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file() or path.is_dir():
            _fsync(path)
    _fsync(folder)


def write_version(
    index_dir: str | Path,
    manifest: Manifest,
    documents: list[Document],
    chunks: list[Chunk],
    vectors: np.ndarray,
    *,
    tokens: TokenTable | None = None,
    units: UnitTable | None = None,
    unit_vectors: np.ndarray | None = None,
    backend: Target | None = None,
) -> Path:
    """Write a complete new version and make it the live one; returns its folder.

    Args:
        index_dir: The index directory (created if needed).
        manifest: What the version holds.
        documents: Every document of the version.
        chunks: Every chunk, row i of every index is chunk i.
        vectors: ``(len(chunks), dimension)`` float32 embeddings.
        tokens: The chunks' BM25 tokens (see :mod:`ingest.index.tokens`); tokenised here if None.
        units: The chunks' sentence units (see :mod:`ingest.index.units`).
        unit_vectors: ``(len(units), dimension)`` embeddings of the units.
        backend: Where the chunk vectors and keyword index go (default: FAISS files).

    The caller holds the index's writer lock (see :func:`ingest.index.lock.writer_lock`). A crash
    at any point leaves the previous version live and intact; a leftover staging folder or
    unreferenced version is removed by the next write.
    """
    index_dir = Path(index_dir)
    versions = index_dir / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    previous = _current_name(index_dir)
    numbers = [int(p.name) for p in versions.iterdir() if p.name.isdigit()]
    name = f"{max(numbers, default=0) + 1:06d}"
    staging = versions / f".{name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    write_store(staging, documents, chunks)
    if tokens is None:
        tokenizer = Tokenizer(manifest.sparse)
        tokens = assemble_tokens([c.text for c in chunks], [None] * len(chunks), None, tokenizer)
    tokens.save(staging / "tokens")
    write_chunk_index(
        staging,
        backend or Target("faiss"),
        chunks=chunks,
        vectors=vectors.reshape(len(chunks), manifest.dimension),
        tokens=tokens,
        dimension=manifest.dimension,
        sparse=manifest.sparse,
    )
    if units is None or unit_vectors is None:
        raise ValueError("write_version needs the sentence units and their vectors")
    units.save(staging)
    save_unit_vectors(staging, unit_vectors.reshape(len(units), manifest.dimension))
    by_id = {d.doc_id: d for d in documents}
    sections = chunk_sections(by_id, chunks)
    np.save(staging / "chunk_sections.npy", sections, allow_pickle=False)
    SparseIndex.from_tokens(section_tokens(tokens, sections), manifest.sparse).save(
        staging / "section_sparse"
    )
    # One line: the indenting encoder is pure Python and slow on large manifests.
    (staging / "manifest.json").write_text(
        json.dumps(manifest.to_json(), ensure_ascii=False), encoding="utf-8"
    )
    _fsync_tree(staging)
    final = versions / name
    os.replace(staging, final)
    _fsync(versions)
    pointer_tmp = index_dir / ".CURRENT.tmp"
    with open(pointer_tmp, "w") as handle:
        handle.write(name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(pointer_tmp, index_dir / "CURRENT")
    _fsync(index_dir)
    _collect_old_versions(versions, keep={name, previous or name})
    collect_rows([versions / v for v in {name, previous or name} if (versions / v).is_dir()], final)
    return final


def _collect_old_versions(versions: Path, keep: set[str]) -> None:
    """Remove every version but the live one and the one before it, and stale staging.

    The one before stays because readers may still be loading it; a reader that loses
    an older one to this sees ``CURRENT`` moved and starts over (see :func:`load_version`).
    """
    for old in versions.iterdir():
        stale_staging = old.name.startswith(".") and old.name.endswith(".staging")
        if (old.name.isdigit() and old.name not in keep) or stale_staging:
            shutil.rmtree(old, ignore_errors=True)
