"""Sentence units and sections in Milvus collections beside the chunks.

``PREFIX_units`` holds one row per sentence unit: its key, the key of its chunk, its offsets
into the document text and its vector (``FLAT`` up to 200k rows, ``IVF_SQ8`` above, as the
chunk vectors). ``PREFIX_sections`` holds one row per section: its key, document id and
terms, indexed by Milvus's BM25 function like the chunks' terms. Keys are content-derived (a
unit's from its chunk's key and offsets, a section's from its document, ordinal and terms),
so rows of unchanged documents are written once and shared by the versions that list them;
a version lists its keys in row order (``unit_keys.npy``, ``section_keys.npy``) and the
views (:mod:`ingest.index.backends.milvus.views`) map Milvus's answers back to the version's
rows, as for chunks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from ingest.index.backends.milvus.collection import (
    KeyedCollection,
    add_bm25,
    add_terms,
    index_bm25,
)
from ingest.index.sparse import SparseSettings
from ingest.index.tokens import EMPTY_TOKEN, TokenTable

_ID_BYTES = 4_096
#: Longest terms field: a section's terms past it are left out of its BM25 (about 9,000
#: stemmed terms; chunks are far below it).
TERMS_BYTES = 65_535
_BATCH = 2_000


def unit_keys(chunk_keys: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Stable int64 key of each unit, from its chunk's key and its offsets (vectorised)."""
    mixed = np.stack(
        [np.asarray(chunk_keys, dtype=np.int64), np.asarray(start), np.asarray(end)], axis=1
    ).astype(np.int64)
    out = np.empty(len(mixed), dtype=np.int64)
    for i, row in enumerate(mixed):
        digest = hashlib.blake2b(row.tobytes(), digest_size=8).digest()
        out[i] = int.from_bytes(digest, "big") >> 1
    return out


def section_terms(tokens: TokenTable) -> list[str]:
    """Each section's terms as Milvus analyses them (spaced tokens, capped at
    :data:`TERMS_BYTES`)."""
    vocab = np.array(tokens.vocab, dtype=object)
    out = []
    for i in range(len(tokens)):
        words = [t for t in vocab[tokens.row(i)] if t != EMPTY_TOKEN]
        text = " ".join(words)
        if len(text.encode("utf-8")) > TERMS_BYTES:
            text = text.encode("utf-8")[:TERMS_BYTES].decode("utf-8", "ignore")
            text = text[: text.rfind(" ")] if " " in text else ""
        out.append(text)
    return out


def section_keys(doc_ids: Sequence[str], terms: Sequence[str]) -> np.ndarray:
    """Stable int64 key of each section, from its document, ordinal in it and terms."""
    keys = np.empty(len(terms), dtype=np.int64)
    ordinal: dict[str, int] = {}
    for i, (doc_id, text) in enumerate(zip(doc_ids, terms, strict=True)):
        n = ordinal[doc_id] = ordinal.get(doc_id, -1) + 1
        digest = hashlib.blake2b(f"{doc_id}\x00{n}\x00".encode(), digest_size=8)
        digest.update(text.encode("utf-8", "surrogatepass"))
        keys[i] = int.from_bytes(digest.digest(), "big") >> 1
    return keys


class UnitCollection(KeyedCollection):
    """The sentence units of an index's versions (see the module docstring)."""

    def _schema(self, schema: Any, params: Any) -> None:
        from pymilvus import DataType

        schema.add_field("pk", DataType.INT64, is_primary=True)
        schema.add_field("chunk", DataType.INT64)  # the chunk's key in the chunk collection
        schema.add_field("start", DataType.INT64)
        schema.add_field("end", DataType.INT64)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=self.dimension)
        params.add_index(field_name="dense", index_type="FLAT", metric_type="IP")

    def add_units(
        self,
        keys: np.ndarray,
        chunks: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        vectors: np.ndarray,
    ) -> None:
        """Store units (keys already present are replaced)."""
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(keys), self.dimension)
        columns = np.stack([keys, chunks, start, end], axis=1).astype(np.int64).tolist()
        for lo in range(0, len(keys), _BATCH):
            rows = [
                {"pk": k, "chunk": c, "start": a, "end": b, "dense": v}
                for (k, c, a, b), v in zip(
                    columns[lo : lo + _BATCH], vectors[lo : lo + _BATCH].tolist(), strict=True
                )
            ]
            self._call(self._client.upsert, self.collection, rows)


class SectionCollection(KeyedCollection):
    """The sections of an index's versions, for BM25 (see the module docstring)."""

    def _schema(self, schema: Any, params: Any) -> None:
        from pymilvus import DataType

        schema.add_field("pk", DataType.INT64, is_primary=True)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=_ID_BYTES)
        add_terms(schema, TERMS_BYTES)
        add_bm25(schema, "section_bm25")
        index_bm25(params)

    def add_sections(self, keys: np.ndarray, doc_ids: Sequence[str], terms: Sequence[str]) -> None:
        """Store sections (keys already present are replaced)."""
        for lo in range(0, len(keys), _BATCH):
            rows = [
                {"pk": int(keys[i]), "doc_id": doc_ids[i], "terms": terms[i]}
                for i in range(lo, min(lo + _BATCH, len(keys)))
            ]
            self._call(self._client.upsert, self.collection, rows)


def open_collections(
    uri: str, prefix: str, dimension: int, sparse: SparseSettings, *, create: bool
) -> tuple[UnitCollection, SectionCollection]:
    """The unit and section collections of the index whose chunk collection is ``prefix``."""
    units = UnitCollection(uri, f"{prefix}_units", dimension, sparse, create=create)
    sections = SectionCollection(uri, f"{prefix}_sections", 1, sparse, create=create)
    return units, sections


def extra_rows(collection: Any, keys: np.ndarray) -> int:
    """Rows of ``collection`` that a version of ``keys`` does not list."""
    return max(0, int(collection.count()) - len(keys))
