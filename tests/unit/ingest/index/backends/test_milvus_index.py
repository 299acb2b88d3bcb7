"""docqa over Milvus (milvus-lite in-process): same answers as FAISS, sync, migrate, CLI."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from ingest.errors import IndexMismatchError, InvalidInputError
from ingest.index.backends.settings import BackendSettings
from ingest.index.store import current_version_path, load_version
from ingest.sync.pipeline import Ingestor
from retrieval.retriever import Retriever
from tests.support.fakes import FakeEmbedder
from tests.support.paths import ROOT

pytest.importorskip("milvus_lite")
from ingest.index.backends.milvus.chunks import ChunkCollection

QUESTIONS = [
    "When was the 16th BRICS summit held?",
    "Why did Kazakhstan refuse to join BRICS?",
    "What does the article say about Russia?",
]
NOTES = {
    "owls.md": "# Owls\n\nOwls hunt mice at night. Barn owls swallow prey whole.\n",
    "boats.md": "# Boats\n\nThe ferry crosses the harbour every hour. Sailing boats wait.\n",
    "bread.md": "# Bread\n\nSourdough bread rises slowly overnight. Rye bread keeps well.\n",
}


class Exploding(FakeEmbedder):
    """The fake embedder, failing on any text with the word 'explode'; counts texts."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0

    def embed(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        if any("explode" in t for t in texts):
            raise RuntimeError("the model failed")
        self.seen += len(texts)
        return super().embed(texts, batch_size=batch_size)


@pytest.fixture(scope="module")
def uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("milvus") / "docqa.db")


def _milvus(uri: str) -> BackendSettings:
    return BackendSettings(kind="milvus", milvus_uri=uri)


def _notes(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in NOTES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _collection(index: Path) -> ChunkCollection:
    info = json.loads((current_version_path(index) / "backend.json").read_text())
    return ChunkCollection(info["uri"], info["collection"], 1, create=False)


def test_milvus_answers_like_faiss(tmp_path: Path, corpus_dir: Path, uri: str) -> None:
    embedder = FakeEmbedder()
    Ingestor(tmp_path / "f", embedder=embedder).run([corpus_dir])
    Ingestor(tmp_path / "m", embedder=embedder, backend=_milvus(uri)).run([corpus_dir])
    faiss = Retriever(tmp_path / "f", embedder=embedder)
    milvus = Retriever(tmp_path / "m", embedder=embedder)
    assert not (current_version_path(tmp_path / "m") / "dense.faiss").exists()
    docs = milvus.version.documents
    for question in QUESTIONS:
        for mode in ("hybrid", "dense", "keyword"):
            want = faiss.answer(question, k=5, mode=mode)
            got = milvus.answer(question, k=5, mode=mode)
            assert [(p.doc_id, p.start, p.end) for p in got.passages] == [
                (p.doc_id, p.start, p.end) for p in want.passages
            ]
            assert np.allclose([p.score for p in got.passages], [p.score for p in want.passages])
            assert got.abstained == want.abstained
            assert all(docs[p.doc_id].text[p.start : p.end] == p.text for p in got.passages)
            assert [p.highlights for p in got.passages] == [p.highlights for p in want.passages]


def test_milvus_computes_the_inner_products_it_is_asked_for(
    tmp_path: Path, corpus_dir: Path, uri: str
) -> None:
    embedder = FakeEmbedder()
    Ingestor(tmp_path / "m", embedder=embedder, backend=_milvus(uri)).run([corpus_dir])
    version = load_version(tmp_path / "m")
    query = embedder.embed(["Kazakhstan and BRICS"])[0]
    rng = np.random.default_rng(3)
    for view in (version.dense, version.unit_dense):
        rows = rng.choice(view.size, size=min(40, view.size), replace=False)
        want = view.reconstruct(rows) @ query
        assert np.allclose(view.inner_products(query, rows), want, atol=1e-5)
    collection = _collection(tmp_path / "m")
    keys = collection.keys()[:3]
    unknown = np.array([keys[0], 12345, keys[1]], dtype=np.int64)
    got = collection.inner_products(query, unknown)
    assert np.isnan(got[1]) and not np.isnan(got[[0, 2]]).any()


def test_sync_on_milvus(tmp_path: Path, uri: str) -> None:
    folder, index = _notes(tmp_path / "notes"), tmp_path / "index"
    embedder = Exploding()
    ingestor = Ingestor(index, embedder=embedder, backend=_milvus(uri))
    first = ingestor.run([folder])
    assert first.n_chunks == 3 and _collection(index).count() == 3

    seen = embedder.seen
    again = ingestor.run([folder])
    assert again.chunks_embedded == 0 and embedder.seen == seen

    ingestor.remove(["boats.md"])
    answer = Retriever(index, embedder=embedder).answer("ferry harbour boats", k=3)
    assert all(p.doc_id != "boats.md" for p in answer.passages)
    # The version before the live one (with boats) is kept for readers still using it;
    # the next write retires it, and its rows leave the collection.
    assert len(_collection(index).search_sparse("ferry harbour", 5)[1]) == 1
    (folder / "owls.md").write_text(NOTES["owls.md"] + "\nSnowy owls nest on tundra.\n")
    ingestor.run([folder / "owls.md"])
    assert len(_collection(index).search_sparse("ferry harbour", 5)[1]) == 0
    assert _collection(index).count() == 3  # owls new and old (kept version), bread


def test_failed_ingest_leaves_the_previous_state_answerable(tmp_path: Path, uri: str) -> None:
    folder, index = _notes(tmp_path / "notes"), tmp_path / "index"
    embedder = Exploding()
    ingestor = Ingestor(index, embedder=embedder, backend=_milvus(uri))
    ingestor.run([folder])
    before = Retriever(index, embedder=embedder).answer("sourdough bread", k=2)
    (folder / "bread.md").write_text("# Bread\n\nThe oven will explode.\n", encoding="utf-8")
    (folder / "cakes.md").write_text("# Cakes\n\nSponge cakes need eggs.\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="model failed"):
        ingestor.run([folder])
    after = Retriever(index, embedder=embedder).answer("sourdough bread", k=2)
    assert after.passages == before.passages
    assert "sourdough" in after.passages[0].text.lower()


def test_migrate_embeds_nothing_and_answers_alike(
    tmp_path: Path, corpus_dir: Path, uri: str
) -> None:
    index = tmp_path / "index"
    embedder = Exploding()
    Ingestor(index, embedder=embedder).run([corpus_dir])
    want = Retriever(index, embedder=FakeEmbedder()).answer(QUESTIONS[0], k=5)
    seen = embedder.seen
    moved = Ingestor(index, embedder=embedder).migrate(_milvus(uri))
    assert moved.chunks_embedded == 0 and moved.sentences_embedded == 0
    assert embedder.seen == seen
    got = Retriever(index, embedder=FakeEmbedder()).answer(QUESTIONS[0], k=5)
    assert got.passages == want.passages
    with pytest.raises(InvalidInputError, match="already"):
        Ingestor(index, embedder=embedder).migrate(_milvus(uri))
    Ingestor(index, embedder=embedder).migrate(BackendSettings(kind="faiss"))
    assert (current_version_path(index) / "dense.faiss").is_file()
    assert (
        Retriever(index, embedder=FakeEmbedder()).answer(QUESTIONS[0], k=5).passages
        == want.passages
    )
    assert embedder.seen == seen


def test_asking_for_another_backend_says_how_to_move(fake_index: Path, uri: str) -> None:
    with pytest.raises(IndexMismatchError, match="docqa migrate"):
        load_version(fake_index, _milvus(uri))
    with pytest.raises(IndexMismatchError, match="docqa migrate"):
        Ingestor(fake_index, embedder=FakeEmbedder(), backend=_milvus(uri)).run([fake_index])
    with pytest.raises(InvalidInputError, match="milvus-uri"):
        Ingestor(fake_index, embedder=FakeEmbedder()).migrate(BackendSettings(kind="milvus"))


def test_cli_on_milvus(
    tmp_path: Path, uri: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.cli import main

    monkeypatch.delenv("DOCQA_BACKEND", raising=False)
    folder, index = _notes(tmp_path / "notes"), str(tmp_path / "index")
    common = ["--index", index, "--backend", "milvus", "--milvus-uri", uri]
    assert main(["ingest", str(folder), *common, "--model", "fake-hashing-256"]) == 0
    assert main(["ask", "sourdough bread", "--json", *common]) == 0
    answer = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert answer["passages"][0]["doc_id"] == "bread.md"
    assert main(["ask", "sourdough bread", "--index", index, "--backend", "faiss"]) == 1
    assert "docqa migrate" in capsys.readouterr().err
    assert main(["migrate", "--to", "faiss", "--index", index]) == 0
    assert (current_version_path(Path(index)) / "dense.faiss").is_file()


def test_another_process_reads_a_milvus_lite_index(tmp_path: Path) -> None:
    """A milvus-lite file starts with its collections released; opening loads them."""
    import subprocess
    import sys

    folder, index, uri = _notes(tmp_path / "notes"), tmp_path / "index", str(tmp_path / "m.db")
    common = (
        "import sys; from tests.support.fakes import FakeEmbedder; "
        "from ingest.index.backends.settings import BackendSettings; "
        "from ingest.sync.pipeline import Ingestor; "
        "from retrieval.retriever import Retriever; from pathlib import Path; "
    )
    write = (
        "Ingestor(Path(sys.argv[1]), embedder=FakeEmbedder(), "
        "backend=BackendSettings('milvus', sys.argv[3])).run([sys.argv[2]])"
    )
    read = (
        "print(Retriever(sys.argv[1], embedder=FakeEmbedder())"
        ".answer('sourdough bread', k=1).passages[0].doc_id)"
    )
    for script in (write, read):  # one process each: the second opens the file afresh
        done = subprocess.run(
            [sys.executable, "-c", common + script, str(index), str(folder), uri],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "bread.md"
