"""The index directory: versioned, plain files, switched atomically.

Layout::

    INDEX/CURRENT                 name of the live version (replaced atomically)
    INDEX/versions/NNNNNN/        one complete, immutable version
        manifest.json             format, model, settings, documents (validated first)
        texts.txt                 every document's extracted text, back to back
        documents.jsonl, .npy     each document's metadata, sections, pages; byte spans
        doc_ids.json              document ids in row order
        chunks.npy, headings.json chunk spans as columns (text is the document text's span)
        dense.faiss               FAISS index, row i = chunk i
        sparse/                   bm25s files, row i = chunk i
        tokens/                   BM25 token ids per chunk, reused by the next version
        units.*.npy               sentence units (see :mod:`ingest.index.units`)
        units.faiss | units.f16.npy   their vectors (see :mod:`ingest.index.mapped`)
        chunk_sections.npy        section row of each chunk; section_sparse/ their BM25
    INDEX/cache/MODEL/            embedding cache (see :mod:`ingest.embedding.cache`)

With the Milvus backend a version folder keeps only ``manifest.json`` and ``backend.json``
(URI and collection); the rest is in Milvus (:mod:`ingest.index.milvus_store`), and an index
is read from Milvus alone when there is no folder. Indexes written before kept only their
chunks there (``backend.json`` and ``chunk_keys.npy`` beside the other files); they are read
as they are and move to Milvus whole at their next write.

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
from pathlib import Path

import numpy as np

from ingest.arrays import load_array
from ingest.errors import CorruptIndexError, DocqaError, IndexNotFoundError
from ingest.formats.document import Document
from ingest.index import milvus_store
from ingest.index.backend import (
    BackendSettings,
    check_backend,
    read_backend_file,
)
from ingest.index.chunk_index import Target, open_chunk_index, write_chunk_index
from ingest.index.durable import current_name, fsync, fsync_tree, point_current
from ingest.index.manifest import (
    FORMAT,
    FORMAT_VERSION,
    IndexVersion,
    Manifest,
    Stamp,
    VersionParts,
    checked_version,
    read_manifest,
)
from ingest.index.mapped import load_unit_vectors, save_unit_vectors
from ingest.index.milvus import check_uri
from ingest.index.records import read_store, write_store
from ingest.index.sparse import SparseIndex, Tokenizer
from ingest.index.tokens import TokenTable, assemble_tokens
from ingest.index.units import UnitTable, chunk_sections, section_tokens
from ingest.text.chunker import Chunk

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "IndexVersion",
    "Manifest",
    "current_version_path",
    "live_stamp",
    "load_tokens",
    "load_version",
    "read_manifest",
    "retire_other_versions",
    "write_version",
]


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


def _load_files(
    index_dir: Path, version: Path, manifest: Manifest, backend: BackendSettings
) -> IndexVersion:
    try:
        info = read_backend_file(version)
        if milvus_store.is_resident(info):
            check_backend(index_dir, "milvus", backend)
            uri = check_uri(backend.milvus_uri or str(info["uri"]))
            address = (uri, str(info["collection"]), version.name)
            return milvus_store.load_resident(version, manifest, *address, _stamp(version))
        documents, chunks = read_store(version)
        dense, sparse = open_chunk_index(
            index_dir,
            version,
            chunks=chunks,
            dimension=manifest.dimension,
            sparse=manifest.sparse,
            settings=backend,
        )
        sections = load_array(version / "chunk_sections.npy")
        n_sections = int(sections.max()) + 1 if len(sections) else 0
        parts = VersionParts(
            documents=documents,
            chunks=chunks,
            dense=dense,
            sparse=sparse,
            units=UnitTable.load(version),
            unit_dense=load_unit_vectors(version),
            sections=sections,
            section_sparse=SparseIndex.load(
                version / "section_sparse", manifest.sparse, n_sections
            ),
        )
        return checked_version(version, manifest, parts, stamp=_stamp(version))
    except DocqaError:
        raise
    except (OSError, KeyError, IndexError, TypeError, ValueError, RuntimeError) as exc:
        raise CorruptIndexError(
            f"{version}: damaged index files ({exc}); rebuild with docqa ingest PATH --rebuild"
        ) from exc


#: How often a reader starts over when a writer retires the version it was reading.
LOAD_ATTEMPTS = 5


def load_version(index_dir: str | Path, backend: BackendSettings | None = None) -> IndexVersion:
    """Load the live version of an index directory.

    ``backend`` (default: from ``$DOCQA_BACKEND``, ``$DOCQA_MILVUS_URI`` and
    ``$DOCQA_MILVUS_COLLECTION``) may name the backend the index must be on and another
    address of its Milvus. An index held in Milvus is read without its local folder when
    ``backend`` names Milvus and its URI (the collection defaults to the one derived from
    ``index_dir``): another machine serves the same index.

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
    remote = (
        None
        if (index_dir / "CURRENT").exists()
        else milvus_store.remote_address(index_dir, backend)
    )
    for attempt in range(LOAD_ATTEMPTS):
        seen = current_name(index_dir) if remote is None else milvus_store.remote_pointer(*remote)
        try:
            if remote is not None:
                name, manifest = milvus_store.remote_manifest(*remote, index_dir)
                version = index_dir / "versions" / name
                stamp = ("milvus", remote[1], name)
                return milvus_store.load_resident(version, manifest, *remote, name, stamp)
            version = current_version_path(index_dir)
            return _load_files(index_dir, version, read_manifest(version), backend)
        except CorruptIndexError:
            now = (
                current_name(index_dir) if remote is None else milvus_store.remote_pointer(*remote)
            )
            if now == seen or attempt == LOAD_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _stamp(version: Path) -> Stamp | None:
    """Identity of a local version folder's manifest file (path, inode, modification time)."""
    try:
        status = (version / "manifest.json").stat()
    except OSError:
        return None
    return str(version), status.st_ino, status.st_mtime_ns


def live_stamp(index_dir: Path, backend: BackendSettings | None = None) -> Stamp | None:
    """The identity of the live version now (compare with :attr:`IndexVersion.stamp` to
    tell a newer one has gone live); None when there is none or it cannot be read."""
    try:
        if (index_dir / "CURRENT").exists():
            return _stamp(current_version_path(index_dir))
        remote = milvus_store.remote_address(
            index_dir, backend or BackendSettings.from_environment()
        )
        if remote is None:
            return None
        return ("milvus", remote[1], milvus_store.remote_pointer(*remote))
    except DocqaError:
        return None


def load_tokens(version: IndexVersion) -> TokenTable | None:
    """The tokenised chunks stored with a version (None for versions written without)."""
    read = version.read_tokens or (lambda: TokenTable.load(version.path / "tokens"))
    table = read()
    return table if table is not None and len(table) == len(version.chunks) else None


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
        backend: Where the version goes (default: FAISS files; Milvus: everything but the
            manifest goes into Milvus, see :mod:`ingest.index.milvus_store`).

    The caller holds the index's writer lock (see :func:`ingest.index.lock.writer_lock`). A crash
    at any point leaves the previous version live and intact; a leftover staging folder or
    unreferenced version is removed by the next write.
    """
    index_dir = Path(index_dir)
    target = backend or Target("faiss")
    versions = index_dir / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    previous = current_name(index_dir)
    numbers = [int(p.name) for p in versions.iterdir() if p.name.isdigit()]
    if target.kind == "milvus":
        numbers.append(milvus_store.live_number(target))
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
        target,
        chunks=chunks,
        vectors=vectors.reshape(len(chunks), manifest.dimension),
        tokens=tokens,
        dimension=manifest.dimension,
        sparse=manifest.sparse,
    )
    if units is None or unit_vectors is None:
        raise ValueError("write_version needs the sentence units and their vectors")
    units.save(staging)
    unit_vectors = unit_vectors.reshape(len(units), manifest.dimension)
    by_id = {d.doc_id: d for d in documents}
    sections = chunk_sections(by_id, chunks)
    np.save(staging / "chunk_sections.npy", sections, allow_pickle=False)
    # One line: the indenting encoder is pure Python and slow on large manifests.
    (staging / "manifest.json").write_text(
        json.dumps(manifest.to_json(), ensure_ascii=False), encoding="utf-8"
    )
    if target.kind == "milvus":
        milvus_store.publish(
            staging,
            name,
            target,
            manifest=manifest,
            documents=documents,
            tokens=tokens,
            units=units,
            unit_vectors=unit_vectors,
            sections=sections,
        )
    else:
        save_unit_vectors(staging, unit_vectors)
        SparseIndex.from_tokens(section_tokens(tokens, sections), manifest.sparse).save(
            staging / "section_sparse"
        )
    fsync_tree(staging)
    final = versions / name
    os.replace(staging, final)
    fsync(versions)
    point_current(index_dir, name)
    _collect_old_versions(versions, keep={name, previous or name})
    kept = [versions / v for v in {name, previous or name} if (versions / v).is_dir()]
    milvus_store.collect(kept, final)
    return final


def retire_other_versions(index_dir: Path) -> None:
    """Remove every local version but the live one (after a move to another backend, the
    version before it is on the old one and not kept for readers)."""
    _collect_old_versions(index_dir / "versions", keep={current_name(index_dir) or ""})


def _collect_old_versions(versions: Path, keep: set[str]) -> None:
    """Remove every version but the live one and the one before it, and stale staging.

    The one before stays because readers may still be loading it; a reader that loses
    an older one to this sees ``CURRENT`` moved and starts over (see :func:`load_version`).
    """
    for old in versions.iterdir():
        stale_staging = old.name.startswith(".") and old.name.endswith(".staging")
        if (old.name.isdigit() and old.name not in keep) or stale_staging:
            shutil.rmtree(old, ignore_errors=True)
