"""One Settings object per command, built from flags over the environment and passed down."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.embedding.settings import EmbeddingSettings, RaySettings
from ingest.errors import InvalidInputError
from ingest.index.backends.settings import BackendSettings
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


def test_ray_is_asked_for_by_ingest_flags_or_variables_only() -> None:
    env = {"DOCQA_RAY": "10.0.0.5:6379", "DOCQA_RAY_WORKERS": "3"}
    assert Settings.build(environ=env).embedding.ray is None  # questions: in-process
    assert Settings.build(for_ingest=True, environ={}).embedding.ray is None
    from_env = Settings.build(for_ingest=True, environ=env).embedding
    assert from_env.ray == RaySettings(address="10.0.0.5:6379", workers=3)
    flags = Settings.build(ray="ray://head:10001", workers=2, for_ingest=True, environ=env)
    assert flags.embedding.ray == RaySettings(address="ray://head:10001", workers=2)
    local = Settings.build(workers=2, for_ingest=True, environ={}).embedding.ray
    assert local == RaySettings(address=None, workers=2)
    assert RaySettings(address="auto").address == "auto"


@pytest.mark.parametrize(
    ("address", "workers", "message"),
    [
        ("http://head:6379", None, "Ray address 'http://head:6379' is not one; use auto"),
        ("head", None, "Ray address 'head' is not one"),
        ("head:0", None, "Ray address 'head:0' is not one"),
        ("head:70000", None, "Ray address 'head:70000' is not one"),
        (None, 0, "--workers 0 must be 1 or more"),
        ("auto", -1, "--workers -1 must be 1 or more"),
    ],
)
def test_a_bad_ray_setting_names_itself(
    address: str | None, workers: int | None, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message.replace("(", r"\(")):
        Settings.build(ray=address, workers=workers, for_ingest=True, environ={})


def test_a_bad_ray_variable_names_itself() -> None:
    with pytest.raises(InvalidInputError, match="DOCQA_RAY_WORKERS='two' is not a whole"):
        Settings.build(for_ingest=True, environ={"DOCQA_RAY_WORKERS": "two"})
    with pytest.raises(InvalidInputError, match="Ray address 'nowhere' is not one"):
        Settings.build(for_ingest=True, environ={"DOCQA_RAY": "nowhere"})


def test_ray_missing_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    with pytest.raises(InvalidInputError, match=r"pip install 'docqa\[ray\]'"):
        Settings.build(workers=2, for_ingest=True, environ={})
    assert Settings.build(environ={"DOCQA_RAY": "auto"}).embedding.ray is None


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--workers", "0"], "--workers 0 must be 1 or more"),
        (["--ray", "http://head"], "Ray address 'http://head' is not one"),
    ],
)
def test_the_cli_turns_a_bad_ray_flag_into_one_line(
    tmp_path: Path, flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "index"
    assert main(["ingest", str(tmp_path), "--index", str(index), *flags]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert not index.exists()


def test_an_unreachable_ray_cluster_is_named_with_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAY_BACKEND_LOG_LEVEL", "fatal")  # what main() sets: undone after
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "note.md").write_text("# Note\n\nA short note to embed.\n", encoding="utf-8")
    index = tmp_path / "index"
    # Port 1 on this machine: nothing listens there, so the connection is refused at once.
    assert main(["ingest", str(docs), "--index", str(index), "--ray", "127.0.0.1:1"]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the Ray cluster at '127.0.0.1:1'" in err and "ray start --head" in err
    assert not (index / "CURRENT").exists()


def test_the_milvus_collection_comes_from_the_flag_over_the_environment() -> None:
    env = {"DOCQA_MILVUS_URI": "http://milvus:19530", "DOCQA_MILVUS_COLLECTION": "shared_docs"}
    assert Settings.build(environ=env).backend.collection == "shared_docs"
    flag = Settings.build(milvus_collection="other_docs", environ=env)
    assert flag.backend.collection == "other_docs"
    assert Settings.build(environ={}).backend.collection is None


def test_the_cli_takes_the_milvus_collection(monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import cli

    seen: list[Settings] = []

    def record(args: object, settings: Settings) -> int:
        seen.append(settings)
        return 0

    monkeypatch.setattr(cli, "cmd_list", record)
    assert cli.main(["list", "--index", "/nowhere", "--milvus-collection", "shared_docs"]) == 0
    assert seen[0].backend.collection == "shared_docs"
