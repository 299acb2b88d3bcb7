"""The content of the next index version, reusing all the previous version already holds.

Chunks of unchanged documents are carried over as they are; every chunk whose text the
previous version holds (even in a changed document) takes its vector and BM25 tokens from
there; what remains is looked up in the embedding cache and only then embedded. So an
unchanged corpus costs no chunking, no tokenising and no embedding, and a one-paragraph
edit embeds only the chunks whose text changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.embedding.cache import EmbeddingCache
from ingest.embedding.protocol import Embedder
from ingest.formats.document import Document
from ingest.index.backends.protocol import VersionStore
from ingest.index.sparse import SparseSettings, Tokenizer
from ingest.index.store import IndexVersion, Manifest, load_tokens, write_version
from ingest.index.tokens import TokenTable, assemble_tokens
from ingest.index.units import UnitTable, chunk_sentences
from ingest.text.chunker import Chunk, ChunkSettings, chunk_document

Progress = Callable[[int, str], Callable[[int], None]]


@dataclass(frozen=True)
class Content:
    """Everything a version holds besides its manifest."""

    documents: list[Document]
    chunks: list[Chunk]
    vectors: np.ndarray
    tokens: TokenTable
    n_embedded: int
    units: UnitTable
    unit_vectors: np.ndarray
    n_units_embedded: int


def write_content(
    index_dir: Path, manifest: Manifest, content: Content, store: VersionStore | None = None
) -> Path:
    """Write ``content`` as the next live version (see :func:`ingest.index.store.write_version`)."""
    return write_version(
        index_dir,
        manifest,
        content.documents,
        content.chunks,
        content.vectors,
        tokens=content.tokens,
        units=content.units,
        unit_vectors=content.unit_vectors,
        store=store,
    )


def _rows_by_document(previous: IndexVersion) -> dict[str, list[int]]:
    rows: dict[str, list[int]] = {}
    for row, chunk in enumerate(previous.chunks):
        rows.setdefault(chunk.doc_id, []).append(row)
    return rows


def _chunks(
    previous: IndexVersion | None,
    documents: Sequence[Document],
    keep: set[str],
    chunking: ChunkSettings,
) -> tuple[list[Chunk], list[int | None]]:
    """The new chunk list and, per chunk, the previous row holding the same text (or None)."""
    old_rows = _rows_by_document(previous) if previous else {}
    chunks: list[Chunk] = []
    reuse: list[int | None] = []
    fresh: list[int] = []
    for document in documents:
        if document.doc_id in keep and document.doc_id in old_rows and previous is not None:
            for row in old_rows[document.doc_id]:
                chunks.append(previous.chunks[row])
                reuse.append(row)
            continue
        for chunk in chunk_document(document, chunking):
            fresh.append(len(chunks))
            chunks.append(chunk)
            reuse.append(None)
    if fresh and previous is not None:
        by_text = {c.text: row for row, c in enumerate(previous.chunks)}
        for i in fresh:
            reuse[i] = by_text.get(chunks[i].text)
    return chunks, reuse


def build_content(
    previous: IndexVersion | None,
    documents: Sequence[Document],
    *,
    keep: set[str],
    chunking: ChunkSettings,
    sparse: SparseSettings,
    embedder: Embedder,
    dimension: int,
    cache_dir: Path,
    progress: Progress,
) -> Content:
    """Chunks, vectors and tokens of ``documents`` for the next version.

    Args:
        previous: The live version, or None for a new index.
        documents: The documents of the next version, in order.
        keep: Doc ids whose chunks are carried over from ``previous`` unchanged.
        chunking: Chunk settings of the index.
        sparse: BM25 tokenisation settings of the index.
        embedder: Embeds what neither ``previous`` nor the cache holds (the model is only
            loaded when something needs embedding).
        dimension: Vector length of the index.
        cache_dir: The index's embedding cache folder.
        progress: ``factory(total, label) -> advance(n)``.
    """
    chunks, reuse = _chunks(previous, documents, keep, chunking)
    vectors = np.zeros((len(chunks), dimension), dtype=np.float32)
    reused = np.array([i for i, r in enumerate(reuse) if r is not None], dtype=np.int64)
    if len(reused) and previous is not None:
        source_rows = np.array([reuse[i] for i in reused], dtype=np.int64)
        vectors[reused] = previous.dense.reconstruct(source_rows)
    missing = [i for i, r in enumerate(reuse) if r is None]
    n_embedded = 0
    if missing:
        cache = EmbeddingCache(cache_dir, embedder.model_id, dimension)
        texts = [chunks[i].text for i in missing]
        found, n_embedded = cache.embed_with_cache(texts, embedder.embed, progress=progress)
        vectors[np.array(missing, dtype=np.int64)] = found
    carried = [r if chunks[i].doc_id in keep else None for i, r in enumerate(reuse)]
    units, unit_vectors, n_units = _unit_vectors(
        previous, documents, chunks, carried, embedder, dimension, cache_dir, progress
    )
    previous_tokens = load_tokens(previous) if previous is not None else None
    tokens = assemble_tokens(
        [c.text for c in chunks],
        reuse if previous_tokens is not None else [None] * len(chunks),
        previous_tokens,
        Tokenizer(sparse),
    )
    return Content(
        list(documents), chunks, vectors, tokens, n_embedded, units, unit_vectors, n_units
    )


def _carry_units(
    previous: IndexVersion | None,
    by_id: dict[str, Document],
    chunks: list[Chunk],
    carried: list[int | None],
) -> tuple[UnitTable, np.ndarray]:
    """The unit table of ``chunks`` and, per unit, the previous unit row it is (or -1).

    Carried chunks copy their previous units (array operations, no sentence splitting);
    only the other chunks are split.
    """
    n = len(chunks)
    carried_new = np.array([i for i in range(n) if carried[i] is not None], dtype=np.int64)
    fresh_new = [i for i in range(n) if carried[i] is None]
    counts = np.zeros(n, dtype=np.int64)
    old_offsets = previous.units.offsets if previous is not None else np.zeros(1, np.int64)
    old_rows = np.array([carried[i] for i in carried_new], dtype=np.int64)
    if len(carried_new):
        counts[carried_new] = old_offsets[old_rows + 1] - old_offsets[old_rows]
    fresh_spans = [chunk_sentences(by_id[chunks[i].doc_id].text, chunks[i]) for i in fresh_new]
    for i, spans in zip(fresh_new, fresh_spans, strict=True):
        counts[i] = len(spans)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    total = int(offsets[-1])
    chunk_col = np.repeat(np.arange(n, dtype=np.int32), counts)
    start = np.zeros(total, dtype=np.int64)
    end = np.zeros(total, dtype=np.int64)
    from_old = np.full(total, -1, dtype=np.int64)
    if len(carried_new) and previous is not None:
        lengths = counts[carried_new]
        first_new = np.repeat(offsets[carried_new], lengths)
        first_old = np.repeat(old_offsets[old_rows], lengths)
        step = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        new_pos, old_pos = first_new + step, first_old + step
        start[new_pos] = previous.units.start[old_pos]
        end[new_pos] = previous.units.end[old_pos]
        from_old[new_pos] = old_pos
    for i, spans in zip(fresh_new, fresh_spans, strict=True):
        for j, (a, b) in enumerate(spans):
            start[offsets[i] + j], end[offsets[i] + j] = a, b
    return UnitTable(chunk_col, start, end), from_old


def _unit_vectors(
    previous: IndexVersion | None,
    documents: Sequence[Document],
    chunks: list[Chunk],
    carried: list[int | None],
    embedder: Embedder,
    dimension: int,
    cache_dir: Path,
    progress: Progress,
) -> tuple[UnitTable, np.ndarray, int]:
    """Sentence units of ``chunks`` with vectors.

    A chunk carried over from an unchanged document keeps its previous units and their
    vectors as they are (no sentence splitting); the units of other chunks take vectors from
    the previous version's changed documents by text, then from the cache, and only then
    are embedded.
    """
    by_id = {d.doc_id: d for d in documents}
    units, from_old = _carry_units(previous, by_id, chunks, carried)
    vectors = np.zeros((len(units), dimension), dtype=np.float32)
    if previous is not None and (from_old >= 0).any():
        have = np.flatnonzero(from_old >= 0)
        vectors[have] = previous.unit_dense.reconstruct(from_old[have])
    missing = np.flatnonzero(from_old < 0).tolist()
    texts = {
        i: by_id[chunks[int(units.chunk[i])].doc_id].text[units.start[i] : units.end[i]]
        for i in missing
    }
    if missing and previous is not None:
        old = previous.units
        dropped = np.ones(len(previous.chunks), dtype=bool)
        dropped[np.array([r for r in carried if r is not None], dtype=np.int64)] = False
        old_by_text = {
            previous.documents[previous.chunks[int(old.chunk[u])].doc_id].text[
                old.start[u] : old.end[u]
            ]: int(u)
            for u in np.flatnonzero(dropped[old.chunk])
        }
        found = [(i, old_by_text[texts[i]]) for i in missing if texts[i] in old_by_text]
        if found:
            new_rows = np.array([i for i, _ in found], dtype=np.int64)
            vectors[new_rows] = previous.unit_dense.reconstruct(np.array([u for _, u in found]))
            done = set(new_rows.tolist())
            missing = [i for i in missing if i not in done]
    n_embedded = 0
    if missing:
        cache = EmbeddingCache(cache_dir, embedder.model_id, dimension)
        found_vectors, n_embedded = cache.embed_with_cache(
            [texts[i] for i in missing], embedder.embed, progress=progress, label="sentences"
        )
        vectors[np.array(missing, dtype=np.int64)] = found_vectors
    return units, vectors, n_embedded
