"""Read pictures of text (PNG, JPEG, TIFF) with OCR: each picture, or TIFF frame, is a page.

The picture's size is read from its header and checked before any pixel is decoded, so a
"decompression bomb" (a small file that decodes to billions of pixels) is refused at once. A
photo is turned upright by its EXIF orientation first, as the viewer shows it.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable
from pathlib import Path

from ingest.errors import DocqaError, UnsupportedFileError
from ingest.formats.document import Document, Section
from ingest.formats.ocr.reader import PageReader
from ingest.formats.paged import join_pages

#: The file suffixes read as pictures.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
#: Pictures (or TIFF frames) with more pixels than this are refused before decoding: a 600-dpi
#: scan of an A4 page has 35 million; Pillow itself warns past 89 million.
MAX_PICTURE_PIXELS = 80_000_000


def _too_large(path: Path, width: int, height: int) -> UnsupportedFileError:
    return UnsupportedFileError(
        f"{path}: the picture is {width:,} x {height:,} pixels ({width * height:,}); the "
        f"limit is {MAX_PICTURE_PIXELS:,} pixels: scale it down and try again"
    )


def load_image(path: Path, doc_id: str, data: bytes, ocr: PageReader | None = None) -> Document:
    """Load a picture of text: OCR reads each frame as a page (its lines kept as boxes).

    Args:
        ocr: The page reader (default: one of its own); one made with ``enabled=False``
            refuses pictures.

    Raises:
        UnsupportedFileError: not a readable picture, too many pixels, damaged, OCR off or
            failed.
        OcrUnavailableError: the OCR engine cannot be loaded.
    """
    from PIL import Image, ImageOps

    if ocr is not None and not ocr.enabled:
        raise UnsupportedFileError(f"{path}: a picture is read by OCR, and OCR is off")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(data))  # reads the header, decodes nothing
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refused it from its header, before decoding (its message holds the count).
        count = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(count.group(1)):,} pixels" if count else "too many pixels"
        raise UnsupportedFileError(
            f"{path}: the picture has {size}; the limit is {MAX_PICTURE_PIXELS:,} pixels: "
            "scale it down and try again"
        ) from exc
    except Exception as exc:  # Pillow raises several kinds on files it cannot identify
        raise UnsupportedFileError(f"{path}: not a readable picture ({exc})") from exc
    reader = ocr or PageReader()
    with picture:
        try:
            frames = getattr(picture, "n_frames", 1)
            for n in range(frames):  # every frame's size, from its header
                picture.seek(n)
                if picture.width * picture.height > MAX_PICTURE_PIXELS:
                    raise _too_large(path, picture.width, picture.height)

            def frame(n: int) -> Callable[[], Image.Image]:
                def make() -> Image.Image:
                    picture.seek(n)
                    return ImageOps.exif_transpose(picture)  # a decoded, upright copy

                return make

            texts = reader.read_pages([frame(n) for n in range(frames)], f"OCR {path.name}")
        except DocqaError:
            raise
        except Exception as exc:  # truncated or damaged pixel data, or the engine failing
            raise UnsupportedFileError(
                f"{path}: damaged picture ({type(exc).__name__}: {exc})"
            ) from exc
    text, pages, boxes = join_pages(texts)
    sections = (Section((), 0, len(text)),) if text.strip() else ()
    return Document(doc_id, path.stem, str(path), "image", text, sections, pages, boxes=boxes)
