"""The writer lease of an index in Milvus under injected delays (milvus-lite in-process):
a late lease write, renewals that fail past the lease's end, a writer that died. Two writers
are two threads with their own index folders naming one collection, as two machines would."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ingest.index.backends.settings import BackendSettings
from ingest.index.lock import IndexBusyError
from ingest.sync.pipeline import Ingestor
from retrieval.retriever import Retriever
from tests.support.fakes import FakeEmbedder

pytest.importorskip("milvus_lite")
from ingest.index.backends.milvus.connect import check_uri
from ingest.index.backends.milvus.files import MilvusFiles
from ingest.index.backends.milvus.lease import LEASE, Lease, writer_lease
from ingest.index.backends.milvus.store import MilvusStore
from ingest.index.backends.milvus.writing import TEXT_KEYS, files_collection

NOTES = {
    "A": ("owls.md", "# Owls\n\nOwls hunt mice at night. Barn owls swallow prey whole.\n"),
    "B": ("bread.md", "# Bread\n\nSourdough bread rises slowly overnight. Rye bread keeps.\n"),
}


class SlowEmbedder(FakeEmbedder):
    """The fake embedder, whose first call takes ``delay`` seconds: a writer busy embedding."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def embed(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        time.sleep(self.delay)
        self.delay = 0.0
        return super().embed(texts, batch_size=batch_size)


@pytest.fixture(scope="module")
def uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("lease") / "lease.db")


def _milvus(uri: str, collection: str) -> BackendSettings:
    return BackendSettings(kind="milvus", milvus_uri=uri, collection=collection)


def _notes(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for who in names:
        name, text = NOTES[who]
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _race(
    tmp_path: Path,
    uri: str,
    collection: str,
    embedders: dict[str, FakeEmbedder],
    *,
    b_waits_for_a: bool,
) -> dict[str, str]:
    """Writers A and B, each ingesting its own note from its own folder into ``collection``
    (B started once A's lease is in the row, with ``b_waits_for_a``); returns each one's
    outcome ("live" or its error)."""
    outcomes: dict[str, str] = {}

    def write(who: str) -> None:
        folder = _notes(tmp_path / f"notes-{who}", who)
        try:
            writer = Ingestor(
                tmp_path / who, embedder=embedders[who], backend=_milvus(uri, collection)
            )
            writer.run([folder])
            outcomes[who] = "live"
        except Exception as exc:
            outcomes[who] = f"{type(exc).__name__}: {exc}"

    threads = {who: threading.Thread(target=write, args=(who,), name=who) for who in embedders}
    threads["A"].start()
    if b_waits_for_a:
        files = MilvusFiles(uri, files_collection(collection))
        while (row := Lease.parse(files.note(LEASE))) is None or not row.owner:
            time.sleep(0.02)
    threads["B"].start()
    for thread in threads.values():
        thread.join(timeout=120)
    return outcomes


def _live_documents(tmp_path: Path, uri: str, collection: str) -> set[str]:
    reader = Retriever(
        tmp_path / "elsewhere", embedder=FakeEmbedder(), backend=_milvus(uri, collection)
    )
    for name, text in reader.version.documents.items():
        top = reader.answer(text.text.split("\n")[2][:40], k=1).passages[0]
        assert top.doc_id == name and text.text[top.start : top.end] == top.text
    return set(reader.version.documents)


def test_a_late_lease_write_leaves_one_writer_to_switch(
    tmp_path: Path, uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    collection = "late_write"
    MilvusFiles(uri, files_collection(collection))  # as after an earlier write
    both_checked = threading.Barrier(2, timeout=30)
    first_write = {"A", "B"}
    set_note = MilvusFiles.set_note

    def late(self: MilvusFiles, name: str, value: str) -> None:
        who = threading.current_thread().name
        if name == LEASE and who in first_write:
            first_write.discard(who)
            both_checked.wait()  # each writer read the row and found no lease
            if who == "B":
                time.sleep(1.5)  # B's lease write lands 1.5 s after its check
        set_note(self, name, value)

    monkeypatch.setattr(MilvusFiles, "set_note", late)
    # A reads its lease back first and is then busy embedding while B's write lands.
    outcomes = _race(
        tmp_path,
        uri,
        collection,
        {"A": SlowEmbedder(2.5), "B": FakeEmbedder()},
        b_waits_for_a=False,
    )

    switched = sorted(who for who, outcome in outcomes.items() if outcome == "live")
    assert len(switched) == 1, outcomes
    (loser,) = {"A", "B"} - set(switched)
    assert outcomes[loser].startswith("LeaseLostError")
    assert "lost to another writer" in outcomes[loser]
    assert f"collection {collection}" in outcomes[loser]
    assert _live_documents(tmp_path, uri, collection) == {NOTES[switched[0]][0]}
    assert not (tmp_path / loser / "CURRENT").exists()


def test_the_switch_reads_the_lease_back_and_leaves_the_live_version(
    tmp_path: Path, uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    collection = "fenced_switch"
    folder = _notes(tmp_path / "notes", "A")
    writer = Ingestor(tmp_path / "index", embedder=FakeEmbedder(), backend=_milvus(uri, collection))
    writer.run([folder])
    put = MilvusFiles.put
    other = json.dumps({"owner": "other-host:2:y", "expires": time.time() + 60, "token": 99})

    def overtaken(self: MilvusFiles, scope: str, name: str, *args: Any) -> None:
        put(self, scope, name, *args)
        if name == TEXT_KEYS:  # the version's last file: another writer's lease lands
            self.set_note(LEASE, other)

    monkeypatch.setattr(MilvusFiles, "put", overtaken)
    _notes(folder, "B")
    with pytest.raises(IndexBusyError, match="lost to another writer") as refused:
        writer.run([folder])
    assert "making version 000002 live" in str(refused.value)
    assert f"collection {collection}" in str(refused.value)
    files = MilvusFiles(uri, files_collection(collection))
    assert files.pointer() == "000001"
    assert _live_documents(tmp_path, uri, collection) == {"owls.md"}
    assert files.note(LEASE) == other  # not released over the other writer


def test_a_writer_whose_renewals_failed_past_its_end_makes_nothing_live(
    tmp_path: Path, uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    collection = "unrenewed"
    MilvusFiles(uri, files_collection(collection))

    def short_lease(self: MilvusStore) -> AbstractContextManager[object]:
        files = MilvusFiles(check_uri(self.uri), files_collection(self.collection))
        return writer_lease(
            files, timeout=30, lease_seconds=1.5, settle=0.2, on_wait=lambda _: None
        )

    failing: list[str] = []  # writers whose renewals cannot reach Milvus
    set_note = MilvusFiles.set_note

    def unreachable(self: MilvusFiles, name: str, value: str) -> None:
        row = Lease.parse(value)
        renewing = threading.current_thread().name == "docqa-lease"
        if name == LEASE and renewing and row is not None and row.owner in failing:
            raise ConnectionError("Milvus did not answer")
        set_note(self, name, value)

    files = MilvusFiles(uri, files_collection(collection))
    note: Callable[[MilvusFiles, str], str | None] = MilvusFiles.note

    def noting(self: MilvusFiles, name: str) -> str | None:
        value = note(self, name)
        row = Lease.parse(value)
        if threading.current_thread().name == "A" and row and row.owner and not failing:
            failing.append(row.owner)  # from A's own read-back on: A cannot renew
        return value

    monkeypatch.setattr(MilvusStore, "lease", short_lease)
    monkeypatch.setattr(MilvusFiles, "set_note", unreachable)
    monkeypatch.setattr(MilvusFiles, "note", noting)
    # A takes the lease, then embeds for 4 s, three times as long as its lease lasts.
    outcomes = _race(
        tmp_path, uri, collection, {"A": SlowEmbedder(4.0), "B": FakeEmbedder()}, b_waits_for_a=True
    )

    assert outcomes["B"] == "live", outcomes
    assert outcomes["A"].startswith("LeaseLostError"), outcomes
    assert "lost to another writer" in outcomes["A"] and "could not be renewed" in outcomes["A"]
    assert "Milvus did not answer" in outcomes["A"]  # the failed renewals were recorded
    assert _live_documents(tmp_path, uri, collection) == {"bread.md"}
    assert not (tmp_path / "A" / "CURRENT").exists()
    assert Lease.parse(files.note(LEASE)) is not None


def test_a_single_writer_takes_over_a_dead_writers_lease_with_the_next_token(
    tmp_path: Path, uri: str
) -> None:
    collection = "taken_over"
    files = MilvusFiles(uri, files_collection(collection))
    # A writer that died with token 7 left its lease, run out a second ago.
    dead = {"owner": "gone:1:x", "expires": time.time() - 1, "token": 7}
    files.set_note(LEASE, json.dumps(dead))
    folder = _notes(tmp_path / "notes", "A")
    writer = Ingestor(tmp_path / "index", embedder=FakeEmbedder(), backend=_milvus(uri, collection))
    started = time.monotonic()
    writer.run([folder])
    assert time.monotonic() - started < 30
    released = Lease.parse(files.note(LEASE))
    assert released is not None and released.owner != "gone:1:x"
    assert released.token == 8 and not released.live(time.time())
    _notes(folder, "B")
    writer.run([folder])
    again = Lease.parse(files.note(LEASE))
    assert again is not None and again.token == 9
    assert _live_documents(tmp_path, uri, collection) == {"owls.md", "bread.md"}


def test_a_holder_whose_row_another_writer_overwrote_is_told(uri: str) -> None:
    files = MilvusFiles(uri, "overwritten_files")
    with writer_lease(files, lease_seconds=1.2, settle=0.05, on_wait=lambda _: None) as held:
        other = json.dumps({"owner": "other-host:2:y", "expires": time.time() + 60, "token": 5})
        files.set_note(LEASE, other)
        time.sleep(0.6)  # a renewal (every 0.4 s) reads the row
        lost = pytest.raises(IndexBusyError, match=r"lost to another writer.*other-host:2 holds")
        with lost:
            held.check()
    assert files.note(LEASE) == other  # not released over the other writer
