"""Build (or reuse) a docqa index of a BEIR folder and rank its documents."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ingest.embedding.protocol import Embedder
from ingest.errors import InvalidInputError
from ingest.formats.document import Document, Section
from ingest.sync.pipeline import Ingestor
from ingest.sync.reports import ProgressFactory, no_progress
from ingest.text.chunker import ChunkSettings
from retrieval.eval.beir import evaluate_beir
from retrieval.retriever import Retriever, SearchSettings


def beir_documents(folder: Path) -> list[Document]:
    """Each BEIR record as one document: title, blank line, text."""
    corpus = folder / "corpus.jsonl"
    if not corpus.is_file():
        raise InvalidInputError(f"{folder}: not a BEIR folder (no corpus.jsonl)")
    docs = []
    with open(corpus, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = json.loads(line)
            title, body = str(row.get("title") or "").strip(), str(row.get("text") or "").strip()
            text = f"{title}\n\n{body}" if title else body
            if not text:
                continue
            docs.append(
                Document(
                    doc_id=str(row["_id"]),
                    title=title or str(row["_id"]),
                    source=f"{corpus}#{row['_id']}",
                    format="beir",
                    text=text,
                    sections=(Section((), 0, len(text)),),
                )
            )
    return docs


def rank_documents(retriever: Retriever, query: str, depth: int) -> list[str]:
    """Document ids in the order of their best passage."""
    seen: dict[str, None] = {}
    for row in retriever.rank(query).rows:
        seen.setdefault(retriever.version.chunks[int(row)].doc_id, None)
        if len(seen) >= depth:
            break
    return list(seen)


def run_beir(
    folder: str | Path,
    index: str | Path,
    *,
    split: str = "test",
    embedder: Embedder | None = None,
    chunking: ChunkSettings | None = None,
    settings: SearchSettings | None = None,
    progress: ProgressFactory = no_progress,
) -> dict[str, Any]:
    """Index ``folder`` into ``index`` (reusing what is there) and score ``split``."""
    folder = Path(folder)
    started = time.perf_counter()
    Ingestor(
        Path(index), embedder=embedder, chunking=chunking or ChunkSettings(), progress=progress
    ).sync_documents(beir_documents(folder), prune=True)
    seconds = time.perf_counter() - started
    base = settings or SearchSettings()
    retriever = Retriever(
        index,
        embedder=embedder,
        settings=SearchSettings(
            mode=base.mode,
            candidates=base.candidates,
            rrf_k=base.rrf_k,
            min_relevance=base.min_relevance,
            lexical_weight=base.lexical_weight,
            highlight=False,
        ),
    )
    return evaluate_beir(
        folder, lambda q, d: rank_documents(retriever, q, d), split=split, index_seconds=seconds
    )
