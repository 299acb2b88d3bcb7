"""What docqa knows of a sentence-transformers model folder and of its exports.

Shared by the exporters (:mod:`ingest.embedding.onnx_export`,
:mod:`ingest.embedding.openvino_export`) and the runtimes (:mod:`ingest.embedding.batching`
and the encoders over it); imports neither PyTorch nor an inference runtime.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest.errors import InvalidInputError

#: Bump when the exported files change, so old exports are not reused.
EXPORT_VERSION = 1
#: Pooling modes the exporter can put into the graph.
POOLING_MODES = ("mean", "cls", "max")


class UnsupportedModelError(InvalidInputError):
    """A model whose module pipeline the ONNX exporter does not reproduce."""


@dataclass(frozen=True)
class ModelLayout:
    """What the exporter needs to know about a sentence-transformers model folder."""

    folder: Path
    transformer_folder: Path
    pooling: str
    max_seq_length: int
    dimension: int


def _module_kind(entry: dict[str, Any]) -> str:
    return str(entry.get("type", "")).rsplit(".", 1)[-1]


def _pooling_mode(config: dict[str, Any]) -> str:
    if isinstance(config.get("pooling_mode"), str):
        mode = str(config["pooling_mode"])
        modes = [mode] if mode in POOLING_MODES else [f"unsupported:{mode}"]
    else:
        flags = {
            "cls": config.get("pooling_mode_cls_token", False),
            "mean": config.get("pooling_mode_mean_tokens", False),
            "max": config.get("pooling_mode_max_tokens", False),
            "mean_sqrt_len": config.get("pooling_mode_mean_sqrt_len_tokens", False),
            "weightedmean": config.get("pooling_mode_weightedmean_tokens", False),
            "lasttoken": config.get("pooling_mode_lasttoken", False),
        }
        modes = [name for name, on in flags.items() if on]
    if len(modes) != 1 or modes[0] not in POOLING_MODES:
        raise UnsupportedModelError(
            f"pooling {modes} is not supported by the ONNX backend "
            f"(supported: {', '.join(POOLING_MODES)}); use the torch backend"
        )
    return modes[0]


def read_layout(folder: Path) -> ModelLayout:
    """Read a sentence-transformers folder made of Transformer, Pooling and Normalize.

    Raises:
        UnsupportedModelError: other modules (Dense, ...) or another pooling.
    """
    try:
        modules = json.loads((folder / "modules.json").read_text())
    except (OSError, ValueError) as exc:
        raise UnsupportedModelError(f"{folder}: no readable modules.json ({exc})") from exc
    kinds = [_module_kind(m) for m in modules]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise UnsupportedModelError(
            f"{folder}: modules {kinds} are not supported by the ONNX backend "
            "(Transformer, Pooling and optionally Normalize are); use the torch backend"
        )
    transformer = folder / str(modules[0].get("path", ""))
    pooling = json.loads((folder / str(modules[1]["path"]) / "config.json").read_text())
    settings_file = transformer / "sentence_bert_config.json"
    settings = json.loads(settings_file.read_text()) if settings_file.is_file() else {}
    config = json.loads((transformer / "config.json").read_text())
    max_len = settings.get("max_seq_length") or config.get("max_position_embeddings", 512)
    return ModelLayout(
        folder=folder,
        transformer_folder=transformer,
        pooling=_pooling_mode(pooling),
        max_seq_length=int(max_len),
        dimension=int(pooling.get("word_embedding_dimension") or config["hidden_size"]),
    )


def model_inputs(encoded: list[Any], names: list[str]) -> dict[str, np.ndarray]:
    """The model's input arrays (``names``) from padded tokenizer encodings."""
    fields = {"input_ids": "ids", "attention_mask": "attention_mask", "token_type_ids": "type_ids"}
    return {n: np.array([getattr(e, fields[n]) for e in encoded], dtype=np.int64) for n in names}


#: What each export kind holds (see :mod:`ingest.embedding.onnx_export`).
EXPORT_KINDS = ("onnx", "onnx-int8", "openvino-int8")


def resolve_model_folder(model: str, default_folder: str | None) -> Path:
    """The local folder of a sentence-transformers model: a path, or the hub cache (offline)."""
    if default_folder is not None:
        return Path(default_folder)
    if Path(model).is_dir():
        return Path(model)
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(model, local_files_only=True))


def fingerprint(folder: Path) -> str:
    """A short hash that changes when the model's weights or configuration change."""
    parts = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in {".json", ".safetensors", ".bin", ".txt"}:
            stat = path.stat()
            parts.append(f"{path.relative_to(folder).as_posix()}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]
