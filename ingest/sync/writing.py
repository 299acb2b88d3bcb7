"""What a writer holds while it writes: the folder's lock and its store's writer guard.

An index held in Milvus can be written from any machine that names its URI and collection.
Writers of one folder are kept apart by its file lock; writers on different machines by the
store's guard (in Milvus, a lease), under which the folder first follows the version the
store holds as live, so a writer on another machine starts from the index as it is, never
from an older or empty picture of it (see :meth:`VersionStore.writer_guard
<ingest.index.backends.protocol.VersionStore.writer_guard>`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ingest.errors import IndexNotFoundError
from ingest.index.backends.factory import version_store
from ingest.index.backends.settings import BackendSettings
from ingest.index.lock import writer_lock
from ingest.index.store import current_version_path

_log = logging.getLogger(__name__)


@contextmanager
def writing(index_dir: Path, backend: BackendSettings) -> Iterator[None]:
    """Hold what a writer of ``index_dir`` (on ``backend``) needs for the block.

    Raises:
        IndexBusyError: another writer held the lock or the lease for too long.
        BackendUnavailableError: the index's Milvus cannot be reached.
    """
    with writer_lock(index_dir):
        try:
            live: Path | None = current_version_path(index_dir)
        except IndexNotFoundError:
            live = None
        store = version_store(index_dir, backend, live)
        with store.writer_guard(index_dir, live) as followed:
            if followed is not None:
                _log.info(
                    "version %s of the index in Milvus was written elsewhere; writing after it",
                    followed,
                )
            yield
