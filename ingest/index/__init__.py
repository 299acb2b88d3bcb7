"""The versioned index: what a version holds and how it is written, read and switched.

- :mod:`ingest.index.store`: the index directory; write the next version, load the live
  one (``INDEX/CURRENT`` names it, switched atomically).
- :mod:`ingest.index.manifest`: a version's manifest and the loaded :class:`IndexVersion`.
- :mod:`ingest.index.records`, :mod:`ingest.index.units`, :mod:`ingest.index.tokens`:
  documents and chunks as columns, sentence units, BM25 tokens.
- :mod:`ingest.index.dense`, :mod:`ingest.index.mapped`, :mod:`ingest.index.sparse`: FAISS,
  memory-mapped unit vectors and bm25s; :mod:`ingest.index.rows` the row views retrieval
  reads, whichever store gives them.
- :mod:`ingest.index.backends`: where a version lives (local files or Milvus) behind one
  version-store protocol and a factory that chooses; nothing else imports Milvus code.
- :mod:`ingest.index.lock`, :mod:`ingest.index.durable`: one writer at a time, crash-safe
  writes.
"""
