"""The page reader loaders are given: pictures in, page texts out, each picture read once.

:class:`PageReader` shrinks a picture to at most :data:`MAX_SIDE` pixels, looks its pixels up
in the :class:`~ingest.formats.ocr.cache.OcrCache`, reads it with the engine only when absent,
and puts the lines in reading order (:func:`~ingest.formats.ocr.layout.page_text`). It shows a
progress bar per document, one step per page. A reader made with ``enabled=False`` (``docqa
ingest --no-ocr``) reads nothing: loaders then skip the pages that need it, with a note.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ingest.formats.ocr.cache import OcrCache, picture_key
from ingest.formats.ocr.engine import OcrEngine, RapidOcrEngine
from ingest.formats.ocr.layout import PageText, page_text

#: Pictures are read with at most this many pixels on their longer side (the engine itself
#: works on at most 2,000; a 200-dpi A4 scan is 1,654 x 2,339).
MAX_SIDE = 2_400

#: ``factory(total, label) -> advance(n)``, as ingest shows progress.
Progress = Callable[[int, str], Callable[[int], None]]


def _no_progress(total: int, label: str) -> Callable[[int], None]:
    return lambda n: None


def prepared(image: Image.Image) -> Image.Image:
    """``image`` as RGB (what is transparent made white, as a viewer shows it), scaled down to
    at most :data:`MAX_SIDE` pixels on its longer side."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
    image = image.convert("RGB")
    longest = max(image.size)
    if longest > MAX_SIDE:
        scale = MAX_SIDE / longest
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    return image


class PageReader:
    """Reads pictures of pages with an OCR engine, each picture's content at most once.

    Args:
        engine: The engine (default: the packaged RapidOCR, loaded at the first picture).
        cache_dir: Where results are kept across runs (None: only for this reader's life).
        progress: How a document's pages show their progress.
        enabled: False: a reader that reads nothing (loaders skip such pages with a note).

    Attributes:
        pages_read: Pictures the engine has read (cache hits not counted).
    """

    def __init__(
        self,
        engine: OcrEngine | None = None,
        *,
        cache_dir: Path | None = None,
        progress: Progress = _no_progress,
        enabled: bool = True,
    ) -> None:
        self.enabled = enabled
        self.engine: OcrEngine = engine or RapidOcrEngine()
        self._cache_dir = cache_dir
        self._cache: OcrCache | None = None
        self.progress = progress
        self.pages_read = 0

    @property
    def cache(self) -> OcrCache:
        """The cache of this reader's engine (made when first needed)."""
        if self._cache is None:
            self._cache = OcrCache(self._cache_dir, self.engine.engine_id)
        return self._cache

    def read(self, image: Image.Image) -> PageText:
        """The text of one picture of a page (from the cache when its pixels were read before)."""
        picture = prepared(image)
        key = picture_key(picture)
        lines = self.cache.get(key)
        if lines is None:
            lines = self.engine.read(picture)
            self.pages_read += 1
            self.cache.put(key, lines)
        return page_text(lines, picture.width, picture.height)

    def read_pages(
        self, pictures: Sequence[Callable[[], Image.Image]], label: str
    ) -> list[PageText]:
        """The texts of pictures made on demand (one at a time), with a progress bar."""
        advance = self.progress(len(pictures), label)
        texts = []
        for make in pictures:
            texts.append(self.read(make()))
            advance(1)
        return texts


@dataclass(frozen=True)
class OcrSettings:
    """Whether and with what ingest reads pictures.

    Attributes:
        enabled: Read pages without a text layer and images (False: ``docqa ingest
            --no-ocr``: such pages are skipped with a note, pictures refused).
        engine: The OCR engine (None: the packaged RapidOCR).
    """

    enabled: bool = True
    engine: OcrEngine | None = None

    def reader(self, cache_dir: Path | None, progress: Progress = _no_progress) -> PageReader:
        """A page reader with these settings, caching in ``cache_dir``."""
        return PageReader(self.engine, cache_dir=cache_dir, progress=progress, enabled=self.enabled)
