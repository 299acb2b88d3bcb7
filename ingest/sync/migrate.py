"""Move a whole index to another backend (FAISS files <-> Milvus), embedding nothing.

The next version holds the same documents, chunks, tokens and sentence units; every vector
is read from the live version's backend and written to the other one. Once it is live,
what the move leaves behind is removed: moving into Milvus removes the local version files
(the folder keeps the manifest), moving out of Milvus (or to another Milvus) drops the old
collections. Readers still on the old version start over on the new one. A move holds the
folder's writer lock and, for each side kept outside the folder (Milvus), that store's
writer lease, so no writer on another machine writes to a collection while it is being moved
away from or into.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

from ingest.embedding.protocol import Embedder
from ingest.embedding.settings import EmbeddingSettings
from ingest.errors import InvalidInputError
from ingest.index.backends.factory import version_store
from ingest.index.backends.protocol import VersionStore
from ingest.index.backends.settings import BackendSettings
from ingest.index.lock import writer_lock
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
        target = version_store(index_dir, to, path)
        source = source or BackendSettings()
        old = version_store(index_dir, source, path)
        if target == old:
            raise InvalidInputError(f"{index_dir} is already on {target.kind} there")
        # The store the live version records: what the move leaves, when it is outside
        # the folder.
        leaving = old if version_store(index_dir, BackendSettings(), path).place else None
        with ExitStack() as held:
            for store in _leased(leaving, target):
                held.enter_context(store.lease())
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


def _leased(*stores: VersionStore | None) -> list[VersionStore]:
    """One store per distinct place outside the folder among ``stores``, sorted by place:
    the leases a move holds, taken in one order by every writer so two moves never wait on
    each other."""
    places = {s.place: s for s in stores if s is not None and s.place is not None}
    return [places[place] for place in sorted(places)]


def _clean_up(index_dir: Path, old: VersionStore | None, new: VersionStore) -> None:
    """Remove what the move left behind: the local versions before the live one and, when
    the index moved away from a place outside the folder (Milvus collections), that place."""
    retire_other_versions(index_dir)
    if old is not None and old.place is not None and old.place != new.place:
        old.drop()
