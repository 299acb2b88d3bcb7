"""Read files into :class:`Document` objects: the loader registry, plain text and Markdown."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

from ingest.errors import InvalidInputError, UnsupportedFileError
from ingest.formats.document import Document, Section
from ingest.formats.docx import load_docx
from ingest.formats.html import load_html
from ingest.formats.pdf import load_pdf

#: Largest file docqa reads, in bytes, unless the caller says otherwise.
DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*\n", re.DOTALL)
_FENCE = re.compile(r"^(```|~~~)", re.MULTILINE)


def _decode(path: Path, data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise UnsupportedFileError(f"{path}: looks like a binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnsupportedFileError(
            f"{path}: not UTF-8 text (byte {exc.start}); convert it to UTF-8 and try again"
        ) from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def load_text(path: Path, doc_id: str, data: bytes) -> Document:
    """Load a plain-text file: one section spanning the whole text."""
    text = _decode(path, data)
    start, end = _strip_span(text, 0, len(text))
    sections = (Section((), start, end),) if end > start else ()
    return Document(doc_id, path.stem, str(path), "txt", text, sections)


def _fenced_ranges(text: str) -> list[tuple[int, int]]:
    marks = [m.start() for m in _FENCE.finditer(text)]
    return [(marks[i], marks[i + 1]) for i in range(0, len(marks) - 1, 2)]


def _parse_front_matter(block: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for line in block.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and not line.startswith((" ", "\t", "-")):
            pairs.append((key.strip(), value.strip().strip("\"'")))
    return tuple(pairs)


def load_markdown(path: Path, doc_id: str, data: bytes) -> Document:
    """Load Markdown: ATX headings give the section path, front matter gives metadata.

    The document text is the file's text (so offsets point into the file as written);
    section spans exclude heading lines and front matter.
    """
    text = _decode(path, data)
    body_start = 0
    metadata: tuple[tuple[str, str], ...] = ()
    front = _FRONT_MATTER.match(text)
    if front:
        metadata = _parse_front_matter(front.group(1))
        body_start = front.end()
    fences = _fenced_ranges(text)
    headings = [
        m
        for m in _HEADING.finditer(text, body_start)
        if not any(a <= m.start() < b for a, b in fences)
    ]
    sections: list[Section] = []
    path_stack: list[tuple[int, str]] = []
    cursor, current = body_start, ()  # type: tuple[int, tuple[str, ...]]
    title = dict(metadata).get("title", "")
    for m in headings:
        start, end = _strip_span(text, cursor, m.start())
        if end > start:
            sections.append(Section(current, start, end))
        level, heading = len(m.group(1)), m.group(2).strip()
        if level == 1 and not title:
            title = heading
        while path_stack and path_stack[-1][0] >= level:
            path_stack.pop()
        path_stack.append((level, heading))
        current = tuple(h for _, h in path_stack)
        cursor = m.end()
    start, end = _strip_span(text, cursor, len(text))
    if end > start:
        sections.append(Section(current, start, end))
    return Document(
        doc_id, title or path.stem, str(path), "md", text, tuple(sections), (), metadata
    )


Loader = Callable[[Path, str, bytes], Document]

#: File suffix -> loader. Other formats register here.
LOADERS: dict[str, Loader] = {
    ".txt": load_text,
    ".text": load_text,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".html": load_html,
    ".htm": load_html,
}


def supported_suffixes() -> tuple[str, ...]:
    """The file suffixes docqa can ingest."""
    return tuple(sorted(LOADERS))


def read_file(path: str | Path, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> bytes:
    """The bytes of a file docqa can load, after checking its type and size.

    Raises:
        InvalidInputError: the path does not exist or is not a file.
        UnsupportedFileError: unknown suffix or too large.
        OSError: the file could not be read (it vanished, permissions...).
    """
    path = Path(path)
    if path.suffix.lower() not in LOADERS:
        raise UnsupportedFileError(
            f"{path}: unsupported file type {path.suffix or '(none)'!r}; "
            f"supported: {', '.join(supported_suffixes())}"
        )
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, after the checks
    except FileNotFoundError:
        raise InvalidInputError(f"{path}: no such file or folder") from None
    except IsADirectoryError:
        raise InvalidInputError(f"{path}: not a regular file") from None
    with handle:
        status = os.fstat(handle.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise InvalidInputError(f"{path}: not a regular file")
        if status.st_size > max_bytes:
            raise UnsupportedFileError(
                f"{path}: {status.st_size:,} bytes is over the limit of {max_bytes:,} bytes"
            )
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:  # it grew after the check
        raise UnsupportedFileError(f"{path}: over the limit of {max_bytes:,} bytes")
    return data


def parse_document(path: Path, doc_id: str, data: bytes) -> Document:
    """Turn a file's bytes into a :class:`Document` with the loader of its suffix.

    Raises:
        UnsupportedFileError: unknown suffix, unreadable content, or no text at all.
    """
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise UnsupportedFileError(f"{path}: unsupported file type {path.suffix or '(none)'!r}")
    if not data:
        raise UnsupportedFileError(f"{path}: no text to index (the file is empty)")
    document = loader(path, doc_id, data)
    if not document.sections:
        why = "no text layer; a scanned PDF needs OCR first" if document.format == "pdf" else ""
        raise UnsupportedFileError(f"{path}: no text to index ({why or 'the file is empty'})")
    return document


def load_document(
    path: str | Path, *, doc_id: str | None = None, max_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> Document:
    """Read one file into a :class:`Document`.

    Args:
        path: The file to read.
        doc_id: Id to give the document (default: the file name).
        max_bytes: Files larger than this are refused.

    Raises:
        InvalidInputError: the path does not exist or is not a file.
        UnsupportedFileError: unknown suffix, not UTF-8, binary, damaged, encrypted,
            empty, or too large.

    Example:
        >>> doc = load_document("corpus/kazakhstan-brics-refusal.md")  # doctest: +SKIP
    """
    path = Path(path)
    return parse_document(path, doc_id or path.name, read_file(path, max_bytes=max_bytes))
