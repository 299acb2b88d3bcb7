"""Whether a loaded version's files are still the files it mapped.

Much of a version is memory-mapped. A mapped file that shrinks under a running process (cut
short by ``truncate``, or a backup copied over it) kills the process with SIGBUS on the next
read of a lost page, with no Python error to catch. So the size of every file of the version
folder is recorded before anything is mapped, and compared before the version is used again:
a file whose size changed is reported instead of read.
"""

from __future__ import annotations

import os
from pathlib import Path

#: ``(path relative to the version folder, size in bytes)`` of every file, sorted.
Sizes = tuple[tuple[str, int], ...]


def folder_sizes(folder: Path) -> Sizes:
    """The size of every file under ``folder`` (recursively), by relative path."""
    found: list[tuple[str, int]] = []
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(root) / name
            try:
                found.append((path.relative_to(folder).as_posix(), path.stat().st_size))
            except OSError:
                continue  # gone between listing and stat: the next check names it
    return tuple(sorted(found))


def changed_files(folder: Path, sizes: Sizes) -> list[str]:
    """The files of ``sizes`` that are missing now or whose size differs, by relative path."""
    changed = []
    for name, size in sizes:
        try:
            now = (folder / name).stat().st_size
        except OSError:
            now = -1
        if now != size:
            changed.append(name)
    return changed
