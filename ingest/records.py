"""Documents and chunks of an index version as plain files.

``texts.txt`` holds every document's extracted text back to back (UTF-8);
``documents.jsonl`` has one line per document with its metadata, sections, pages and the
character span of its text in ``texts.txt``; ``chunks.jsonl`` has one line per chunk (its
text is the document text's span, so it is not stored twice). Keeping the texts out of
JSON makes a version quick to write and to load: they are neither escaped nor parsed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ingest.chunker import Chunk
from ingest.document import Document, Page, Section

TEXTS, DOCUMENTS, CHUNKS = "texts.txt", "documents.jsonl", "chunks.jsonl"


def _read_rows(path: Path) -> list[dict[str, Any]]:
    lines = [line for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
    # One parse of a JSON array is several times faster than one per line.
    rows = json.loads("[" + ",".join(lines) + "]")
    if not all(isinstance(row, dict) for row in rows):
        raise ValueError(f"{path.name}: a line is not a JSON object")
    return rows


def write_documents(folder: Path, documents: Sequence[Document]) -> None:
    """Write ``texts.txt`` and ``documents.jsonl`` into ``folder``."""
    lines, start = [], 0
    for doc in documents:
        end = start + len(doc.text)
        row = {
            "doc_id": doc.doc_id,
            "title": doc.title,
            "source": doc.source,
            "format": doc.format,
            "text": [start, end],
            "sections": [[list(s.path), s.start, s.end] for s in doc.sections],
            "pages": [[p.number, p.start, p.end] for p in doc.pages],
            "metadata": [list(kv) for kv in doc.metadata],
        }
        lines.append(json.dumps(row, ensure_ascii=False))
        start = end
    with open(folder / TEXTS, "w", encoding="utf-8", newline="") as handle:
        handle.write("".join(doc.text for doc in documents))
    (folder / DOCUMENTS).write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def read_documents(folder: Path) -> dict[str, Document]:
    """Read what :func:`write_documents` wrote.

    Raises:
        OSError, KeyError, ValueError, TypeError: missing or damaged files.
    """
    # newline="" keeps "\r" and "\r\n" as written: offsets count every character.
    with open(folder / TEXTS, encoding="utf-8", newline="") as handle:
        texts = handle.read()
    documents = {}
    for row in _read_rows(folder / DOCUMENTS):
        start, end = int(row["text"][0]), int(row["text"][1])
        if not 0 <= start <= end <= len(texts):
            raise ValueError(f"{row['doc_id']}: text span {start}-{end} is outside texts")
        text = texts[start:end]
        documents[row["doc_id"]] = Document(
            doc_id=row["doc_id"],
            title=row["title"],
            source=row["source"],
            format=row["format"],
            text=text,
            sections=tuple(Section(tuple(s[0]), s[1], s[2]) for s in row["sections"]),
            pages=tuple(Page(p[0], p[1], p[2]) for p in row["pages"]),
            metadata=tuple((k, v) for k, v in row["metadata"]),
        )
    return documents


def write_chunks(folder: Path, chunks: Sequence[Chunk]) -> None:
    """Write ``chunks.jsonl`` into ``folder``."""
    lines = []
    for c in chunks:
        row = {
            "chunk_id": c.chunk_id,
            "doc_id": c.doc_id,
            "start": c.start,
            "end": c.end,
            "section": list(c.section),
            "page": c.page,
        }
        lines.append(json.dumps(row, ensure_ascii=False) + "\n")
    (folder / CHUNKS).write_text("".join(lines), encoding="utf-8")


def read_chunks(folder: Path, documents: dict[str, Document]) -> list[Chunk]:
    """Read ``chunks.jsonl``; each chunk's text is cut from its document's text."""
    chunks = []
    for row in _read_rows(folder / CHUNKS):
        doc = documents[row["doc_id"]]
        chunks.append(
            Chunk(
                chunk_id=row["chunk_id"],
                doc_id=row["doc_id"],
                start=row["start"],
                end=row["end"],
                section=tuple(row["section"]),
                page=row["page"],
                text=doc.text[row["start"] : row["end"]],
            )
        )
    return chunks
