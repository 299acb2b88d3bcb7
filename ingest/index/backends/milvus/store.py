"""Index versions held in Milvus: :class:`MilvusStore`, everything a question reads lives in
the engine.

A version written to Milvus keeps its chunks in ``PREFIX``
(:mod:`ingest.index.backends.milvus.chunks`), its sentence units in ``PREFIX_units`` and
sections in ``PREFIX_sections`` (:mod:`ingest.index.backends.milvus.rows`), and its files
(manifest, document and chunk columns, unit spans, section rows, tokens, row keys) and
documents' texts in ``PREFIX_files`` (:mod:`ingest.index.backends.milvus.files`). The writer
stages the version in a local folder as for local files, uploads it, then points Milvus's
``CURRENT`` row at it (:mod:`ingest.index.backends.milvus.writing`); the local version folder
then keeps only ``manifest.json`` and ``backend.json`` (where it lives), so ``CURRENT``
switches as before for readers on the writer's machine. A reader elsewhere needs no folder at
all: given the URI and the collection it reads Milvus's ``CURRENT``
(:mod:`ingest.index.backends.milvus.reading`).

As in a local index the version before the live one is kept (its files and the rows it
lists) for readers still using it; everything else is removed after each switch. Writers on
any machine take turns by a lease in Milvus (:mod:`ingest.index.backends.milvus.lease`); a
writer that can no longer prove it holds the lease switches nothing and removes nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ingest.errors import CorruptIndexError
from ingest.index.backends.milvus.chunks import ChunkCollection
from ingest.index.backends.milvus.connect import check_uri, connect
from ingest.index.backends.milvus.files import TEXT_SCOPE, MilvusFiles
from ingest.index.backends.milvus.held import HeldLease, LeaseLostError, held_lease
from ingest.index.backends.milvus.lease import writer_lease
from ingest.index.backends.milvus.reading import open_chunks_only, open_resident, read_live
from ingest.index.backends.milvus.rows import SectionCollection, UnitCollection
from ingest.index.backends.milvus.writing import (
    KEYS_FILE,
    SECTION_KEYS,
    TEXT_KEYS,
    UNIT_KEYS,
    files_collection,
    publish,
    resident_description,
    write_chunks,
)
from ingest.index.backends.protocol import VersionContent, version_name
from ingest.index.backends.settings import BACKEND_FILE, read_backend_file
from ingest.index.durable import current_name, fsync_tree, point_current
from ingest.index.manifest import IndexVersion, Manifest, Stamp

_log = logging.getLogger(__name__)


def is_resident(info: dict[str, Any]) -> bool:
    """True when a ``backend.json`` describes a version held in Milvus whole."""
    return info.get("kind") == "milvus" and info.get("store") == "milvus"


@dataclass(frozen=True)
class MilvusStore:
    """The versions of an index whose collections share the prefix ``collection`` in the
    Milvus at ``uri`` (see the module docstring).

    Attributes:
        uri: milvus-lite file (``.db``) or server address.
        collection: The chunk collection, prefix of the others.
        resident: The version opened is held in Milvus whole (False: its chunks alone, as
            docqa wrote them before; read as they are, moved whole at the next write).
    """

    uri: str
    collection: str
    resident: bool = field(default=True, compare=False)
    kind: ClassVar[str] = "milvus"

    @property
    def place(self) -> tuple[str, str]:
        """``(uri, collection)``, the address made absolute."""
        return check_uri(self.uri), self.collection

    def _files(self) -> MilvusFiles:
        return MilvusFiles(self.uri, files_collection(self.collection), create=False)

    def next_name(self, taken: Iterable[int]) -> str:
        """One past the highest of the folder's numbers and the version Milvus's ``CURRENT``
        names, so a new version's name is never one Milvus already holds."""
        live = self.live()
        numbers = [*taken, int(live) if live and live.isdigit() else 0]
        return version_name(max(numbers, default=0) + 1)

    def _held(self) -> HeldLease:
        return held_lease(check_uri(self.uri), files_collection(self.collection))

    def write(self, staging: Path, name: str, content: VersionContent) -> None:
        """Add the version's rows and files to Milvus and make it Milvus's live one, under
        this writer's lease (see :mod:`ingest.index.backends.milvus.lease`).

        Raises:
            LeaseLostError: the writer holds no lease, or lost it: the live version is
                untouched (rows already added stay unlisted until the next clean-up).
        """
        held = self._held()
        held.fence("adding its rows")
        write_chunks(staging, self.uri, self.collection, content, held)
        publish(staging, name, self.uri, self.collection, content, held)

    def open(self, version: Path, manifest: Manifest, stamp: Stamp | None) -> IndexVersion:
        """Open the version (its folder need not exist when it is held whole)."""
        if self.resident:
            return open_resident(version, manifest, check_uri(self.uri), self.collection, stamp)
        return open_chunks_only(version, manifest, self.uri, self.collection, stamp)

    def live(self) -> str | None:
        """The version Milvus's ``CURRENT`` names (None: none there)."""
        return self._files().pointer()

    def read_live(self, index_dir: Path) -> tuple[str, Manifest]:
        """The live version's name and manifest, read from Milvus (see
        :func:`~ingest.index.backends.milvus.reading.read_live`)."""
        return read_live(self.uri, self.collection, index_dir)

    def stamp(self, name: str | None) -> Stamp:
        """Identity of version ``name`` in Milvus."""
        return ("milvus", self.collection, name)

    def collect(self, kept: Sequence[Path], live: Path) -> None:
        """Remove the rows and files no kept version lists (see :func:`collect_rows`), while
        this writer still holds the lease: once it lost it, another writer may be adding
        rows no version lists yet, and the clean-up is left to the next writer."""
        try:
            held = self._held()
            held.fence("removing old rows")
            collect_rows(kept, live, lambda: held.check("removing old rows"))
        except LeaseLostError as exc:
            _log.warning("old rows left for the next writer to remove: %s", exc)

    def lease(self) -> AbstractContextManager[object]:
        """Hold the index's writer lease in Milvus."""
        return writer_lease(MilvusFiles(check_uri(self.uri), files_collection(self.collection)))

    @contextmanager
    def writer_guard(self, index_dir: Path, live: Path | None) -> Iterator[str | None]:
        """The writer lease, and the folder following what Milvus holds as live (see
        :func:`follow`); nothing when the live version is elsewhere (a move needs
        ``docqa migrate``)."""
        if live is not None and read_backend_file(live)["kind"] != "milvus":
            yield None
            return
        with self.lease():
            yield follow(index_dir, self.uri, self.collection)

    def drop(self) -> list[str]:
        """Drop every collection of the index (see :func:`drop_collections`)."""
        return drop_collections(self.uri, self.collection)


def _version_keys(
    version: Path, files: MilvusFiles | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Chunk, unit, section and text keys a kept version lists."""
    empty = np.zeros(0, dtype=np.int64)
    if (version / KEYS_FILE).is_file():  # chunks alone in Milvus (written by docqa before)
        return np.load(version / KEYS_FILE, allow_pickle=False), empty, empty, []
    assert files is not None
    name = version.name
    return (
        files.get_array(name, KEYS_FILE),
        files.get_array(name, UNIT_KEYS),
        files.get_array(name, SECTION_KEYS),
        json.loads(files.get(name, TEXT_KEYS)),
    )


def collect_rows(
    kept_versions: Sequence[Path], live: Path, before: Callable[[], None] | None = None
) -> None:
    """Remove from the live version's Milvus collections every row and file that no kept
    version (the live one and the one before) lists; ``before`` is called before each
    removal request (raising stops the clean-up)."""
    info = read_backend_file(live)
    if info["kind"] != "milvus":
        return
    uri, prefix = check_uri(info["uri"]), str(info["collection"])
    resident = is_resident(info)
    files = MilvusFiles(uri, files_collection(prefix), create=False) if resident else None
    same = [
        v
        for v in kept_versions
        if v == live
        or (
            read_backend_file(v).get("collection") == prefix
            and read_backend_file(v).get("uri") == uri
        )
    ]
    keys = []
    for v in same:
        try:
            keys.append(_version_keys(v, files if is_resident(read_backend_file(v)) else None))
        except CorruptIndexError:
            if v == live:
                raise
            # The version before lost its files in Milvus (collections dropped, another
            # writer's clean-up): it lists nothing to keep, and no reader can load it.
            continue
    chunk_rows = ChunkCollection(uri, prefix, 1, create=False)
    chunk_rows.retain(np.concatenate([k[0] for k in keys]), before)
    if files is None:
        return
    unit_rows = UnitCollection(uri, f"{prefix}_units", 1, create=False)
    unit_rows.retain(np.concatenate([k[1] for k in keys]), before)
    section_rows = SectionCollection(uri, f"{prefix}_sections", 1, create=False)
    section_rows.retain(np.concatenate([k[2] for k in keys]), before)
    names = {v.name for v in same}
    texts = {t for k in keys for t in k[3]}
    scopes = {scope for scope, _ in files.names()} - {TEXT_SCOPE}
    for scope in sorted(scopes - names):
        files.delete(scope, before=before)
    stale = [n for _, n in files.names(TEXT_SCOPE) if n not in texts]
    files.delete(TEXT_SCOPE, stale, before)


def drop_collections(uri: str, prefix: str) -> list[str]:
    """Drop every collection of the index whose chunks are in ``prefix``; returns their names."""
    client = connect(check_uri(uri))
    names = [prefix, f"{prefix}_units", f"{prefix}_sections", files_collection(prefix)]
    dropped = [n for n in names if client.has_collection(n)]
    for n in dropped:
        client.drop_collection(n)
    return dropped


def follow(index_dir: Path, uri: str, prefix: str) -> str | None:
    """Make the local folder name the version Milvus holds as live, when another machine
    wrote it (the caller holds the writer lock and the lease); returns that version's name,
    or None when there was nothing to follow.

    The folder of a version held in Milvus keeps only its manifest and where it lives, so
    following is writing those two files and ``CURRENT``; the next version then starts from
    what Milvus holds rather than from this folder's older idea of it. A folder whose live
    version is elsewhere (FAISS files, another collection) is left alone.
    """
    uri = check_uri(uri)
    remote = MilvusFiles(uri, files_collection(prefix), create=False).pointer()
    local = current_name(index_dir)
    if remote is None or remote == local:
        return None
    if local is not None and (index_dir / "versions" / local).is_dir():
        info = read_backend_file(index_dir / "versions" / local)
        if not is_resident(info) or (info.get("uri"), info.get("collection")) != (
            uri,
            prefix,
        ):
            return None
    name, manifest = read_live(uri, prefix, index_dir)
    folder = index_dir / "versions" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(
        json.dumps(manifest.to_json(), ensure_ascii=False), encoding="utf-8"
    )
    description = resident_description(uri, prefix)
    (folder / BACKEND_FILE).write_text(json.dumps(description), encoding="utf-8")
    fsync_tree(folder)
    point_current(index_dir, name)
    return name
