"""Read files into :class:`Document` objects: the loader registry, plain text and Markdown.

Markdown is parsed in :mod:`ingest.formats.markdown`; this module decodes its bytes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from ingest.errors import InvalidInputError, UnsupportedFileError
from ingest.formats.document import Document, Section
from ingest.formats.docx import load_docx
from ingest.formats.eml import load_eml
from ingest.formats.html import load_html
from ingest.formats.image import IMAGE_SUFFIXES, load_image
from ingest.formats.markdown import parse_markdown
from ingest.formats.ocr.reader import PageReader
from ingest.formats.parsed import Loaded
from ingest.formats.pdf import load_pdf
from ingest.formats.pptx import load_pptx
from ingest.formats.xlsx import load_xlsx

#: Largest file docqa reads, in bytes, unless the caller says otherwise.
DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024


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


def load_markdown(path: Path, doc_id: str, data: bytes) -> Document:
    """Load Markdown: headings give the section path, front matter gives metadata.

    The document text is the file's text (so offsets point into the file as written);
    section spans exclude heading lines and front matter. Parsing is
    :func:`ingest.formats.markdown.parse_markdown`.

    Raises:
        UnsupportedFileError: the file is binary or not UTF-8.
    """
    return parse_markdown(path, doc_id, _decode(path, data))


#: ``loader(path, doc_id, data)``: the file's Document, or a Loaded when it carries more
#: (attachments to read, warnings about what was left out).
Loader = Callable[[Path, str, bytes], Document | Loaded]
#: A loader that may read pictures with OCR: it is also given the page reader.
PictureLoader = Callable[[Path, str, bytes, PageReader | None], Document]

#: The loaders that read pictures (scanned PDF pages, images), by suffix.
PICTURE_LOADERS: dict[str, PictureLoader] = {
    ".pdf": load_pdf,
    **dict.fromkeys(IMAGE_SUFFIXES, load_image),
}

#: File suffix -> loader. Other formats register here.
LOADERS: dict[str, Loader] = {
    ".txt": load_text,
    ".text": load_text,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".pdf": load_pdf,
    **dict.fromkeys(IMAGE_SUFFIXES, load_image),
    ".docx": load_docx,
    ".html": load_html,
    ".htm": load_html,
    ".pptx": load_pptx,
    ".xlsx": load_xlsx,
    ".eml": load_eml,
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


#: Why a document of a format holds no text (the file is empty, for other formats).
_NO_TEXT = {
    "pdf": "no text layer, and OCR found no text on its pictures",
    "image": "OCR found no text on the picture",
}


def parse_document(
    path: Path, doc_id: str, data: bytes, *, ocr: PageReader | None = None
) -> Document:
    """Turn a file's bytes into a :class:`Document` with the loader of its suffix.

    Args:
        ocr: Reads the pictures of scanned PDF pages and images (default: a reader of the
            loader's own, without a lasting cache; ``PageReader(enabled=False)``: none read).

    Raises:
        UnsupportedFileError: unknown suffix, unreadable content, or no text at all.
        OcrUnavailableError: a picture needs OCR and the engine cannot be loaded.
    """
    return load_file(path, doc_id, data, ocr=ocr).document


def load_file(path: Path, doc_id: str, data: bytes, *, ocr: PageReader | None = None) -> Loaded:
    """What the loader of ``path``'s suffix reads from its bytes (see :func:`parse_document`);
    :func:`ingest.formats.attachments.parse_file` also reads the attachments."""
    suffix = path.suffix.lower()
    loader = LOADERS.get(suffix)
    if loader is None:
        raise UnsupportedFileError(f"{path}: unsupported file type {path.suffix or '(none)'!r}")
    if not data:
        raise UnsupportedFileError(f"{path}: no text to index (the file is empty)")
    reads_pictures = PICTURE_LOADERS.get(suffix)
    if reads_pictures is not None:
        result: Document | Loaded = reads_pictures(path, doc_id, data, ocr)
    else:
        result = loader(path, doc_id, data)
    loaded = result if isinstance(result, Loaded) else Loaded(result)
    document = loaded.document
    if not document.sections:
        why = _NO_TEXT.get(document.format, "the file is empty")
        if document.format == "pdf" and ocr is not None and not ocr.enabled:
            why = "no text layer, and OCR is off"
        raise UnsupportedFileError(f"{path}: no text to index ({why})")
    return loaded


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
