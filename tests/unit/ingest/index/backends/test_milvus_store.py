"""An index held in Milvus whole: no local state but the manifest, readers elsewhere, versions,
migration both ways with clean-up. A milvus-lite server process serves it over gRPC, as a
Milvus server would, so several docqa processes share one index."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.index.backends.settings import BackendSettings
from ingest.index.lock import IndexBusyError
from ingest.index.store import current_name, current_version_path, load_version
from ingest.sync.pipeline import Ingestor
from ingest.sync.reports import IngestReport
from retrieval.retriever import Retriever
from tests.support.fakes import FakeEmbedder
from tests.support.paths import ROOT

pytest.importorskip("milvus_lite")
from ingest.index.backends.milvus.connect import connect
from ingest.index.backends.milvus.files import TEXT_SCOPE, MilvusFiles
from ingest.index.backends.milvus.lease import LEASE, Lease, writer_lease
from ingest.index.backends.milvus.store import drop_collections as drop
from ingest.index.backends.milvus.writing import files_collection

NOTES = {
    "owls.md": "# Owls\n\nOwls hunt mice at night. Barn owls swallow prey whole.\n",
    "boats.md": "# Boats\n\nThe ferry crosses the harbour every hour. Sailing boats wait.\n",
    "bread.md": "# Bread\n\nSourdough bread rises slowly overnight. Rye bread keeps well.\n",
}
QUESTIONS = ["When was the 16th BRICS summit held?", "What does the article say about Russia?"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A milvus-lite server in its own process: ``http://127.0.0.1:PORT``."""
    port = _free_port()
    data = tmp_path_factory.mktemp("milvus-server")
    command = [sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(data)]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        else:
            pytest.fail("the milvus-lite server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def _notes(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in NOTES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _milvus(uri: str, collection: str | None = None) -> BackendSettings:
    return BackendSettings(kind="milvus", milvus_uri=uri, collection=collection)


def _prefix(index: Path) -> str:
    return str(json.loads((current_version_path(index) / "backend.json").read_text())["collection"])


def _cited(retriever: Retriever, question: str) -> list[tuple[object, ...]]:
    answer = retriever.answer(question, k=5)
    docs = retriever.version.documents
    assert all(docs[p.doc_id].text[p.start : p.end] == p.text for p in answer.passages)
    return [(p.doc_id, p.start, p.end, p.highlights, round(p.score, 5)) for p in answer.passages]


def test_the_local_folder_keeps_only_the_manifest(
    tmp_path: Path, corpus_dir: Path, server: str
) -> None:
    index = tmp_path / "index"
    embedder = FakeEmbedder()
    Ingestor(index, embedder=embedder, backend=_milvus(server)).run([corpus_dir])
    version = current_version_path(index)
    assert sorted(p.name for p in version.iterdir()) == ["backend.json", "manifest.json"]
    assert {p.name for p in (index / "versions").iterdir()} == {version.name}

    Ingestor(tmp_path / "faiss", embedder=embedder).run([corpus_dir])
    faiss = Retriever(tmp_path / "faiss", embedder=embedder)
    here = Retriever(index, embedder=embedder)
    # Elsewhere: an empty folder, the same URI and collection.
    elsewhere = Retriever(
        tmp_path / "elsewhere", embedder=embedder, backend=_milvus(server, _prefix(index))
    )
    assert not (tmp_path / "elsewhere").exists()
    assert elsewhere.version.unit_dense.kind.startswith("milvus")
    for question in QUESTIONS:
        want = _cited(faiss, question)
        assert _cited(here, question) == want
        assert _cited(elsewhere, question) == want


def test_a_second_process_reads_what_the_first_wrote(tmp_path: Path, server: str) -> None:
    folder = _notes(tmp_path / "notes")
    common = (
        "import sys; from pathlib import Path; from tests.support.fakes import FakeEmbedder; "
        "from ingest.index.backends.settings import BackendSettings as B; "
        "from ingest.sync.pipeline import Ingestor; from retrieval.retriever import Retriever; "
    )
    write = (
        "Ingestor(Path(sys.argv[1]), embedder=FakeEmbedder(), "
        "backend=B('milvus', sys.argv[3], 'shared_notes')).run([sys.argv[2]])"
    )
    read = (
        "a = Retriever(sys.argv[1], embedder=FakeEmbedder(), "
        "backend=B('milvus', sys.argv[3], 'shared_notes')).answer('sourdough bread', k=1); "
        "p = a.passages[0]; print(p.doc_id, p.start, p.end, p.highlights)"
    )
    outputs = []
    for script, index in ((write, tmp_path / "writer"), (read, tmp_path / "reader")):
        done = subprocess.run(
            [sys.executable, "-c", common + script, str(index), str(folder), server],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=180,
            check=False,
            env={**os.environ, "DOCQA_BACKEND": ""},
        )
        assert done.returncode == 0, done.stderr[-2000:]
        outputs.append(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "")
    assert not (tmp_path / "reader").exists()
    here = Retriever(tmp_path / "writer", embedder=FakeEmbedder())
    top = here.answer("sourdough bread", k=1).passages[0]
    assert outputs[1] == f"{top.doc_id} {top.start} {top.end} {top.highlights}"


def test_readers_elsewhere_follow_new_versions(tmp_path: Path, server: str) -> None:
    folder, index = _notes(tmp_path / "notes"), tmp_path / "index"
    embedder = FakeEmbedder()
    writer = Ingestor(index, embedder=embedder, backend=_milvus(server, "followed"))
    writer.run([folder])
    reader = Retriever(tmp_path / "remote", embedder=embedder, backend=_milvus(server, "followed"))
    assert not reader.is_stale()
    (folder / "cakes.md").write_text("# Cakes\n\nSponge cakes need eggs and flour.\n")
    writer.run([folder])
    # The old version is still whole for the reader that holds it...
    old = reader.answer("sourdough bread", k=1).passages[0]
    assert old.doc_id == "bread.md"
    assert reader.is_stale()
    fresh = Retriever(tmp_path / "remote", embedder=embedder, backend=_milvus(server, "followed"))
    assert fresh.answer("sponge cakes eggs", k=1).passages[0].doc_id == "cakes.md"
    # ...and after two more writes only the live version and the one before remain.
    writer.remove(["owls.md"])
    writer.remove(["boats.md"])
    files = MilvusFiles(server, "followed_files", create=False)
    scopes = {scope for scope, _ in files.names()} - {TEXT_SCOPE}
    live = current_version_path(index).name
    assert scopes == {live, f"{int(live) - 1:06d}"}
    assert {n for _, n in files.names(TEXT_SCOPE)} == set(
        json.loads(files.get(f"{int(live) - 1:06d}", "text_keys.json"))
    )  # the older version holds bread and cakes; the live one a subset
    units = load_version(index, BackendSettings())
    held = connect(server).query("followed_units", filter="", output_fields=["count(*)"])
    assert held[0]["count(*)"] >= len(units.units)


def test_migrate_both_ways_cleans_up(tmp_path: Path, corpus_dir: Path, server: str) -> None:
    index = tmp_path / "index"
    embedder = FakeEmbedder()
    Ingestor(index, embedder=embedder).run([corpus_dir])
    want = _cited(Retriever(index, embedder=embedder), QUESTIONS[0])
    moved = Ingestor(index, embedder=embedder).migrate(_milvus(server, "moving"))
    assert moved.chunks_embedded == 0 and moved.sentences_embedded == 0
    (only,) = list((index / "versions").iterdir())
    assert sorted(p.name for p in only.iterdir()) == ["backend.json", "manifest.json"]
    assert _cited(Retriever(index, embedder=embedder), QUESTIONS[0]) == want
    client = connect(server)
    names = ["moving", "moving_units", "moving_sections", "moving_files"]
    assert all(client.has_collection(n) for n in names)

    back = Ingestor(index, embedder=embedder).migrate(BackendSettings(kind="faiss"))
    assert back.chunks_embedded == 0 and back.sentences_embedded == 0
    assert not any(client.has_collection(n) for n in names)
    (only,) = list((index / "versions").iterdir())
    assert (only / "dense.faiss").is_file() and (only / "units.faiss").is_file()
    assert _cited(Retriever(index, embedder=embedder), QUESTIONS[0]) == want


def test_a_move_waits_for_a_writer_on_another_machine(
    tmp_path: Path, corpus_dir: Path, server: str, capfd: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "index"
    embedder = FakeEmbedder()
    Ingestor(index, embedder=embedder).run([corpus_dir])
    before = current_name(index)
    moved: list[IngestReport] = []
    # Another machine is writing the index held in the collection the move goes to.
    with writer_lease(MilvusFiles(server, files_collection("awaited")), settle=0.1):
        mover = threading.Thread(
            target=lambda: moved.append(
                Ingestor(index, embedder=embedder).migrate(_milvus(server, "awaited"))
            )
        )
        mover.start()
        mover.join(timeout=4.0)
        assert mover.is_alive() and current_name(index) == before  # waiting, nothing written
    mover.join(timeout=120)
    assert moved and current_name(index) != before
    assert "waiting for another writer on Milvus" in capfd.readouterr().err
    # Moving away drops the collection, lease row and all, while the move holds the lease.
    Ingestor(index, embedder=embedder).migrate(BackendSettings(kind="faiss"))
    assert not connect(server).has_collection(files_collection("awaited"))


def test_a_writer_on_another_machine_starts_from_the_index_in_milvus(
    tmp_path: Path, server: str
) -> None:
    first, second = _notes(tmp_path / "first"), tmp_path / "second"
    second.mkdir()
    (second / "cakes.md").write_text("# Cakes\n\nSponge cakes need eggs and flour.\n")
    embedder = FakeEmbedder()
    Ingestor(tmp_path / "a", embedder=embedder, backend=_milvus(server, "two_writers")).run([first])
    # Another folder (another machine) naming the same collection adds to the index...
    elsewhere = Ingestor(tmp_path / "b", embedder=embedder, backend=_milvus(server, "two_writers"))
    report = elsewhere.run([second])
    assert report.chunks_embedded == 1
    remote = Retriever(tmp_path / "c", embedder=embedder, backend=_milvus(server, "two_writers"))
    assert set(remote.version.documents) == {*NOTES, "cakes.md"}
    # ...and the first folder's next write follows it rather than dropping cakes.md.
    (first / "owls.md").write_text(NOTES["owls.md"] + "\nSnowy owls nest on tundra.\n")
    Ingestor(tmp_path / "a", embedder=embedder, backend=_milvus(server, "two_writers")).run(
        [first / "owls.md"]
    )
    latest = Retriever(tmp_path / "c", embedder=embedder, backend=_milvus(server, "two_writers"))
    assert set(latest.version.documents) == {*NOTES, "cakes.md"}
    assert "tundra" in latest.version.documents["owls.md"].text
    assert current_version_path(tmp_path / "a").name == latest.version.path.name
    # A removal from a folder that never wrote reaches the index too.
    Ingestor(tmp_path / "d", embedder=embedder, backend=_milvus(server, "two_writers")).remove(
        ["boats.md"]
    )
    after = Retriever(tmp_path / "c", embedder=embedder, backend=_milvus(server, "two_writers"))
    assert set(after.version.documents) == {"owls.md", "bread.md", "cakes.md"}


def test_one_writer_at_a_time_across_machines(server: str) -> None:
    files = MilvusFiles(server, "leased_files")
    with writer_lease(files, settle=0.2) as held:
        assert Lease.parse(files.note(LEASE)) is not None
        waited: list[str] = []
        busy = pytest.raises(IndexBusyError, match="is writing the index")
        with busy, writer_lease(files, timeout=0.5, settle=0.2, on_wait=waited.append):
            pass  # pragma: no cover - never entered
        assert len(waited) == 1 and held.owner.rsplit(":", 1)[0] in waited[0]
    released = Lease.parse(files.note(LEASE))
    assert released is not None and not released.live(time.time())  # run out, token kept
    # A writer that died leaves a lease that runs out; the next writer takes it over.
    files.set_note(LEASE, Lease("gone:1:x", time.time() - 1).dump())
    with writer_lease(files, timeout=5, settle=0.2) as taken:
        assert taken.owner != "gone:1:x"


def test_writers_racing_for_the_lease_take_turns(server: str) -> None:
    files = MilvusFiles(server, "raced_files")
    inside, overlaps, entered = [0], [0], [0]
    guard = threading.Lock()

    def write() -> None:
        with writer_lease(files, timeout=60, settle=0.3, on_wait=lambda _: None):
            with guard:
                inside[0] += 1
                entered[0] += 1
                overlaps[0] += inside[0] > 1
            time.sleep(0.3)
            with guard:
                inside[0] -= 1

    threads = [threading.Thread(target=write) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert entered[0] == 3 and overlaps[0] == 0


def test_a_working_writer_keeps_its_lease(server: str) -> None:
    files = MilvusFiles(server, "renewed_files")
    with writer_lease(files, lease_seconds=0.9, settle=0.1):
        time.sleep(2.0)  # more than twice the lease's life: renewed meanwhile
        held = Lease.parse(files.note(LEASE))
        assert held is not None and held.expires > time.time()
        busy = pytest.raises(IndexBusyError)
        with busy, writer_lease(files, timeout=0.2, settle=0.1, on_wait=lambda _: None):
            pass  # pragma: no cover - never entered


def test_a_write_after_the_collections_were_dropped_starts_afresh(
    tmp_path: Path, server: str
) -> None:
    folder, index = _notes(tmp_path / "notes"), tmp_path / "index"
    embedder = FakeEmbedder()
    Ingestor(index, embedder=embedder, backend=_milvus(server, "dropped")).run([folder])
    assert drop(server, "dropped")  # the version before the next one loses its files
    report = Ingestor(index, embedder=embedder, backend=_milvus(server, "dropped")).run(
        [folder], rebuild=True
    )
    assert report.n_chunks == 3
    remote = Retriever(
        tmp_path / "elsewhere", embedder=embedder, backend=_milvus(server, "dropped")
    )
    assert remote.answer("sourdough bread", k=1).passages[0].doc_id == "bread.md"
