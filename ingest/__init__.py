"""docqa ingest: documents -> sections -> chunks (exact offsets) -> embeddings -> index."""

from ingest.embedding.embedder import DEFAULT_MODEL, FakeEmbedder, SentenceTransformerEmbedder
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
from ingest.sync.pipeline import IngestReport, Rejected, ingest
from ingest.text.chunker import Chunk, ChunkSettings, chunk_document

__all__ = [
    "DEFAULT_MODEL",
    "Chunk",
    "ChunkSettings",
    "CorruptIndexError",
    "DocqaError",
    "Document",
    "FakeEmbedder",
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
]
