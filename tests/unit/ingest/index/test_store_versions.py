"""Index versions: readers see one consistent version, old ones are collected safely."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

import ingest.index.store
from ingest.embedding.cache import MAX_SHARDS, EmbeddingCache
from ingest.errors import IndexMismatchError
from ingest.formats.document import Document, Section
from ingest.index.store import current_version_path, load_version
from ingest.sync.pipeline import Ingestor
from retrieval.api import get_retriever
from tests.support.fakes import FakeEmbedder


def _docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir(exist_ok=True)
    (folder / "owls.md").write_text("# Owls\n\nOwls hunt mice at night in the barn.\n")
    (folder / "bees.md").write_text("# Bees\n\nBees carry pollen between the orchard trees.\n")
    return folder


def _ingest(index: Path, *paths: Path, prune: bool = False) -> None:
    Ingestor(index, embedder=FakeEmbedder()).run(list(paths), prune=prune)


def test_readers_keep_their_version_and_reload_when_current_moves(tmp_path: Path) -> None:
    index, folder = tmp_path / "index", _docs(tmp_path)
    _ingest(index, folder)
    old = get_retriever(index)
    assert get_retriever(index) is old
    (folder / "frogs.md").write_text("# Frogs\n\nFrogs sing in the pond after rain.\n")
    _ingest(index, folder)
    for _ in range(3):  # the first version's folder is collected meanwhile
        (folder / "frogs.md").write_text((folder / "frogs.md").read_text() + "\nMore.\n")
        _ingest(index, folder)
    assert not old.version.path.exists()
    answer = old.answer("Which animal sings in the pond?", k=5)
    assert answer.passages and all(p.doc_id != "frogs.md" for p in answer.passages)
    new = get_retriever(index)
    assert new is not old and new.version.path == current_version_path(index)
    assert new.answer("Which animal sings in the pond after rain?", k=1).passages[0].doc_id == (
        "frogs.md"
    )


def test_only_the_live_and_the_previous_version_are_kept(tmp_path: Path) -> None:
    index, folder = tmp_path / "index", _docs(tmp_path)
    _ingest(index, folder)
    versions = index / "versions"
    (versions / ".000077.staging").mkdir()  # left by a killed writer
    for n in range(4):
        (folder / "owls.md").write_text(f"# Owls\n\nOwls hunt {n} mice at night.\n")
        _ingest(index, folder)
    assert sorted(p.name for p in versions.iterdir()) == ["000004", "000005"]
    assert current_version_path(index).name == "000005"


def test_a_reader_whose_version_is_collected_mid_load_starts_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index, folder = tmp_path / "index", _docs(tmp_path)
    _ingest(index, folder)
    real = ingest.index.store.read_manifest
    raced: list[Path] = []

    def racing_read_manifest(version: Path) -> ingest.index.store.Manifest:
        if not raced:  # two writers finish between reading CURRENT and the files
            raced.append(version)
            for n in range(2):
                (folder / "bees.md").write_text(f"# Bees\n\nBees visit {n} flowers.\n")
                _ingest(index, folder)
        return real(version)

    monkeypatch.setattr(ingest.index.store, "read_manifest", racing_read_manifest)
    version = load_version(index)
    assert raced and not raced[0].exists()
    assert version.path == current_version_path(index)
    assert "1 flowers" in version.documents["bees.md"].text


def test_a_writer_dying_before_the_switch_leaves_the_old_version_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index, folder = tmp_path / "index", _docs(tmp_path)
    _ingest(index, folder)
    live = current_version_path(index)
    (folder / "owls.md").write_text("# Owls\n\nOwls sleep all day long.\n")
    real_replace = os.replace

    def dying_replace(src: str | Path, dst: str | Path) -> None:
        if Path(dst).name == "CURRENT":
            raise KeyboardInterrupt("killed")
        real_replace(src, dst)

    monkeypatch.setattr(ingest.index.store.os, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        _ingest(index, folder)
    monkeypatch.setattr(ingest.index.store.os, "replace", real_replace)
    assert current_version_path(index) == live
    assert "hunt mice" in load_version(index).documents["owls.md"].text
    report = Ingestor(index, embedder=FakeEmbedder()).run([folder])
    assert report.updated == ("owls.md",) and report.chunks_embedded == 0  # cached before
    assert "sleep all day" in load_version(index).documents["owls.md"].text


def test_cache_ignores_a_half_written_shard(tmp_path: Path) -> None:
    embedder = FakeEmbedder(8)
    cache = EmbeddingCache(tmp_path, embedder.model_id, 8)
    vectors, n = cache.embed_with_cache(["one", "two"], embedder.embed)
    assert n == 2
    shard = next(cache.folder.glob("*.npy"))
    (cache.folder / "000002.npy").write_bytes(shard.read_bytes())  # keys never written
    (cache.folder / "000003.json").write_text('["broken"')  # damaged keys
    fresh = EmbeddingCache(tmp_path, embedder.model_id, 8)
    again, n = fresh.embed_with_cache(["one", "two", "three"], embedder.embed)
    assert n == 1 and np.allclose(again[:2], vectors)
    assert np.allclose(again[2], embedder.embed(["three"])[0])


def test_many_small_cache_shards_are_merged(tmp_path: Path) -> None:
    embedder = FakeEmbedder(8)
    cache = EmbeddingCache(tmp_path, embedder.model_id, 8)
    for n in range(MAX_SHARDS + 3):
        cache.embed_with_cache([f"text {n}"], embedder.embed)
    # merged into one when the 33rd shard came, then two more were added
    assert len(list(cache.folder.glob("*.json"))) == 3
    assert not list(cache.folder.glob(".*"))
    fresh = EmbeddingCache(tmp_path, embedder.model_id, 8)
    texts = [f"text {n}" for n in range(MAX_SHARDS + 3)]
    vectors, embedded = fresh.embed_with_cache(texts, embedder.embed)
    assert embedded == 0 and np.allclose(vectors, embedder.embed(texts))


def test_an_older_format_is_refused_and_rebuilt(tmp_path: Path) -> None:
    index, folder = tmp_path / "index", _docs(tmp_path)
    _ingest(index, folder)
    version = current_version_path(index)
    manifest = json.loads((version / "manifest.json").read_text())
    manifest["format_version"] = 2  # before sentence units and section BM25
    (version / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        load_version(index)
    Ingestor(index, embedder=FakeEmbedder()).run([folder], rebuild=True)
    assert load_version(index).units is not None


def test_texts_keep_carriage_returns_and_offsets(tmp_path: Path) -> None:
    index = tmp_path / "index"
    doc = Document(
        "cr.txt", "cr", "cr.txt", "txt", "Line one.\r\rLine two.\r\n", (Section((), 0, 20),)
    )
    Ingestor(index, embedder=FakeEmbedder()).sync_documents([doc])
    loaded = load_version(index).documents["cr.txt"]
    assert loaded.text == doc.text
