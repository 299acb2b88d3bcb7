"""The public surface is short and pinned."""

from __future__ import annotations

import retrieval


def test_retrieval_exports() -> None:
    assert sorted(retrieval.__all__) == [
        "Answer",
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
