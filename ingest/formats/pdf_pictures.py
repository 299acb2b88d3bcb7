"""Pages of a PDF as pictures (rendered with pypdfium2), for the pages that OCR reads.

A page needs OCR when its text layer is (almost) empty and it holds a picture: fewer than
:data:`MIN_TEXT_CHARS` visible characters were extracted and pdfium finds an image object on
it (also inside form XObjects). Only such pages are opened with pdfium at all, so a PDF with a
text layer costs nothing more than before. pdfium is not thread-safe: every call into it, here
and in the viewer, holds :data:`PDFIUM_LOCK`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PIL import Image

from ingest.errors import DocqaError, UnsupportedFileError
from ingest.formats.ocr.layout import PageText
from ingest.formats.ocr.reader import PageReader

#: A page whose text layer has fewer visible characters than this is "without text".
MIN_TEXT_CHARS = 32
#: Pages are rendered for OCR at this resolution (a scan's usual one), ...
OCR_DPI = 200
#: ... and never with a longer side than this (the engine works on at most 2,000 pixels).
MAX_RENDER_SIDE = 2_400
#: Every call into pdfium holds it (the viewer renders pages while an ingest may run).
PDFIUM_LOCK = threading.RLock()

_log = logging.getLogger("docqa")


def has_little_text(text: str) -> bool:
    """True when ``text`` (a page's extracted text) is too short to be the page's text layer."""
    return sum(not c.isspace() for c in text) < MIN_TEXT_CHARS


@contextmanager
def opened(data: bytes) -> Iterator[Any]:
    """The PDF ``data`` opened with pdfium; closed on exit. The lock is held to open and close
    it, not in between (OCR takes seconds a page, and the viewer must not wait for it)."""
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(data)
    try:
        yield pdf
    finally:
        with PDFIUM_LOCK:
            pdf.close()


def pages_with_pictures(pdf: Any, indexes: Sequence[int]) -> list[int]:
    """Those of the page ``indexes`` (0-based) of a pdfium document that hold an image."""
    import pypdfium2.raw as pdfium_c

    found = []
    with PDFIUM_LOCK:
        for index in indexes:
            page = pdf[index]
            try:
                if next(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]), None) is not None:
                    found.append(index)
            finally:
                page.close()
    return found


def render_scale(width: float, height: float) -> float:
    """Pixels per point to render a ``width`` x ``height`` pt page for OCR."""
    scale = OCR_DPI / 72
    return min(scale, MAX_RENDER_SIDE / max(width, height, 1.0))


def page_picture(pdf: Any, index: int) -> Callable[[], Image.Image]:
    """A function that renders page ``index`` (0-based) of a pdfium document as an RGB picture
    (rendered when called, so that a long PDF never holds all its pictures at once)."""

    def render() -> Image.Image:
        with PDFIUM_LOCK:
            page = pdf[index]
            try:
                width, height = page.get_size()
                bitmap = page.render(scale=render_scale(width, height))
                return bitmap.to_pil().convert("RGB")
            finally:
                page.close()

    return render


def read_scanned(
    path: Path, data: bytes, texts: list[str], ocr: PageReader | None
) -> dict[int, PageText]:
    """OCR the pages of a PDF (``texts``: each page's text layer) that have no usable text
    layer and hold a picture.

    Returns the page texts read, by page index (none when OCR is off: the pages are named
    in a note). A PDF whose pages pdfium cannot open keeps its text layer, with a note.
    """
    candidates = [i for i, text in enumerate(texts) if has_little_text(text)]
    if not candidates:  # a PDF with a text layer: never opened again
        return {}
    import pypdfium2 as pdfium

    try:
        with opened(data) as pdf:
            scanned = pages_with_pictures(pdf, candidates)
            if not scanned:
                return {}
            numbers = ", ".join(str(i + 1) for i in scanned)
            if ocr is not None and not ocr.enabled:
                _log.warning("%s: page %s: no text layer; skipped (OCR is off)", path.name, numbers)
                return {}
            reader = ocr or PageReader()
            pictures = [page_picture(pdf, i) for i in scanned]
            read = reader.read_pages(pictures, f"OCR {path.name}")
    except DocqaError:
        raise
    except pdfium.PdfiumError as exc:
        _log.warning("%s: its scanned pages cannot be rendered for OCR (%s)", path.name, exc)
        return {}
    except Exception as exc:  # the engine failing on a picture must name the file
        raise UnsupportedFileError(
            f"{path}: OCR failed on its scanned pages ({type(exc).__name__}: {exc})"
        ) from exc
    return dict(zip(scanned, read, strict=True))
