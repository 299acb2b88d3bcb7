"""Find the files to ingest and read them, skipping the parse of files known unchanged."""

from __future__ import annotations

import functools
import hashlib
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.errors import DocqaError
from ingest.formats.attachments import parse_file
from ingest.formats.document import Document
from ingest.formats.loaders import LOADERS, read_file
from ingest.formats.ocr.reader import PageReader
from ingest.formats.parsed import LoadWarning, Parsed


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
        attachments: The documents of the attachments of each parsed file (a mail's), by
            the file's doc id.
        rejected: Paths and files that could not be used, with the reason.
        warnings: What was left out of files that were read (attachments skipped, sheets
            cut), with the reason.
        renamed: Files whose natural id another file holds, and the id they got instead.
    """

    sources: dict[str, Source] = field(default_factory=dict)
    roots: list[Path] = field(default_factory=list)
    files: dict[str, FileState] = field(default_factory=dict)
    parsed: dict[str, Document] = field(default_factory=dict)
    attachments: dict[str, tuple[Document, ...]] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)
    warnings: list[LoadWarning] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)

    @property
    def readable(self) -> list[str]:
        """Doc ids whose file was read (parsed, or known unchanged)."""
        return list(self.files)


def file_hash(data: bytes) -> str:
    """SHA-256 (hex) of a file's bytes."""
    return hashlib.sha256(data).hexdigest()


def discover(
    paths: Iterable[str | Path], known: Mapping[str, Mapping[str, Any]] | None = None
) -> Scan:
    """Expand files and folders into sources with stable doc ids (see :func:`assign_ids`).

    Folders are walked recursively, hidden entries skipped, files of unsupported types
    ignored. Paths that do not exist, folders without any file docqa reads
    (:data:`NOTHING_TO_READ`) and file names that are not UTF-8 are rejected.

    Args:
        paths: Files and folders.
        known: The live index's documents (``doc_id -> manifest entry``), whose recorded
            sources keep their ids.
    """
    scan = Scan()
    candidates: list[tuple[Path, str]] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            scan.rejected.append(Rejected(printable(path), "no such file or folder"))
            continue
        root = path.resolve()
        scan.roots.append(root)
        if not path.is_dir():
            _add(scan, candidates, root, path.name)
            continue
        found = _walk(root)
        if not found:
            scan.rejected.append(Rejected(printable(path), nothing_to_read(root)))
        for doc_id in found:
            _add(scan, candidates, root / doc_id, doc_id)
    natural = {path: doc_id for path, doc_id in reversed(candidates)}
    for source in assign_ids(candidates, known or {}):
        scan.sources[source.doc_id] = source
        if source.doc_id != natural[source.path]:
            scan.renamed[printable(source.path)] = source.doc_id
    return scan


def assign_ids(
    candidates: Sequence[tuple[Path, str]], known: Mapping[str, Mapping[str, Any]]
) -> list[Source]:
    """Give every file its own document id, the same on every run.

    A file's natural id is its path relative to the folder it was found in (its name when
    given directly). A file the index already holds keeps the id it has. Otherwise it gets
    its natural id, unless another file holds that: another file of this run, or the file an
    indexed document came from when that file still exists. Then the id takes as many of the
    file's parent folders as it needs to be unique (``b/notes.md``, ``x/b/notes.md``), so
    no file given is ever dropped or put in another's place.

    Args:
        candidates: ``(resolved path, natural id)`` in the order given; a path given twice
            counts once.
        known: The live index's documents, ``doc_id -> manifest entry`` (``source``).
    """
    by_source = {str(info.get("source", "")): doc_id for doc_id, info in known.items()}
    unique = list(dict.fromkeys(path for path, _ in candidates))
    natural = {path: doc_id for path, doc_id in reversed(candidates)}  # first claim wins
    ids: dict[Path, str] = {}
    taken: set[str] = set()
    for path in unique:
        doc_id = by_source.get(str(path))
        if doc_id is not None and doc_id not in taken:
            ids[path] = doc_id
            taken.add(doc_id)

    def held(doc_id: str, path: Path) -> bool:
        if doc_id in taken:
            return True
        source = str(known.get(doc_id, {}).get("source", ""))
        return bool(source) and source != str(path) and Path(source).exists()

    for path in unique:
        if path in ids:
            continue
        doc_id = natural[path]
        if held(doc_id, path):
            doc_id = _qualified(path, doc_id, functools.partial(held, path=path))
        ids[path] = doc_id
        taken.add(doc_id)
    return [Source(path, ids[path]) for path in unique]


def _qualified(path: Path, doc_id: str, held: Callable[[str], bool]) -> str:
    """``doc_id`` with parent folders of ``path`` in front until no other file holds it."""
    depth = doc_id.count("/") + 1
    parts = path.parts
    for extra in range(1, len(parts) - depth):
        candidate = "/".join(parts[-(depth + extra) :])
        if not held(candidate):
            return candidate
    n = 2  # every parent folder is taken too (the same file name at the file system's root)
    while held(f"{doc_id}~{n}"):
        n += 1
    return f"{doc_id}~{n}"


#: Why a folder given to ingest was rejected when it holds no file docqa reads (the start of
#: the reason :func:`nothing_to_read` gives).
NOTHING_TO_READ = "no files docqa can read in this folder"


def nothing_to_read(root: Path) -> str:
    """Why ``root`` gives nothing to ingest: what it holds, and the types docqa reads."""
    count, suffixes = 0, set()
    for _folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith("."):
                count += 1
                suffixes.add(os.path.splitext(name)[1].lower() or "(none)")
    if count == 0:
        held = "it holds no files"
    else:
        kinds = ", ".join(sorted(suffixes)[:5]) + (", ..." if len(suffixes) > 5 else "")
        held = f"it holds {count:,} file{'s' if count != 1 else ''} of type {kinds}"
    return f"{NOTHING_TO_READ} ({held}; docqa reads {', '.join(sorted(LOADERS))})"


def printable(path: Path) -> str:
    """``path`` as text that can be printed (bytes that are not UTF-8 shown as U+FFFD)."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _add(scan: Scan, candidates: list[tuple[Path, str]], path: Path, doc_id: str) -> None:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:  # the id and the source are stored and shown as text
        scan.rejected.append(
            Rejected(printable(path), "the path is not valid UTF-8; rename the file or folder")
        )
        return
    candidates.append((path, doc_id))


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
    ocr: PageReader | None = None,
) -> None:
    """Read every source of ``scan``; parse those whose bytes differ from ``known[doc_id]``.

    A file whose size and mtime show it unchanged since it was hashed is not even read (nor
    are its pictures, or its attachments' pictures, by ``ocr``, the reader of scanned pages
    and images).
    Fills ``scan.files``, ``scan.parsed``, ``scan.attachments``, ``scan.warnings`` and
    ``scan.rejected`` (a file that vanished, is too large, damaged, encrypted, binary or
    empty is rejected with the reason).
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
                    parsed = parse_file(source.path, doc_id, data, max_bytes=max_bytes, ocr=ocr)
                    _keep(scan, doc_id, parsed)
                scan.files[doc_id] = state
        except (DocqaError, OSError) as exc:
            scan.rejected.append(Rejected(str(source.path), _reason(exc, source.path)))
        except RecursionError:
            scan.rejected.append(Rejected(str(source.path), "too deeply nested to read"))
        advance(1)


def parse_again(
    scan: Scan, doc_id: str, *, max_bytes: int, ocr: PageReader | None = None
) -> Document | None:
    """Parse a source that was skipped as unchanged against an older version (or reject it)."""
    source = scan.sources[doc_id]
    try:
        data, state = _read(source.path, max_bytes)
        parsed = parse_file(source.path, doc_id, data, max_bytes=max_bytes, ocr=ocr)
    except (DocqaError, OSError) as exc:
        scan.rejected.append(Rejected(str(source.path), _reason(exc, source.path)))
        scan.files.pop(doc_id, None)
        return None
    scan.files[doc_id] = state
    _keep(scan, doc_id, parsed)
    return parsed.document


def _keep(scan: Scan, doc_id: str, parsed: Parsed) -> None:
    """Record what parsing the file of ``doc_id`` gave."""
    scan.parsed[doc_id] = parsed.document
    scan.warnings.extend(parsed.warnings)
    attachments = []
    for attachment in parsed.attachments:
        if attachment.doc_id in scan.sources:  # a file of that very path was given too
            scan.warnings.append(
                LoadWarning(attachment.source, "attachment skipped: a file has its id")
            )
        else:
            attachments.append(attachment)
    scan.attachments[doc_id] = tuple(attachments)


def _reason(exc: Exception, path: Path) -> str:
    text = str(exc)
    if isinstance(exc, FileNotFoundError) or not path.exists():
        return "the file vanished while it was being read"
    if isinstance(exc, OSError):  # permissions, I/O errors: the path is already named
        return f"cannot read the file ({exc.strerror or exc})"
    prefix = f"{path}: "
    return text[len(prefix) :] if text.startswith(prefix) else text
