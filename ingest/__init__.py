"""docqa ingest: documents -> sections -> chunks (exact offsets) -> embeddings -> index."""

from ingest.chunker import Chunk, ChunkSettings, chunk_document
from ingest.document import Document, Page, Section
from ingest.embedder import DEFAULT_MODEL, FakeEmbedder, SentenceTransformerEmbedder
from ingest.errors import (
    CorruptIndexError,
    DocqaError,
    IndexMismatchError,
    IndexNotFoundError,
    InvalidInputError,
    UnsupportedFileError,
)
from ingest.loaders import load_document
from ingest.pipeline import IngestReport, Rejected, ingest
from ingest.store import load_version

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
