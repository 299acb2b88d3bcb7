"""Embedding backends: choice, ONNX export checks, and agreement with the PyTorch model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ingest.embedding.embedder import (
    BACKEND_ENV,
    BACKENDS,
    DEFAULT_BACKEND,
    DEFAULT_MODEL,
    SentenceTransformerEmbedder,
    make_embedder,
    resolve_backend,
)
from ingest.embedding.onnx_export import UnsupportedModelError, read_layout
from ingest.errors import InvalidInputError

TEXTS = [
    "When was the 16th BRICS summit held?",
    "Kazakhstan declined the invitation to become a BRICS partner country.",
    "ok",
    "Vitamin D supplementation reduces the risk of acute respiratory infection. " * 12,
]


def test_backend_comes_from_argument_then_environment_then_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(BACKEND_ENV, raising=False)
    assert resolve_backend() == DEFAULT_BACKEND
    monkeypatch.setenv(BACKEND_ENV, "torch")
    assert resolve_backend() == "torch"
    assert resolve_backend("onnx") == "onnx"
    valid = "valid backends are: torch, onnx, onnx-int8, openvino-int8"
    with pytest.raises(InvalidInputError, match=valid):
        resolve_backend("tensorrt")


def test_backends_of_one_model_share_its_id() -> None:
    ids = {SentenceTransformerEmbedder(backend=b).model_id for b in BACKENDS}
    assert ids == {DEFAULT_MODEL}
    assert make_embedder(None, backend="onnx") is make_embedder(DEFAULT_MODEL, backend="onnx")
    assert make_embedder(None, backend="onnx") is not make_embedder(None, backend="torch")


def _model_folder(tmp_path: Path, modules: list[str], pooling: dict[str, object]) -> Path:
    folder = tmp_path / "model"
    (folder / "1_Pooling").mkdir(parents=True)
    paths = ["", "1_Pooling", "2_Dense", "3_Normalize"]
    entries = [
        {"idx": i, "name": str(i), "path": paths[i], "type": f"sentence_transformers.models.{m}"}
        for i, m in enumerate(modules)
    ]
    (folder / "modules.json").write_text(json.dumps(entries))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    (folder / "config.json").write_text(
        json.dumps({"hidden_size": 8, "max_position_embeddings": 64})
    )
    return folder


def test_layout_reads_pooling_and_sequence_length(tmp_path: Path) -> None:
    folder = _model_folder(
        tmp_path,
        ["Transformer", "Pooling", "Normalize"],
        {"word_embedding_dimension": 8, "pooling_mode_cls_token": True},
    )
    layout = read_layout(folder)
    assert (layout.pooling, layout.dimension, layout.max_seq_length) == ("cls", 8, 64)


@pytest.mark.parametrize(
    ("modules", "pooling"),
    [
        (["Transformer", "Pooling", "Dense"], {"pooling_mode_mean_tokens": True}),
        (["Transformer", "Pooling"], {"pooling_mode_weightedmean_tokens": True}),
        (["Transformer", "Pooling"], {"pooling_mode": "lasttoken"}),
    ],
)
def test_models_the_exporter_cannot_reproduce_are_refused(
    tmp_path: Path, modules: list[str], pooling: dict[str, object]
) -> None:
    with pytest.raises(UnsupportedModelError, match="torch backend"):
        read_layout(_model_folder(tmp_path, modules, pooling))


def test_default_backend_falls_back_to_torch_for_unsupported_models(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(BACKEND_ENV, raising=False)
    folder = _model_folder(tmp_path, ["Transformer", "Pooling", "Dense"], {})
    implicit = SentenceTransformerEmbedder(str(folder))
    explicit = SentenceTransformerEmbedder(str(folder), backend="onnx-int8")
    monkeypatch.setattr(SentenceTransformerEmbedder, "_load_torch", lambda self: "torch model")
    assert implicit._load() == "torch model"
    assert implicit.backend == "torch"
    with pytest.raises(UnsupportedModelError):
        explicit._load()


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return make_embedder(None, backend="torch").embed(TEXTS)


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize(
    ("backend", "min_cosine"), [("onnx", 0.9999), ("onnx-int8", 0.95), ("openvino-int8", 0.97)]
)
def test_exported_backends_reproduce_the_pytorch_vectors(
    torch_vectors: np.ndarray, backend: str, min_cosine: float
) -> None:
    embedder = make_embedder(None, backend=backend)
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == torch_vectors.shape == (len(TEXTS), embedder.dimension)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    cosine = (vectors * torch_vectors).sum(axis=1)
    assert cosine.min() >= min_cosine


@pytest.mark.model
@pytest.mark.slow
def test_length_sorted_batches_keep_the_input_order() -> None:
    embedder = make_embedder(None, backend="onnx")
    together = embedder.embed(TEXTS, batch_size=2)
    alone = np.vstack([embedder.embed([t]) for t in TEXTS])
    np.testing.assert_allclose(together, alone, atol=1e-4)
    assert embedder.embed([]).shape == (0, embedder.dimension)


@pytest.mark.model
@pytest.mark.parametrize("backend", ["onnx-int8", "openvino-int8"])
def test_int8_vectors_barely_depend_on_their_batch(backend: str) -> None:
    # Dynamic int8 quantises activations per batch, static int8 pads to rounded widths, so
    # a text's vector may move a little with its neighbours; each row must still be far
    # closer to its own text than to any other.
    embedder = make_embedder(None, backend=backend)
    together = embedder.embed(TEXTS, batch_size=3)
    alone = np.vstack([embedder.embed([t]) for t in TEXTS])
    similarity = together @ alone.T
    assert np.diag(similarity).min() >= 0.97
    assert (similarity.argmax(axis=1) == np.arange(len(TEXTS))).all()


def test_exports_are_made_once_and_redone_when_the_model_changes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import ingest.embedding.onnx_export as onnx_export
    from ingest.embedding.onnx_runtime import MODEL_CACHE_ENV, exported_model

    monkeypatch.setenv(MODEL_CACHE_ENV, str(tmp_path / "cache"))
    folder = _model_folder(tmp_path, ["Transformer", "Pooling"], {"pooling_mode_mean_tokens": True})
    calls: list[Path] = []

    def fake_export(layout: object, target: Path, *, kind: str, source_id: str) -> Path:
        calls.append(target)
        target.mkdir(parents=True)
        (target / "export.json").write_text("{}")
        return target

    monkeypatch.setattr(onnx_export, "export_model", fake_export)
    first = exported_model("m", folder, kind="onnx-int8")
    assert exported_model("m", folder, kind="onnx-int8") == first
    assert len(calls) == 1 and first.parent == tmp_path / "cache"
    assert exported_model("m", folder, kind="onnx") != first
    assert exported_model("m", folder, kind="openvino-int8") != first
    (folder / "config.json").write_text(json.dumps({"hidden_size": 8, "changed": True}))
    assert exported_model("m", folder, kind="onnx-int8") != first
    assert len(calls) == 4
    with pytest.raises(ValueError, match="unknown export kind"):
        exported_model("m", folder, kind="tflite")


def test_default_backend_runs_onnx_int8_where_openvino_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ingest.embedding.embedder as embedder_module

    monkeypatch.delenv(BACKEND_ENV, raising=False)
    monkeypatch.setattr(embedder_module, "_openvino_installed", lambda: False)
    kinds: list[str] = []

    def fake_exported_model(model: str, folder: Path, *, kind: str) -> Path:
        kinds.append(kind)
        raise UnsupportedModelError("stop here")

    monkeypatch.setattr("ingest.embedding.onnx_runtime.exported_model", fake_exported_model)
    monkeypatch.setattr(SentenceTransformerEmbedder, "_load_torch", lambda self: "torch model")
    implicit = SentenceTransformerEmbedder()
    assert implicit._load() == "torch model"
    assert kinds == ["onnx-int8"]
    explicit = SentenceTransformerEmbedder(backend="openvino-int8")
    with pytest.raises(InvalidInputError, match="pip install openvino nncf"):
        explicit._load()


@pytest.mark.model
def test_openvino_encoder_serves_threads_one_batch_at_a_time() -> None:
    from concurrent.futures import ThreadPoolExecutor

    embedder = make_embedder(None, backend="openvino-int8")
    serial = [embedder.embed([t]) for t in TEXTS * 3]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda t: embedder.embed([t]), TEXTS * 3))
    np.testing.assert_allclose(np.vstack(parallel), np.vstack(serial), atol=1e-6)


@pytest.mark.model
def test_openvino_keeps_its_compiled_model_and_reuses_it(tmp_path: Path) -> None:
    import shutil

    from ingest.embedding.openvino_runtime import OpenVinoEncoder

    make_embedder(None, backend="openvino-int8").embed(TEXTS[:1])  # the export exists
    from ingest.embedding.embedder import _default_model_path
    from ingest.embedding.onnx_runtime import exported_model

    export = exported_model(DEFAULT_MODEL, Path(_default_model_path()), kind="openvino-int8")
    folder = tmp_path / "export"
    shutil.copytree(export, folder, ignore=shutil.ignore_patterns("compiled"))
    first = OpenVinoEncoder(folder).encode(TEXTS)
    assert any((folder / "compiled").iterdir())
    second = OpenVinoEncoder(folder).encode(TEXTS)
    np.testing.assert_array_equal(first, second)


@pytest.mark.model
@pytest.mark.slow
def test_openvino_export_and_use_write_nothing_under_home(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "DOCQA_MODEL_CACHE": str(tmp_path / "models"),
        "HF_HUB_OFFLINE": "1",
    }
    env.pop("CI", None)
    script = (
        "from ingest.embedding.embedder import make_embedder\n"
        "print(make_embedder(None, backend='openvino-int8').embed(['hello world']).shape)\n"
    )
    for _ in range(2):  # the first run exports, the second only loads
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "(1, 384)" in done.stdout
    assert list(home.rglob("*")) == []
