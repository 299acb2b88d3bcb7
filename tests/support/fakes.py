"""A deterministic fake embedder for tests: hashed bag-of-words vectors, no model.

``register()`` makes docqa build it back from the model name an index records
(``fake-hashing-N``), in this process; ``python -m tests.support.fake_cli`` is the ``docqa`` command
with it registered, for tests that run docqa in a subprocess.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from ingest.embedding.factory import register_embedder

PREFIX = "fake-hashing-"

_WORD = re.compile(r"\w+")
# Function words carry no topic; leaving them out keeps the fake vectors about content.
FUNCTION_WORDS = frozenset(
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
        return f"{PREFIX}{self._dimension}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                if word in FUNCTION_WORDS:
                    continue
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                out[row, int.from_bytes(digest[:4], "little") % self._dimension] += 1.0
            norm = float(np.linalg.norm(out[row]))
            if norm:
                out[row] /= norm
        return out


def register() -> None:
    """Let ``make_embedder("fake-hashing-N")`` build a :class:`FakeEmbedder` of dimension N."""
    register_embedder(PREFIX, lambda name: FakeEmbedder(int(name.removeprefix(PREFIX))))
