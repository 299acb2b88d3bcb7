"""The version-store protocol, held by local files and by Milvus (milvus-lite, in-process):
name the next version, write, open, live version, collect, writer guard, lease, drop."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ingest.index.backends.factory import reader_settings, recorded_store, version_store
from ingest.index.backends.files import FileStore
from ingest.index.backends.protocol import VersionStore
from ingest.index.backends.settings import BackendSettings
from ingest.index.store import current_version_path, load_version
from ingest.sync.pipeline import Ingestor
from tests.support.fakes import FakeEmbedder

pytest.importorskip("milvus_lite")

NOTES = {
    "owls.md": "# Owls\n\nOwls hunt mice at night. Barn owls swallow prey whole.\n",
    "bread.md": "# Bread\n\nSourdough bread rises slowly overnight. Rye bread keeps well.\n",
}


@pytest.fixture(scope="module")
def milvus_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("stores") / "stores.db")


@pytest.fixture(params=["faiss", "milvus"])
def settings(request: pytest.FixtureRequest, milvus_file: str, tmp_path: Path) -> BackendSettings:
    if request.param == "faiss":
        return BackendSettings(kind="faiss")
    return BackendSettings(kind="milvus", milvus_uri=milvus_file, collection=tmp_path.name[-30:])


def _write(index: Path, settings: BackendSettings, notes: dict[str, str]) -> None:
    folder = index.parent / "notes"
    folder.mkdir(exist_ok=True)
    for name, text in notes.items():
        (folder / name).write_text(text, encoding="utf-8")
    Ingestor(index, embedder=FakeEmbedder(), backend=settings).run([folder])


def test_the_factory_chooses_the_store_asked_for(tmp_path: Path, settings: BackendSettings) -> None:
    store = version_store(tmp_path / "index", settings, None)
    assert store.kind == settings.kind
    assert (store.place is None) == (settings.kind == "faiss")
    assert store == version_store(tmp_path / "index", settings, None)


def test_write_open_and_name_versions(tmp_path: Path, settings: BackendSettings) -> None:
    index = tmp_path / "index"
    _write(index, settings, NOTES)
    live = current_version_path(index)
    assert live.name == "000001"
    store: VersionStore = recorded_store(index, live, BackendSettings())
    assert store.kind == settings.kind
    assert store.next_name([1]) == "000002"
    version = store.open(live, load_version(index).manifest, None)
    assert set(version.documents) == set(NOTES)
    assert version.dense.size == len(version.chunks) == version.sparse.size
    assert version.section_sparse.scores("sourdough bread").argmax() >= 0
    query = FakeEmbedder().embed(["owls hunt mice"])[0]
    _, rows = version.dense.search(query, 1)
    assert version.chunks[int(rows[0])].doc_id == "owls.md"


def test_the_live_version_and_its_readers(tmp_path: Path, settings: BackendSettings) -> None:
    index = tmp_path / "index"
    _write(index, settings, NOTES)
    store = version_store(index, settings, current_version_path(index))
    elsewhere = reader_settings(current_version_path(index))
    if store.place is None:
        assert store.live() == "000001" and elsewhere is None
    else:
        assert store.live() == "000001" and elsewhere is not None
        name, manifest = store.read_live(tmp_path / "other")
        assert name == "000001" and set(manifest.documents) == set(NOTES)
        assert store.stamp(name) == ("milvus", settings.collection, name)
        remote = load_version(tmp_path / "other", elsewhere)
        assert set(remote.documents) == set(NOTES)


def test_collect_keeps_the_live_version_and_the_one_before(
    tmp_path: Path, settings: BackendSettings
) -> None:
    index = tmp_path / "index"
    _write(index, settings, NOTES)
    _write(index, settings, {**NOTES, "cakes.md": "# Cakes\n\nSponge cakes need eggs.\n"})
    (index.parent / "notes" / "cakes.md").unlink()
    Ingestor(index, embedder=FakeEmbedder(), backend=settings).run(
        [index.parent / "notes"], prune=True
    )
    assert sorted(p.name for p in (index / "versions").iterdir()) == ["000002", "000003"]
    version = load_version(index)
    assert set(version.documents) == set(NOTES)
    query = FakeEmbedder().embed(["sponge cakes eggs"])[0]
    _, rows = version.dense.search(query, 10)
    assert all(version.chunks[int(r)].doc_id != "cakes.md" for r in rows)


def test_writer_guard_lease_and_drop(tmp_path: Path, settings: BackendSettings) -> None:
    index = tmp_path / "index"
    _write(index, settings, NOTES)
    live = current_version_path(index)
    store = version_store(index, settings, live)
    with store.writer_guard(index, live) as followed:
        assert followed is None  # the folder is the latest writer already
    with store.lease():
        pass
    dropped = store.drop()
    assert bool(dropped) == (store.place is not None)
    if store.place is not None:
        with pytest.raises(Exception):  # noqa: B017 - the collections are gone
            load_version(index)


def test_a_local_store_writes_what_it_opens(tmp_path: Path) -> None:
    index = tmp_path / "index"
    _write(index, BackendSettings(kind="faiss"), NOTES)
    store = FileStore(index)
    live = current_version_path(index)
    assert store.stamp(live.name) is not None and store.stamp(None) is None
    assert {"dense.faiss", "sparse", "section_sparse"} <= {p.name for p in live.iterdir()}
    version = store.open(live, load_version(index).manifest, None)
    assert np.allclose(version.dense.vectors(), load_version(index).dense.vectors())
