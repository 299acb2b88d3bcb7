"""Which embedder a model name gets: a registered factory, the sentence-transformers model in
this process, or the same model on Ray workers.

It sits above :mod:`ingest.embedding.sentence_transformer` and
:mod:`ingest.embedding.ray_embedder`, which know nothing of each other.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace

from ingest.embedding.protocol import Embedder
from ingest.embedding.ray_embedder import RayEmbedder
from ingest.embedding.sentence_transformer import DEFAULT_MODEL, SentenceTransformerEmbedder
from ingest.embedding.settings import EmbeddingSettings
from ingest.errors import InvalidInputError

#: Makes the embedder of a model name that starts with a registered prefix (see
#: :func:`register_embedder`).
EmbedderFactory = Callable[[str], Embedder]
_FACTORIES: dict[str, EmbedderFactory] = {}


def register_embedder(prefix: str, factory: EmbedderFactory) -> None:
    """Make :func:`make_embedder` build model names starting with ``prefix`` with ``factory``.

    For embedders that are not sentence-transformers models (an in-house service, a test
    double): an index records its model name, and every later ingest or question gets its
    embedder back from that name through the factory.

    Example:
        >>> register_embedder("my-hash-", lambda name: MyHashEmbedder(name))  # doctest: +SKIP
    """
    if not prefix:
        raise InvalidInputError("an embedder prefix must not be empty")
    _FACTORIES[prefix] = factory


def make_embedder(model: str | None, *, settings: EmbeddingSettings | None = None) -> Embedder:
    """The embedder for a manifest's or user's model name.

    One instance per name and settings per process, so the weights load once however many
    indexes use them. Names with a prefix given to :func:`register_embedder` are built by
    its factory. With ``settings.ray``, a :class:`~ingest.embedding.ray_embedder.RayEmbedder`
    whose workers each run the model as ``settings`` say, on ``settings.threads`` CPUs
    (default 1).

    Args:
        model: ``None`` for the packaged all-MiniLM-L6-v2, or any sentence-transformers
            model name or local folder.
        settings: How the model runs (default: :meth:`EmbeddingSettings.from_environment`).

    Raises:
        InvalidInputError: a setting that cannot be used.
    """
    for prefix, factory in _FACTORIES.items():
        if model and model.startswith(prefix):
            return factory(model)
    if settings is None:
        settings = EmbeddingSettings.from_environment()
    return _model_embedder(model or DEFAULT_MODEL, settings)


@functools.lru_cache(maxsize=8)
def _model_embedder(model: str, settings: EmbeddingSettings) -> Embedder:
    if settings.ray is None:
        return SentenceTransformerEmbedder(model, settings=settings)
    cpus = settings.threads or 1
    worker = replace(settings, ray=None, threads=cpus)
    build = functools.partial(SentenceTransformerEmbedder, model, settings=worker)
    return RayEmbedder(model, build, settings.ray, cpus_per_worker=cpus)
