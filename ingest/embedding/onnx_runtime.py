"""Run an exported ONNX sentence encoder with ONNX Runtime and the Rust tokenizer.

Neither PyTorch nor transformers is imported here, so a process that only answers
questions starts in a fraction of a second. Exports live in the model cache
(:func:`model_cache_dir`), one folder per model, backend and export version, and are made
on first use by :mod:`ingest.embedding.onnx_export` (offline, from the local model files).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: Environment variable that moves the model cache.
MODEL_CACHE_ENV = "DOCQA_MODEL_CACHE"
#: Environment variable for ONNX Runtime's thread count (default: its own choice, one per core).
THREADS_ENV = "DOCQA_EMBED_THREADS"
#: Most tokens (rows x padded length) in one batch. Memory grows with the batch (attention
#: scores are rows x heads x length^2): 64 rows of 256 tokens peak at ~670 MB of RSS,
#: 4,096 tokens at ~270 MB, at the same speed.
TOKEN_BUDGET = 4096


def model_cache_dir() -> Path:
    """``$DOCQA_MODEL_CACHE``, else ``$XDG_CACHE_HOME/docqa/models`` (``~/.cache/...``)."""
    if os.environ.get(MODEL_CACHE_ENV):
        return Path(os.environ[MODEL_CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "docqa" / "models"


def resolve_model_folder(model: str, default_folder: str | None) -> Path:
    """The local folder of a sentence-transformers model: a path, or the hub cache (offline)."""
    if default_folder is not None:
        return Path(default_folder)
    if Path(model).is_dir():
        return Path(model)
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(model, local_files_only=True))


def _fingerprint(folder: Path) -> str:
    """Changes when the model's weights or configuration change."""
    parts = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in {".json", ".safetensors", ".bin", ".txt"}:
            stat = path.stat()
            parts.append(f"{path.relative_to(folder).as_posix()}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


#: What each export kind holds (see :mod:`ingest.embedding.onnx_export`).
EXPORT_KINDS = ("onnx", "onnx-int8", "openvino-int8")


def exported_model(model: str, folder: Path, *, kind: str) -> Path:
    """The cached export of ``model`` (from ``folder``) as ``kind``, exporting it on first use.

    Raises:
        UnsupportedModelError: the model cannot be exported.
    """
    from ingest.embedding.onnx_export import EXPORT_VERSION

    if kind not in EXPORT_KINDS:
        raise ValueError(f"unknown export kind {kind!r}")
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", model).strip("_")[-60:] or "model"
    target = model_cache_dir() / f"{slug}-{kind}-v{EXPORT_VERSION}-{_fingerprint(folder)}"
    if not (target / "export.json").is_file():
        from ingest.embedding.onnx_export import export_model, read_layout

        export_model(read_layout(folder), target, kind=kind, source_id=model)
    return target


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


class OnnxEncoder(BatchEncoder):
    """Sentence vectors from an ONNX export (``model.onnx`` + ``tokenizer.json``), by ONNX Runtime.

    Args:
        folder: An ``onnx`` or ``onnx-int8`` export.
        threads: ONNX Runtime intra-op threads (default ``$DOCQA_EMBED_THREADS`` or all cores).
    """

    def __init__(self, folder: Path, *, threads: int | None = None) -> None:
        import onnxruntime as ort

        super().__init__(folder)
        options = ort.SessionOptions()
        threads = threads or int(os.environ.get(THREADS_ENV) or 0)
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
