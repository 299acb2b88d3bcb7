"""Reaching Milvus: the address check, one client per address, guarded calls and the error
they raise.

A URI that is a file path (ending ``.db``) runs milvus-lite in-process; ``http://host:19530``
reaches a Milvus server or cluster.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest.errors import DocqaError, InvalidInputError

__all__ = ["BackendUnavailableError", "call", "check_uri", "collection_name", "connect"]


class BackendUnavailableError(DocqaError, ConnectionError):
    """The Milvus server (or milvus-lite file) cannot be reached or refused a request."""


def check_uri(uri: str) -> str:
    """Return ``uri`` (a file path made absolute) or raise :class:`InvalidInputError`."""
    if uri.startswith(("http://", "https://", "tcp://", "unix:")):
        return uri
    if not uri.endswith(".db"):
        raise InvalidInputError(
            f"milvus URI {uri!r} is neither http://host:port nor a milvus-lite file ending "
            "in .db; e.g. --milvus-uri http://localhost:19530 or --milvus-uri ./milvus.db"
        )
    return str(Path(uri).expanduser().resolve())


@lru_cache(maxsize=8)
def connect(uri: str) -> Any:
    """One client per URI and process (milvus-lite allows one opener of a file)."""
    from pymilvus import MilvusClient

    uri = check_uri(uri)
    if not uri.startswith(("http://", "https://", "tcp://", "unix:")):
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
    try:
        return MilvusClient(uri=uri)
    except Exception as exc:  # pymilvus raises MilvusException and gRPC errors alike
        raise BackendUnavailableError(f"cannot reach Milvus at {uri}: {exc}") from exc


def call(uri: str, collection: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, any failure but docqa's own raised as
    :class:`BackendUnavailableError` naming the address and the collection."""
    try:
        return fn(*args, **kwargs)
    except DocqaError:
        raise
    except Exception as exc:
        raise BackendUnavailableError(f"Milvus at {uri} (collection {collection}): {exc}") from exc


def collection_name(index_dir: Path) -> str:
    """Default Milvus collection of an index directory (letters, digits and underscores)."""
    digest = hashlib.sha1(str(index_dir.resolve()).encode("utf-8")).hexdigest()[:16]
    return f"docqa_{digest}"
