"""Run an ONNX export (``onnx``, ``onnx-int8``) with ONNX Runtime and the Rust tokenizer.

Exports live in the model cache (:mod:`ingest.embedding.exports`), made on first use by
:mod:`ingest.embedding.onnx_export`; neither PyTorch nor transformers is imported here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ingest.embedding.batching import BatchEncoder


class OnnxEncoder(BatchEncoder):
    """Sentence vectors from an ONNX export (``model.onnx`` + ``tokenizer.json``), by ONNX Runtime.

    Args:
        folder: An ``onnx`` or ``onnx-int8`` export.
        threads: ONNX Runtime intra-op threads (default: one per core).
    """

    def __init__(self, folder: Path, *, threads: int | None = None) -> None:
        import onnxruntime as ort

        super().__init__(folder)
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.log_severity_level = 3
        # Idle worker threads sleep instead of spinning, leaving the cores to the searches
        # that follow each question (a spinning pool slowed FAISS threefold on 2 cores).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )

    def _infer(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        return np.asarray(self._session.run(None, feeds)[0])
