"""Sentence units: the sentences of every chunk, embedded apart for fine-grained matching.

A unit lies inside one chunk; units are stored in chunk order, so the units of chunk ``i``
are rows ``offsets[i]:offsets[i + 1]``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from ingest.arrays import load_array
from ingest.formats.document import Document
from ingest.index.tokens import TokenTable
from ingest.text.chunker import Chunk
from ingest.text.sentences import sentence_spans

_FILES = ("chunk", "start", "end")


@dataclass(frozen=True)
class UnitTable:
    """Sentence spans (document offsets) and the chunk row each belongs to."""

    chunk: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def __len__(self) -> int:
        return len(self.chunk)

    @cached_property
    def offsets(self) -> np.ndarray:
        """``offsets[i]:offsets[i + 1]`` are the unit rows of chunk ``i`` (counted once per
        table, read-only: a question reads them a dozen times)."""
        n_chunks = int(self.chunk.max()) + 1 if len(self.chunk) else 0
        counts = np.bincount(self.chunk, minlength=n_chunks)
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        offsets.setflags(write=False)
        return offsets

    def save(self, folder: Path) -> None:
        """Write the arrays as ``units.NAME.npy`` (no pickle)."""
        for name in _FILES:
            np.save(folder / f"units.{name}.npy", getattr(self, name), allow_pickle=False)

    @classmethod
    def load(cls, folder: Path) -> UnitTable:
        """Map what :meth:`save` wrote (rows are read when used)."""
        arrays = [load_array(folder / f"units.{name}.npy", mapped=True) for name in _FILES]
        return cls(*arrays)


def chunk_sentences(text: str, chunk: Chunk) -> list[tuple[int, int]]:
    """Sentence spans inside one chunk (at least one: the chunk itself if nothing splits)."""
    spans = sentence_spans(text, chunk.start, chunk.end)
    return spans or [(chunk.start, chunk.end)]


def sentence_units(documents: Mapping[str, Document], chunks: Sequence[Chunk]) -> UnitTable:
    """The sentence units of ``chunks`` (row order follows the chunks)."""
    rows, starts, ends = [], [], []
    for row, chunk in enumerate(chunks):
        for a, b in chunk_sentences(documents[chunk.doc_id].text, chunk):
            rows.append(row)
            starts.append(a)
            ends.append(b)
    return UnitTable(
        np.asarray(rows, dtype=np.int32),
        np.asarray(starts, dtype=np.int64),
        np.asarray(ends, dtype=np.int64),
    )


def chunk_sections(documents: Mapping[str, Document], chunks: Sequence[Chunk]) -> np.ndarray:
    """Section row of each chunk: sections numbered in chunk order across documents.

    A chunk never spans two sections, so the section holding its start holds all of it.
    """
    out = np.zeros(len(chunks), dtype=np.int32)
    previous: tuple[str, int] | None = None
    row = -1
    for i, chunk in enumerate(chunks):
        starts = [s.start for s in documents[chunk.doc_id].sections]
        key = (chunk.doc_id, max(0, bisect_right(starts, chunk.start) - 1))
        if key != previous:
            row += 1
            previous = key
        out[i] = row
    return out


def section_tokens(tokens: TokenTable, sections: np.ndarray) -> TokenTable:
    """Token table of sections: each section's chunks' tokens back to back.

    Chunks cut a section only between sentences (words), so this equals tokenising the
    section's text whenever chunks do not overlap.
    """
    if not len(sections):
        return TokenTable(tokens.vocab, tokens.ids[:0], np.zeros(1, dtype=np.int64))
    lengths = np.diff(tokens.offsets)
    per_section = np.bincount(sections, weights=lengths).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(per_section)]).astype(np.int64)
    return TokenTable(tokens.vocab, tokens.ids, offsets)
