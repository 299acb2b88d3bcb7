"""Writes that survive a crash: fsync of files and folders, and the atomic ``CURRENT`` switch."""

from __future__ import annotations

import os
from pathlib import Path


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
