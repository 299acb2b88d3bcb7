"""What every embedder is: texts in, L2-normalised float32 vectors out, under a model id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


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
