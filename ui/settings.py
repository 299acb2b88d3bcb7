"""The settings of one ``docqa`` command or chat server, built once from flags and environment.

Built at start-up by the CLI and passed down as objects (the index's backend, how the model
runs); no layer below reads a flag, and nothing writes the environment to carry a setting.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ingest.embedding.settings import EmbeddingSettings
from ingest.index.backend import BackendKind, BackendSettings
from retrieval.api import INDEX_ENV, default_index_dir


@dataclass(frozen=True)
class Settings:
    """What every command needs to know besides its own arguments.

    Attributes:
        index: The index directory given with ``--index`` or ``$DOCQA_INDEX`` (``None``: the
            default, :func:`retrieval.default_index_dir`).
        backend: Where the index's chunk vectors and BM25 live, and the Milvus address.
        embedding: How the embedding model runs.
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
        environ: Mapping[str, str] | None = None,
    ) -> Settings:
        """Settings from the flags given (``None``: not given) over the environment's.

        Raises:
            InvalidInputError: a variable or flag holds a value that cannot be used; the
                message names it.
        """
        env = os.environ if environ is None else environ
        from_env = BackendSettings.from_environment(env)
        named = index or env.get(INDEX_ENV) or None
        return cls(
            index=Path(named) if named else None,
            backend=BackendSettings(
                kind=backend or from_env.kind, milvus_uri=milvus_uri or from_env.milvus_uri
            ),
            embedding=EmbeddingSettings.from_environment(env),
        )

    @property
    def index_dir(self) -> Path:
        """The index directory in force."""
        return self.index if self.index is not None else default_index_dir()
