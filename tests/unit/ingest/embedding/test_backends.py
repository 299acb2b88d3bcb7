"""Embedding backends: choice, ONNX export checks, and agreement with the PyTorch model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import numpy as np
import pytest

from ingest.embedding.exports import exported_model
from ingest.embedding.factory import make_embedder
from ingest.embedding.model_files import UnsupportedModelError, read_layout
from ingest.embedding.sentence_transformer import DEFAULT_MODEL, SentenceTransformerEmbedder
from ingest.embedding.settings import (
    BACKENDS,
    DEFAULT_BACKEND,
    EMBED_BACKEND_ENV,
    EMBED_THREADS_ENV,
    MODEL_CACHE_ENV,
    Backend,
    EmbeddingSettings,
)
from ingest.errors import InvalidInputError
from tests.support.paths import CORPUS

TEXTS = [
    "When was the 16th BRICS summit held?",
    "Kazakhstan declined the invitation to become a BRICS partner country.",
    "ok",
    "Vitamin D supplementation reduces the risk of acute respiratory infection. " * 12,
]


def run_on(backend: str) -> EmbeddingSettings:
    return EmbeddingSettings(backend=cast(Backend, backend))


def test_settings_come_from_the_environment_else_the_defaults() -> None:
    default = EmbeddingSettings.from_environment({})
    assert default == EmbeddingSettings() and default.resolved_backend == DEFAULT_BACKEND
    env = {EMBED_BACKEND_ENV: "torch", EMBED_THREADS_ENV: "3", MODEL_CACHE_ENV: "/tmp/m"}
    chosen = EmbeddingSettings.from_environment(env)
    assert chosen == EmbeddingSettings(backend="torch", threads=3, model_cache=Path("/tmp/m"))
    valid = "valid backends are: torch, onnx, onnx-int8, openvino-int8"
    with pytest.raises(InvalidInputError, match=valid):
        EmbeddingSettings.from_environment({EMBED_BACKEND_ENV: "tensorrt"})
    for bad in ("two", "0", "-1", "1.5"):
        with pytest.raises(InvalidInputError, match=f"{EMBED_THREADS_ENV}={bad!r}"):
            EmbeddingSettings.from_environment({EMBED_THREADS_ENV: bad})


def test_the_model_cache_defaults_to_the_user_cache_folder() -> None:
    assert EmbeddingSettings().cache_dir({"XDG_CACHE_HOME": "/c"}) == Path("/c/docqa/models")
    assert EmbeddingSettings(model_cache=Path("/m")).cache_dir({}) == Path("/m")


def test_backends_of_one_model_share_its_id() -> None:
    ids = {SentenceTransformerEmbedder(settings=run_on(b)).model_id for b in BACKENDS}
    assert ids == {DEFAULT_MODEL}
    onnx = make_embedder(None, settings=run_on("onnx"))
    assert onnx is make_embedder(DEFAULT_MODEL, settings=run_on("onnx"))
    assert onnx is not make_embedder(None, settings=run_on("torch"))


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
    folder = _model_folder(tmp_path, ["Transformer", "Pooling", "Dense"], {})
    implicit = SentenceTransformerEmbedder(str(folder))
    explicit = SentenceTransformerEmbedder(str(folder), settings=run_on("onnx-int8"))
    monkeypatch.setattr(SentenceTransformerEmbedder, "_load_torch", lambda self: "torch model")
    assert implicit._load() == "torch model"
    assert implicit.backend == "torch"
    with pytest.raises(UnsupportedModelError):
        explicit._load()


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return make_embedder(None, settings=run_on("torch")).embed(TEXTS)


@pytest.mark.model
@pytest.mark.slow
# Both int8 exports are held to the same floor: static int8 kernels differ with the CPU's
# instruction set, and one sentence measured 0.967 on one machine and 0.99 on another.
@pytest.mark.parametrize(
    ("backend", "min_cosine"), [("onnx", 0.9999), ("onnx-int8", 0.95), ("openvino-int8", 0.95)]
)
def test_exported_backends_reproduce_the_pytorch_vectors(
    torch_vectors: np.ndarray, backend: str, min_cosine: float
) -> None:
    embedder = make_embedder(None, settings=run_on(backend))
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == torch_vectors.shape == (len(TEXTS), embedder.dimension)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    cosine = (vectors * torch_vectors).sum(axis=1)
    assert cosine.min() >= min_cosine


def _article_sentences() -> list[str]:
    """Every sentence of the bundled article of 40 characters or more (46)."""
    from ingest.text.sentences import sentence_spans

    text = (CORPUS / "kazakhstan-brics-refusal.md").read_text(encoding="utf-8")
    return [text[a:b] for a, b in sentence_spans(text) if b - a >= 40]


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["onnx-int8", "openvino-int8"])
def test_int8_vectors_of_real_prose_stay_close_to_full_precision(backend: str) -> None:
    # Padded batches of ordinary sentences, as ingest embeds them. On a CPU with bfloat16
    # units, OpenVINO left to its default precision gave a mean cosine of 0.95 here (min 0.3).
    sentences = _article_sentences()
    reference = make_embedder(None, settings=run_on("torch")).embed(sentences)
    vectors = make_embedder(None, settings=run_on(backend)).embed(sentences, batch_size=16)
    cosine = (vectors * reference).sum(axis=1)
    assert len(sentences) >= 40
    assert cosine.mean() >= 0.99
    assert cosine.min() >= 0.95


@pytest.mark.model
@pytest.mark.slow
def test_length_sorted_batches_keep_the_input_order() -> None:
    embedder = make_embedder(None, settings=run_on("onnx"))
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
    embedder = make_embedder(None, settings=run_on(backend))
    together = embedder.embed(TEXTS, batch_size=3)
    alone = np.vstack([embedder.embed([t]) for t in TEXTS])
    similarity = together @ alone.T
    assert np.diag(similarity).min() >= 0.97
    assert (similarity.argmax(axis=1) == np.arange(len(TEXTS))).all()


def test_exports_are_made_once_and_redone_when_the_model_changes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import ingest.embedding.onnx_export as onnx_export

    cache = tmp_path / "cache"
    folder = _model_folder(tmp_path, ["Transformer", "Pooling"], {"pooling_mode_mean_tokens": True})
    calls: list[Path] = []

    def fake_export(layout: object, target: Path, *, kind: str, source_id: str) -> Path:
        calls.append(target)
        target.mkdir(parents=True)
        (target / "export.json").write_text("{}")
        return target

    monkeypatch.setattr(onnx_export, "export_model", fake_export)
    first = exported_model("m", folder, kind="onnx-int8", cache_dir=cache)
    assert exported_model("m", folder, kind="onnx-int8", cache_dir=cache) == first
    assert len(calls) == 1 and first.parent == tmp_path / "cache"
    assert exported_model("m", folder, kind="onnx", cache_dir=cache) != first
    assert exported_model("m", folder, kind="openvino-int8", cache_dir=cache) != first
    (folder / "config.json").write_text(json.dumps({"hidden_size": 8, "changed": True}))
    assert exported_model("m", folder, kind="onnx-int8", cache_dir=cache) != first
    assert len(calls) == 4
    with pytest.raises(ValueError, match="unknown export kind"):
        exported_model("m", folder, kind="tflite", cache_dir=cache)


def test_default_backend_runs_onnx_int8_where_openvino_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ingest.embedding.sentence_transformer as embedder_module

    monkeypatch.setattr(embedder_module, "_openvino_installed", lambda: False)
    kinds: list[str] = []

    def fake_exported_model(model: str, folder: Path, *, kind: str, cache_dir: Path) -> Path:
        kinds.append(kind)
        raise UnsupportedModelError("stop here")

    monkeypatch.setattr(embedder_module, "exported_model", fake_exported_model)
    monkeypatch.setattr(SentenceTransformerEmbedder, "_load_torch", lambda self: "torch model")
    implicit = SentenceTransformerEmbedder()
    assert implicit._load() == "torch model"
    assert kinds == ["onnx-int8"]
    explicit = SentenceTransformerEmbedder(settings=run_on("openvino-int8"))
    with pytest.raises(InvalidInputError, match="pip install openvino nncf"):
        explicit._load()


@pytest.mark.model
def test_openvino_encoder_serves_threads_one_batch_at_a_time() -> None:
    from concurrent.futures import ThreadPoolExecutor

    embedder = make_embedder(None, settings=run_on("openvino-int8"))
    serial = [embedder.embed([t]) for t in TEXTS * 3]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda t: embedder.embed([t]), TEXTS * 3))
    np.testing.assert_allclose(np.vstack(parallel), np.vstack(serial), atol=1e-6)


def _openvino_export() -> Path:
    """The default model's OpenVINO int8 export (made by a first embedding if missing)."""
    from ingest.embedding.sentence_transformer import _default_model_path

    make_embedder(None, settings=run_on("openvino-int8")).embed(TEXTS[:1])
    return exported_model(
        DEFAULT_MODEL,
        Path(_default_model_path()),
        kind="openvino-int8",
        cache_dir=EmbeddingSettings().cache_dir(),
    )


@pytest.mark.model
def test_openvino_keeps_its_compiled_model_and_reuses_it(tmp_path: Path) -> None:
    import shutil

    from ingest.embedding.openvino_runtime import OpenVinoEncoder

    export = _openvino_export()
    folder = tmp_path / "export"
    shutil.copytree(export, folder, ignore=shutil.ignore_patterns("compiled"))
    first = OpenVinoEncoder(folder).encode(TEXTS)
    assert any((folder / "compiled").iterdir())
    second = OpenVinoEncoder(folder).encode(TEXTS)
    np.testing.assert_array_equal(first, second)


@pytest.mark.model
def test_openvino_on_fewer_threads_leaves_cores_unpinned() -> None:
    """Processes limited to a thread or two (Ray workers) must not all pin to the first
    core; on all cores OpenVINO keeps its own placement."""
    from ingest.embedding.openvino_import import compile_model

    model = next(_openvino_export().glob("*.xml"))
    one = compile_model(model, threads=1)
    assert one.get_property("INFERENCE_NUM_THREADS") == 1  # type: ignore[attr-defined]
    assert one.get_property("ENABLE_CPU_PINNING") is False  # type: ignore[attr-defined]


@pytest.mark.model
def test_openvino_runs_unquantised_layers_in_full_precision() -> None:
    """Never the CPU's bfloat16 default: it moves vectors and the reader's logits."""
    from ingest.embedding.openvino_import import compile_model, import_openvino

    model = next(_openvino_export().glob("*.xml"))
    compiled = compile_model(model)
    hint = compiled.get_property("INFERENCE_PRECISION_HINT")  # type: ignore[attr-defined]
    assert hint == import_openvino().Type.f32


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
        "from ingest.embedding.factory import make_embedder\n"
        "from dataclasses import replace\n"
        "from ingest.embedding.settings import EmbeddingSettings\n"
        "settings = replace(EmbeddingSettings.from_environment(), backend='openvino-int8')\n"
        "print(make_embedder(None, settings=settings).embed(['hello world']).shape)\n"
    )
    for _ in range(2):  # the first run exports, the second only loads
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "(1, 384)" in done.stdout
    assert list(home.rglob("*")) == []
