"""Sentence units, section rows, and the fusion arithmetic."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ingest.formats.loaders import load_document
from ingest.index.store import load_version
from ingest.index.units import chunk_sections, sentence_units
from ingest.text.chunker import ChunkSettings, chunk_document
from retrieval.fusion import FusionWeights, blend, minmax, reciprocal_rank
from retrieval.signals import Signals, top_rows
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


def _signals(**values: list[float]) -> Signals:
    n = len(next(iter(values.values())))
    zeros = np.zeros(n, dtype=np.float32)
    arrays = {k: np.asarray(v, dtype=np.float32) for k, v in values.items()}
    return Signals(
        rows=np.arange(n),
        bm25=arrays.get("bm25", zeros),
        section_bm25=arrays.get("section_bm25", zeros),
        chunk_cos=arrays.get("chunk_cos", zeros),
        sent_cos=arrays.get("sent_cos", zeros),
        best_unit=np.full(n, -1),
    )


def test_blend_weights_normalised_signals() -> None:
    signals = _signals(bm25=[10, 0, 5], chunk_cos=[0.1, 0.9, 0.5])
    fused = blend(signals, FusionWeights(bm25=0.25, section=0, chunk=0.75, sentence=0))
    assert np.allclose(fused, [0.25, 0.75, 0.125 + 0.375])
    assert list(np.argsort(-fused)) == [1, 2, 0]


def test_rrf_ranks() -> None:
    signals = _signals(bm25=[3, 2, 1], chunk_cos=[0.1, 0.2, 0.3])
    fused = reciprocal_rank(signals, FusionWeights(1, 0, 1, 0), k=1)
    assert np.allclose(fused, [1 / 2 + 1 / 4, 1 / 3 + 1 / 3, 1 / 4 + 1 / 2])


def test_minmax_and_top_rows_edge_cases() -> None:
    assert list(minmax(np.array([2.0, 2.0]))) == [0.0, 0.0]
    assert list(top_rows(np.array([0.0, 3.0, 1.0, 0.0]), 3)) == [1, 2]
