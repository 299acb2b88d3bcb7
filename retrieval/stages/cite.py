"""The passages an answer cites: chunks of the index with their highlights and confidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ingest.index.store import IndexVersion
from retrieval.reader import Reading
from retrieval.stages.first_stage import Shortlist
from retrieval.types import Passage


def chunk_passage(version: IndexVersion, row: int, score: float) -> Passage:
    """The passage of chunk ``row``, scored ``score``, nothing highlighted."""
    chunk = version.chunks[row]
    doc = version.documents[chunk.doc_id]
    return Passage(
        doc_id=chunk.doc_id,
        title=doc.title,
        section=chunk.section,
        page=chunk.page,
        start=chunk.start,
        end=chunk.end,
        text=chunk.text,
        score=round(score, 6),
        highlights=(),
        format=doc.format,
    )


def ranked(version: IndexVersion, rows: Sequence[int], scores: np.ndarray) -> list[Passage]:
    """The passages of chunks ``rows`` with their first-stage scores (bulk ranking)."""
    return [chunk_passage(version, int(r), float(s)) for r, s in zip(rows, scores, strict=True)]


def cite(
    version: IndexVersion,
    shortlist: Shortlist,
    reading: Reading,
    confidence: Sequence[float],
) -> list[Passage]:
    """The passages the reader put first, one per ``confidence`` (the probability each card
    shows), each with its highlighted sentence."""
    units = version.units
    passages = []
    for position, shown in zip(reading.order, confidence, strict=False):
        passage = chunk_passage(version, shortlist.rows[position], float(reading.scores[position]))
        unit = int(reading.highlight[position])
        if unit >= 0:
            passage = replace(passage, highlights=((int(units.start[unit]), int(units.end[unit])),))
        passages.append(replace(passage, confidence=round(float(shown), 4)))
    return passages
