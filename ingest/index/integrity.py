"""Whether a loaded version's files are still the files it mapped.

Much of a version is memory-mapped. A mapped file that shrinks under a running process (cut
short in place by ``truncate``, or a backup copied over it with ``cp``, which truncates the
same file first) kills the process with SIGBUS on the next read of a lost page, with no
Python error to catch. A file deleted or replaced by a rename is harmless: the mapping keeps
the old file, which nothing changes. So each file of the version folder is recorded (inode,
size, modification time) before anything is mapped, and checked before the version is used
again: a file that is still the same inode but whose size or modification time changed has
been rewritten in place, and the version is not read again.
"""

from __future__ import annotations

import os
from pathlib import Path

#: ``(path relative to the version folder, inode, size, mtime_ns)`` of every file, sorted.
FileStates = tuple[tuple[str, int, int, int], ...]


def file_states(folder: Path) -> FileStates:
    """The state of every file under ``folder`` (recursively), by relative path."""
    found: list[tuple[str, int, int, int]] = []
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(root) / name
            try:
                status = path.stat()
            except OSError:
                continue  # gone between listing and stat: nothing of it is mapped
            relative = path.relative_to(folder).as_posix()
            found.append((relative, status.st_ino, status.st_size, status.st_mtime_ns))
    return tuple(sorted(found))


def rewritten_files(folder: Path, states: FileStates) -> list[str]:
    """The files of ``states`` rewritten in place since (same inode, another size or
    modification time), by relative path; deleted or renamed-over files are not listed."""
    rewritten = []
    for name, inode, size, mtime in states:
        try:
            now = (folder / name).stat()
        except OSError:
            continue
        if now.st_ino == inode and (now.st_size != size or now.st_mtime_ns != mtime):
            rewritten.append(name)
    return rewritten
