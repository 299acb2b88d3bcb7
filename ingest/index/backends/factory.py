"""The one place that chooses where an index's versions live: local files or Milvus.

- :func:`version_store`: where the next version goes (as asked, else where the live one is,
  else local files).
- :func:`recorded_store`: where a version folder says it lives (its ``backend.json``).
- :func:`remote_store`: the Milvus an index is read from without a local folder.
- :func:`reader_settings`: how a docqa on another machine names a version's store.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from ingest.errors import InvalidInputError
from ingest.index.backends.files import FileStore
from ingest.index.backends.milvus.connect import check_uri, collection_name
from ingest.index.backends.milvus.store import MilvusStore, is_resident
from ingest.index.backends.protocol import VersionStore
from ingest.index.backends.settings import (
    BackendKind,
    BackendSettings,
    check_backend,
    read_backend_file,
)

__all__ = ["reader_settings", "recorded_store", "remote_store", "version_store"]


def version_store(
    index_dir: Path, settings: BackendSettings, live: Path | None, *, check: bool = False
) -> VersionStore:
    """The store of the next version: as ``settings`` ask, else the live version's (``live``:
    its folder, None when there is none), else local files.

    Args:
        index_dir: The index.
        settings: The backend asked for.
        live: The live version's folder.
        check: Refuse a backend other than the live version's (a move needs ``migrate``).

    Raises:
        IndexMismatchError: with ``check``, ``settings`` ask for another backend.
        InvalidInputError: Milvus without a URI.
    """
    recorded = read_backend_file(live) if live is not None else {"kind": "faiss"}
    if check and live is not None:
        check_backend(index_dir, recorded["kind"], settings)
    kind: BackendKind = settings.kind or cast(BackendKind, recorded["kind"])
    if kind == "faiss":
        return FileStore(index_dir)
    same = recorded["kind"] == "milvus"
    uri = settings.milvus_uri or (recorded.get("uri") if same else None)
    if not uri:
        raise InvalidInputError(
            "the milvus backend needs an address: --milvus-uri http://host:19530 (a server "
            "or cluster) or --milvus-uri ./milvus.db (embedded milvus-lite), or $DOCQA_MILVUS_URI"
        )
    collection = settings.collection or (recorded.get("collection") if same else None)
    return MilvusStore(uri, collection or collection_name(index_dir))


def recorded_store(index_dir: Path, version: Path, settings: BackendSettings) -> VersionStore:
    """The store version folder ``version`` records; ``settings`` may give another address
    of its Milvus.

    Raises:
        IndexMismatchError: ``settings`` ask for another backend than the version's.
        ValueError: an unreadable ``backend.json``.
    """
    info = read_backend_file(version)
    check_backend(index_dir, info["kind"], settings)
    if info["kind"] == "faiss":
        return FileStore(index_dir)
    uri = settings.milvus_uri or str(info["uri"])
    return MilvusStore(uri, str(info["collection"]), resident=is_resident(info))


def remote_store(index_dir: Path, settings: BackendSettings) -> VersionStore | None:
    """The store an index is read from without its local folder: ``settings`` naming Milvus
    with a URI (the collection defaults to the one derived from ``index_dir``); None else."""
    if settings.kind != "milvus" or not settings.milvus_uri:
        return None
    return MilvusStore(
        check_uri(settings.milvus_uri), settings.collection or collection_name(index_dir)
    )


def reader_settings(version: Path) -> BackendSettings | None:
    """The settings with which a docqa on another machine reads version folder ``version``
    (None: it is local files, read where they are).

    Raises:
        ValueError: an unreadable ``backend.json``.
    """
    info = read_backend_file(version)
    if info["kind"] != "milvus":
        return None
    return BackendSettings("milvus", info.get("uri"), info.get("collection"))
