"""Embedding on a Ray cluster: texts batched to workers that each hold the model.

:class:`RayEmbedder` is an :class:`~ingest.embedding.protocol.Embedder`: ``embed(texts)``
turns the texts into a Ray Data dataset of ``(row, text)``, maps it through a pool of actor
workers (:class:`EmbedWorker`, each building the model once) and puts every vector back on
its row, so the order is the input's whatever order the batches finish in. The embedding
cache sits in front of it (:meth:`ingest.embedding.cache.EmbeddingCache.embed_with_cache`),
so only texts it lacks reach the cluster.

The cluster is joined (or, without an address, started on this machine) on the first call
that has something to embed; :meth:`RayEmbedder.close` leaves it. Workers load the model
offline: their runtime environment sets ``HF_HUB_OFFLINE=1``. On a cluster of several
machines, each must have docqa installed (same version) and the model available.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ingest.embedding.settings import RAY_EXTRA_HINT, RaySettings
from ingest.errors import DocqaError, InvalidInputError

if TYPE_CHECKING:
    from ingest.embedding.protocol import Embedder

#: The environment of every worker: the model loads from local files, never from a hub.
WORKER_ENV = {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
#: Seconds to wait for a cluster's head to answer before saying it cannot be reached (Ray
#: itself retries for minutes).
CONNECT_TIMEOUT = 10.0


@dataclass
class RayStats:
    """What the cluster did for one :class:`RayEmbedder` so far.

    Attributes:
        texts: Texts embedded on the cluster.
        calls: Calls that sent texts (each starts the workers).
        seconds: Wall-clock seconds of those calls, as the coordinator saw them.
        worker_seconds: Seconds the workers spent embedding, summed over workers.
        workers: Workers of the last call.
        connect_seconds: Seconds spent joining or starting the cluster.
    """

    texts: int = 0
    calls: int = 0
    seconds: float = 0.0
    worker_seconds: float = 0.0
    workers: int = 0
    connect_seconds: float = 0.0


class EmbedWorker:
    """One Ray Data actor: builds the embedder once, then embeds batch after batch.

    :meth:`RayEmbedder.embed` subclasses it with the class attributes set, so the model's
    recipe travels with the class rather than as constructor arguments.

    Attributes:
        build: Makes the embedder (pickled to the worker, called there).
    """

    build: Callable[[], Embedder]

    def __init__(self) -> None:
        self._embedder = type(self).build()
        self._embedder.embed(["warm up"])  # load (and compile) before the first batch counts

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Vectors of ``batch["text"]``, with their rows and this batch's seconds per row."""
        started = time.perf_counter()
        vectors = self._embedder.embed([str(t) for t in batch["text"]])
        rows = len(vectors)
        per_row = (time.perf_counter() - started) / max(rows, 1)
        return {
            "row": np.asarray(batch["row"], dtype=np.int64),
            "vector": np.asarray(vectors, dtype=np.float32),
            "seconds": np.full(rows, per_row, dtype=np.float64),
        }


class RayEmbedder:
    """An embedder whose work runs on Ray Data workers, each holding the model.

    Args:
        model_id: The model's name, recorded in the index like the in-process embedder's.
        build: Makes the model's embedder; called on each worker, and once here when
            :attr:`dimension` is asked for. Must pickle (a module-level class or a
            ``functools.partial`` of one).
        settings: Where the cluster is and how many workers to use.
        cpus_per_worker: CPUs each worker reserves (its model's inference threads).

    Example:
        >>> from functools import partial  # doctest: +SKIP
        >>> build = partial(SentenceTransformerEmbedder, None)
        >>> embedder = RayEmbedder(DEFAULT_MODEL, build, RaySettings(workers=2))
        >>> embedder.embed(["first text", "second text"]).shape
        (2, 384)
        >>> embedder.close()
    """

    def __init__(
        self,
        model_id: str,
        build: Callable[[], Embedder],
        settings: RaySettings,
        *,
        cpus_per_worker: int = 1,
    ) -> None:
        if cpus_per_worker < 1:
            raise InvalidInputError(f"cpus_per_worker {cpus_per_worker} must be 1 or more")
        self._model_id = model_id
        self._build = build
        self._settings = settings
        self._cpus = cpus_per_worker
        self._local: Embedder | None = None
        self._started = False  # whether this embedder started (so must stop) Ray
        self._lock = threading.Lock()
        self.stats = RayStats()

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def settings(self) -> RaySettings:
        """Where the cluster is and how many workers embed."""
        return self._settings

    @property
    def texts_per_call(self) -> int:
        """Texts the embedding cache sends per call (each call starts the workers):
        :attr:`RaySettings.texts_per_worker` for each worker (without a worker count set,
        the cluster is joined to count its CPUs)."""
        if self._settings.workers is None:
            self._connect()
        return self._settings.texts_per_worker * self._workers()

    @property
    def dimension(self) -> int:
        with self._lock:
            if self._local is None:
                try:  # an unreachable cluster fails before the model is loaded here
                    self._probe()
                except OSError as exc:
                    raise self._unreachable(exc) from None
                self._local = self._build()
        return self._local.dimension

    def embed(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Vectors of ``texts`` in their order, embedded by the cluster's workers.

        ``batch_size`` is ignored: each worker gets :attr:`RaySettings.batch_size` texts
        at a time.

        Raises:
            DocqaError: the cluster cannot be reached, or a worker failed (the reason is
                the worker's own error).
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        started = time.perf_counter()
        ray = self._connect()
        workers = self._workers()
        try:
            out, worker_seconds = self._run(texts, workers)
        except ray.exceptions.RayError as exc:
            cause = getattr(exc, "cause", None) or exc
            if isinstance(cause, DocqaError):
                raise cause from None
            reason = (str(cause).strip().splitlines() or [type(cause).__name__])[-1]
            raise DocqaError(f"embedding on the Ray cluster failed: {reason}") from None
        self.stats.texts += len(texts)
        self.stats.calls += 1
        self.stats.workers = workers
        self.stats.worker_seconds += worker_seconds
        self.stats.seconds += time.perf_counter() - started
        return out

    def _run(self, texts: Sequence[str], workers: int) -> tuple[np.ndarray, float]:
        """All vectors (placed by row) and the workers' summed seconds."""
        import ray.data

        size = self._settings.batch_size
        items = [{"row": i, "text": t} for i, t in enumerate(texts)]
        blocks = -(-len(items) // size)
        # One block per batch, so every worker gets some: one block feeds one worker.
        dataset = ray.data.from_items(items, override_num_blocks=blocks)
        dataset.context.enable_progress_bars = False  # the ingest shows its own progress
        dataset.context.print_on_execution_start = False
        extra: dict[str, Any] = {}
        if not self._started:  # joined a session someone else began: env set per worker
            extra["runtime_env"] = {"env_vars": dict(WORKER_ENV)}
        worker = type("EmbedWorker", (EmbedWorker,), {"build": self._build})
        mapped = dataset.map_batches(
            worker,
            batch_size=size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=min(workers, blocks)),
            num_cpus=self._cpus,
            **extra,
        )
        out: np.ndarray | None = None
        seconds = 0.0
        for batch in _batches(mapped):
            if out is None:
                out = np.zeros((len(texts), batch["vector"].shape[1]), dtype=np.float32)
            out[batch["row"]] = batch["vector"]
            seconds += float(batch["seconds"].sum())
        assert out is not None  # texts is not empty
        return out, seconds

    def _connect(self) -> Any:
        """The ``ray`` module, joined to the cluster (started locally without an address)."""
        try:
            import ray
            import ray.data  # configures its loggers on import: before they are quietened
        except ImportError:
            raise InvalidInputError(f"embedding on Ray needs Ray: {RAY_EXTRA_HINT}") from None
        with self._lock:
            if ray.is_initialized():
                return ray
            started = time.perf_counter()
            address = self._settings.address
            # Ray Data's lines (each dataset's start and end, "progress bars disabled")
            # would interleave with the ingest's own progress; its warnings still show.
            logging.getLogger("ray.data").setLevel(logging.WARNING)
            logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)
            options: dict[str, Any] = {
                "log_to_driver": False,
                "logging_level": logging.ERROR,
                "runtime_env": {"env_vars": dict(WORKER_ENV)},
            }
            if address is None:
                workers = self._settings.workers
                options["num_cpus"] = workers * self._cpus if workers else None
                options["include_dashboard"] = False
            try:
                self._probe()
                ray.init(address=address, **options)
            except (OSError, RuntimeError, ValueError) as exc:  # ConnectionError, timeouts
                raise self._unreachable(exc) from None
            self._started = True
            self.stats.connect_seconds += time.perf_counter() - started
            return ray

    def _probe(self) -> None:
        """Connect to the head's port once: Ray itself would retry for minutes."""
        address = self._settings.address
        if address is None or address == "auto":
            return
        host, _, port = address.removeprefix("ray://").rpartition(":")
        with socket.create_connection((host.strip("[]"), int(port)), CONNECT_TIMEOUT):
            pass

    def _unreachable(self, exc: Exception) -> DocqaError:
        """The error saying the cluster could not be joined, and how to fix it."""
        address = self._settings.address
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        where = f"the Ray cluster at {address!r}" if address else "a local Ray cluster"
        return DocqaError(
            f"cannot reach {where} ({reason}); start it (ray start --head) or fix "
            "the address given with --ray / $DOCQA_RAY"
        )

    def _workers(self) -> int:
        """Workers to start: as set, else as many as the cluster's CPUs allow."""
        if self._settings.workers is not None:
            return self._settings.workers
        import ray

        cpus = float(ray.cluster_resources().get("CPU", 1))
        return max(1, int(cpus) // self._cpus)

    def close(self) -> None:
        """Leave the cluster (stopping it when this embedder started it locally)."""
        with self._lock:
            if self._started:
                import ray

                ray.shutdown()
                self._started = False


def _batches(dataset: Any) -> Iterator[dict[str, np.ndarray]]:
    """The dataset's result batches as they arrive, in whatever order they finish."""
    yield from dataset.iter_batches(batch_size=None, batch_format="numpy")
