"""Exports of a model, cached per model, kind and export version, made on first use."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from ingest.embedding.model_files import EXPORT_KINDS, EXPORT_VERSION, fingerprint, read_layout

_log = logging.getLogger("docqa")


def export_folder(model: str, folder: Path, *, kind: str, cache_dir: Path) -> Path:
    """Where the export of ``model`` (read from ``folder``) as ``kind`` lives in ``cache_dir``.

    The name changes with the export version and with the model files, so a changed model or
    exporter never reuses an old export.
    """
    if kind not in EXPORT_KINDS:
        raise ValueError(
            f"unknown export kind {kind!r}; valid kinds are: {', '.join(EXPORT_KINDS)}"
        )
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", model).strip("_")[-60:] or "model"
    return cache_dir / f"{slug}-{kind}-v{EXPORT_VERSION}-{fingerprint(folder)}"


def exported_model(model: str, folder: Path, *, kind: str, cache_dir: Path) -> Path:
    """The cached export of ``model`` (from ``folder``) as ``kind``, exporting it on first use.

    The export (15-20 s for all-MiniLM-L6-v2) imports PyTorch, so it is only imported here.

    Raises:
        UnsupportedModelError: the model cannot be exported.
    """
    target = export_folder(model, folder, kind=kind, cache_dir=cache_dir)
    if not (target / "export.json").is_file():
        from ingest.embedding.onnx_export import export_model

        _log.info(
            "preparing the embedding model %s for this machine (%s, once; about 20 s) in %s",
            model,
            kind,
            cache_dir,
        )
        export_model(read_layout(folder), target, kind=kind, source_id=model)
    return target
