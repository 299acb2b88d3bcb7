"""Opening a version held in Milvus: whole (files and rows in the engine), or its chunks
alone (written by docqa before: the rest are files in the version folder).

A version held whole keeps its files (manifest, document and chunk columns, unit spans,
section rows, tokens, row keys) in ``PREFIX_files``
(:mod:`ingest.index.backends.milvus.files`) and its rows in ``PREFIX``, ``PREFIX_units`` and
``PREFIX_sections``; a reader needs no folder at all, given the URI and the collection.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ingest.errors import CorruptIndexError, IndexNotFoundError
from ingest.index.backends.files import open_folder
from ingest.index.backends.milvus.chunks import ChunkCollection
from ingest.index.backends.milvus.files import MilvusFiles, MilvusTexts
from ingest.index.backends.milvus.rows import extra_rows, open_collections
from ingest.index.backends.milvus.views import (
    KeyRows,
    MilvusSectionRows,
    MilvusUnitRows,
    milvus_views,
)
from ingest.index.backends.milvus.writing import (
    KEYS_FILE,
    SECTION_KEYS,
    TEXT_KEYS,
    UNIT_KEYS,
    files_collection,
)
from ingest.index.manifest import IndexVersion, Manifest, Stamp, VersionParts, checked_version
from ingest.index.records import (
    CHUNKS,
    DOC_IDS,
    DOCUMENT_SPANS,
    DOCUMENTS,
    HEADINGS,
    ChunkStore,
    open_store,
)
from ingest.index.rows import DenseRows, KeywordRows
from ingest.index.tokens import TokenTable
from ingest.index.units import UnitTable

SECTIONS_FILE = "chunk_sections.npy"
_UNIT_FILES = ("units.chunk.npy", "units.start.npy", "units.end.npy")


def open_chunks_only(
    version: Path, manifest: Manifest, uri: str, prefix: str, stamp: Stamp | None
) -> IndexVersion:
    """Open a version whose chunks alone are in Milvus (``chunk_keys.npy`` in its folder
    lists their keys in row order); everything else is files in ``version``."""

    sparse = manifest.sparse

    def chunk_rows(chunks: ChunkStore) -> tuple[DenseRows, KeywordRows]:
        milvus = ChunkCollection(uri, prefix, manifest.dimension, sparse, create=False)
        keys = np.load(version / KEYS_FILE, allow_pickle=False)
        if len(keys) != len(chunks):
            raise ValueError(f"{KEYS_FILE} lists {len(keys)} chunks, the version has {len(chunks)}")
        return milvus_views(milvus, keys, lambda: TokenTable.load(version / "tokens"), sparse)

    return open_folder(version, manifest, stamp, chunk_rows)


def open_resident(
    version: Path, manifest: Manifest, uri: str, prefix: str, stamp: Stamp | None
) -> IndexVersion:
    """Open version ``version.name`` of the index in ``prefix`` at ``uri``, held in Milvus
    whole (``version``: its folder, which need not exist).

    Raises:
        CorruptIndexError: a collection or file is missing.
        BackendUnavailableError: Milvus cannot be reached.
    """
    name = version.name
    files = MilvusFiles(uri, files_collection(prefix), create=False)
    if not files.exists:
        raise CorruptIndexError(
            f"Milvus at {uri} has no collection {files.collection}, which this index keeps "
            "its files in; rebuild with: docqa ingest PATH --rebuild"
        )

    def array(file: str) -> np.ndarray:
        return files.get_array(name, file)

    spans = array(DOCUMENT_SPANS)
    texts = MilvusTexts(files, spans, json.loads(files.get(name, TEXT_KEYS)))
    documents, chunks = open_store(
        json.loads(files.get(name, DOC_IDS)),
        json.loads(files.get(name, HEADINGS)),
        spans,
        array(CHUNKS),
        texts,
        files.get(name, DOCUMENTS),
    )
    dim, sparse = manifest.dimension, manifest.sparse
    chunk_rows = ChunkCollection(uri, prefix, dim, sparse, create=False)

    def read_tokens() -> TokenTable | None:
        return stored_tokens(files, name)

    dense, keyword = milvus_views(chunk_rows, array(KEYS_FILE), read_tokens, sparse)
    unit_rows, section_rows = open_collections(uri, prefix, dim, sparse, create=False)
    ukeys, skeys = array(UNIT_KEYS), array(SECTION_KEYS)
    parts = VersionParts(
        documents=documents,
        chunks=chunks,
        dense=dense,
        sparse=keyword,
        units=UnitTable(*(array(f) for f in _UNIT_FILES)),
        unit_dense=MilvusUnitRows(unit_rows, KeyRows(ukeys, extra_rows(unit_rows, ukeys))),
        sections=array(SECTIONS_FILE),
        section_sparse=MilvusSectionRows(
            section_rows, KeyRows(skeys, extra_rows(section_rows, skeys))
        ),
    )
    return checked_version(version, manifest, parts, stamp=stamp, read_tokens=read_tokens)


def stored_tokens(files: MilvusFiles, name: str) -> TokenTable | None:
    """The BM25 tokens stored with version ``name`` (None: none, or unreadable)."""
    try:
        vocab = json.loads(files.get(name, "tokens/vocab.json"))
        ids = files.get_array(name, "tokens/ids.npy")
        offsets = files.get_array(name, "tokens/offsets.npy")
    except (CorruptIndexError, ValueError):
        return None
    return TokenTable(vocab, ids, offsets)


def read_live(uri: str, prefix: str, index_dir: Path) -> tuple[str, Manifest]:
    """The live version's name and manifest, read from Milvus.

    Raises:
        IndexNotFoundError: Milvus holds no version of this index.
    """
    files = MilvusFiles(uri, files_collection(prefix), create=False)
    name = files.pointer()
    if name is None:
        raise IndexNotFoundError(
            f"no docqa index at {index_dir}, nor in Milvus at {uri} (collection {prefix}); "
            f"build one with: docqa ingest PATH --index {index_dir} --backend milvus "
            f"--milvus-uri {uri}"
        )
    data = json.loads(files.get(name, "manifest.json"))
    return name, Manifest.from_json(data, f"{uri} {files.collection} {name}/manifest.json")
