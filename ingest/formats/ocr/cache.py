"""OCR results cached by the picture's content, so that no picture is read twice.

A picture's key is the SHA-256 of its pixels (mode, size and bytes); results live in a folder
per engine (:attr:`~ingest.formats.ocr.engine.OcrEngine.engine_id`), one small JSON file per
picture, written to a temporary name and renamed, so a killed run leaves no half entry and
two runs writing the same entry write the same bytes. A damaged entry is read again by OCR.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

from PIL import Image

from ingest.formats.ocr.engine import OcrLine


def picture_key(image: Image.Image) -> str:
    """The cache key of a picture: SHA-256 (hex) of its mode, size and pixels."""
    digest = hashlib.sha256(f"{image.mode} {image.width}x{image.height}\n".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()


class OcrCache:
    """OCR lines by picture key, in memory and (with a folder) on disk."""

    def __init__(self, folder: Path | None, engine_id: str) -> None:
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", engine_id).strip("_") or "engine"
        self.folder = folder / slug if folder is not None else None
        self._memory: dict[str, list[OcrLine]] = {}

    def _path(self, key: str) -> Path | None:
        return self.folder / key[:2] / f"{key}.json" if self.folder is not None else None

    def get(self, key: str) -> list[OcrLine] | None:
        """The lines stored for ``key``, or None."""
        if key in self._memory:
            return self._memory[key]
        path = self._path(key)
        if path is None:
            return None
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))["lines"]
            lines = [
                OcrLine(str(t), (float(a), float(b), float(c), float(d)), float(s))
                for t, (a, b, c, d), s in rows
            ]
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing or damaged: read the picture again
        self._memory[key] = lines
        return lines

    def put(self, key: str, lines: list[OcrLine]) -> None:
        """Store ``lines`` for ``key`` (on disk when there is a folder; errors only cost
        reading the picture again next time)."""
        self._memory[key] = lines
        path = self._path(key)
        if path is None:
            return
        body = json.dumps(
            {"lines": [[x.text, list(x.box), x.score] for x in lines]}, ensure_ascii=False
        )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(body)
            os.replace(temp, path)
        except OSError:
            return
