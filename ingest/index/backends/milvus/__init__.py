"""Index versions held in Milvus: :class:`~.store.MilvusStore` over the chunk, unit, section
and file collections (:mod:`.chunks`, :mod:`.rows`, :mod:`.files`), the row views retrieval
reads (:mod:`.views`) and the writer lease (:mod:`.lease`). Only
:mod:`ingest.index.backends` imports this package.
"""
