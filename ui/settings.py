"""The settings of one ``docqa`` command or chat server, built once from flags and environment.

Built at start-up by the CLI and passed down as objects (the index's backend, how the model
runs); no layer below reads a flag, and nothing writes the environment to carry a setting.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from ingest.embedding.settings import EmbeddingSettings, RaySettings
from ingest.index.backends.settings import BackendKind, BackendSettings
from retrieval.api import INDEX_ENV, default_index_dir


@dataclass(frozen=True)
class Settings:
    """What every command needs to know besides its own arguments.

    Attributes:
        index: The index directory given with ``--index`` or ``$DOCQA_INDEX`` (``None``: the
            default, :func:`retrieval.default_index_dir`).
        backend: Where the index's chunk vectors and BM25 live, and the Milvus address.
        embedding: How the embedding model runs (on a Ray cluster only for ingest).
    """

    index: Path | None = None
    backend: BackendSettings = field(default_factory=BackendSettings)
    embedding: EmbeddingSettings = field(default_factory=EmbeddingSettings)

    @classmethod
    def build(
        cls,
        *,
        index: str | None = None,
        backend: BackendKind | None = None,
        milvus_uri: str | None = None,
        milvus_collection: str | None = None,
        ray: str | None = None,
        workers: int | None = None,
        for_ingest: bool = False,
        environ: Mapping[str, str] | None = None,
    ) -> Settings:
        """Settings from the flags given (``None``: not given) over the environment's.

        Embedding runs on Ray only ``for_ingest``, when ``ray`` (an address, ``--ray``),
        ``workers`` (a local cluster's, ``--workers``), ``$DOCQA_RAY`` or
        ``$DOCQA_RAY_WORKERS`` asks for it; questions are always embedded in-process.

        Raises:
            InvalidInputError: a variable or flag holds a value that cannot be used; the
                message names it.
        """
        env = os.environ if environ is None else environ
        from_env = BackendSettings.from_environment(env)
        named = index or env.get(INDEX_ENV) or None
        embedding = EmbeddingSettings.from_environment(env)
        if for_ingest:
            embedding = replace(embedding, ray=RaySettings.build(ray, workers, env))
        return cls(
            index=Path(named) if named else None,
            backend=BackendSettings(
                kind=backend or from_env.kind,
                milvus_uri=milvus_uri or from_env.milvus_uri,
                collection=milvus_collection or from_env.collection,
            ),
            embedding=embedding,
        )

    @property
    def index_dir(self) -> Path:
        """The index directory in force."""
        return self.index if self.index is not None else default_index_dir()
