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

Where a version's vectors, BM25 and (in Milvus) files live is up to its store
(:mod:`ingest.index.backends`): local files as above, or Milvus, where a version folder keeps
only ``manifest.json`` and ``backend.json`` (URI and collection) and an index is read from
Milvus alone when there is no folder. Indexes written before kept only their chunks there
(``backend.json`` and ``chunk_keys.npy`` beside the other files); they are read as they are
and move to Milvus whole at their next write.

A writer (holding ``INDEX/LOCK``) builds a new version folder completely, fsyncs it, then
replaces ``CURRENT``; readers only ever see complete versions, and the version before the
live one is kept for readers still loading it. Nothing is pickled.

Loading maps the large files rather than reading them (see :mod:`ingest.index.records`): chunks
and documents are made when asked for, BM25 matrices and unit rows are paged in on use.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from ingest.disk import write_failure
from ingest.errors import CorruptIndexError, DocqaError
from ingest.formats.document import Document
from ingest.index.backends.factory import recorded_store, remote_store
from ingest.index.backends.files import FileStore, file_stamp
from ingest.index.backends.protocol import VersionContent, VersionStore
from ingest.index.backends.settings import BackendSettings
from ingest.index.durable import (
    current_name,
    current_version_path,
    fsync,
    fsync_tree,
    point_current,
)
from ingest.index.manifest import (
    FORMAT,
    FORMAT_VERSION,
    IndexVersion,
    Manifest,
    Stamp,
    read_manifest,
)
from ingest.index.records import write_store
from ingest.index.sparse import Tokenizer
from ingest.index.tokens import TokenTable, assemble_tokens
from ingest.index.units import UnitTable, chunk_sections
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


def _open_local(
    index_dir: Path, version: Path, manifest: Manifest, backend: BackendSettings
) -> IndexVersion:
    """Open a version of the local folder through the store it records."""
    try:
        store = recorded_store(index_dir, version, backend)
        return store.open(version, manifest, file_stamp(version))
    except DocqaError:
        raise
    except (OSError, KeyError, IndexError, TypeError, ValueError, RuntimeError) as exc:
        raise CorruptIndexError(
            f"{version}: damaged index files ({exc}); rebuild with docqa ingest PATH --rebuild"
        ) from exc


def _open_live(index_dir: Path, store: VersionStore) -> IndexVersion:
    """Open the live version that ``store`` names, without the local folder."""
    name, manifest = store.read_live(index_dir)
    return store.open(index_dir / "versions" / name, manifest, store.stamp(name))


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
    remote = None if (index_dir / "CURRENT").exists() else remote_store(index_dir, backend)
    pointer = remote or FileStore(index_dir)
    for attempt in range(LOAD_ATTEMPTS):
        seen = pointer.live()
        try:
            if remote is not None:
                return _open_live(index_dir, remote)
            version = current_version_path(index_dir)
            return _open_local(index_dir, version, read_manifest(version), backend)
        except CorruptIndexError:
            if pointer.live() == seen or attempt == LOAD_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def live_stamp(index_dir: Path, backend: BackendSettings | None = None) -> Stamp | None:
    """The identity of the live version now (compare with :attr:`IndexVersion.stamp` to
    tell a newer one has gone live); None when there is none or it cannot be read."""
    try:
        if (index_dir / "CURRENT").exists():
            return file_stamp(current_version_path(index_dir))
        remote = remote_store(index_dir, backend or BackendSettings.from_environment())
        if remote is None:
            return None
        return remote.stamp(remote.live())
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
    store: VersionStore | None = None,
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
        store: Where the version goes (default: local files; see
            :func:`ingest.index.backends.factory.version_store`).

    The caller holds the index's writer lock (see :func:`ingest.index.lock.writer_lock`). A crash
    at any point leaves the previous version live and intact; a leftover staging folder or
    unreferenced version is removed by the next write.
    """
    index_dir = Path(index_dir)
    store = store or FileStore(index_dir)
    versions = index_dir / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    previous = current_name(index_dir)
    name = store.next_name(int(p.name) for p in versions.iterdir() if p.name.isdigit())
    _remove_stale_staging(versions)  # what a failed run left: it may hold the space needed
    staging = versions / f".{name}.staging"
    try:
        staging.mkdir()
        final = _write_staged(
            staging, name, manifest, documents, chunks, vectors, tokens, units, unit_vectors, store
        )
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError | RuntimeError) and not isinstance(exc, DocqaError):
            raise write_failure(exc, index_dir, f"a new version ({staging.name})") from exc
        raise
    fsync(versions)
    point_current(index_dir, name)
    _collect_old_versions(versions, keep={name, previous or name})
    kept = [versions / v for v in {name, previous or name} if (versions / v).is_dir()]
    store.collect(kept, final)
    return final


def _write_staged(
    staging: Path,
    name: str,
    manifest: Manifest,
    documents: list[Document],
    chunks: list[Chunk],
    vectors: np.ndarray,
    tokens: TokenTable | None,
    units: UnitTable | None,
    unit_vectors: np.ndarray | None,
    store: VersionStore,
) -> Path:
    """Write every file of version ``name`` into ``staging``, then rename it into place."""
    write_store(staging, documents, chunks)
    if tokens is None:
        tokenizer = Tokenizer(manifest.sparse)
        tokens = assemble_tokens([c.text for c in chunks], [None] * len(chunks), None, tokenizer)
    tokens.save(staging / "tokens")
    if units is None or unit_vectors is None:
        raise ValueError("write_version needs the sentence units and their vectors")
    units.save(staging)
    by_id = {d.doc_id: d for d in documents}
    sections = chunk_sections(by_id, chunks)
    np.save(staging / "chunk_sections.npy", sections, allow_pickle=False)
    # One line: the indenting encoder is pure Python and slow on large manifests.
    (staging / "manifest.json").write_text(
        json.dumps(manifest.to_json(), ensure_ascii=False), encoding="utf-8"
    )
    content = VersionContent(
        manifest=manifest,
        documents=documents,
        chunks=chunks,
        vectors=vectors.reshape(len(chunks), manifest.dimension),
        tokens=tokens,
        units=units,
        unit_vectors=unit_vectors.reshape(len(units), manifest.dimension),
        sections=sections,
    )
    store.write(staging, name, content)
    fsync_tree(staging)
    final = staging.parent / name
    os.replace(staging, final)
    return final


def _is_staging(name: str) -> bool:
    """Whether ``name`` is a version folder still being written (or left by a failed run)."""
    return name.startswith(".") and name.endswith(".staging")


def _remove_stale_staging(versions: Path) -> None:
    for old in versions.iterdir():
        if _is_staging(old.name):
            shutil.rmtree(old, ignore_errors=True)


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
        if (old.name.isdigit() and old.name not in keep) or _is_staging(old.name):
            shutil.rmtree(old, ignore_errors=True)
