"""Documents and chunks of an index version: a few columns and one text file, read lazily.

Files of a version folder:

- ``texts.txt``: every document's extracted text back to back (UTF-8). It is memory-mapped
  and sliced by byte offsets, so no text is decoded before it is asked for.
- ``documents.jsonl``: one line per document (id, title, source, format, sections, pages,
  metadata, and the boxes of lines read by OCR when it has any), parsed only when that
  document is asked for.
- ``documents.npy``: int64 ``(n_documents, 4)``: the byte span of each document's text in
  ``texts.txt`` and of its line in ``documents.jsonl``.
- ``doc_ids.json``: the document ids in row order (read whole: it is the id -> row map).
- ``chunks.npy``: int64 ``(n_chunks, 8)``, one row per chunk: document row, ordinal ``N`` of
  the chunk id ``DOC#N``, start and end (characters of the document text), start and end
  byte in ``texts.txt``, heading row, page (-1: none).
- ``headings.json``: the distinct heading paths chunks refer to.

A loaded version holds these arrays, not a Python object per chunk or document: a
:class:`ChunkStore` is a sequence of :class:`Chunk` and a :class:`DocumentStore` a mapping of
:class:`Document`, both made on access. Loading reads the ids and headings and maps the rest.
"""

from __future__ import annotations

import json
import mmap
import operator
import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, overload

import numpy as np

from ingest.arrays import load_array
from ingest.formats.document import Document, Page, PageBox, Section
from ingest.text.chunker import Chunk

TEXTS, DOCUMENTS, DOCUMENT_SPANS = "texts.txt", "documents.jsonl", "documents.npy"
DOC_IDS, CHUNKS, HEADINGS = "doc_ids.json", "chunks.npy", "headings.json"
#: Columns of ``chunks.npy``.
DOC, NUMBER, START, END, BYTE_START, BYTE_END, HEADING, PAGE = range(8)
#: Documents kept decoded after use (the retriever asks for the same few repeatedly).
_DOCUMENT_CACHE = 64
_ITER_BLOCK = 4096


def _byte_positions(text: str) -> np.ndarray | None:
    """Byte offset of every character offset of ``text`` in UTF-8 (None: ASCII, the same)."""
    if text.isascii():
        return None
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    widths = 1 + (points >= 0x80) + (points >= 0x800) + (points >= 0x10000)
    return np.concatenate([[0], np.cumsum(widths, dtype=np.int64)])


def _ordinal(chunk: Chunk) -> int:
    prefix, sep, number = chunk.chunk_id.rpartition("#")
    if not sep or prefix != chunk.doc_id or not number.isdigit() or str(int(number)) != number:
        raise ValueError(f"chunk id {chunk.chunk_id!r} is not {chunk.doc_id!r}#N")
    return int(number)


def _document_line(doc: Document) -> bytes:
    row = {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "source": doc.source,
        "format": doc.format,
        "sections": [[list(s.path), s.start, s.end] for s in doc.sections],
        "pages": [[p.number, p.start, p.end] for p in doc.pages],
        "metadata": [list(kv) for kv in doc.metadata],
    }
    if doc.boxes:  # lines read by OCR: page, offsets and the box on the page
        row["boxes"] = [
            [b.page, b.start, b.end, b.left, b.top, b.width, b.height] for b in doc.boxes
        ]
    return (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")


def write_store(folder: Path, documents: Sequence[Document], chunks: Sequence[Chunk]) -> None:
    """Write the documents and chunks of a version into ``folder``, streaming the texts.

    Raises:
        ValueError: duplicate document ids, a chunk of an unknown document, a chunk id that
            is not ``DOC#N`` or a span outside its document.
    """
    row_of = {doc.doc_id: i for i, doc in enumerate(documents)}
    if len(row_of) != len(documents):
        raise ValueError("two documents share an id")
    chunk_doc = np.fromiter((row_of[c.doc_id] for c in chunks), np.int64, len(chunks))
    order = np.argsort(chunk_doc, kind="stable")
    bounds = np.searchsorted(chunk_doc[order], np.arange(len(documents) + 1))
    table = np.zeros((len(chunks), 8), dtype=np.int64)
    spans = np.zeros((len(documents), 4), dtype=np.int64)
    headings: dict[tuple[str, ...], int] = {}
    byte = line = 0
    with open(folder / TEXTS, "wb") as texts, open(folder / DOCUMENTS, "wb") as lines:
        for d, doc in enumerate(documents):
            encoded, row = doc.text.encode("utf-8"), _document_line(doc)
            texts.write(encoded)
            lines.write(row)
            spans[d] = (byte, byte + len(encoded), line, line + len(row))
            positions = _byte_positions(doc.text)
            for i in order[bounds[d] : bounds[d + 1]]:
                c = chunks[i]
                if not 0 <= c.start <= c.end <= len(doc.text):
                    raise ValueError(f"{c.chunk_id}: span {c.start}-{c.end} is outside its text")
                a, b = c.start, c.end
                if positions is not None:
                    a, b = int(positions[a]), int(positions[b])
                heading = headings.setdefault(tuple(c.section), len(headings))
                page = -1 if c.page is None else c.page
                table[i] = (d, _ordinal(c), c.start, c.end, byte + a, byte + b, heading, page)
            byte, line = byte + len(encoded), line + len(row)
    np.save(folder / DOCUMENT_SPANS, spans, allow_pickle=False)
    np.save(folder / CHUNKS, table, allow_pickle=False)
    ids = json.dumps([doc.doc_id for doc in documents], ensure_ascii=False)
    (folder / DOC_IDS).write_text(ids, encoding="utf-8")
    paths = json.dumps([list(path) for path in headings], ensure_ascii=False)
    (folder / HEADINGS).write_text(paths, encoding="utf-8")


def _map(path: Path) -> mmap.mmap | bytes:
    """The file's bytes, memory-mapped (an empty file cannot be mapped)."""
    with open(path, "rb") as handle:
        if not handle.seek(0, 2):
            return b""
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


class DocumentStore(Mapping[str, Document]):
    """Read-only mapping doc id -> :class:`Document`, each parsed when asked for."""

    def __init__(self, ids: list[str], spans: np.ndarray, texts: Any, lines: Any) -> None:
        self._ids = ids
        self._row = {doc_id: i for i, doc_id in enumerate(ids)}
        self._spans = spans
        self._texts = texts
        self._lines = lines
        # A plain dict, not functools.lru_cache on a bound method: that would make a
        # reference cycle and keep the mapped files open until the next garbage collection.
        self._recent: dict[int, Document] = {}
        self._lock = threading.Lock()

    def __getitem__(self, doc_id: str) -> Document:
        row = self._row[doc_id]
        document = self._recent.get(row)
        if document is None:
            document = self._read(row)
            with self._lock:
                if len(self._recent) >= _DOCUMENT_CACHE:
                    del self._recent[next(iter(self._recent))]
                self._recent[row] = document
        return document

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._row

    @property
    def ids(self) -> list[str]:
        """Document ids in row order."""
        return self._ids

    def row(self, doc_id: str) -> int:
        """The row of ``doc_id`` (KeyError when absent)."""
        return self._row[doc_id]

    def _read(self, row: int) -> Document:
        text_start, text_end, line_start, line_end = self._spans[row].tolist()
        data = json.loads(bytes(self._lines[line_start:line_end]))
        return Document(
            doc_id=data["doc_id"],
            title=data["title"],
            source=data["source"],
            format=data["format"],
            text=bytes(self._texts[text_start:text_end]).decode("utf-8"),
            sections=tuple(Section(tuple(s[0]), s[1], s[2]) for s in data["sections"]),
            pages=tuple(Page(p[0], p[1], p[2]) for p in data["pages"]),
            metadata=tuple((k, v) for k, v in data["metadata"]),
            boxes=tuple(PageBox(*box) for box in data.get("boxes", ())),
        )


class ChunkStore(Sequence[Chunk]):
    """Read-only sequence of :class:`Chunk` over the ``chunks.npy`` columns (row i = chunk i)."""

    def __init__(self, table: np.ndarray, ids: list[str], headings: list[Any], texts: Any):
        self._table = table
        self._ids = ids
        self._heading_rows = headings
        self._texts = texts

    def __len__(self) -> int:
        return len(self._table)

    @overload
    def __getitem__(self, index: int) -> Chunk: ...

    @overload
    def __getitem__(self, index: slice) -> list[Chunk]: ...

    def __getitem__(self, index: int | slice) -> Chunk | list[Chunk]:
        if isinstance(index, slice):
            return [self._make(row) for row in self._table[index].tolist()]
        i = operator.index(index)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"chunk row {index} out of range 0..{len(self) - 1}")
        return self._make(self._table[i].tolist())

    def __iter__(self) -> Iterator[Chunk]:
        for block in range(0, len(self), _ITER_BLOCK):
            for row in self._table[block : block + _ITER_BLOCK].tolist():
                yield self._make(row)

    @property
    def doc_rows(self) -> np.ndarray:
        """Document row of each chunk (see :attr:`DocumentStore.ids`)."""
        return self._table[:, DOC]

    def text(self, i: int) -> str:
        """The text of chunk ``i`` alone, without making the chunk."""
        a, b = self._table[i, BYTE_START : BYTE_END + 1].tolist()
        return bytes(self._texts[a:b]).decode("utf-8")

    def in_documents(self, doc_ids: Collection[str]) -> np.ndarray:
        """Boolean mask of the chunks of ``doc_ids`` (ids not held match nothing)."""
        wanted = set(doc_ids)
        rows = [i for i, doc_id in enumerate(self._ids) if doc_id in wanted]
        return np.isin(self.doc_rows, np.asarray(rows, dtype=np.int64))

    @cached_property
    def _headings(self) -> list[tuple[str, ...]]:
        return [tuple(path) for path in self._heading_rows]

    def _make(self, row: list[int]) -> Chunk:
        doc, number, start, end, a, b, heading, page = row
        doc_id = self._ids[doc]
        return Chunk(
            chunk_id=f"{doc_id}#{number}",
            doc_id=doc_id,
            start=start,
            end=end,
            section=self._headings[heading],
            page=None if page < 0 else page,
            text=bytes(self._texts[a:b]).decode("utf-8"),
        )


def read_store(folder: Path) -> tuple[DocumentStore, ChunkStore]:
    """Open what :func:`write_store` wrote, checking that every span lies inside its file.

    Raises:
        OSError, ValueError: missing or damaged files.
    """
    return open_store(
        json.loads((folder / DOC_IDS).read_text(encoding="utf-8")),
        json.loads((folder / HEADINGS).read_text(encoding="utf-8")),
        load_array(folder / DOCUMENT_SPANS, mapped=True),
        load_array(folder / CHUNKS, mapped=True),
        _map(folder / TEXTS),
        _map(folder / DOCUMENTS),
    )


def open_store(
    ids: Any, headings: Any, spans: np.ndarray, table: np.ndarray, texts: Any, lines: Any
) -> tuple[DocumentStore, ChunkStore]:
    """The stores over the contents of :func:`write_store`'s files, wherever they were read
    from: ``texts`` and ``lines`` are any byte buffers sliced by byte offsets (a memory map,
    or a view that fetches each document's text from Milvus).

    Raises:
        ValueError: the contents do not fit together.
    """
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ValueError(f"{DOC_IDS}: not a list of ids")
    if not isinstance(headings, list) or len(set(ids)) != len(ids):
        raise ValueError(f"{HEADINGS} or {DOC_IDS}: malformed")
    if spans.shape != (len(ids), 4) or table.ndim != 2 or table.shape[1] != 8:
        raise ValueError(f"{DOCUMENT_SPANS} or {CHUNKS}: unexpected shape")
    if len(ids) and (
        spans.min() < 0 or spans[:, 1].max() > len(texts) or spans[:, 3].max() > len(lines)
    ):
        raise ValueError(f"{DOCUMENT_SPANS}: a span lies outside its file")
    if len(table):
        docs = table[:, DOC]
        if docs.min() < 0 or docs.max() >= len(ids):
            raise ValueError(f"{CHUNKS}: a chunk names a missing document")
        inside = spans[docs]
        if (
            np.any(table[:, BYTE_START] < inside[:, 0])
            or np.any(table[:, BYTE_END] > inside[:, 1])
            or np.any(table[:, BYTE_START] > table[:, BYTE_END])
            or table[:, HEADING].min() < 0
            or table[:, HEADING].max() >= len(headings)
        ):
            raise ValueError(f"{CHUNKS}: a chunk span lies outside its document")
    return DocumentStore(ids, spans, texts, lines), ChunkStore(table, ids, headings, texts)
