"""One writer at a time per index directory (an advisory file lock)."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ingest.errors import InvalidInputError


@contextmanager
def writer_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index's writer lock (``INDEX/LOCK``); waits for another writer to finish.

    The index directory is created here, so callers take the lock only once they know
    they will write. The lock is released by the kernel if the process dies.

    Raises:
        InvalidInputError: the index directory cannot be created or written (a read-only
            folder, a file in the way).
    """
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        handle = open(index_dir / "LOCK", "a+")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise InvalidInputError(
            f"cannot write the index at {index_dir} ({exc.strerror or exc}); "
            "choose another --index or make it writable"
        ) from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
