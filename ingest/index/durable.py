"""Writes that survive a crash: fsync of files and folders, and the atomic ``CURRENT`` switch;
reading ``CURRENT`` back."""

from __future__ import annotations

import os
from pathlib import Path

from ingest.errors import CorruptIndexError, IndexNotFoundError


def fsync(path: Path) -> None:
    """Flush a file or folder to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    """Flush every file and folder under ``folder``, then ``folder`` itself."""
    for path in sorted(folder.rglob("*")):
        if path.is_file() or path.is_dir():
            fsync(path)
    fsync(folder)


def point_current(index_dir: Path, name: str) -> None:
    """Make version ``name`` the live one (an atomic replace of ``CURRENT``, fsynced)."""
    pointer_tmp = index_dir / ".CURRENT.tmp"
    with open(pointer_tmp, "w") as handle:
        handle.write(name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(pointer_tmp, index_dir / "CURRENT")
    fsync(index_dir)


def current_name(index_dir: Path) -> str | None:
    """The name ``CURRENT`` holds (None: no pointer, or unreadable)."""
    try:
        return (index_dir / "CURRENT").read_text().strip()
    except OSError:
        return None


def current_version_path(index_dir: Path) -> Path:
    """The folder of the live version; raises :class:`IndexNotFoundError` when there is none."""
    pointer = index_dir / "CURRENT"
    try:
        name = pointer.read_text().strip()
    except FileNotFoundError:
        raise IndexNotFoundError(
            f"no docqa index at {index_dir}; build one with: docqa ingest PATH --index {index_dir}"
        ) from None
    except NotADirectoryError:
        raise IndexNotFoundError(
            f"{index_dir} is a file, not an index directory; give the folder of an index"
        ) from None
    except OSError as exc:
        raise CorruptIndexError(f"{pointer}: unreadable ({exc.strerror or exc})") from None
    path = index_dir / "versions" / name
    if not name or not path.is_dir():
        raise CorruptIndexError(
            f"{index_dir}: CURRENT names a missing version {name!r}; "
            "rebuild the index with: docqa ingest PATH --rebuild"
        )
    return path
