"""Tokenising, length-sorted batching and normalising, shared by the encoders of exports.

Neither PyTorch nor transformers is imported here, so a process that only answers
questions starts in a fraction of a second.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: Most tokens (rows x padded length) in one batch. Memory grows with the batch (attention
#: scores are rows x heads x length^2): 64 rows of 256 tokens peak at ~670 MB of RSS,
#: 4,096 tokens at ~270 MB, at the same speed.
TOKEN_BUDGET = 4096


class BatchEncoder:
    """Sentence vectors from an exported model folder: tokenising, batching and pooling.

    Subclasses run one padded batch through their runtime (:meth:`_infer`).

    Args:
        folder: An export made by :func:`ingest.embedding.onnx_export.export_model`.
    """

    #: Padded batch widths are rounded up to a multiple of this (1: no rounding). A runtime
    #: that compiles kernels per input shape gets few shapes, so warm ones are reused.
    width_step = 1

    def __init__(self, folder: Path) -> None:
        from tokenizers import Tokenizer

        self.info: dict[str, Any] = json.loads((folder / "export.json").read_text())
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._max_len = int(self.info["max_seq_length"])
        self._tokenizer.enable_truncation(max_length=self._max_len)
        self._inputs: list[str] = list(self.info["inputs"])
        self._pad = int(self.info["pad_id"])

    @property
    def dimension(self) -> int:
        """Length of each vector."""
        return int(self.info["dimension"])

    def _infer(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        """Pooled vectors (not normalised) of one padded batch."""
        raise NotImplementedError

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text.

        Texts are tokenised once, then batched by token length (longest first) so that
        each batch pads to nearly its own length: padding is work thrown away. A batch holds
        at most ``batch_size`` texts and :data:`TOKEN_BUDGET` tokens.
        """
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encoded = self._tokenizer.encode_batch(list(texts))
        lengths = np.array([len(e.ids) for e in encoded])
        order = np.argsort(-lengths, kind="stable")
        step = self.width_step
        start = 0
        while start < len(order):
            longest = max(int(lengths[order[start]]), 1)
            width = min(-(-longest // step) * step, max(self._max_len, longest))
            size = max(1, min(batch_size, TOKEN_BUDGET // width))
            rows = order[start : start + size]
            start += size
            feeds = {name: np.zeros((len(rows), width), dtype=np.int64) for name in self._inputs}
            feeds["input_ids"].fill(self._pad)
            for i, row in enumerate(rows):
                e, n = encoded[row], int(lengths[row])
                feeds["input_ids"][i, :n] = e.ids
                feeds["attention_mask"][i, :n] = 1
                if "token_type_ids" in feeds:
                    feeds["token_type_ids"][i, :n] = e.type_ids
            vectors = self._infer(feeds)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            out[rows] = vectors / np.maximum(norms, 1e-12)
        return out
