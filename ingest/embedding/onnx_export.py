"""Export a sentence-transformers model to ONNX or OpenVINO (optionally int8), offline, once.

The export reads the model folder's own files (``modules.json``, the pooling config,
``sentence_bert_config.json``, the Hugging Face weights and ``tokenizer.json``), traces the
transformer plus its pooling with PyTorch, lets ONNX Runtime fuse the graph (attention,
layer norms, GELU) and, for ``onnx-int8``, quantises the weights to int8 per channel
(dynamic quantisation: activations are quantised on the fly, no calibration data needed);
for ``openvino-int8`` the traced graph is quantised by NNCF instead (weights and activations,
:mod:`ingest.embedding.openvino_export`). The result is checked against the PyTorch model on probe
sentences before it is kept.

This module imports PyTorch and transformers, so it is only imported when an export is
actually needed; loading an exported model (:mod:`ingest.embedding.onnx_runtime`) needs neither.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ingest.embedding.model_files import (
    EXPORT_VERSION,
    ModelLayout,
    UnsupportedModelError,
    model_inputs,
)
from ingest.embedding.openvino_export import calibration_batches, quantise_openvino
from ingest.embedding.openvino_import import compile_model

#: Sentences the export is checked on (different lengths, so dynamic shapes are exercised).
_PROBES = (
    "When was the 16th BRICS summit held?",
    "Kazakhstan declined the invitation to join BRICS as a partner country, citing its "
    "multi-vector foreign policy and its commitments to other international organisations.",
    "ok",
    "Vitamin D deficiency is associated with an increased risk of respiratory infection in "
    "children, according to a meta-analysis of randomised controlled trials published in 2017. "
    "The effect was strongest in those with the lowest baseline levels.",
)
#: Minimum cosine between an export's vectors and PyTorch's on the probes, per export kind.
_MIN_COSINE = {"onnx": 0.9999, "onnx-int8": 0.95, "openvino-int8": 0.95}


def _pooled_module(layout: ModelLayout, names: list[str]) -> Any:
    """The transformer plus pooling as one torch module taking ``names`` as inputs."""
    import torch
    from transformers import AutoModel

    # Eager attention traces into the plain pattern ONNX Runtime's fusions recognise.
    model = AutoModel.from_pretrained(layout.transformer_folder, attn_implementation="eager")
    model.eval()
    pooling = layout.pooling

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: Any) -> Any:
            feeds = dict(zip(names, inputs, strict=True))
            hidden = self.model(**feeds).last_hidden_state
            mask = feeds["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            if pooling == "cls":
                return hidden[:, 0]
            if pooling == "max":
                return (hidden - (1.0 - mask) * 1e9).max(dim=1).values
            return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)

    return Pooled().eval()


def _load_tokenizer(layout: ModelLayout) -> tuple[Any, list[str], int, str]:
    """The fast tokenizer's core, the model's input names, and the padding id and token."""
    from transformers import AutoTokenizer

    fast = AutoTokenizer.from_pretrained(layout.transformer_folder)
    if not getattr(fast, "is_fast", False):
        raise UnsupportedModelError(f"{layout.folder}: no fast tokenizer; use the torch backend")
    accepted = set(fast.model_input_names)
    names: list[str] = [
        n for n in ("input_ids", "attention_mask", "token_type_ids") if n in accepted
    ]
    if "attention_mask" not in names:
        names.append("attention_mask")
    pad_id = fast.pad_token_id if fast.pad_token_id is not None else 0
    pad_token = str(fast.pad_token) if fast.pad_token is not None else "[PAD]"
    return fast.backend_tokenizer, names, int(pad_id), pad_token


def _optimise(source: Path, target: Path, config: dict[str, Any]) -> None:
    """Fuse attention, layer norms and GELU for BERT-like graphs (copy when that fails)."""
    try:
        from onnxruntime.transformers import optimizer

        optimised = optimizer.optimize_model(
            str(source),
            model_type="bert",
            num_heads=int(config.get("num_attention_heads", 0)),
            hidden_size=int(config.get("hidden_size", 0)),
        )
        optimised.save_model_to_file(str(target))
    except Exception:  # fusion is an optimisation only; the plain graph is still correct
        shutil.copyfile(source, target)


def _quantise(source: Path, target: Path) -> None:
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantiser logs advice about static pre-processing
    try:
        # Per-channel weights: per-tensor int8 loses too much (cosine to fp32 about 0.94).
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)


def trace_onnx(
    module: Any,
    arrays: dict[str, np.ndarray],
    names: list[str],
    path: Path,
    *,
    output: str,
    output_axis: str,
) -> np.ndarray:
    """Trace the torch ``module`` (inputs ``names``) to the ONNX graph ``path``; returns its
    output on all of ``arrays``, the reference an export is checked against.

    The example traced is the first two rows and eight tokens of ``arrays``; batch and token
    axes stay dynamic (the ``output`` tensor's first axis is named ``output_axis``), opset 17,
    PyTorch's TorchScript exporter. The cross-encoder's export (``training.export``) traces
    through here too.
    """
    import warnings

    import torch

    example = tuple(torch.from_numpy(arrays[n][:2, :8].copy()) for n in names)
    axes = {n: {0: "batch", 1: "tokens"} for n in names}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent branches
        torch.onnx.export(
            module,
            example,
            str(path),
            input_names=names,
            output_names=[output],
            dynamic_axes={**axes, output: {0: output_axis}},
            opset_version=17,
            dynamo=False,
        )
        return np.asarray(module(*(torch.from_numpy(arrays[n]) for n in names)).numpy())


def export_model(layout: ModelLayout, target: Path, *, kind: str, source_id: str) -> Path:
    """Export ``layout``'s model into the folder ``target`` (made atomically); returns it.

    ``kind`` is ``onnx`` (fused full-precision graph), ``onnx-int8`` (the same with int8
    weights) or ``openvino-int8`` (OpenVINO IR with int8 weights and activations, see
    :mod:`ingest.embedding.openvino_export`). ``target`` ends up holding the model
    (``model.onnx``, or ``model.xml`` and ``model.bin``), ``tokenizer.json`` and
    ``export.json``.
    A concurrent export of the same model is harmless: the first to finish wins.

    Raises:
        UnsupportedModelError: the model cannot be exported, or the export does not
            reproduce the PyTorch model's vectors on the probe sentences.
    """

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    work.chmod(0o755)
    try:
        tokenizer, names, pad_id, pad_token = _load_tokenizer(layout)
        module = _pooled_module(layout, names)
        tokenizer.enable_truncation(max_length=layout.max_seq_length)
        tokenizer.enable_padding(pad_id=pad_id, pad_token=pad_token)
        encoded = tokenizer.encode_batch(list(_PROBES))
        arrays = model_inputs(encoded, names)
        raw = work / "raw.onnx"
        reference = trace_onnx(
            module, arrays, names, raw, output="sentence_embedding", output_axis="batch"
        )
        if kind == "openvino-int8":
            final = work / "model.xml"
            quantise_openvino(raw, final, calibration_batches(tokenizer, names))
        else:
            config = json.loads((layout.transformer_folder / "config.json").read_text())
            fused = work / "fused.onnx"
            _optimise(raw, fused, config)
            final = work / "model.onnx"
            if kind == "onnx-int8":
                _quantise(fused, final)
            else:
                fused.replace(final)
        for name in ("raw.onnx", "fused.onnx"):
            (work / name).unlink(missing_ok=True)
        _check(final, arrays, names, reference, kind)
        tokenizer.no_padding()
        tokenizer.no_truncation()
        tokenizer.save(str(work / "tokenizer.json"))
        info = {
            "export_version": EXPORT_VERSION,
            "source": source_id,
            "kind": kind,
            "quantized": kind != "onnx",
            "pooling": layout.pooling,
            "max_seq_length": layout.max_seq_length,
            "dimension": layout.dimension,
            "inputs": names,
            "pad_id": pad_id,
            "pad_token": pad_token,
        }
        (work / "export.json").write_text(json.dumps(info, indent=1))
        try:
            work.rename(target)
        except OSError:
            if not (target / "export.json").is_file():
                raise
        return target
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _check(
    model: Path,
    arrays: dict[str, np.ndarray],
    names: list[str],
    reference: np.ndarray,
    kind: str,
) -> None:
    feeds = {n: arrays[n] for n in names}
    if kind == "openvino-int8":
        got = np.asarray(compile_model(model)(feeds)[0])  # type: ignore[operator]
    else:
        import onnxruntime as ort

        session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
        got = np.asarray(session.run(None, feeds)[0])

    def unit(x: np.ndarray) -> np.ndarray:
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    cosine = (unit(got) * unit(reference)).sum(axis=1)
    if float(cosine.min()) < _MIN_COSINE[kind]:
        raise UnsupportedModelError(
            f"the {kind} export of this model does not reproduce it (cosine "
            f"{cosine.min():.4f} on probe sentences); use the torch backend"
        )
