"""Find the files to ingest and read them, skipping the parse of files known unchanged."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ingest.errors import DocqaError
from ingest.formats.document import Document
from ingest.formats.loaders import LOADERS, parse_document, read_file


@dataclass(frozen=True)
class Rejected:
    """A file that was not ingested, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class Source:
    """A file to ingest and the doc id it gets."""

    path: Path
    doc_id: str


@dataclass(frozen=True)
class FileState:
    """What docqa knows of a file's bytes: their hash, and the file's size and mtime then.

    Attributes:
        sha256: SHA-256 (hex) of the bytes.
        size: Size in bytes (from ``stat`` before reading).
        mtime_ns: Modification time (from ``stat`` before reading).
        checked_ns: When it was read (wall clock, before reading).
    """

    sha256: str
    size: int
    mtime_ns: int
    checked_ns: int

    def still_matches(self, status: os.stat_result) -> bool:
        """True when the file surely still holds the hashed bytes, without reading it.

        Size and mtime must be the same, and the file must have been last modified at
        least a second before it was read: a later change then moves its mtime.
        """
        return (
            status.st_size == self.size
            and status.st_mtime_ns == self.mtime_ns
            and self.mtime_ns < self.checked_ns - 1_000_000_000
        )

    def as_entry(self) -> dict[str, int | str]:
        """The manifest fields that record it."""
        return {
            "file_hash": self.sha256,
            "file_size": self.size,
            "file_mtime_ns": self.mtime_ns,
            "file_checked_ns": self.checked_ns,
        }

    @classmethod
    def from_entry(cls, entry: Mapping[str, object]) -> FileState | None:
        """Read :meth:`as_entry` fields back (None when some are missing)."""
        try:
            return cls(
                str(entry["file_hash"]),
                int(entry["file_size"]),  # type: ignore[call-overload]
                int(entry["file_mtime_ns"]),  # type: ignore[call-overload]
                int(entry["file_checked_ns"]),  # type: ignore[call-overload]
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass
class Scan:
    """What reading the sources found.

    Attributes:
        sources: Every supported file found, by doc id.
        roots: The given paths that exist (folders and files), absolute.
        files: What is known of each file read (or known unchanged), by doc id.
        parsed: Documents parsed because their file differs from the known one.
        rejected: Paths and files that could not be used, with the reason.
    """

    sources: dict[str, Source] = field(default_factory=dict)
    roots: list[Path] = field(default_factory=list)
    files: dict[str, FileState] = field(default_factory=dict)
    parsed: dict[str, Document] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def readable(self) -> list[str]:
        """Doc ids whose file was read (parsed, or known unchanged)."""
        return list(self.files)


def file_hash(data: bytes) -> str:
    """SHA-256 (hex) of a file's bytes."""
    return hashlib.sha256(data).hexdigest()


def discover(paths: Iterable[str | Path]) -> Scan:
    """Expand files and folders into sources with stable doc ids.

    A file given directly gets its file name as id; a file found in a folder gets its path
    relative to that folder. Folders are walked recursively, hidden entries skipped, files
    of unsupported types ignored. Paths that do not exist, folders without any file docqa
    reads (:data:`NOTHING_TO_READ`) and file names that are not UTF-8 are rejected.
    """
    scan = Scan()
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            scan.rejected.append(Rejected(printable(path), "no such file or folder"))
            continue
        root = path.resolve()
        scan.roots.append(root)
        if not path.is_dir():
            _add(scan, root, path.name)
            continue
        found = _walk(root)
        if not found:
            scan.rejected.append(Rejected(printable(path), NOTHING_TO_READ))
        for doc_id in found:
            _add(scan, root / doc_id, doc_id)
    return scan


#: Why a folder given to ingest was rejected when it holds no file docqa reads.
NOTHING_TO_READ = "no files docqa can read in this folder"


def printable(path: Path) -> str:
    """``path`` as text that can be printed (bytes that are not UTF-8 shown as U+FFFD)."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _add(scan: Scan, path: Path, doc_id: str) -> None:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:  # the id and the source are stored and shown as text
        scan.rejected.append(
            Rejected(printable(path), "the path is not valid UTF-8; rename the file or folder")
        )
        return
    scan.sources.setdefault(doc_id, Source(path, doc_id))


def _walk(root: Path) -> list[str]:
    """Relative POSIX paths of the supported, non-hidden files under ``root``, sorted."""
    found: list[str] = []
    top = str(root)
    for folder, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        rel = os.path.relpath(folder, top).replace(os.sep, "/")
        prefix = "" if rel == "." else rel + "/"
        for name in files:
            if not name.startswith(".") and os.path.splitext(name)[1].lower() in LOADERS:
                found.append(prefix + name)
    return sorted(found)


def _read(path: Path, max_bytes: int) -> tuple[bytes, FileState]:
    checked = time.time_ns()
    status = os.stat(path)  # before reading: a change after it moves the mtime
    data = read_file(path, max_bytes=max_bytes)
    return data, FileState(file_hash(data), status.st_size, status.st_mtime_ns, checked)


def read_sources(
    scan: Scan,
    known: Mapping[str, FileState],
    *,
    max_bytes: int,
    advance: Callable[[int], None] = lambda n: None,
) -> None:
    """Read every source of ``scan``; parse those whose bytes differ from ``known[doc_id]``.

    A file whose size and mtime show it unchanged since it was hashed is not even read.
    Fills ``scan.files``, ``scan.parsed`` and ``scan.rejected`` (a file that vanished, is
    too large, damaged, encrypted, binary or empty is rejected with the reason).
    """
    for doc_id, source in scan.sources.items():
        old = known.get(doc_id)
        try:
            if (
                old is not None
                and old.size <= max_bytes
                and old.still_matches(os.stat(source.path))
            ):
                scan.files[doc_id] = old
            else:
                data, state = _read(source.path, max_bytes)
                if old is None or old.sha256 != state.sha256:
                    scan.parsed[doc_id] = parse_document(source.path, doc_id, data)
                scan.files[doc_id] = state
        except (DocqaError, OSError) as exc:
            scan.rejected.append(Rejected(str(source.path), _reason(exc, source.path)))
        except RecursionError:
            scan.rejected.append(Rejected(str(source.path), "too deeply nested to read"))
        advance(1)


def parse_again(scan: Scan, doc_id: str, *, max_bytes: int) -> Document | None:
    """Parse a source that was skipped as unchanged against an older version (or reject it)."""
    source = scan.sources[doc_id]
    try:
        data, state = _read(source.path, max_bytes)
        document = parse_document(source.path, doc_id, data)
    except (DocqaError, OSError) as exc:
        scan.rejected.append(Rejected(str(source.path), _reason(exc, source.path)))
        scan.files.pop(doc_id, None)
        return None
    scan.files[doc_id] = state
    scan.parsed[doc_id] = document
    return document


def _reason(exc: Exception, path: Path) -> str:
    text = str(exc)
    if isinstance(exc, FileNotFoundError) or not path.exists():
        return "the file vanished while it was being read"
    if isinstance(exc, OSError):  # permissions, I/O errors: the path is already named
        return f"cannot read the file ({exc.strerror or exc})"
    prefix = f"{path}: "
    return text[len(prefix) :] if text.startswith(prefix) else text
