"""Ingest: sync semantics, embedding reuse, model mismatch, nothing changed on bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import IndexMismatchError, IndexNotFoundError, InvalidInputError
from ingest.index.store import current_version_path, load_version
from ingest.sync.pipeline import ingest
from tests.support.fakes import FakeEmbedder


def test_first_ingest_embeds_every_chunk_and_the_second_none(
    tmp_path: Path, corpus_dir: Path, fake_embedder: FakeEmbedder
) -> None:
    index = tmp_path / "index"
    first = ingest([corpus_dir], index=index, embedder=fake_embedder)
    assert first.added == ("kazakhstan-brics-refusal.md",)
    assert first.chunks_embedded == first.n_chunks > 0
    assert first.sentences_embedded > first.n_chunks  # every chunk has one or more sentences
    version = current_version_path(index)
    second = ingest([corpus_dir], index=index, embedder=fake_embedder)
    assert second.unchanged == ("kazakhstan-brics-refusal.md",)
    assert second.chunks_embedded == 0 and second.chunks_reused == first.n_chunks
    assert second.sentences_embedded == 0
    assert current_version_path(index) == version  # nothing new written


def test_changing_one_paragraph_reembeds_only_its_chunks(
    tmp_path: Path, corpus_dir: Path, fake_embedder: FakeEmbedder
) -> None:
    index = tmp_path / "index"
    first = ingest([corpus_dir], index=index, embedder=fake_embedder)
    path = corpus_dir / "kazakhstan-brics-refusal.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("politely refused", "courteously refused"), encoding="utf-8")
    second = ingest([corpus_dir], index=index, embedder=fake_embedder)
    assert second.updated == ("kazakhstan-brics-refusal.md",)
    assert 1 <= second.chunks_embedded < first.n_chunks
    version = load_version(index)
    doc = version.documents["kazakhstan-brics-refusal.md"]
    assert "courteously refused" in doc.text
    assert all(doc.text[c.start : c.end] == c.text for c in version.chunks)


def test_prune_removes_documents_gone_from_the_folder(
    tmp_path: Path, corpus_dir: Path, fake_embedder: FakeEmbedder
) -> None:
    index = tmp_path / "index"
    (corpus_dir / "extra.txt").write_text("An extra note about tea.\n")
    ingest([corpus_dir], index=index, embedder=fake_embedder)
    (corpus_dir / "extra.txt").unlink()
    kept = ingest([corpus_dir], index=index, embedder=fake_embedder)
    assert kept.removed == () and "extra.txt" in load_version(index).documents
    pruned = ingest([corpus_dir], index=index, embedder=fake_embedder, prune=True)
    assert pruned.removed == ("extra.txt",)
    version = load_version(index)
    assert "extra.txt" not in version.documents
    assert all(c.doc_id != "extra.txt" for c in version.chunks)


def test_bad_files_are_reported_and_the_rest_ingested(
    tmp_path: Path, corpus_dir: Path, fake_embedder: FakeEmbedder
) -> None:
    (corpus_dir / "empty.txt").write_text("")
    (corpus_dir / "bin.txt").write_bytes(b"\x00\xff\x00")
    report = ingest(
        [corpus_dir, tmp_path / "missing"], index=tmp_path / "i", embedder=fake_embedder
    )
    assert report.added == ("kazakhstan-brics-refusal.md",)
    reasons = {Path(r.path).name: r.reason for r in report.rejected}
    assert set(reasons) == {"empty.txt", "bin.txt", "missing"}
    assert "empty" in reasons["empty.txt"] and "binary" in reasons["bin.txt"]


def test_no_valid_input_writes_no_index(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    (tmp_path / "empty.txt").write_text("")
    report = ingest([tmp_path / "empty.txt"], index=tmp_path / "i", embedder=fake_embedder)
    assert report.n_documents == 0 and len(report.rejected) == 1
    with pytest.raises(IndexNotFoundError, match="docqa ingest"):
        load_version(tmp_path / "i")


def test_no_paths_is_an_input_error(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    with pytest.raises(InvalidInputError):
        ingest([], index=tmp_path / "i", embedder=fake_embedder)


def test_another_model_is_refused_unless_rebuilding(fake_index: Path, corpus_dir: Path) -> None:
    before = current_version_path(fake_index)
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        ingest([corpus_dir], index=fake_index, embedder=FakeEmbedder(dimension=32))
    assert current_version_path(fake_index) == before
    report = ingest([corpus_dir], index=fake_index, embedder=FakeEmbedder(32), rebuild=True)
    assert report.added and load_version(fake_index).manifest.model == "fake-hashing-32"
