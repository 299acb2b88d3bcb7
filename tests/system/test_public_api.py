"""The public surface is short and pinned."""

from __future__ import annotations

import retrieval


def test_retrieval_exports() -> None:
    assert sorted(retrieval.__all__) == [
        "Answer",
        "AskSettings",
        "Passage",
        "Retriever",
        "SearchSettings",
        "ask",
        "default_index_dir",
    ]


def test_importing_does_not_load_heavy_libraries() -> None:
    import subprocess
    import sys

    code = (
        "import sys, retrieval, ingest, ui.cli; "
        "heavy = [m for m in ('torch', 'sentence_transformers', 'faiss', 'gradio')"
        " if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_ingest_exports_are_pinned_and_resolve() -> None:
    import ingest

    assert sorted(ingest.__all__) == [
        "Chunk",
        "ChunkSettings",
        "CorruptIndexError",
        "DEFAULT_MODEL",
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
    for name in ingest.__all__:
        assert getattr(ingest, name) is not None


def test_importing_an_error_class_loads_nothing_else() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from ingest import DocqaError; from ingest.errors import InvalidInputError; "
        "print(','.join(sorted(m for m in sys.modules if m.startswith(('ingest', 'numpy')))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ingest,ingest.errors"


def test_a_registered_embedder_is_built_back_from_the_model_name() -> None:
    from ingest.embedding.factory import make_embedder, register_embedder
    from tests.support.fakes import FakeEmbedder

    register_embedder("probe-hash-", lambda name: FakeEmbedder(int(name.rsplit("-", 1)[1])))
    built = make_embedder("probe-hash-12")
    assert isinstance(built, FakeEmbedder) and built.dimension == 12
