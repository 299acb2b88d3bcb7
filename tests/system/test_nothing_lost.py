"""Nothing lost, nothing surprising: same-name files, the first run, where the index is, CLI
conventions."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from ingest.embedding.exports import exported_model
from ingest.index.store import current_version_path, read_manifest
from ingest.sync.pipeline import ingest
from retrieval.api import default_index_dir
from tests.support.fakes import FakeEmbedder
from ui.cli import main
from ui.uploads import ingest_uploads

FAKE = ["--model", "fake-hashing-256"]


def _notes(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notes.md").write_text(f"# Notes\n\n{text}\n", encoding="utf-8")
    return folder


def _documents(index: Path) -> dict[str, str]:
    manifest = read_manifest(current_version_path(index))
    return {d: str(info["source"]) for d, info in manifest.documents.items()}


def test_two_folders_with_the_same_file_name_keep_both_under_stable_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _notes(tmp_path / "a", "Otters eat crabs.")
    b = _notes(tmp_path / "b", "Herons eat frogs.")
    index = str(tmp_path / "index")
    assert main(["ingest", str(a), str(b), "--index", index, *FAKE, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert sorted(report["added"]) == ["b/notes.md", "notes.md"]
    assert report["renamed"] == [[str(b / "notes.md"), "b/notes.md"]]
    documents = _documents(Path(index))
    assert documents == {"notes.md": str(a / "notes.md"), "b/notes.md": str(b / "notes.md")}
    # Given the other way round, each file keeps the id it has: nothing moves.
    assert main(["ingest", str(b), str(a), "--index", index, "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["added"] == [] and sorted(again["unchanged"]) == ["b/notes.md", "notes.md"]
    assert _documents(Path(index)) == documents


def test_two_files_of_one_name_given_directly_are_both_indexed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _notes(tmp_path / "x" / "a", "Otters eat crabs.") / "notes.md"
    b = _notes(tmp_path / "y" / "a", "Herons eat frogs.") / "notes.md"
    index = str(tmp_path / "index")
    assert main(["ingest", str(a), str(b), "--index", index, *FAKE]) == 0
    captured = capsys.readouterr()
    assert "2 added" in captured.out
    assert f"{b} is indexed as 'a/notes.md': another file has its name" in captured.err
    assert set(_documents(Path(index))) == {"notes.md", "a/notes.md"}


def test_a_file_moved_to_another_folder_keeps_its_id(tmp_path: Path) -> None:
    a = _notes(tmp_path / "a", "Otters eat crabs.")
    index = tmp_path / "index"
    ingest([a / "notes.md"], index=index, embedder=FakeEmbedder())
    moved = tmp_path / "b"
    moved.mkdir()
    shutil.move(a / "notes.md", moved / "notes.md")
    report = ingest([moved / "notes.md"], index=index, embedder=FakeEmbedder())
    assert report.added == () and report.renamed == ()
    assert _documents(index) == {"notes.md": str(moved / "notes.md")}


def test_an_upload_named_like_another_document_is_added_beside_it(
    tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    folder = _notes(tmp_path / "mine", "Otters eat crabs.")
    index = tmp_path / "index"
    ingest([folder], index=index, embedder=fake_embedder)
    upload = _notes(tmp_path / "upload", "Herons eat frogs.") / "notes.md"
    (outcome,) = ingest_uploads([upload], index, max_bytes=10_000, embedder=fake_embedder)
    assert (outcome.name, outcome.status) == ("uploads/notes.md", "added")
    assert set(_documents(index)) == {"notes.md", "uploads/notes.md"}
    # The same name uploaded again replaces that upload, and says so.
    upload.write_text("# Notes\n\nHerons eat fish too.\n", encoding="utf-8")
    (again,) = ingest_uploads([upload], index, max_bytes=10_000, embedder=fake_embedder)
    assert (again.name, again.status) == ("uploads/notes.md", "updated")
    assert set(_documents(index)) == {"notes.md", "uploads/notes.md"}


def test_the_default_index_is_the_users_wherever_a_command_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOCQA_INDEX", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    assert default_index_dir() == tmp_path / "data" / "docqa" / "index"
    monkeypatch.setenv("DOCQA_INDEX", str(tmp_path / "mine"))
    assert default_index_dir() == tmp_path / "mine"


def test_commands_say_which_index_they_use(
    fake_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ask", "Who hosted the summit?", "--index", str(fake_index)]) == 0
    assert capsys.readouterr().out.rstrip().endswith(f"index: {fake_index}")
    assert main(["list", "--index", str(fake_index)]) == 0
    assert f"index: {fake_index}" in capsys.readouterr().out


def test_the_first_run_says_it_builds_the_default_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import ui.cli

    monkeypatch.delenv("DOCQA_INDEX", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    built: list[Path] = []

    def fake_ensure(index_dir: Path, **kwargs: object) -> None:
        logging.getLogger("docqa").info("no index at %s yet: building it", index_dir)
        built.append(index_dir)
        raise SystemExit(0)

    monkeypatch.setattr("retrieval.api.ensure_default_index", fake_ensure)
    with pytest.raises(SystemExit):
        ui.cli.main(["ask", "Who hosted the summit?"])
    assert built == [tmp_path / "data" / "docqa" / "index"]
    assert "docqa: no index at" in capsys.readouterr().err


def test_the_one_time_model_export_is_announced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import ingest.embedding.onnx_export as onnx_export

    folder = tmp_path / "model"
    (folder / "1_Pooling").mkdir(parents=True)
    entries = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {
            "idx": 1,
            "name": "1",
            "path": "1_Pooling",
            "type": "sentence_transformers.models.Pooling",
        },
    ]
    (folder / "modules.json").write_text(json.dumps(entries))
    (folder / "1_Pooling" / "config.json").write_text('{"pooling_mode_mean_tokens": true}')
    (folder / "config.json").write_text('{"hidden_size": 8}')

    def fake_export(layout: object, target: Path, *, kind: str, source_id: str) -> Path:
        target.mkdir(parents=True)
        (target / "export.json").write_text("{}")
        return target

    monkeypatch.setattr(onnx_export, "export_model", fake_export)
    with caplog.at_level(logging.INFO, logger="docqa"):
        exported_model("m", folder, kind="onnx", cache_dir=tmp_path / "cache")
        exported_model("m", folder, kind="onnx", cache_dir=tmp_path / "cache")
    announced = [r.getMessage() for r in caplog.records if r.name == "docqa"]
    assert len(announced) == 1 and "preparing the embedding model m" in announced[0]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("docqa ")


def test_a_damaged_index_fails_with_exit_1_and_a_fix_naming_it(
    fake_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (current_version_path(fake_index) / "chunk_sections.npy").write_bytes(b"not numpy")
    assert main(["ask", "Who hosted the summit?", "--index", str(fake_index)]) == 1
    err = capsys.readouterr().err
    assert f"docqa ingest PATH --rebuild --index {fake_index}" in err


def test_milvus_uri_names_the_index_s_milvus_for_migrate_too(
    fake_index: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ingest.index.backends.settings import BackendSettings

    calls: list[tuple[BackendSettings, BackendSettings | None]] = []

    def spy(
        index_dir: Path,
        to: BackendSettings,
        *,
        source: BackendSettings | None = None,
        **kwargs: object,
    ) -> object:
        calls.append((to, source))
        raise SystemExit(0)

    monkeypatch.setattr("ingest.sync.migrate.migrate", spy)
    for to in ("milvus", "faiss"):
        with pytest.raises(SystemExit):
            main(["migrate", "--to", to, "--index", str(fake_index), "--milvus-uri", "m.db"])
    assert calls == [
        (BackendSettings(kind="milvus", milvus_uri="m.db"), BackendSettings()),
        (BackendSettings(kind="faiss"), BackendSettings(milvus_uri="m.db")),
    ]
