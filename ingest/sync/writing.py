"""What a writer holds while it writes: the folder's lock and, in Milvus, the index's lease.

An index held in Milvus can be written from any machine that names its URI and collection.
Writers of one folder are kept apart by its file lock; writers on different machines by the
lease in Milvus (:mod:`ingest.index.milvus_lease`). Under both, the folder first follows the
version Milvus holds as live (:func:`ingest.index.milvus_store.follow_milvus`), so a writer on
another machine starts from the index as it is, never from an older or empty picture of it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ingest.errors import IndexNotFoundError
from ingest.index.backend import BackendSettings, read_backend_file
from ingest.index.chunk_index import resolve_target
from ingest.index.lock import writer_lock
from ingest.index.milvus import check_uri
from ingest.index.milvus_files import MilvusFiles
from ingest.index.milvus_lease import writer_lease
from ingest.index.milvus_store import files_collection, follow_milvus
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
        target = resolve_target(index_dir, backend, live)
        elsewhere = live is not None and read_backend_file(live)["kind"] != "milvus"
        if target.kind != "milvus" or elsewhere:  # (a move needs `docqa migrate`)
            yield
            return
        assert target.uri is not None and target.collection is not None
        files = MilvusFiles(check_uri(target.uri), files_collection(target.collection))
        with writer_lease(files):
            followed = follow_milvus(index_dir, target)
            if followed is not None:
                _log.info(
                    "version %s of the index in Milvus was written elsewhere; writing after it",
                    followed,
                )
            yield
