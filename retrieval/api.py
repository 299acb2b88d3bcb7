"""``ask()``: the one Python entry point, over a cache of loaded retrievers."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from platformdirs import user_data_path

from ingest.embedding.settings import EmbeddingSettings
from ingest.errors import IndexNotFoundError, InvalidInputError
from ingest.index.backends.settings import BackendSettings
from ingest.index.store import current_version_path
from ingest.sync.pipeline import Ingestor
from ingest.sync.reports import ProgressFactory, no_progress
from retrieval.retriever import Retriever
from retrieval.settings import SearchMode, SearchSettings
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
        if retriever is not None and retriever.rewritten_files():
            # Files it maps were rewritten in place under it: never read them again. Loading
            # afresh maps the files as they are now, or says the index is damaged.
            del _retrievers[key]
            retriever = None
        if retriever is None or retriever.is_stale():
            # The model comes from make_embedder's per-name cache, so it loads once; a
            # version rebuilt with another model gets that model.
            retriever = Retriever(path, backend=backend, embedding=embedding)
            _retrievers[key] = retriever
        return retriever


#: What reads the first stage's passages: the cross-encoder, or nothing (first stage only).
ReaderChoice = Literal["cross-encoder", "none"]
READER_CHOICES: tuple[ReaderChoice, ...] = ("cross-encoder", "none")


@dataclass(frozen=True)
class AskSettings:
    """How :func:`ask` searches, reads and reaches the index; every field has a default.

    Attributes:
        mode: ``hybrid``, ``dense`` or ``keyword`` (None: the retriever's, ``hybrid``).
        documents: Only answer from these doc ids (None: all).
        reader: ``cross-encoder`` (default): the second stage re-reads the best sentences
            and re-ranks; ``none``: the first stage alone orders the passages and picks the
            highlights (faster). Abstention is the same either way.
        backend: The backend the index must be on, and its Milvus address (None:
            ``$DOCQA_BACKEND``, ``$DOCQA_MILVUS_URI``, else the index's own).
        embedding: How the model runs (None: ``$DOCQA_EMBED_BACKEND``,
            ``$DOCQA_EMBED_THREADS``, ``$DOCQA_MODEL_CACHE``).

    Raises:
        InvalidInputError: an unknown ``reader`` (a bad ``mode`` or unknown ``documents``
            are reported by :func:`ask`, after the question).
    """

    mode: SearchMode | None = None
    documents: Collection[str] | None = None
    reader: ReaderChoice = "cross-encoder"
    backend: BackendSettings | None = None
    embedding: EmbeddingSettings | None = None

    def __post_init__(self) -> None:
        if self.reader not in READER_CHOICES:
            raise InvalidInputError(
                f"unknown reader {self.reader!r}; valid readers are: {', '.join(READER_CHOICES)}"
            )

    def search_settings(self, settings: SearchSettings) -> SearchSettings:
        """``settings`` with this choice of reader (``none``: the null reader)."""
        return replace(settings, reader=None) if self.reader == "none" else settings


def ask(
    question: str,
    *,
    history: Sequence[Answer] = (),
    k: int = 5,
    index: str | Path | None = None,
    settings: AskSettings | None = None,
) -> Answer:
    """Answer a question from the documents in an index.

    Args:
        question: The question (1..2,000 characters).
        history: The earlier turns of the conversation, oldest first: the ``Answer`` each
            earlier question got. A follow-up ("When did that happen?") is then searched
            with the turns it leans on; a question that stands alone is searched as without
            history (:mod:`retrieval.followup`). The answer's ``question`` stays as asked.
        k: Number of passages to return (1..50).
        index: Index directory; default :func:`default_index_dir` (``$DOCQA_INDEX`` if set,
            else ``index`` in the user's data folder, ``~/.local/share/docqa/index`` on
            Linux), built from the bundled ``corpus/`` when missing.
        settings: Search mode, document filter, reader, backend and how the model runs
            (:class:`AskSettings`; default: all defaults). ``AskSettings(reader="none")``
            skips the second stage.

    Returns:
        An :class:`Answer`: ranked, cited passages with highlighted sentences, or
        ``abstained=True`` with the nearest passages.

    Raises:
        InvalidInputError: bad question, history, ``k``, mode or document ids.
        IndexNotFoundError: no index there (the message says how to build one).
        IndexMismatchError: the index was made by another model or format version.

    Example:
        >>> from retrieval import AskSettings, ask
        >>> answer = ask("When was the 16th BRICS summit held?")  # doctest: +SKIP
        >>> answer.passages[0].section  # doctest: +SKIP
        ("Kazakhstan's Refusal of BRICS+: ...", 'Introduction')
        >>> ask("Who hosted it?", history=[answer]).passages[0].doc_id  # doctest: +SKIP
        'kazakhstan-brics-refusal.md'
        >>> fast = ask("Who hosted it?", settings=AskSettings(reader="none"))  # doctest: +SKIP
    """
    settings = settings or AskSettings()
    retriever = get_retriever(index, backend=settings.backend, embedding=settings.embedding)
    searching = settings.search_settings(retriever.settings)
    if searching is not retriever.settings:  # the cached retriever is shared: copy it
        retriever = retriever.with_settings(searching)
    return retriever.answer(
        question, k=k, mode=settings.mode, documents=settings.documents, history=history
    )
