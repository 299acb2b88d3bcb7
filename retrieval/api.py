"""``ask()``: the one Python entry point, over a cache of loaded retrievers."""

from __future__ import annotations

import os
import threading
from collections.abc import Collection
from pathlib import Path

from ingest.errors import IndexNotFoundError
from ingest.index.backend import BackendSettings
from ingest.index.store import current_version_path
from retrieval.retriever import Retriever, SearchMode
from retrieval.types import Answer

#: Environment variable naming the default index directory.
INDEX_ENV = "DOCQA_INDEX"

_lock = threading.Lock()
_retrievers: dict[tuple[Path, BackendSettings], Retriever] = {}


def default_index_dir() -> Path:
    """``$DOCQA_INDEX`` if set, else ``.docqa/index`` in the working directory."""
    return Path(os.environ.get(INDEX_ENV) or Path.cwd() / ".docqa" / "index")


def bundled_corpus() -> Path | None:
    """The repository's ``corpus/`` folder, when docqa runs from a checkout."""
    folder = Path(__file__).resolve().parent.parent / "corpus"
    return folder if folder.is_dir() else None


def ensure_default_index(index_dir: Path) -> None:
    """Build the default index from the bundled corpus when it is missing.

    Raises:
        IndexNotFoundError: no index and no bundled corpus to build one from.
    """
    try:
        current_version_path(index_dir)
        return
    except IndexNotFoundError:
        corpus = bundled_corpus()
        if corpus is None:
            raise
    from ingest.sync.pipeline import ingest

    ingest([corpus], index=index_dir)


def get_retriever(index: str | Path | None = None) -> Retriever:
    """A loaded retriever for ``index`` (default index if None), reloaded when it changes."""
    if index is None:
        path = default_index_dir()
        ensure_default_index(path)
    else:
        path = Path(index)
    # The backend settings in force ($DOCQA_BACKEND, $DOCQA_MILVUS_URI) are checked on load.
    key = (path.resolve(), BackendSettings.from_env())
    with _lock:
        retriever = _retrievers.get(key)
        if retriever is None or retriever.is_stale():
            # The model comes from make_embedder's per-name cache, so it loads once; a
            # version rebuilt with another model gets that model.
            retriever = Retriever(path)
            _retrievers[key] = retriever
        return retriever


def ask(
    question: str,
    *,
    k: int = 5,
    index: str | Path | None = None,
    mode: SearchMode | None = None,
    documents: Collection[str] | None = None,
) -> Answer:
    """Answer a question from the documents in an index.

    Args:
        question: The question (1..2,000 characters).
        k: Number of passages to return (1..50).
        index: Index directory; default ``$DOCQA_INDEX`` or ``.docqa/index``, built from the
            bundled ``corpus/`` when missing.
        mode: ``hybrid`` (default), ``dense`` or ``keyword``.
        documents: Only answer from these doc ids (default: all).

    Returns:
        An :class:`Answer`: ranked, cited passages with highlighted sentences, or
        ``abstained=True`` with the nearest passages.

    Raises:
        InvalidInputError: bad question, ``k`` or mode.
        IndexNotFoundError: no index there (the message says how to build one).
        IndexMismatchError: the index was made by another model or format version.

    Example:
        >>> from retrieval import ask
        >>> answer = ask("When was the 16th BRICS summit held?")  # doctest: +SKIP
        >>> answer.passages[0].section  # doctest: +SKIP
        ("Kazakhstan's Refusal of BRICS+: ...", 'Introduction')
    """
    return get_retriever(index).answer(question, k=k, mode=mode, documents=documents)
