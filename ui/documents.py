"""The indexed documents as rows: what ``docqa list --json`` prints and ``GET /v1/documents``
returns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingest.index.manifest import Manifest
from ingest.index.store import current_version_path, read_manifest


def live_manifest(index_dir: Path) -> Manifest:
    """The manifest of the index's live version, read from disk.

    Raises:
        IndexNotFoundError: there is no index at ``index_dir``.
    """
    return read_manifest(current_version_path(index_dir))


def document_rows(manifest: Manifest) -> list[dict[str, Any]]:
    """One row per document, by id: ``doc_id``, ``title``, ``format``, ``n_chunks``,
    ``ingested_at`` and ``source`` (empty when the manifest does not record it)."""
    return [
        {
            "doc_id": doc_id,
            "title": info.get("title", ""),
            "format": info.get("format", ""),
            "n_chunks": info.get("n_chunks", 0),
            "ingested_at": info.get("ingested_at", ""),
            "source": info.get("source", ""),
        }
        for doc_id, info in sorted(manifest.documents.items())
    ]
