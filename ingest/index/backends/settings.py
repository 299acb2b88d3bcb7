"""Which backend an index uses, and how a version folder records where it lives.

Settings: ``$DOCQA_BACKEND`` (``faiss`` or ``milvus``) and ``$DOCQA_MILVUS_URI`` (a file
path: embedded milvus-lite; ``http://host:19530``: a Milvus server or cluster).
``backend.json`` in a version folder says where the version is (absent: local files).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from ingest.errors import IndexMismatchError, InvalidInputError

BackendKind = Literal["faiss", "milvus"]
BACKENDS: tuple[BackendKind, ...] = ("faiss", "milvus")
#: Environment variable that chooses where chunk vectors and BM25 live.
INDEX_BACKEND_ENV = "DOCQA_BACKEND"
#: Environment variable naming the Milvus server or milvus-lite file.
MILVUS_URI_ENV = "DOCQA_MILVUS_URI"
#: Environment variable naming the index's collections in Milvus (their common prefix).
MILVUS_COLLECTION_ENV = "DOCQA_MILVUS_COLLECTION"
BACKEND_FILE = "backend.json"


@dataclass(frozen=True)
class BackendSettings:
    """Which backend an index uses.

    Attributes:
        kind: ``faiss``, ``milvus``, or None (keep the index's own; FAISS for a new one).
        milvus_uri: Milvus address: a file path (milvus-lite) or ``http://host:port``. When
            reading, overrides the address recorded with the index.
        collection: Milvus collection name, the prefix of the index's other collections
            (default: the one the index records, else derived from the index directory).
    """

    kind: BackendKind | None = None
    milvus_uri: str | None = None
    collection: str | None = None

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in BACKENDS:
            raise InvalidInputError(
                f"unknown backend {self.kind!r}; valid backends are: {', '.join(BACKENDS)}"
            )

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> BackendSettings:
        """Settings from ``$DOCQA_BACKEND``, ``$DOCQA_MILVUS_URI`` and
        ``$DOCQA_MILVUS_COLLECTION`` (unset or empty: None).

        Raises:
            InvalidInputError: an unknown backend.
        """
        env = os.environ if environ is None else environ
        kind = env.get(INDEX_BACKEND_ENV) or None
        return cls(
            kind=cast(BackendKind | None, kind),
            milvus_uri=env.get(MILVUS_URI_ENV) or None,
            collection=env.get(MILVUS_COLLECTION_ENV) or None,
        )

    @staticmethod
    def move(to: BackendKind, milvus_uri: str | None) -> tuple[BackendSettings, BackendSettings]:
        """``(to, source)`` of a move to backend ``to`` when the command names ``milvus_uri``:
        the address of the Milvus moved to (``--to milvus``) or moved from (``--to faiss``).
        """
        moving_in = to == "milvus"
        return (
            BackendSettings(kind=to, milvus_uri=milvus_uri if moving_in else None),
            BackendSettings(milvus_uri=None if moving_in else milvus_uri),
        )


def read_backend_file(version: Path) -> dict[str, Any]:
    """The ``backend.json`` of a version folder (``{"kind": "faiss"}`` when absent)."""
    try:
        data = json.loads((version / BACKEND_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"kind": "faiss"}
    if not isinstance(data, dict) or data.get("kind") not in BACKENDS:
        raise ValueError(f"{BACKEND_FILE}: not a docqa backend description")
    return data


def check_backend(index_dir: Path, recorded: str, settings: BackendSettings) -> None:
    """Raise when ``settings`` ask for another backend than the index uses."""
    if settings.kind is not None and settings.kind != recorded:
        raise IndexMismatchError(
            f"{index_dir} keeps its chunks in {recorded}, not {settings.kind}; move it with: "
            f"docqa migrate --index {index_dir} --to {settings.kind}"
            + (" --milvus-uri URI" if settings.kind == "milvus" else "")
        )
