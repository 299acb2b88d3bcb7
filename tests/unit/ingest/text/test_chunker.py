"""Chunking: exact offsets, sentence- and section-aware, size-limited."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import InvalidInputError
from ingest.formats.loaders import load_document, load_markdown
from ingest.text.chunker import ChunkSettings, chunk_document
from ingest.text.sentences import sentence_spans
from tests.support.paths import CORPUS


def test_corpus_chunks_reproduce_their_text_and_stay_in_one_section() -> None:
    doc = load_document(CORPUS / "kazakhstan-brics-refusal.md")
    chunks = chunk_document(doc)
    assert chunks
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert len(chunk.text) <= ChunkSettings().max_chars
        inside = [s for s in doc.sections if s.start <= chunk.start and chunk.end <= s.end]
        assert len(inside) == 1 and inside[0].path == chunk.section


def test_chunks_never_cut_a_sentence_that_fits() -> None:
    doc = load_document(CORPUS / "kazakhstan-brics-refusal.md")
    limit = 300
    sentences = [sp for s in doc.sections for sp in sentence_spans(doc.text, s.start, s.end)]
    boundaries = {
        x for c in chunk_document(doc, ChunkSettings(max_chars=limit)) for x in (c.start, c.end)
    }
    fitting = [(a, b) for a, b in sentences if b - a <= limit]
    assert len(fitting) < len(sentences)  # the case of an over-long sentence is exercised too
    for a, b in fitting:
        assert not any(a < x < b for x in boundaries), doc.text[a:b]


def test_every_sentence_is_covered_in_order() -> None:
    doc = load_document(CORPUS / "kazakhstan-brics-refusal.md")
    chunks = chunk_document(doc, ChunkSettings(max_chars=400))
    covered = "".join(c.text for c in chunks)
    sentences = "".join(
        doc.text[a:b] for s in doc.sections for a, b in sentence_spans(doc.text, s.start, s.end)
    )
    assert covered.replace(" ", "").replace("\n", "") == sentences.replace(" ", "").replace(
        "\n", ""
    )
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)


def test_a_sentence_longer_than_the_limit_is_cut_at_whitespace() -> None:
    long_sentence = " ".join(["word"] * 100) + "."
    doc = load_markdown(Path("x.md"), "x.md", f"# T\n\n{long_sentence}\n".encode())
    chunks = chunk_document(doc, ChunkSettings(max_chars=120))
    assert len(chunks) > 1
    assert all(len(c.text) <= 120 for c in chunks)
    assert all(doc.text[c.start : c.end] == c.text for c in chunks)
    assert not any(c.text.startswith(" ") or c.text.endswith(" ") for c in chunks)


def test_chunk_ids_are_stable_and_numbered() -> None:
    doc = load_document(CORPUS / "kazakhstan-brics-refusal.md")
    first, second = chunk_document(doc), chunk_document(doc)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in second]
    assert first[0].chunk_id == f"{doc.doc_id}#0"


@pytest.mark.parametrize("bad", [10, 5000])
def test_out_of_range_settings_are_rejected(bad: int) -> None:
    with pytest.raises(InvalidInputError, match="max_chars"):
        ChunkSettings(max_chars=bad)


def test_sentence_splitter_keeps_abbreviations_together() -> None:
    text = "Dr. Smith went to Washington. He said e.g. this. J. R. Tolkien wrote. Done"
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "Dr. Smith went to Washington.",
        "He said e.g. this.",
        "J. R. Tolkien wrote.",
        "Done",
    ]


def test_paragraph_chunks_end_at_every_paragraph_and_cut_only_long_ones() -> None:
    short = "Otters swim in rivers. They eat crabs."
    other = "Herons stand in the shallows. They eat frogs."
    long = " ".join(f"Sentence number {n} of a long paragraph." for n in range(40))
    text = f"# T\n\n{short}\n\n{other}\n\n{long}"
    doc = load_markdown(Path("p.md"), "p.md", text.encode())
    packed = [c.text for c in chunk_document(doc, ChunkSettings(max_chars=400))]
    assert packed[0].startswith(f"{short}\n\n{other}")  # by default paragraphs share chunks
    chunks = chunk_document(doc, ChunkSettings(max_chars=400, paragraphs=True))
    texts = [c.text for c in chunks]
    assert texts[:2] == [short, other]
    rest = texts[2:]
    assert len(rest) > 1 and all(len(t) <= 400 for t in rest)
    assert " ".join(rest) == long  # the long paragraph is cut only at sentence ends


def test_the_paragraph_setting_is_kept_in_the_manifest(tmp_path: Path) -> None:
    from ingest.index.store import current_version_path, read_manifest
    from ingest.sync.pipeline import ingest
    from tests.support.fakes import FakeEmbedder

    index = tmp_path / "index"
    ingest(
        [CORPUS],
        index=index,
        chunking=ChunkSettings(max_chars=1200, paragraphs=True),
        embedder=FakeEmbedder(),
    )
    manifest = read_manifest(current_version_path(index))
    assert manifest.chunking == ChunkSettings(max_chars=1200, paragraphs=True)
