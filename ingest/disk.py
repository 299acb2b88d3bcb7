"""What a failed write says: whether the disk is full, which disk, and what was being written.

A full disk shows up in many forms: ``OSError`` with ``ENOSPC`` from ``open``/``write``,
numpy's ``OSError("196608 requested and 16352 written")`` without an errno, or FAISS's
``RuntimeError`` from ``fwrite``. :func:`write_failure` turns any of them into one
:class:`~ingest.errors.IndexUnwritableError` that names the disk and its free space.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from ingest.errors import IndexUnwritableError

#: Below this many free bytes a failed write is put down to a full disk.
NEARLY_FULL = 1_000_000
_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def mount_point(path: Path) -> Path:
    """The mount point of the file system holding ``path`` (or its nearest existing parent)."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    while not os.path.ismount(path) and path != path.parent:
        path = path.parent
    return path


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1_000_000:,.1f} MB" if n_bytes >= 100_000 else f"{n_bytes:,} bytes"


def write_failure(exc: BaseException, path: Path, what: str) -> IndexUnwritableError:
    """The error to raise when writing ``what`` under ``path`` failed with ``exc``: a full
    disk (``ENOSPC``/``EDQUOT``, or under :data:`NEARLY_FULL` bytes free) says so first."""
    disk = mount_point(path)
    try:
        free_bytes: int | None = shutil.disk_usage(disk).free
    except OSError:
        free_bytes = None
    free = "free space unknown" if free_bytes is None else f"{_size(free_bytes)} free"
    detail = str(exc) or type(exc).__name__
    full = isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS
    if full or (free_bytes is not None and free_bytes < NEARLY_FULL):
        return IndexUnwritableError(
            f"no space left on the disk holding {path} ({disk}, {free}) while writing "
            f"{what}; nothing was changed: free some space and run again ({detail})"
        )
    return IndexUnwritableError(
        f"could not write {what} under {path} ({disk}, {free}): {detail}; nothing was changed"
    )
