"""Sync: unchanged files cost nothing, edits re-embed only changed chunks, prune and remove."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

import ingest.sync.sources
import ingest.sync.writing
from ingest.errors import IndexNotFoundError, InvalidInputError
from ingest.index.store import current_version_path, load_tokens, load_version
from ingest.index.tokens import assemble_tokens
from ingest.index.units import sentence_units
from ingest.sync.pipeline import Ingestor
from ingest.text.chunker import ChunkSettings
from retrieval.retriever import Retriever
from tests.support.fakes import FakeEmbedder

PARAGRAPHS = [
    f"Paragraph {n} is about the {word} of the valley. The {word} changed a lot in year {1900 + n}."
    for n, word in enumerate(
        ["rivers", "forests", "villages", "bridges", "mills", "roads", "schools", "markets"]
    )
]


class RecordingEmbedder(FakeEmbedder):
    """The fake embedder, remembering every text it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        self.seen.extend(texts)
        return super().embed(texts, batch_size=batch_size)


def _write(folder: Path, name: str, paragraphs: list[str]) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# Valley notes\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    _write(docs, "a.md", PARAGRAPHS)
    _write(docs, "b.md", [p.replace("valley", "coast") for p in PARAGRAPHS[:4]])
    (docs / "c.txt").write_text("The lighthouse keeper logs every passing ship.\n")
    return docs


def _ingestor(index: Path, embedder: FakeEmbedder) -> Ingestor:
    # Small chunks: one paragraph each, so an edit touches one chunk.
    return Ingestor(index, embedder=embedder, chunking=ChunkSettings(max_chars=150))


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
    }


def test_unchanged_corpus_embeds_nothing_and_writes_nothing(tmp_path: Path, folder: Path) -> None:
    index = tmp_path / "index"
    first = _ingestor(index, RecordingEmbedder()).run([folder])
    assert first.chunks_embedded == first.n_chunks > 8 and first.chunks_reused == 0
    before = _snapshot(index)
    embedder = RecordingEmbedder()
    again = _ingestor(index, embedder).run([folder])
    assert sorted(again.unchanged) == ["a.md", "b.md", "c.txt"]
    assert (again.added, again.updated, again.removed) == ((), (), ())
    assert again.chunks_embedded == 0 and again.chunks_reused == first.n_chunks
    assert embedder.seen == []
    assert _snapshot(index) == before


def test_one_changed_paragraph_embeds_only_its_chunks(tmp_path: Path, folder: Path) -> None:
    index = tmp_path / "index"
    _ingestor(index, RecordingEmbedder()).run([folder])
    old_texts = {c.text for c in load_version(index).chunks}
    edited = list(PARAGRAPHS)
    edited[3] = "Paragraph 3 now tells of the ferries that replaced the old bridges in 1950."
    _write(folder, "a.md", edited)
    embedder = RecordingEmbedder()
    report = _ingestor(index, embedder).run([folder])
    assert report.updated == ("a.md",) and sorted(report.unchanged) == ["b.md", "c.txt"]
    version = load_version(index)
    new_texts = [c.text for c in version.chunks if c.text not in old_texts]
    assert new_texts and embedder.seen == new_texts
    assert report.chunks_embedded == len(new_texts) < report.n_chunks
    assert report.chunks_reused == report.n_chunks - len(new_texts)
    assert not any("bridges of the valley" in c.text for c in version.chunks)
    # Every vector is the embedding of its chunk's text, whether reused or new.
    expected = FakeEmbedder().embed([c.text for c in version.chunks])
    assert np.allclose(version.dense.vectors(), expected, atol=1e-6)
    # The stored BM25 tokens are those a fresh tokenisation gives.
    tokens = load_tokens(version)
    fresh = assemble_tokens(
        [c.text for c in version.chunks],
        [None] * len(version.chunks),
        None,
        version.sparse.tokenizer,
    )
    assert tokens is not None
    assert [[tokens.vocab[i] for i in tokens.row(r)] for r in range(len(tokens))] == [
        [fresh.vocab[i] for i in fresh.row(r)] for r in range(len(fresh))
    ]


def test_new_chunk_settings_embed_only_texts_never_seen(tmp_path: Path, folder: Path) -> None:
    index = tmp_path / "index"
    _ingestor(index, RecordingEmbedder()).run([folder])
    again = RecordingEmbedder()
    report = _ingestor(index, again).run([folder], rebuild=True)
    assert report.chunks_embedded == 0 and again.seen == []  # same settings: all cached
    wider = RecordingEmbedder()
    Ingestor(index, embedder=wider, chunking=ChunkSettings(max_chars=400)).run(
        [folder], rebuild=True
    )
    version = load_version(index)
    assert version.manifest.chunking.max_chars == 400
    assert wider.seen and set(wider.seen) <= {c.text for c in version.chunks}
    assert "The lighthouse keeper logs every passing ship." not in wider.seen  # cached


def test_prune_removes_files_gone_from_the_folder(tmp_path: Path, folder: Path) -> None:
    index = tmp_path / "index"
    _ingestor(index, FakeEmbedder()).run([folder])
    (folder / "c.txt").unlink()
    kept = _ingestor(index, FakeEmbedder()).run([folder])
    assert kept.removed == () and "c.txt" in load_version(index).documents
    report = _ingestor(index, FakeEmbedder()).run([folder], prune=True)
    assert report.removed == ("c.txt",) and report.chunks_embedded == 0
    version = load_version(index)
    assert set(version.documents) == {"a.md", "b.md"}
    assert version.dense.size == len(version.chunks) == version.sparse.size
    answer = Retriever(index, embedder=FakeEmbedder()).answer("lighthouse keeper", k=50)
    assert all(p.doc_id != "c.txt" for p in answer.passages)
    assert not version.sparse.scores("lighthouse keeper").any()


def test_prune_only_touches_the_given_folders(tmp_path: Path, folder: Path) -> None:
    index = tmp_path / "index"
    other = tmp_path / "other"
    _write(other, "z.md", ["Zebras graze on the plain."])
    _ingestor(index, FakeEmbedder()).run([folder, other / "z.md"])
    (folder / "b.md").unlink()
    report = _ingestor(index, FakeEmbedder()).run([folder], prune=True)
    assert report.removed == ("b.md",)
    assert set(load_version(index).documents) == {"a.md", "c.txt", "z.md"}


def test_remove_drops_a_document_without_embedding(tmp_path: Path, folder: Path) -> None:
    index = tmp_path / "index"
    _ingestor(index, FakeEmbedder()).run([folder])
    before = load_version(index)
    embedder = RecordingEmbedder()
    report = _ingestor(index, embedder).remove(["b.md"])
    assert report.removed == ("b.md",) and embedder.seen == []
    version = load_version(index)
    assert set(version.documents) == {"a.md", "c.txt"}
    kept = [c for c in before.chunks if c.doc_id != "b.md"]
    assert [c.chunk_id for c in version.chunks] == [c.chunk_id for c in kept]
    assert version.dense.size == len(kept)
    assert not version.sparse.scores("coast").any()
    with pytest.raises(InvalidInputError, match="unknown document id"):
        _ingestor(index, embedder).remove(["nope.md"])
    assert current_version_path(index) == version.path
    with pytest.raises(IndexNotFoundError):
        _ingestor(tmp_path / "missing", embedder).remove(["a.md"])
    assert not (tmp_path / "missing").exists()


def test_replaced_document_leaves_no_old_passages(tmp_path: Path, folder: Path) -> None:
    index = tmp_path / "index"
    _ingestor(index, FakeEmbedder()).run([folder])
    (folder / "c.txt").write_text("The harbour master counts the fishing boats.\n")
    report = _ingestor(index, FakeEmbedder()).run([folder])
    assert report.updated == ("c.txt",)
    retriever = Retriever(index, embedder=FakeEmbedder())
    texts = [p.text for p in retriever.answer("lighthouse keeper passing ship", k=50).passages]
    assert not any("lighthouse" in t for t in texts)
    assert retriever.answer("harbour master fishing boats", k=1).passages[0].doc_id == "c.txt"


def test_nothing_on_disk_changes_without_valid_input(tmp_path: Path) -> None:
    index = tmp_path / "index"
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "binary.txt").write_bytes(b"\x00\x01\x02")
    report = Ingestor(index, embedder=FakeEmbedder()).run([bad, tmp_path / "nope"])
    assert len(report.rejected) == 3 and report.n_documents == 0
    assert not index.exists()
    _write(tmp_path / "good", "g.md", ["Good text."])
    Ingestor(index, embedder=FakeEmbedder()).run([tmp_path / "good"])
    before = _snapshot(index)
    Ingestor(index, embedder=FakeEmbedder()).run([bad, tmp_path / "nope"], prune=True)
    assert _snapshot(index) == before


def test_file_vanishing_mid_run_is_reported_and_the_rest_ingested(
    tmp_path: Path, folder: Path
) -> None:
    victim = folder / "c.txt"

    def progress(total: int, label: str):  # type: ignore[no-untyped-def]
        def advance(n: int) -> None:
            if label == "reading" and victim.exists():
                victim.unlink()  # after the first file is read, before c.txt is

        return advance

    ingestor = _ingestor(tmp_path / "index", FakeEmbedder())
    ingestor.progress = progress
    report = ingestor.run([folder])
    assert sorted(report.added) == ["a.md", "b.md"]
    assert [(Path(r.path).name, r.reason) for r in report.rejected] == [
        ("c.txt", "the file vanished while it was being read")
    ]


def test_files_unchanged_since_hashed_are_not_read_again(
    tmp_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = tmp_path / "index"
    old = time.time_ns() - 10_000_000_000
    for path in folder.iterdir():
        os.utime(path, ns=(old, old))  # last modified well before the ingest
    _ingestor(index, FakeEmbedder()).run([folder])
    reads: list[Path] = []
    real = ingest.sync.sources.read_file

    def counting_read_file(path: Path, *, max_bytes: int) -> bytes:
        reads.append(Path(path))
        return real(path, max_bytes=max_bytes)

    monkeypatch.setattr(ingest.sync.sources, "read_file", counting_read_file)
    report = _ingestor(index, FakeEmbedder()).run([folder])
    assert len(report.unchanged) == 3 and reads == []
    (folder / "c.txt").write_text("The lighthouse keeper logs every passing boat.\n")
    report = _ingestor(index, FakeEmbedder()).run([folder])
    assert report.updated == ("c.txt",) and [p.name for p in reads] == ["c.txt"]


def test_a_same_size_rewrite_within_the_same_second_is_still_seen(
    tmp_path: Path, folder: Path
) -> None:
    index = tmp_path / "index"
    victim = folder / "c.txt"
    _ingestor(index, FakeEmbedder()).run([folder])  # right after writing: mtime is recent
    mtime = victim.stat().st_mtime_ns
    victim.write_text("The lighthouse keeper logs every passing boat.\n")  # same length
    os.utime(victim, ns=(mtime, mtime))  # and the same mtime
    report = _ingestor(index, FakeEmbedder()).run([folder])
    assert report.updated == ("c.txt",)
    assert "boat" in load_version(index).documents["c.txt"].text


def test_folder_ids_are_relative_paths_and_hidden_entries_are_skipped(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    _write(docs, "top.md", ["Top level text."])
    _write(docs, "deep/er/inner.md", ["Inner text."])
    _write(docs, ".hidden/secret.md", ["Hidden text."])
    _write(docs, ".draft.md", ["Draft text."])
    (docs / "notes.csv").write_text("a,b\n")
    report = _ingestor(tmp_path / "index", FakeEmbedder()).run([docs])
    assert sorted(report.added) == ["deep/er/inner.md", "top.md"] and report.rejected == ()


def test_a_writer_finishing_first_is_reconciled_under_the_lock(
    tmp_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = tmp_path / "index"
    old = time.time_ns() - 10_000_000_000
    for path in folder.iterdir():
        os.utime(path, ns=(old, old))
    _ingestor(index, FakeEmbedder()).run([folder])
    real_lock = ingest.sync.writing.writer_lock
    raced: list[bool] = []

    @contextlib.contextmanager
    def lock_after_another_writer(index_dir: Path) -> Iterator[None]:
        if not raced:  # while this run read its files, another one removed c.txt
            raced.append(True)
            _ingestor(index, FakeEmbedder()).remove(["c.txt"])
        with real_lock(index_dir):
            yield

    monkeypatch.setattr(ingest.sync.writing, "writer_lock", lock_after_another_writer)
    report = _ingestor(index, FakeEmbedder()).run([folder])  # c.txt skipped as known, at first
    assert raced and report.added == ("c.txt",)
    assert "lighthouse" in load_version(index).documents["c.txt"].text


def test_units_of_unchanged_documents_are_carried_over_exactly(
    tmp_path: Path, folder: Path
) -> None:
    index = tmp_path / "index"
    _ingestor(index, RecordingEmbedder()).run([folder])
    edited = list(PARAGRAPHS)
    edited[5] = "Paragraph 5 is new. It speaks of the tram line that reached the valley."
    _write(folder, "a.md", edited)
    (folder / "d.txt").write_text("A new note. It names the ferries of the coast.\n")
    _ingestor(index, RecordingEmbedder()).run([folder])
    version = load_version(index)
    fresh = sentence_units(version.documents, version.chunks)
    for name in ("chunk", "start", "end"):
        assert np.array_equal(getattr(version.units, name), getattr(fresh, name)), name
    texts = [
        version.documents[version.chunks[int(c)].doc_id].text[a:b]
        for c, a, b in zip(fresh.chunk, fresh.start, fresh.end, strict=True)
    ]
    expected = FakeEmbedder().embed(texts)
    assert np.allclose(version.unit_dense.reconstruct(np.arange(len(texts))), expected, atol=1e-6)
