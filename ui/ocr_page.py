"""Pages read by OCR in the viewer: boxes from the document's own line boxes, and pictures.

A scanned page or a picture has no text to search: its document keeps each OCR line's span
of the text and its box on the page (:class:`~ingest.formats.document.PageBox`), so a
passage's or a sentence's boxes are the parts of the lines its characters cover (a line
partly covered gets the matching share of its width). A picture document is shown as its
picture (upright by its EXIF orientation, as it was read), scaled like a PDF page.
:func:`page_image` picks, for any page the viewer shows, between these boxes and the boxes
found by the passage's text on a PDF page with a text layer.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from ingest.formats.document import Document
from ui.pdf_page import (
    MAX_PIXELS,
    MAX_SIDE_PX,
    PAGE_WIDTH_PX,
    Box,
    BoxKind,
    PageImage,
    PageUnavailableError,
    render_page,
)


def read_by_ocr(document: Document, page: int) -> bool:
    """True when page ``page`` of ``document`` was read by OCR (it has line boxes)."""
    return any(box.page == page for box in document.boxes)


def span_boxes(
    document: Document, page: int, span: tuple[int, int] | None, kind: BoxKind
) -> tuple[Box, ...]:
    """The boxes on page ``page`` covering the characters ``span`` of ``document``'s text."""
    if span is None:
        return ()
    start, end = span
    out = []
    for line in document.boxes:
        if line.page != page or line.end <= start or end <= line.start or line.end <= line.start:
            continue
        length = line.end - line.start
        a = (max(start, line.start) - line.start) / length
        b = (min(end, line.end) - line.start) / length
        out.append(
            Box(kind, line.left + line.width * a, line.top, line.width * (b - a), line.height)
        )
    return tuple(out)


def page_image(
    document: Document,
    page: int,
    passage: tuple[int, int] | None,
    sentence: tuple[int, int] | None,
) -> PageImage:
    """Page ``page`` of ``document`` as an image with boxes over the characters ``passage``
    and ``sentence``: from the OCR's line boxes on a page read by OCR (and on a picture),
    else found by their text on the PDF page.

    Raises:
        PageUnavailableError: the file is missing or unreadable, or has no such page.
    """
    if read_by_ocr(document, page) or document.format != "pdf":
        boxes = span_boxes(document, page, passage, "passage")
        boxes += span_boxes(document, page, sentence, "sentence")
        if document.format != "pdf":
            return render_picture(document.source, page, boxes)
        return render_page(document.source, page, boxes=boxes)
    text = document.text
    return render_page(
        document.source,
        page,
        passage=text[passage[0] : passage[1]] if passage else "",
        sentence=text[sentence[0] : sentence[1]] if sentence else "",
    )


def render_picture(source: str | Path, frame: int, boxes: tuple[Box, ...]) -> PageImage:
    """Frame ``frame`` (1-based: a TIFF's pages) of the picture at ``source`` as a PNG page,
    with ``boxes``.

    Raises:
        PageUnavailableError: the file is missing or unreadable, or has no such frame.
    """
    path = Path(source)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise PageUnavailableError(f"the picture is no longer at {path}") from exc
    return _render(str(path), mtime, frame, boxes)


@functools.lru_cache(maxsize=16)
def _render(path: str, mtime_ns: int, frame: int, boxes: tuple[Box, ...]) -> PageImage:
    from PIL import Image, ImageOps

    from ingest.formats.image import MAX_PICTURE_PIXELS

    try:
        with Image.open(path) as picture:
            count = getattr(picture, "n_frames", 1)
            if not 1 <= frame <= count:
                raise PageUnavailableError(f"{Path(path).name} has no page {frame}")
            picture.seek(frame - 1)
            if picture.width * picture.height > MAX_PICTURE_PIXELS:
                raise PageUnavailableError(f"{Path(path).name} is too large to show")
            upright = ImageOps.exif_transpose(picture).convert("RGBA")
    except PageUnavailableError:
        raise
    except Exception as exc:  # Pillow raises several kinds on damaged files
        raise PageUnavailableError(f"{Path(path).name} cannot be opened ({exc})") from exc
    width, height = upright.size
    scale = min(
        1.0,
        PAGE_WIDTH_PX / width,
        MAX_SIDE_PX / max(width, height),
        (MAX_PIXELS / (width * height)) ** 0.5,
    )
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        upright = upright.resize(size, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    upright.save(buffer, format="PNG", optimize=True)
    return PageImage(buffer.getvalue(), upright.width, upright.height, count, boxes)
