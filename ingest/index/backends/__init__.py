"""Where an index's versions live, behind one protocol (:mod:`.protocol`): local files
(:mod:`.files`: FAISS and bm25s beside the version's records) or Milvus (:mod:`.milvus`:
every row and file in the engine, readable from any machine). :mod:`.factory` chooses from
the settings (:mod:`.settings`) and what a version records; nothing outside this package
imports Milvus code or compares backend kinds.
"""
