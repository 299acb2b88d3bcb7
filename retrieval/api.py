"""``ask()``: the one Python entry point, over a cache of loaded retrievers."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Collection, Sequence
from dataclasses import replace
from pathlib import Path

from platformdirs import user_data_path

from ingest.embedding.settings import EmbeddingSettings
from ingest.errors import IndexNotFoundError
from ingest.index.backends.settings import BackendSettings
from ingest.index.store import current_version_path
from ingest.sync.pipeline import Ingestor
from ingest.sync.reports import ProgressFactory, no_progress
from retrieval.retriever import Retriever, SearchMode
from retrieval.types import Answer

#: Environment variable naming the default index directory.
INDEX_ENV = "DOCQA_INDEX"

_log = logging.getLogger("docqa")
_lock = threading.Lock()
_retrievers: dict[tuple[Path, BackendSettings, EmbeddingSettings], Retriever] = {}


def default_index_dir() -> Path:
    """``$DOCQA_INDEX`` if set, else ``index`` in the user's data folder for docqa
    (``$XDG_DATA_HOME/docqa/index``, ``~/.local/share/docqa/index`` on Linux): the same
    index whichever folder a command runs from."""
    named = os.environ.get(INDEX_ENV)
    return Path(named) if named else user_data_path("docqa") / "index"


def bundled_corpus() -> Path | None:
    """The repository's ``corpus/`` folder, when docqa runs from a checkout."""
    folder = Path(__file__).resolve().parent.parent / "corpus"
    return folder if folder.is_dir() else None


def ensure_default_index(
    index_dir: Path,
    *,
    backend: BackendSettings | None = None,
    embedding: EmbeddingSettings | None = None,
    progress: ProgressFactory = no_progress,
) -> None:
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
    _log.info("no index at %s yet: building it from the bundled %s (once)", index_dir, corpus)
    Ingestor(
        index_dir, backend=backend or BackendSettings(), embedding=embedding, progress=progress
    ).run([corpus])


def get_retriever(
    index: str | Path | None = None,
    *,
    backend: BackendSettings | None = None,
    embedding: EmbeddingSettings | None = None,
) -> Retriever:
    """A loaded retriever for ``index`` (default index if None), reloaded when it changes.

    ``backend`` and ``embedding`` default to the environment's
    (:meth:`BackendSettings.from_environment`, :meth:`EmbeddingSettings.from_environment`).
    """
    backend = backend or BackendSettings.from_environment()
    embedding = embedding or EmbeddingSettings.from_environment()
    if index is None:
        path = default_index_dir()
        ensure_default_index(path, backend=backend, embedding=embedding)
    else:
        path = Path(index)
    key = (path.resolve(), backend, embedding)
    with _lock:
        retriever = _retrievers.get(key)
        if retriever is None or retriever.is_stale():
            # The model comes from make_embedder's per-name cache, so it loads once; a
            # version rebuilt with another model gets that model.
            retriever = Retriever(path, backend=backend, embedding=embedding)
            _retrievers[key] = retriever
        return retriever


def ask(
    question: str,
    *,
    history: Sequence[Answer] = (),
    k: int = 5,
    index: str | Path | None = None,
    mode: SearchMode | None = None,
    documents: Collection[str] | None = None,
    backend: BackendSettings | None = None,
    embedding: EmbeddingSettings | None = None,
    fast: bool = False,
) -> Answer:
    """Answer a question from the documents in an index.

    Args:
        question: The question (1..2,000 characters).
        history: The earlier turns of the conversation, oldest first: the ``Answer`` each
            earlier question got. A follow-up ("When did that happen?") is then searched
            with the turns it leans on; a question that stands alone is searched as without
            history (:mod:`retrieval.followup`). The answer's ``question`` stays as asked.
        k: Number of passages to return (1..50).
        index: Index directory; default ``$DOCQA_INDEX`` or ``.docqa/index``, built from the
            bundled ``corpus/`` when missing.
        mode: ``hybrid`` (default), ``dense`` or ``keyword``.
        documents: Only answer from these doc ids (default: all).
        backend: The backend the index must be on, and its Milvus address (default:
            ``$DOCQA_BACKEND``, ``$DOCQA_MILVUS_URI``, else the index's own).
        embedding: How the model runs (default: ``$DOCQA_EMBED_BACKEND``,
            ``$DOCQA_EMBED_THREADS``, ``$DOCQA_MODEL_CACHE``).
        fast: Skip the second stage (the cross-encoder that re-reads the best sentences):
            the first stage alone orders the passages and picks the highlights. Abstention
            is the same either way.

    Returns:
        An :class:`Answer`: ranked, cited passages with highlighted sentences, or
        ``abstained=True`` with the nearest passages.

    Raises:
        InvalidInputError: bad question, history, ``k`` or mode.
        IndexNotFoundError: no index there (the message says how to build one).
        IndexMismatchError: the index was made by another model or format version.

    Example:
        >>> from retrieval import ask
        >>> answer = ask("When was the 16th BRICS summit held?")  # doctest: +SKIP
        >>> answer.passages[0].section  # doctest: +SKIP
        ("Kazakhstan's Refusal of BRICS+: ...", 'Introduction')
        >>> ask("Who hosted it?", history=[answer]).passages[0].doc_id  # doctest: +SKIP
        'kazakhstan-brics-refusal.md'
    """
    retriever = get_retriever(index, backend=backend, embedding=embedding)
    if fast:
        retriever = retriever.with_settings(replace(retriever.settings, reader=None))
    return retriever.answer(question, k=k, mode=mode, documents=documents, history=history)
