"""docqa ingest: documents -> sections -> chunks (exact offsets) -> embeddings -> index.

Five parts, each a package (dependencies only point down the list):

- :mod:`ingest.sync`: sources -> plan -> the next index version; migrate between backends.
- :mod:`ingest.index`: the versioned index on disk: store, records, BM25, dense, backends.
- :mod:`ingest.embedding`: the embedding model on torch / ONNX Runtime / OpenVINO, its
  exports and the embedding cache.
- :mod:`ingest.text`: sentences and chunks with exact offsets.
- :mod:`ingest.formats`: the document model and one loader per format.

The names below are loaded on first use, so ``import ingest.errors`` loads nothing else.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Chunk": "ingest.text.chunker",
    "ChunkSettings": "ingest.text.chunker",
    "chunk_document": "ingest.text.chunker",
    "Document": "ingest.formats.document",
    "Page": "ingest.formats.document",
    "Section": "ingest.formats.document",
    "load_document": "ingest.formats.loaders",
    "DEFAULT_MODEL": "ingest.embedding.sentence_transformer",
    "SentenceTransformerEmbedder": "ingest.embedding.sentence_transformer",
    "EmbeddingSettings": "ingest.embedding.settings",
    "register_embedder": "ingest.embedding.factory",
    "CorruptIndexError": "ingest.errors",
    "DocqaError": "ingest.errors",
    "IndexMismatchError": "ingest.errors",
    "IndexNotFoundError": "ingest.errors",
    "InvalidInputError": "ingest.errors",
    "UnsupportedFileError": "ingest.errors",
    "IngestReport": "ingest.sync.reports",
    "Rejected": "ingest.sync.sources",
    "ingest": "ingest.sync.pipeline",
    "load_version": "ingest.index.store",
}

__all__ = [
    "DEFAULT_MODEL",
    "Chunk",
    "ChunkSettings",
    "CorruptIndexError",
    "DocqaError",
    "Document",
    "EmbeddingSettings",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IngestReport",
    "InvalidInputError",
    "Page",
    "Rejected",
    "Section",
    "SentenceTransformerEmbedder",
    "UnsupportedFileError",
    "chunk_document",
    "ingest",
    "load_document",
    "load_version",
    "register_embedder",
]

if TYPE_CHECKING:
    from ingest.embedding.factory import register_embedder
    from ingest.embedding.sentence_transformer import DEFAULT_MODEL, SentenceTransformerEmbedder
    from ingest.embedding.settings import EmbeddingSettings
    from ingest.errors import (
        CorruptIndexError,
        DocqaError,
        IndexMismatchError,
        IndexNotFoundError,
        InvalidInputError,
        UnsupportedFileError,
    )
    from ingest.formats.document import Document, Page, Section
    from ingest.formats.loaders import load_document
    from ingest.index.store import load_version
    from ingest.sync.pipeline import ingest
    from ingest.sync.reports import IngestReport
    from ingest.sync.sources import Rejected
    from ingest.text.chunker import Chunk, ChunkSettings, chunk_document


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ingest' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
