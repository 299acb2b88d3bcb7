"""Which embedder writes the next version: the index's own model, never another."""

from __future__ import annotations

from pathlib import Path

from ingest.embedding.factory import make_embedder
from ingest.embedding.protocol import Embedder
from ingest.embedding.settings import EmbeddingSettings
from ingest.errors import IndexMismatchError
from ingest.index.store import Manifest


def check_model(index_dir: Path, model: str, embedder: Embedder | None) -> None:
    """Raise unless ``embedder`` is ``None`` or the model ``model`` the index was built with.

    Raises:
        IndexMismatchError: another model; the message says how to rebuild.
    """
    if embedder is not None and embedder.model_id != model:
        raise IndexMismatchError(
            f"{index_dir} was built with model {model!r}, not {embedder.model_id!r}; "
            "add --rebuild to re-index everything with the new model"
        )


def embedder_for(
    index_dir: Path,
    live: Manifest | None,
    embedder: Embedder | None,
    settings: EmbeddingSettings | None = None,
) -> Embedder:
    """``embedder`` if given, else the model the live index was built with (the packaged
    default for a new index), run as ``settings`` say.

    Raises:
        IndexMismatchError: ``embedder`` is another model than the index's.
    """
    if live is None:
        return embedder or make_embedder(None, settings=settings)
    check_model(index_dir, live.model, embedder)
    return embedder or make_embedder(live.model, settings=settings)
