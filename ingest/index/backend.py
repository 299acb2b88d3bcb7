"""Where the searchable chunks live: FAISS + bm25s files (default) or a Milvus collection.

Every backend implements :class:`ChunkBackend` over *chunk keys* (int64, stable across
versions): add chunks with their vectors, delete a document's chunks, search dense, search
keyword, fetch stored vectors, stats. ``tests/test_backends.py`` holds both to that contract.

An index version keeps, whatever the backend, its manifest, documents (for exact
citations), chunk spans, sentence units with their vectors, section BM25 and tokens locally;
only the chunk vectors and the chunk keyword index move. ``backend.json`` in a version folder
says where they are (absent: FAISS files in the folder). Retrieval sees them through two
row-based views, a dense one (:class:`DenseRows`) and a keyword one (:class:`KeywordRows`),
which :class:`~ingest.index.dense.DenseIndex` and :class:`~ingest.index.sparse.SparseIndex`
already are.

Settings: ``$DOCQA_BACKEND`` (``faiss`` or ``milvus``) and ``$DOCQA_MILVUS_URI`` (a file
path: embedded milvus-lite; ``http://host:19530``: a Milvus server or cluster).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, cast

import numpy as np

from ingest.errors import IndexMismatchError, InvalidInputError
from ingest.text.chunker import Chunk

BackendKind = Literal["faiss", "milvus"]
BACKENDS: tuple[BackendKind, ...] = ("faiss", "milvus")
#: Environment variable that chooses where chunk vectors and BM25 live.
INDEX_BACKEND_ENV = "DOCQA_BACKEND"
#: Environment variable naming the Milvus server or milvus-lite file.
MILVUS_URI_ENV = "DOCQA_MILVUS_URI"
#: Environment variable naming the index's collections in Milvus (their common prefix).
MILVUS_COLLECTION_ENV = "DOCQA_MILVUS_COLLECTION"
BACKEND_FILE = "backend.json"


@dataclass(frozen=True)
class BackendSettings:
    """Which backend an index uses.

    Attributes:
        kind: ``faiss``, ``milvus``, or None (keep the index's own; FAISS for a new one).
        milvus_uri: Milvus address: a file path (milvus-lite) or ``http://host:port``. When
            reading, overrides the address recorded with the index.
        collection: Milvus collection name, the prefix of the index's other collections
            (default: the one the index records, else derived from the index directory).
    """

    kind: BackendKind | None = None
    milvus_uri: str | None = None
    collection: str | None = None

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in BACKENDS:
            raise InvalidInputError(
                f"unknown backend {self.kind!r}; valid backends are: {', '.join(BACKENDS)}"
            )

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> BackendSettings:
        """Settings from ``$DOCQA_BACKEND``, ``$DOCQA_MILVUS_URI`` and
        ``$DOCQA_MILVUS_COLLECTION`` (unset or empty: None).

        Raises:
            InvalidInputError: an unknown backend.
        """
        env = os.environ if environ is None else environ
        kind = env.get(INDEX_BACKEND_ENV) or None
        return cls(
            kind=cast(BackendKind | None, kind),
            milvus_uri=env.get(MILVUS_URI_ENV) or None,
            collection=env.get(MILVUS_COLLECTION_ENV) or None,
        )


@dataclass(frozen=True)
class BackendStats:
    """What a backend holds."""

    kind: BackendKind
    n_chunks: int
    dense_index: str
    location: str


class ChunkBackend(Protocol):
    """Searchable chunks keyed by int64 chunk keys."""

    kind: BackendKind

    def add(self, keys: np.ndarray, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Store ``chunks`` (with ``vectors``, row i for chunk i) under ``keys``."""
        ...

    def delete_documents(self, doc_ids: Collection[str]) -> int:
        """Remove every chunk of ``doc_ids``; returns how many were removed."""
        ...

    def search_dense(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, keys)`` of the ``k`` chunks of highest inner product, best first."""
        ...

    def search_sparse(self, text: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, keys)`` of the ``k`` chunks of highest BM25 score (> 0), best first."""
        ...

    def vectors(self, keys: np.ndarray) -> np.ndarray:
        """Stored vectors of ``keys``, shape ``(len(keys), dimension)``."""
        ...

    def stats(self) -> BackendStats:
        """Counts and index type."""
        ...


class DenseRows(Protocol):
    """Dense search over the chunk rows of one version (row i = chunk i)."""

    @property
    def size(self) -> int: ...

    @property
    def dimension(self) -> int: ...

    @property
    def kind(self) -> str: ...

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...

    def reconstruct(self, rows: np.ndarray) -> np.ndarray: ...

    def inner_products(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Inner product of ``query`` with the stored vector of each of ``rows`` (a remote
        engine computes them where it can, rather than sending the vectors)."""
        ...

    def vectors(self) -> np.ndarray: ...


class UnitRows(DenseRows, Protocol):
    """Sentence-unit vectors of one version (row i = unit i); ``searchable`` is False when
    they are only read by row, not searched (see :mod:`ingest.index.mapped`)."""

    @property
    def searchable(self) -> bool: ...


class KeywordRows(Protocol):
    """BM25 over the chunk rows of one version."""

    size: int
    tokenizer: Any

    def scores(self, query: str) -> np.ndarray: ...

    def idf(self, terms: Sequence[str]) -> dict[str, float]: ...


def chunk_keys(chunks: Sequence[Chunk]) -> np.ndarray:
    """Stable int64 key of each chunk, from its document, span, section, page and text."""
    keys = np.empty(len(chunks), dtype=np.int64)
    for i, c in enumerate(chunks):
        digest = hashlib.blake2b(digest_size=8)
        head = json.dumps([c.doc_id, c.start, c.end, list(c.section), c.page], ensure_ascii=False)
        digest.update(head.encode("utf-8"))
        digest.update(c.text.encode("utf-8", "surrogatepass"))
        keys[i] = int.from_bytes(digest.digest(), "big") >> 1  # non-negative int63
    return keys


def read_backend_file(version: Path) -> dict[str, Any]:
    """The ``backend.json`` of a version folder (``{"kind": "faiss"}`` when absent)."""
    try:
        data = json.loads((version / BACKEND_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"kind": "faiss"}
    if not isinstance(data, dict) or data.get("kind") not in BACKENDS:
        raise ValueError(f"{BACKEND_FILE}: not a docqa backend description")
    return data


def check_backend(index_dir: Path, recorded: str, settings: BackendSettings) -> None:
    """Raise when ``settings`` ask for another backend than the index uses."""
    if settings.kind is not None and settings.kind != recorded:
        raise IndexMismatchError(
            f"{index_dir} keeps its chunks in {recorded}, not {settings.kind}; move it with: "
            f"docqa migrate --index {index_dir} --to {settings.kind}"
            + (" --milvus-uri URI" if settings.kind == "milvus" else "")
        )


def collection_name(index_dir: Path) -> str:
    """Default Milvus collection of an index directory (letters, digits and underscores)."""
    digest = hashlib.sha1(str(index_dir.resolve()).encode("utf-8")).hexdigest()[:16]
    return f"docqa_{digest}"
