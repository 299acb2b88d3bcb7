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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ingest.document import Document


@dataclass(frozen=True)
class Incoming:
    """What a run brings for one doc id.

    Attributes:
        document: The parsed document, or None when the file is the one the live version
            holds (same file hash), so its document is taken from there.
        source: Where it was read from.
        file_hash: SHA-256 of the file's bytes (None for documents not read from a file).
    """

    document: Document | None
    source: str
    file_hash: str | None = None


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


def known_file_hashes(entries: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """File hashes of the manifest entries complete enough to be reused without parsing."""
    return {
        d: str(info["file_hash"])
        for d, info in entries.items()
        if info.get("file_hash") and info.get("structure_hash")
    }


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
    if incoming.file_hash:
        entry["file_hash"] = incoming.file_hash
    return entry


def _without_counts(entry: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (entry or {}).items() if k != "n_chunks"}


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
            if item.file_hash:
                entry["file_hash"] = item.file_hash
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
        _without_counts(info[d]) != _without_counts(live.get(d)) for d in order
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
