"""Run an ``openvino-int8`` export (OpenVINO IR, int8 weights and activations) on the CPU.

Like :mod:`ingest.embedding.onnx_runtime`, nothing here imports PyTorch or transformers; the
export itself is made once by :func:`ingest.embedding.openvino_export.quantise_openvino`.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from ingest.embedding.batching import BatchEncoder
from ingest.embedding.openvino_import import compile_model


class OpenVinoEncoder(BatchEncoder):
    """Sentence vectors from an ``openvino-int8`` export (``model.xml`` + ``tokenizer.json``).

    One inference request serves every call; calls from several threads take turns.
    OpenVINO prepares kernels per input shape (about 10 ms for each new one), so widths are
    rounded up to a multiple of 16 and stay few, and the shapes of a one-line question (16
    and 32 tokens) are prepared when the encoder is made.

    Args:
        folder: An ``openvino-int8`` export.
        threads: CPU threads per inference (default: one per core).
    """

    width_step = 16

    def __init__(self, folder: Path, *, threads: int | None = None) -> None:
        super().__init__(folder)
        cache = folder / "compiled" if os.access(folder, os.W_OK) else None
        compiled = compile_model(folder / "model.xml", threads=threads, cache_dir=cache)
        self._request = compiled.create_infer_request()  # type: ignore[attr-defined]
        self._lock = threading.Lock()
        for width in (16, 32):
            ones = np.ones((1, width), dtype=np.int64)
            self._infer({name: ones for name in self._inputs})

    def _infer(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        with self._lock:
            result = self._request.infer(feeds)
            # The output tensor is reused by the next inference: copy it out.
            return np.array(result[0], dtype=np.float32, copy=True)
