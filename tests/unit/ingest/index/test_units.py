"""Sentence units and section rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ingest.formats.loaders import load_document
from ingest.index.store import load_version
from ingest.index.units import chunk_sections, sentence_units
from ingest.text.chunker import ChunkSettings, chunk_document
from tests.support.paths import CORPUS


def test_units_are_sentences_inside_their_chunk() -> None:
    doc = load_document(CORPUS / "kazakhstan-brics-refusal.md")
    chunks = chunk_document(doc, ChunkSettings(max_chars=400))
    units = sentence_units({doc.doc_id: doc}, chunks)
    assert len(units) > len(chunks)
    offsets = units.offsets
    for row, chunk in enumerate(chunks):
        span = range(offsets[row], offsets[row + 1])
        assert len(span) >= 1
        for u in span:
            assert units.chunk[u] == row
            assert chunk.start <= units.start[u] < units.end[u] <= chunk.end


def test_offsets_are_counted_once_and_cannot_be_written() -> None:
    doc = load_document(CORPUS / "kazakhstan-brics-refusal.md")
    units = sentence_units({doc.doc_id: doc}, chunk_document(doc, ChunkSettings(max_chars=400)))
    offsets = units.offsets
    assert units.offsets is offsets  # a question reads them many times: counted once
    assert offsets[0] == 0 and offsets[-1] == len(units)
    assert np.array_equal(np.diff(offsets), np.bincount(units.chunk))
    with pytest.raises(ValueError):
        offsets[1] = 0


def test_section_rows_follow_the_headings() -> None:
    doc = load_document(CORPUS / "kazakhstan-brics-refusal.md")
    chunks = chunk_document(doc)
    rows = chunk_sections({doc.doc_id: doc}, chunks)
    paths: dict[int, set[tuple[str, ...]]] = {}
    for row, chunk in zip(rows, chunks, strict=True):
        paths.setdefault(int(row), set()).add(chunk.section)
    assert sorted(paths) == list(range(len(doc.sections)))
    assert all(len(p) == 1 for p in paths.values())


def test_index_keeps_units_and_sections(fake_index: Path) -> None:
    version = load_version(fake_index)
    assert version.unit_dense.size == len(version.units) > len(version.chunks)
    assert len(version.sections) == len(version.chunks)
    assert version.section_sparse.size == len(
        version.documents["kazakhstan-brics-refusal.md"].sections
    )
