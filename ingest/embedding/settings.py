"""How the embedding model runs: backend, threads, and where its exports are cached.

One frozen object, passed down from the edges (the CLI and the chat build it from flags and
the environment; :meth:`EmbeddingSettings.from_environment` is the Python API's default).
Nothing in docqa writes these variables; they are read here only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Literal, cast

from ingest.errors import InvalidInputError

Backend = Literal["torch", "onnx", "onnx-int8", "openvino-int8"]
BACKENDS: tuple[Backend, ...] = ("torch", "onnx", "onnx-int8", "openvino-int8")
#: Backend used when nobody chooses one: the fastest, and within 0.005 nDCG@10 of ``torch``
#: on SciFact with the current retrieval (docs/speed-and-scale.md, "Embedding backends").
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


#: Environment variable of ``docqa ingest --ray ADDRESS``.
RAY_ENV = "DOCQA_RAY"
#: Environment variable of ``docqa ingest --workers N``.
RAY_WORKERS_ENV = "DOCQA_RAY_WORKERS"
#: How to get Ray, said by every error about it missing.
RAY_EXTRA_HINT = "install the ray extra: pip install 'docqa[ray]'"

# auto | HOST:PORT | ray://HOST:PORT, HOST a name, an IPv4 address or a bracketed IPv6 one.
_RAY_ADDRESS = re.compile(
    r"(?:ray://)?(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]):(\d{1,5})"
)


def check_ray_address(address: str) -> str:
    """``address`` (the text of ``--ray`` or ``$DOCQA_RAY``) if it is a Ray address.

    Raises:
        InvalidInputError: anything but ``auto``, ``HOST:PORT`` or ``ray://HOST:PORT``.
    """
    match = _RAY_ADDRESS.fullmatch(address.strip())
    if address.strip() == "auto" or (match and 1 <= int(match.group(1)) <= 65535):
        return address.strip()
    raise InvalidInputError(
        f"Ray address {address!r} is not one; use auto (the cluster this machine has "
        "joined), HOST:PORT (the head node, e.g. 10.0.0.5:6379) or ray://HOST:PORT (Ray "
        "Client, e.g. ray://10.0.0.5:10001)"
    )


@dataclass(frozen=True)
class RaySettings:
    """Embedding on a Ray cluster (``docqa ingest --ray ADDRESS`` / ``--workers N``).

    Ingest sends the texts the embedding cache lacks to a Ray Data pipeline of workers,
    each holding the model (:mod:`ingest.embedding.ray_embedder`); vectors come back in
    order and are the ones the model gives in-process.

    Attributes:
        address: The cluster to join (``auto``, ``HOST:PORT``, ``ray://HOST:PORT``), or
            ``None`` to start a local one for the run, on this machine's cores.
        workers: Workers, each holding the model (``None``: one per CPU of the cluster,
            each using ``EmbeddingSettings.threads`` CPUs, default 1).
        batch_size: Texts a worker embeds at a time.
        texts_per_worker: Texts one ingest step sends to the cluster, per worker. Each
            step starts the workers (about 4 s of loading the model here) and stores its
            vectors in the embedding cache before the next, so a run killed halfway keeps
            them; per worker, so that start-up stays the same share of a step however
            many workers there are (4,096 texts: about 40 s of one core's work).

    Raises:
        InvalidInputError: a bad address, a count below 1, or Ray not installed.
    """

    address: str | None = None
    workers: int | None = None
    batch_size: int = 256
    texts_per_worker: int = 4096

    def __post_init__(self) -> None:
        if self.address is not None:
            check_ray_address(self.address)
        for name in ("workers", "batch_size", "texts_per_worker"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise InvalidInputError(f"Ray {name} {value} must be 1 or more")
        if find_spec("ray") is None:
            raise InvalidInputError(f"embedding on Ray needs Ray: {RAY_EXTRA_HINT}")

    @classmethod
    def build(
        cls,
        address: str | None = None,
        workers: int | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> RaySettings | None:
        """From ``--ray`` and ``--workers`` (``None``: not given) over ``$DOCQA_RAY`` and
        ``$DOCQA_RAY_WORKERS``; ``None`` when none of them asks for Ray.

        Raises:
            InvalidInputError: a value that cannot be used; the message names it.
        """
        env = os.environ if environ is None else environ
        address = address or env.get(RAY_ENV) or None
        if workers is None and env.get(RAY_WORKERS_ENV):
            workers = positive_int(env[RAY_WORKERS_ENV], RAY_WORKERS_ENV)
        if address is None and workers is None:
            return None
        if workers is not None and workers < 1:
            raise InvalidInputError(f"--workers {workers} must be 1 or more")
        return cls(address=check_ray_address(address) if address else None, workers=workers)


@dataclass(frozen=True)
class EmbeddingSettings:
    """How the embedding model runs.

    Attributes:
        backend: One of :data:`BACKENDS`, or ``None`` for :data:`DEFAULT_BACKEND` with
            fallbacks (no OpenVINO: ``onnx-int8``; a model that cannot be exported:
            ``torch``). A backend named here is used or fails with the reason.
        threads: Inference threads per encoder (``None``: one per core).
        model_cache: Folder of the exports (``None``: ``$XDG_CACHE_HOME/docqa/models``).
        ray: Embed on a Ray cluster instead of in this process (``None``: in-process).
            Meant for ingest: the CLI sets it for ``docqa ingest`` only, so questions are
            always embedded in-process; never read from the environment here.
    """

    backend: Backend | None = None
    threads: int | None = None
    model_cache: Path | None = None
    ray: RaySettings | None = None

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
