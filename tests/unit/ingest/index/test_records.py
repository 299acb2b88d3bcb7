"""The columnar chunk store, lazy documents, float16 unit rows, and the format change."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ingest.errors import CorruptIndexError, IndexMismatchError
from ingest.formats.document import Document, Page, Section
from ingest.index import mapped
from ingest.index.mapped import MappedVectors
from ingest.index.records import CHUNKS, DOCUMENTS, read_store, write_store
from ingest.index.store import FORMAT_VERSION, current_version_path, load_version
from ingest.sync.pipeline import ingest
from ingest.text.chunker import Chunk, ChunkSettings, chunk_document
from retrieval import Retriever
from tests.support.fakes import FakeEmbedder

#: Texts with characters of one to four UTF-8 bytes and every kind of line break.
TEXTS = [
    "Plain ASCII opening.\n\nA second paragraph here.",
    "Café au lait, naïve résumé.\r\nΣίγμα and 漢字 side by side.\rThen 🌍 and 🧪 emoji.",
    "",
    "Über straße — ‘quoted’ “words” … done.",
]


def _documents() -> list[Document]:
    docs = []
    for i, text in enumerate(TEXTS):
        half = len(text) // 2
        sections = (Section(("Top",), 0, half), Section(("Top", "Sub é"), half, len(text)))
        pages = (Page(1, 0, half), Page(2, half, len(text))) if i % 2 else ()
        docs.append(
            Document(
                f"dir/doc {i}.txt",
                f"Title {i} ✓",
                f"/src/doc {i}.txt",
                "txt",
                text,
                sections,
                pages,
                (("author", "Zoë"),),
            )
        )
    return docs


def _chunks(documents: list[Document]) -> list[Chunk]:
    chunks = []
    for doc in documents:
        chunks.extend(chunk_document(doc, ChunkSettings(max_chars=50)))
    return chunks


def test_the_store_round_trips_every_chunk_and_document(tmp_path: Path) -> None:
    documents = _documents()
    chunks = _chunks(documents)
    assert any(c.page is not None for c in chunks) and any(not c.text.isascii() for c in chunks)
    write_store(tmp_path, documents, chunks)
    docs, loaded = read_store(tmp_path)
    assert list(docs) == [d.doc_id for d in documents]
    assert dict(docs) == {d.doc_id: d for d in documents}
    assert list(loaded) == chunks
    assert [loaded[i] for i in range(len(chunks))] == chunks
    for i, chunk in enumerate(loaded):
        assert docs[chunk.doc_id].text[chunk.start : chunk.end] == chunk.text == loaded.text(i)


def test_chunks_are_a_sequence_and_documents_a_mapping(tmp_path: Path) -> None:
    documents = _documents()
    chunks = _chunks(documents)
    write_store(tmp_path, documents, chunks)
    docs, loaded = read_store(tmp_path)
    assert len(loaded) == len(chunks)
    assert loaded[-1] == chunks[-1]
    assert loaded[1:3] == chunks[1:3]
    with pytest.raises(IndexError):
        loaded[len(chunks)]
    assert len(docs) == len(documents) and "dir/doc 1.txt" in docs and "nope" not in docs
    with pytest.raises(KeyError):
        docs["nope"]
    wanted = {"dir/doc 1.txt", "nope"}
    mask = loaded.in_documents(wanted)
    assert mask.tolist() == [c.doc_id in wanted for c in chunks]


def test_a_document_line_is_parsed_only_when_that_document_is_asked_for(
    tmp_path: Path,
) -> None:
    documents = _documents()
    write_store(tmp_path, documents, _chunks(documents))
    lines = (tmp_path / DOCUMENTS).read_bytes().split(b"\n")
    lines[1] = b"{" + b"x" * (len(lines[1]) - 1)  # same length: the spans still hold
    (tmp_path / DOCUMENTS).write_bytes(b"\n".join(lines))
    docs, chunks = read_store(tmp_path)
    assert docs["dir/doc 0.txt"] == documents[0]
    assert all(c.text for c in chunks if c.doc_id == "dir/doc 1.txt")
    with pytest.raises(ValueError):
        docs["dir/doc 1.txt"]


def test_chunk_ids_must_be_doc_and_ordinal(tmp_path: Path) -> None:
    doc = _documents()[0]
    bad = Chunk("other#0", doc.doc_id, 0, 5, (), None, doc.text[:5])
    with pytest.raises(ValueError, match="other#0"):
        write_store(tmp_path, [doc], [bad])


def test_a_chunk_pointing_outside_its_document_is_refused(tmp_path: Path) -> None:
    documents = _documents()
    write_store(tmp_path, documents, _chunks(documents))
    table = np.load(tmp_path / CHUNKS)
    table[0, 5] = 10**9  # byte end far past the texts
    np.save(tmp_path / CHUNKS, table)
    with pytest.raises(ValueError, match="outside"):
        read_store(tmp_path)


def test_an_index_of_the_json_lines_format_is_refused_with_the_fix(fake_index: Path) -> None:
    manifest = current_version_path(fake_index) / "manifest.json"
    data = json.loads(manifest.read_text())
    data["format_version"] = 3  # chunks as JSON lines, read whole
    manifest.write_text(json.dumps(data))
    with pytest.raises(IndexMismatchError, match=f"version 3, .*version {FORMAT_VERSION};"):
        load_version(fake_index)


def test_a_damaged_texts_file_is_reported(fake_index: Path) -> None:
    (current_version_path(fake_index) / "texts.txt").write_text("short")
    with pytest.raises(CorruptIndexError, match="rebuild"):
        load_version(fake_index)


def test_float16_rows_read_exactly_the_rows_asked_for(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    MappedVectors.write(tmp_path / "rows.npy", vectors)
    mapped = MappedVectors.load(tmp_path / "rows.npy")
    assert (mapped.size, mapped.dimension, mapped.searchable) == (300, 16, False)
    rows = np.array([299, 0, 17, 17])
    assert np.allclose(mapped.reconstruct(rows), vectors[rows], atol=1e-3)
    query = vectors[42]
    scores, found = mapped.search(query, 5)
    exact = np.argsort(-(vectors @ query))[:5]
    assert found.tolist() == exact.tolist()
    assert np.allclose(scores, (vectors @ query)[exact], atol=1e-2)


def test_many_units_are_stored_as_rows_and_answers_still_cite_exactly(
    tmp_path: Path, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedder = FakeEmbedder()
    small, large = tmp_path / "small", tmp_path / "large"
    ingest([corpus_dir], index=small, embedder=embedder)
    monkeypatch.setattr(mapped, "UNIT_SEARCH_MAX_ROWS", 10)
    ingest([corpus_dir], index=large, embedder=embedder)
    exact, rows = load_version(small), load_version(large)
    assert exact.unit_dense.kind == "flat" and rows.unit_dense.kind == "rows-f16"
    assert not (current_version_path(large) / "units.faiss").exists()
    assert np.allclose(rows.unit_dense.vectors(), exact.unit_dense.vectors(), atol=1e-3)
    question = "Why did Kazakhstan decline BRICS membership?"
    answer = Retriever(large, embedder=embedder).answer(question, k=3)
    assert answer.passages
    for passage in answer.passages:
        text = rows.documents[passage.doc_id].text
        assert text[passage.start : passage.end] == passage.text
        (a, b) = passage.highlights[0]
        assert passage.start <= a < b <= passage.end
