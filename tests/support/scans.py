"""OCR in tests: the clean scans of :mod:`bench.scans`, and an engine that counts its pictures."""

from __future__ import annotations

import numpy as np
from PIL import Image

from bench.scans import DPI, character_error_rate, png_bytes, scan, scanned_pdf, typeset
from ingest.formats.ocr.engine import OcrEngine, OcrLine

__all__ = [
    "DPI",
    "CountingEngine",
    "character_error_rate",
    "png_bytes",
    "scan",
    "scanned_pdf",
    "typeset",
]


class CountingEngine:
    """An :class:`OcrEngine` that counts the pictures it is given, reading them with ``inner``
    (default: pretends every picture holds one line naming its size and mean grey)."""

    def __init__(self, inner: OcrEngine | None = None) -> None:
        self.inner = inner
        self.calls = 0

    @property
    def engine_id(self) -> str:
        return "counting-" + (self.inner.engine_id if self.inner else "fake")

    def read(self, image: Image.Image) -> list[OcrLine]:
        self.calls += 1
        if self.inner is not None:
            return self.inner.read(image)
        grey = int(np.asarray(image.convert("L")).mean())
        text = f"A scanned page of {image.width} by {image.height} pixels, grey level {grey}."
        return [OcrLine(text, (10.0, 10.0, image.width - 10.0, 40.0), 0.99)]
