"""The chunk collection of an index in Milvus: chunks, their vectors and BM25.

Each row holds a chunk's key (primary key, see :func:`chunk_keys`), text, terms (analysed
for Milvus's built-in BM25 function, i.e. full-text search), document id, offsets, section
and page, and its dense vector. The collection may briefly hold rows no live version lists
(a version being written, or the one before the live one, kept for readers still using it);
the row views (:mod:`ingest.index.backends.milvus.views`) map keys to the rows of their own
version and drop the others.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np

from ingest.index.backends.milvus.collection import (
    TEXT_BYTES,
    KeyedCollection,
    add_bm25,
    add_terms,
    index_bm25,
    terms_of,
)
from ingest.text.chunker import Chunk

#: Rows per insert request (well under gRPC's message size limit).
_BATCH = 1_000
_ID_BYTES = 4_096


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


class ChunkCollection(KeyedCollection):
    """Chunks in one Milvus collection, searched dense and by BM25 (see the module docstring)."""

    def _schema(self, schema: Any, params: Any) -> None:
        from pymilvus import DataType

        schema.add_field("pk", DataType.INT64, is_primary=True)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=_ID_BYTES)
        schema.add_field("start", DataType.INT64)
        schema.add_field("end", DataType.INT64)
        schema.add_field("section", DataType.VARCHAR, max_length=TEXT_BYTES)
        schema.add_field("page", DataType.INT64)  # -1: no page
        schema.add_field("text", DataType.VARCHAR, max_length=TEXT_BYTES)
        add_terms(schema)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=self.dimension)
        add_bm25(schema, "text_bm25")
        params.add_index(field_name="dense", index_type="FLAT", metric_type="IP")
        index_bm25(params)

    def add(
        self,
        keys: np.ndarray,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        *,
        terms: Sequence[str] | None = None,
    ) -> None:
        """Store ``chunks`` under ``keys`` (a key already present is replaced).

        ``terms`` are the chunks' :func:`terms_of`, when the caller has them already.
        """
        if terms is None:
            terms = [terms_of(self._tokenizer, c.text) for c in chunks]
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(chunks), self.dimension)
        for lo in range(0, len(chunks), _BATCH):
            rows = [
                {
                    "pk": int(keys[i]),
                    "doc_id": c.doc_id,
                    "start": c.start,
                    "end": c.end,
                    "section": json.dumps(list(c.section), ensure_ascii=False),
                    "page": -1 if c.page is None else c.page,
                    "text": c.text,
                    "terms": terms[i],
                    "dense": vectors[i].tolist(),
                }
                for i, c in enumerate(chunks[lo : lo + _BATCH], start=lo)
            ]
            self._call(self._client.upsert, self.collection, rows)

    def delete_documents(self, doc_ids: Collection[str]) -> int:
        """Remove every chunk of ``doc_ids``; returns how many were removed."""
        if not doc_ids:
            return 0
        before = self.count()
        self._call(
            self._client.delete,
            self.collection,
            filter=f"doc_id in {json.dumps(sorted(doc_ids), ensure_ascii=False)}",
        )
        return before - self.count()
