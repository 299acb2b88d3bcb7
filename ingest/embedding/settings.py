"""How the embedding model runs: backend, threads, and where its exports are cached.

One frozen object, passed down from the edges (the CLI and the chat build it from flags and
the environment; :meth:`EmbeddingSettings.from_environment` is the Python API's default).
Nothing in docqa writes these variables; they are read here only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from ingest.errors import InvalidInputError

Backend = Literal["torch", "onnx", "onnx-int8", "openvino-int8"]
BACKENDS: tuple[Backend, ...] = ("torch", "onnx", "onnx-int8", "openvino-int8")
#: Backend used when nobody chooses one: the fastest, and within 0.005 nDCG@10 of ``torch``
#: on SciFact with the current retrieval (README, "Embedding backends").
DEFAULT_BACKEND: Backend = "openvino-int8"

#: Environment variable that chooses the backend.
EMBED_BACKEND_ENV = "DOCQA_EMBED_BACKEND"
#: Environment variable for the inference threads (default: the runtime's own, one per core).
EMBED_THREADS_ENV = "DOCQA_EMBED_THREADS"
#: Environment variable that moves the model cache.
MODEL_CACHE_ENV = "DOCQA_MODEL_CACHE"


def check_backend_name(name: str) -> Backend:
    """``name`` as a :data:`Backend`.

    Raises:
        InvalidInputError: an unknown backend name.
    """
    if name not in BACKENDS:
        raise InvalidInputError(
            f"unknown embedding backend {name!r}; valid backends are: {', '.join(BACKENDS)}"
        )
    return cast(Backend, name)


def positive_int(value: str, name: str) -> int:
    """``value`` (the text of the variable or flag ``name``) as a whole number >= 1.

    Raises:
        InvalidInputError: not a whole number, or below 1; the message names both.
    """
    try:
        number = int(value.strip())
    except ValueError:
        raise InvalidInputError(f"{name}={value!r} is not a whole number; use 1 or more") from None
    if number < 1:
        raise InvalidInputError(f"{name}={value!r} must be 1 or more")
    return number


@dataclass(frozen=True)
class EmbeddingSettings:
    """How the embedding model runs.

    Attributes:
        backend: One of :data:`BACKENDS`, or ``None`` for :data:`DEFAULT_BACKEND` with
            fallbacks (no OpenVINO: ``onnx-int8``; a model that cannot be exported:
            ``torch``). A backend named here is used or fails with the reason.
        threads: Inference threads per encoder (``None``: one per core).
        model_cache: Folder of the exports (``None``: ``$XDG_CACHE_HOME/docqa/models``).
    """

    backend: Backend | None = None
    threads: int | None = None
    model_cache: Path | None = None

    def __post_init__(self) -> None:
        if self.backend is not None:
            check_backend_name(self.backend)
        if self.threads is not None and self.threads < 1:
            raise InvalidInputError(f"embedding threads {self.threads} must be 1 or more")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> EmbeddingSettings:
        """Settings from ``$DOCQA_EMBED_BACKEND``, ``$DOCQA_EMBED_THREADS`` and
        ``$DOCQA_MODEL_CACHE`` (unset or empty: the default).

        Raises:
            InvalidInputError: a variable holds a value that cannot be used.
        """
        env = os.environ if environ is None else environ
        backend = env.get(EMBED_BACKEND_ENV) or None
        threads = env.get(EMBED_THREADS_ENV) or None
        cache = env.get(MODEL_CACHE_ENV) or None
        return cls(
            backend=check_backend_name(backend) if backend else None,
            threads=positive_int(threads, EMBED_THREADS_ENV) if threads else None,
            model_cache=Path(cache) if cache else None,
        )

    @property
    def resolved_backend(self) -> Backend:
        """The backend asked for, else :data:`DEFAULT_BACKEND`."""
        return self.backend or DEFAULT_BACKEND

    def cache_dir(self, environ: Mapping[str, str] | None = None) -> Path:
        """:attr:`model_cache`, else ``$XDG_CACHE_HOME/docqa/models`` (``~/.cache/...``)."""
        if self.model_cache is not None:
            return self.model_cache
        env = os.environ if environ is None else environ
        base = env.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        return Path(base) / "docqa" / "models"
