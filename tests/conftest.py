"""Shared fixtures: a fake-embedder index per test, the real model once per session."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests are an entry point: never reach a hub
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.embedding.factory import make_embedder
from ingest.embedding.protocol import Embedder
from ingest.sync.pipeline import ingest
from tests.support.fakes import FakeEmbedder, register
from tests.support.paths import CORPUS

register()  # indexes the tests build name the fake model; docqa builds it back from that


def pytest_configure(config: pytest.Config) -> None:
    """Never the user's folders: model exports and the default index go to a scratch folder
    of this test session (subprocesses inherit it), removed at the end."""
    scratch = tempfile.mkdtemp(prefix="docqa-tests-")
    config.add_cleanup(lambda: shutil.rmtree(scratch, ignore_errors=True))
    os.environ["DOCQA_MODEL_CACHE"] = os.path.join(scratch, "models")
    os.environ["XDG_DATA_HOME"] = os.path.join(scratch, "data")
    os.environ.pop("DOCQA_INDEX", None)


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    """Deterministic hashed bag-of-words vectors."""
    return FakeEmbedder()


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A private copy of the bundled corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture
def fake_index(tmp_path: Path, corpus_dir: Path, fake_embedder: FakeEmbedder) -> Path:
    """An index of the bundled corpus built with the fake embedder."""
    index = tmp_path / "index"
    ingest([corpus_dir], index=index, embedder=fake_embedder)
    return index


@pytest.fixture(scope="session")
def real_embedder() -> Embedder:
    """The packaged all-MiniLM-L6-v2, loaded once per test session."""
    return make_embedder(None)


@pytest.fixture(scope="session")
def real_index(tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder) -> Iterator[Path]:
    """An index of the bundled corpus built with the real model (once per session)."""
    index = tmp_path_factory.mktemp("real") / "index"
    ingest([CORPUS], index=index, embedder=real_embedder)
    yield index
