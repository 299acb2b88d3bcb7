"""Decide what a sync changes, from the live manifest alone (no index files are loaded).

A run brings, per doc id, either a parsed document or the news that its file is byte for
byte the one the live version was built from. Comparing that with the manifest gives the
added, updated, unchanged and removed documents and the next manifest entries; when
nothing differs, the run ends without loading or writing anything.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ingest.formats.document import Document
from ingest.sync.sources import FileState


@dataclass(frozen=True)
class Incoming:
    """What a run brings for one doc id.

    Attributes:
        document: The parsed document, or None when the file is the one the live version
            holds (same file hash), so its document is taken from there.
        source: Where it was read from.
        file: What is known of the file (None for documents not read from a file).
        parent: For an attachment, the doc id of the file it was found in (whose file
            state it shares), else None.
    """

    document: Document | None
    source: str
    file: FileState | None = None
    parent: str | None = None


@dataclass(frozen=True)
class Plan:
    """What the next version holds and how it differs from the live one."""

    added: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]
    order: tuple[str, ...]
    info: dict[str, dict[str, Any]]
    changed: bool

    @property
    def keep(self) -> set[str]:
        """Doc ids whose chunks carry over from the live version as they are."""
        return set(self.order) - set(self.added) - set(self.updated)


def structure_hash(document: Document) -> str:
    """SHA-256 of what chunking depends on besides the text: sections and pages."""
    shape = [[list(s.path), s.start, s.end] for s in document.sections]
    pages = [[p.number, p.start, p.end] for p in document.pages]
    return hashlib.sha256(json.dumps([shape, pages]).encode("utf-8")).hexdigest()


def known_files(entries: Mapping[str, Mapping[str, Any]]) -> dict[str, FileState]:
    """The files of the manifest entries complete enough to be reused without parsing."""
    known = {}
    for doc_id, entry in entries.items():
        state = FileState.from_entry(entry)
        if state is not None and entry.get("structure_hash"):
            known[doc_id] = state
    return known


def now() -> str:
    """The current UTC time as the manifest records it."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _entry(document: Document, incoming: Incoming, old: Mapping[str, Any] | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "content_hash": document.content_hash,
        "structure_hash": structure_hash(document),
        "title": document.title,
        "source": incoming.source,
        "format": document.format,
        "n_chunks": (old or {}).get("n_chunks", 0),
    }
    same = old is not None and all(
        old.get(k) == entry[k] for k in ("content_hash", "structure_hash")
    )
    entry["ingested_at"] = str(old.get("ingested_at", now())) if same and old else now()
    if incoming.file is not None:
        entry.update(incoming.file.as_entry())
    if incoming.parent is not None:
        entry["parent"] = incoming.parent
    return entry


def children(entries: Mapping[str, Mapping[str, Any]], parents: Collection[str]) -> list[str]:
    """The doc ids of the attachments found in the files of ``parents`` (manifest entries
    record the file they came from as ``parent``)."""
    return [d for d, entry in entries.items() if entry.get("parent") in parents]


#: Entry fields whose change alone is not worth a new version (they are recorded with the
#: next one; until then an unchanged file whose mtime moved is hashed again on each run).
_BOOKKEEPING = frozenset(["n_chunks", "file_size", "file_mtime_ns", "file_checked_ns"])


def _meaningful(entry: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (entry or {}).items() if k not in _BOOKKEEPING}


def make_plan(
    live: Mapping[str, Mapping[str, Any]],
    incoming: Mapping[str, Incoming],
    removed: Sequence[str] = (),
) -> Plan:
    """Compare what a run brings with the live manifest's documents.

    Args:
        live: The live manifest's ``documents`` (empty for a new index).
        incoming: What this run read, by doc id.
        removed: Doc ids to drop.
    """
    gone = set(removed)
    info: dict[str, dict[str, Any]] = {}
    added, updated, unchanged = [], [], []
    for doc_id, item in incoming.items():
        old = live.get(doc_id)
        if item.document is None:  # same file as the live version's
            entry = dict(old or {})
            entry["source"] = item.source
            if item.file is not None:
                entry.update(item.file.as_entry())
            info[doc_id] = entry
            unchanged.append(doc_id)
            continue
        entry = _entry(item.document, item, old)
        info[doc_id] = entry
        if old is None:
            added.append(doc_id)
        elif (old.get("content_hash"), old.get("structure_hash")) != (
            entry["content_hash"],
            entry["structure_hash"],
        ):
            updated.append(doc_id)
        else:
            unchanged.append(doc_id)
    order = [d for d in live if d not in gone] + added
    for doc_id in order:
        if doc_id not in info:  # untouched by this run
            info[doc_id] = dict(live[doc_id])
    changed = bool(added or updated or gone) or any(
        _meaningful(info[d]) != _meaningful(live.get(d)) for d in order
    )
    return Plan(
        added=tuple(added),
        updated=tuple(updated),
        unchanged=tuple(unchanged),
        removed=tuple(d for d in removed if d in live),
        order=tuple(order),
        info={d: info[d] for d in order},
        changed=changed,
    )
