"""One Settings object per command, built from flags over the environment and passed down."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.embedding.settings import EmbeddingSettings
from ingest.errors import InvalidInputError
from ingest.index.backend import BackendSettings
from ui.cli import main
from ui.settings import Settings


def test_flags_win_over_the_environment() -> None:
    env = {
        "DOCQA_INDEX": "/env/index",
        "DOCQA_BACKEND": "milvus",
        "DOCQA_MILVUS_URI": "/env/m.db",
        "DOCQA_EMBED_BACKEND": "onnx",
        "DOCQA_EMBED_THREADS": "2",
    }
    from_env = Settings.build(environ=env)
    assert from_env.index == Path("/env/index")
    assert from_env.backend == BackendSettings(kind="milvus", milvus_uri="/env/m.db")
    assert from_env.embedding == EmbeddingSettings(backend="onnx", threads=2)
    flags = Settings.build(index="/flag", backend="faiss", milvus_uri="/flag.db", environ=env)
    assert flags.index == Path("/flag")
    assert flags.backend == BackendSettings(kind="faiss", milvus_uri="/flag.db")
    assert Settings.build(environ={}) == Settings()


def test_a_bad_variable_names_itself() -> None:
    with pytest.raises(InvalidInputError, match="DOCQA_EMBED_THREADS='lots' is not a whole"):
        Settings.build(environ={"DOCQA_EMBED_THREADS": "lots"})
    with pytest.raises(InvalidInputError, match="unknown backend 'postgres'"):
        Settings.build(environ={"DOCQA_BACKEND": "postgres"})


def test_the_cli_turns_a_bad_variable_into_one_line(
    fake_index: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOCQA_EMBED_THREADS", "0")
    assert main(["ask", "Who hosted the summit?", "--index", str(fake_index)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "DOCQA_EMBED_THREADS='0' must be 1 or more" in err


def test_backend_flags_do_not_touch_the_environment(
    fake_index: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DOCQA_BACKEND", raising=False)
    before = dict(os.environ)
    seen: list[dict[str, str]] = []
    import ingest.index.store as store

    real = store.load_version

    def spy(index_dir: str | Path, backend: BackendSettings | None = None) -> store.IndexVersion:
        seen.append(dict(os.environ))
        assert backend == BackendSettings(kind="faiss")
        return real(index_dir, backend)

    monkeypatch.setattr("retrieval.retriever.load_version", spy)
    assert (
        main(["ask", "Who hosted the summit?", "--index", str(fake_index), "--backend", "faiss"])
        == 0
    )
    assert seen and all(env == before for env in seen) and dict(os.environ) == before
