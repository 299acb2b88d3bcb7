"""Move a whole index to another backend (FAISS files <-> Milvus), embedding nothing.

The next version holds the same documents, chunks, tokens and sentence units; every vector
is read from the live version's backend and written to the other one. Once it is live,
what the move leaves behind is removed: moving into Milvus removes the local version files
(the folder keeps the manifest), moving out of Milvus (or to another Milvus) drops the old
collections. Readers still on the old version start over on the new one. A move holds the
folder's writer lock and, for each Milvus side, that index's writer lease
(:mod:`ingest.index.milvus_lease`), so no writer on another machine writes to a collection
while it is being moved away from or into.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

from ingest.embedding.embedder import Embedder
from ingest.embedding.settings import EmbeddingSettings
from ingest.errors import InvalidInputError
from ingest.index.backend import BackendSettings, read_backend_file
from ingest.index.chunk_index import Target, resolve_target
from ingest.index.lock import writer_lock
from ingest.index.milvus import check_uri
from ingest.index.milvus_files import MilvusFiles
from ingest.index.milvus_lease import writer_lease
from ingest.index.milvus_store import drop, files_collection
from ingest.index.store import (
    current_version_path,
    load_version,
    read_manifest,
    retire_other_versions,
)
from ingest.sync.models import embedder_for
from ingest.sync.reports import IngestReport, ProgressFactory, no_progress
from ingest.sync.update import build_content, write_content


def migrate(
    index_dir: Path,
    to: BackendSettings,
    *,
    source: BackendSettings | None = None,
    embedder: Embedder | None = None,
    embedding: EmbeddingSettings | None = None,
    progress: ProgressFactory = no_progress,
) -> IngestReport:
    """Move the whole index to another backend, embedding nothing, and clean up after.

    The next version holds the same documents and chunks; vectors come from the live
    version (or the embedding cache), so no model runs. Once it is live, the versions on
    the old backend are removed: local version files, or the old Milvus collections.

    Args:
        index_dir: The index.
        to: The backend to move to.
        source: Where the live index is read from (default: where it records; give the
            address of its Milvus when that moved).
        embedder: The index's model, if already loaded (it is only needed for texts that
            neither the live version nor the embedding cache holds).
        embedding: How the model runs, if it must be loaded.
        progress: Progress display.

    Raises:
        IndexNotFoundError: there is no index.
        InvalidInputError: no target backend, or the index is already there.
        BackendUnavailableError: Milvus cannot be reached.
    """
    if to.kind is None:
        raise InvalidInputError("name the backend to move to: --to faiss or --to milvus")
    started = time.perf_counter()
    current_version_path(index_dir)  # raises when there is no index
    with writer_lock(index_dir):
        path = current_version_path(index_dir)
        live = read_manifest(path)
        target = resolve_target(index_dir, to, path)
        source = source or BackendSettings()
        old = resolve_target(index_dir, source, path)
        if target == old:
            raise InvalidInputError(f"{index_dir} is already on {target.kind} there")
        recorded = read_backend_file(path)
        leaving = old if recorded["kind"] == "milvus" else None
        with ExitStack() as held:
            for uri, collection in _milvus_places(leaving, target):
                held.enter_context(writer_lease(MilvusFiles(uri, files_collection(collection))))
            previous = load_version(index_dir, source)
            content = build_content(
                previous,
                list(previous.documents.values()),
                keep=set(previous.documents),
                chunking=live.chunking,
                sparse=live.sparse,
                embedder=embedder_for(index_dir, live, embedder, embedding),
                dimension=live.dimension,
                cache_dir=index_dir / "cache",
                progress=progress,
            )
            written = write_content(index_dir, live, content, target)
            _clean_up(index_dir, leaving, target)
        return IngestReport.written(
            index_dir, content, written, started, unchanged=tuple(previous.documents)
        )


def _milvus_places(*targets: Target | None) -> list[tuple[str, str]]:
    """The distinct Milvus ``(uri, collection)`` pairs among ``targets``, sorted: the leases
    a move holds, taken in one order by every writer so two moves never wait on each other."""
    places = {
        (check_uri(t.uri), t.collection)
        for t in targets
        if t is not None and t.kind == "milvus" and t.uri and t.collection
    }
    return sorted(places)


def _clean_up(index_dir: Path, old: Target | None, new: Target) -> None:
    """Remove what the move left behind: the local versions before the live one and, when
    the index moved away from a Milvus collection, that collection and its companions."""
    retire_other_versions(index_dir)
    if old is None or old.uri is None or old.collection is None:
        return
    new_place = (check_uri(new.uri) if new.uri else None, new.collection)
    if (check_uri(old.uri), old.collection) != new_place:
        drop(old.uri, old.collection)
