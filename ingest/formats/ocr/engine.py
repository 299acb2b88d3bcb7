"""The OCR engine: a picture in, its lines of text with their boxes out.

docqa reads pictures with RapidOCR (the ``rapidocr`` package, Apache-2.0), whose PP-OCRv6
detection and recognition models ship inside its wheel as ONNX files run by ONNX Runtime on
the CPU. The model files are named explicitly, so none of rapidocr's download code can run:
a missing file is an error, never a download. The engine loads at its first picture.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from ingest.errors import OcrUnavailableError

#: The packaged models (inside the ``rapidocr`` wheel, folder ``models``).
DETECTION_MODEL = "PP-OCRv6_det_small.onnx"
RECOGNITION_MODEL = "PP-OCRv6_rec_small.onnx"
#: rapidocr's settings for docqa: no 180-degree classifier (scans and photos are upright; on
#: clean scans it flipped lines and cost time), lines scored under 0.5 dropped, quiet logs.
_PARAMS: dict[str, Any] = {
    "Global.use_cls": False,
    "Global.text_score": 0.5,
    "Global.log_level": "warning",
}


@dataclass(frozen=True)
class OcrLine:
    """One line of text found on a picture.

    Attributes:
        text: What it reads.
        box: ``(left, top, right, bottom)`` in pixels of the picture read.
        score: The recogniser's confidence, 0..1.
    """

    text: str
    box: tuple[float, float, float, float]
    score: float


class OcrEngine(Protocol):
    """Reads the lines of one picture; ``engine_id`` names it (and its models) for the cache."""

    @property
    def engine_id(self) -> str:
        """A name that changes whenever the engine could read a picture differently."""
        ...

    def read(self, image: Image.Image) -> list[OcrLine]:
        """The lines of ``image`` (RGB), in any order."""
        ...


class RapidOcrEngine:
    """:class:`OcrEngine` over the packaged RapidOCR models (thread-safe, loaded once)."""

    def __init__(self) -> None:
        self._engine: Any = None
        self._lock = threading.Lock()

    @property
    def engine_id(self) -> str:
        """``rapidocr-VERSION-DET-REC``, with docqa's settings folded in."""
        try:
            version = metadata.version("rapidocr")
        except metadata.PackageNotFoundError:
            version = "missing"
        det, rec = (Path(name).stem for name in (DETECTION_MODEL, RECOGNITION_MODEL))
        return f"rapidocr-{version}-{det}-{rec}-nocls"

    def _load(self) -> Any:
        with self._lock:
            if self._engine is None:
                try:
                    import rapidocr
                except ImportError as exc:
                    raise OcrUnavailableError(
                        "OCR needs the rapidocr package (pip install 'rapidocr>=3.10')"
                    ) from exc
                models = Path(rapidocr.__file__).parent / "models"
                paths = {name: models / name for name in (DETECTION_MODEL, RECOGNITION_MODEL)}
                missing = [str(p) for p in paths.values() if not p.is_file()]
                if missing:
                    raise OcrUnavailableError(
                        f"the OCR models are missing from the rapidocr package: "
                        f"{', '.join(missing)}; reinstall it with 'pip install rapidocr>=3.10'"
                    )
                params = {
                    **_PARAMS,
                    "Det.model_path": str(paths[DETECTION_MODEL]),
                    "Rec.model_path": str(paths[RECOGNITION_MODEL]),
                }
                self._engine = rapidocr.RapidOCR(params=params)
            return self._engine

    def read(self, image: Image.Image) -> list[OcrLine]:
        """The lines of ``image`` with axis-aligned boxes (the detected quadrilaterals' bounds)."""
        engine = self._load()
        # rapidocr takes OpenCV's BGR channel order for arrays.
        pixels = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
        result = engine(pixels)
        if result.boxes is None or result.txts is None or result.scores is None:
            return []
        lines = []
        for quad, text, score in zip(result.boxes, result.txts, result.scores, strict=True):
            points = np.asarray(quad, dtype=float)
            xs, ys = points[:, 0], points[:, 1]
            box = (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))
            if str(text).strip():
                lines.append(OcrLine(str(text).strip(), box, float(score)))
        return lines
