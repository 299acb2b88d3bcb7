"""Find the files to ingest and read them, skipping the parse of files known unchanged."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ingest.document import Document
from ingest.errors import DocqaError
from ingest.loaders import LOADERS, parse_document, read_file


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


@dataclass
class Scan:
    """What reading the sources found.

    Attributes:
        sources: Every supported file found, by doc id.
        roots: The given paths that exist (folders and files), absolute.
        file_hashes: SHA-256 of each file read, by doc id.
        parsed: Documents parsed because their file differs from the known hash.
        rejected: Paths and files that could not be used, with the reason.
    """

    sources: dict[str, Source] = field(default_factory=dict)
    roots: list[Path] = field(default_factory=list)
    file_hashes: dict[str, str] = field(default_factory=dict)
    parsed: dict[str, Document] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def readable(self) -> list[str]:
        """Doc ids whose file was read (parsed, or known unchanged)."""
        return list(self.file_hashes)


def file_hash(data: bytes) -> str:
    """SHA-256 (hex) of a file's bytes."""
    return hashlib.sha256(data).hexdigest()


def discover(paths: Iterable[str | Path]) -> Scan:
    """Expand files and folders into sources with stable doc ids.

    A file given directly gets its file name as id; a file found in a folder gets its path
    relative to that folder. Folders are walked recursively, hidden entries skipped, files
    of unsupported types ignored. Paths that do not exist are rejected.
    """
    scan = Scan()
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            scan.rejected.append(Rejected(str(path), "no such file or folder"))
            continue
        root = path.resolve()
        scan.roots.append(root)
        if not path.is_dir():
            scan.sources.setdefault(path.name, Source(root, path.name))
            continue
        for doc_id in _walk(root):
            scan.sources.setdefault(doc_id, Source(root / doc_id, doc_id))
    return scan


def _walk(root: Path) -> list[str]:
    """Relative POSIX paths of the supported, non-hidden files under ``root``, sorted."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        rel = Path(folder).relative_to(root)
        for name in files:
            if not name.startswith(".") and Path(name).suffix.lower() in LOADERS:
                found.append((rel / name).as_posix())
    return sorted(found)


def read_sources(
    scan: Scan,
    known: Mapping[str, str],
    *,
    max_bytes: int,
    advance: Callable[[int], None] = lambda n: None,
) -> None:
    """Read every source of ``scan``; parse those whose hash is not ``known[doc_id]``.

    Fills ``scan.file_hashes``, ``scan.parsed`` and ``scan.rejected`` (a file that
    vanished, is too large, damaged, encrypted, binary or empty is rejected with the reason).
    """
    for doc_id, source in scan.sources.items():
        try:
            data = read_file(source.path, max_bytes=max_bytes)
            digest = file_hash(data)
            if known.get(doc_id) != digest:
                scan.parsed[doc_id] = parse_document(source.path, doc_id, data)
            scan.file_hashes[doc_id] = digest
        except (DocqaError, OSError) as exc:
            scan.rejected.append(Rejected(str(source.path), _reason(exc, source.path)))
        except RecursionError:
            scan.rejected.append(Rejected(str(source.path), "too deeply nested to read"))
        advance(1)


def parse_again(scan: Scan, doc_id: str, *, max_bytes: int) -> Document | None:
    """Parse a source that was skipped as unchanged against an older version (or reject it)."""
    source = scan.sources[doc_id]
    try:
        data = read_file(source.path, max_bytes=max_bytes)
        document = parse_document(source.path, doc_id, data)
    except (DocqaError, OSError) as exc:
        scan.rejected.append(Rejected(str(source.path), _reason(exc, source.path)))
        scan.file_hashes.pop(doc_id, None)
        return None
    scan.file_hashes[doc_id] = file_hash(data)
    scan.parsed[doc_id] = document
    return document


def _reason(exc: Exception, path: Path) -> str:
    text = str(exc)
    if isinstance(exc, FileNotFoundError) or not path.exists():
        return "the file vanished while it was being read"
    prefix = f"{path}: "
    return text[len(prefix) :] if text.startswith(prefix) else text
