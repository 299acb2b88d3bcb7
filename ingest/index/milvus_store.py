"""Index versions held in Milvus: everything a question reads lives in the engine.

A version written with the Milvus backend keeps its chunks in ``PREFIX`` (see
:mod:`ingest.index.milvus`), its sentence units in ``PREFIX_units`` and sections in
``PREFIX_sections`` (:mod:`ingest.index.milvus_rows`), and its files (manifest, document and
chunk columns, unit spans, section rows, tokens, row keys) and documents' texts in
``PREFIX_files`` (:mod:`ingest.index.milvus_files`). The writer stages the version in a local
folder as for FAISS, uploads it, then points Milvus's ``CURRENT`` row at it; the local
version folder then keeps only ``manifest.json`` and ``backend.json`` (where it lives), so
``CURRENT`` switches as before for readers on the writer's machine. A reader elsewhere needs
no folder at all: given the URI and the collection it reads Milvus's ``CURRENT``.

As in a local index the version before the live one is kept (its files and the rows it
lists) for readers still using it; everything else is removed after each switch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ingest.errors import CorruptIndexError, IndexNotFoundError
from ingest.formats.document import Document
from ingest.index.backend import BACKEND_FILE, BackendSettings, collection_name, read_backend_file
from ingest.index.chunk_index import KEYS_FILE, KeyRows, Target, milvus_views
from ingest.index.durable import current_name, fsync_tree, point_current
from ingest.index.manifest import IndexVersion, Manifest, Stamp, VersionParts, checked_version
from ingest.index.milvus import MilvusBackend, check_uri, connect
from ingest.index.milvus_files import TEXT_SCOPE, MilvusFiles, MilvusTexts, text_key
from ingest.index.milvus_rows import (
    MilvusSectionRows,
    MilvusUnitRows,
    SectionCollection,
    UnitCollection,
    extra_rows,
    open_collections,
    section_keys,
    section_terms,
    unit_keys,
)
from ingest.index.records import (
    CHUNKS,
    DOC_IDS,
    DOCUMENT_SPANS,
    DOCUMENTS,
    HEADINGS,
    TEXTS,
    open_store,
)
from ingest.index.tokens import TokenTable
from ingest.index.units import UnitTable, section_tokens

UNIT_KEYS, SECTION_KEYS, TEXT_KEYS = "unit_keys.npy", "section_keys.npy", "text_keys.json"
SECTIONS_FILE = "chunk_sections.npy"
#: What stays in the local folder of a version held in Milvus.
LOCAL_FILES = ("manifest.json", BACKEND_FILE)
_UNIT_FILES = ("units.chunk.npy", "units.start.npy", "units.end.npy")


def files_collection(prefix: str) -> str:
    """The collection holding the files of the index whose chunks are in ``prefix``."""
    return f"{prefix}_files"


def resident_description(uri: str, prefix: str) -> dict[str, str]:
    """The ``backend.json`` of a version held in Milvus whole."""
    return {"kind": "milvus", "store": "milvus", "uri": uri, "collection": prefix}


def is_resident(info: dict[str, Any]) -> bool:
    """True when a ``backend.json`` describes a version held in Milvus whole."""
    return info.get("kind") == "milvus" and info.get("store") == "milvus"


def live_number(target: Target) -> int:
    """The number of the version Milvus's ``CURRENT`` names (0: none), so that a new
    version's name is never one Milvus already holds."""
    assert target.uri is not None and target.collection is not None
    name = MilvusFiles(target.uri, files_collection(target.collection), create=False).pointer()
    return int(name) if name and name.isdigit() else 0


def publish(
    staging: Path,
    name: str,
    target: Target,
    *,
    manifest: Manifest,
    documents: Sequence[Document],
    tokens: TokenTable,
    units: UnitTable,
    unit_vectors: np.ndarray,
    sections: np.ndarray,
) -> None:
    """Upload the version staged in ``staging`` and make it Milvus's live one.

    The chunk rows are in Milvus already (``chunk_keys.npy`` in ``staging`` lists them);
    units, sections and document texts that Milvus does not hold yet are added, the
    version's files are stored, then ``CURRENT`` is switched. Afterwards ``staging`` keeps
    only :data:`LOCAL_FILES`.
    """
    assert target.uri is not None and target.collection is not None
    uri, prefix = check_uri(target.uri), target.collection
    files = MilvusFiles(uri, files_collection(prefix))
    unit_rows, section_rows = open_collections(
        uri, prefix, manifest.dimension, manifest.sparse, create=True
    )
    chunk_keys = np.load(staging / KEYS_FILE, allow_pickle=False)
    of_unit = chunk_keys[units.chunk]
    ukeys = unit_keys(of_unit, units.start, units.end)
    new = np.flatnonzero(~unit_rows.present(ukeys))
    vectors = np.asarray(unit_vectors, dtype=np.float32).reshape(len(units), manifest.dimension)
    unit_rows.add_units(ukeys[new], of_unit[new], units.start[new], units.end[new], vectors[new])
    unit_rows.fit_dense_index(len(ukeys))
    terms = section_terms(section_tokens(tokens, sections))
    doc_rows = np.load(staging / CHUNKS, allow_pickle=False)[:, 0]
    first = np.searchsorted(sections, np.arange(len(terms)))
    section_docs = [documents[int(doc_rows[i])].doc_id for i in first]
    skeys = section_keys(section_docs, terms)
    new = np.flatnonzero(~section_rows.present(skeys))
    section_rows.add_sections(skeys[new], [section_docs[i] for i in new], [terms[i] for i in new])
    tkeys = [text_key(d.doc_id, d.text) for d in documents]
    held = files.headers(TEXT_SCOPE, tkeys)
    for document, key in zip(documents, tkeys, strict=True):
        if key not in held:
            files.put(TEXT_SCOPE, key, document.text.encode("utf-8"))
    files.delete(name)  # a leftover of a run killed while uploading this name
    for path in sorted(staging.rglob("*")):
        if path.is_file() and path.name != TEXTS:
            files.put(name, path.relative_to(staging).as_posix(), path.read_bytes())
    files.put_array(name, UNIT_KEYS, ukeys)
    files.put_array(name, SECTION_KEYS, skeys)
    files.put(name, TEXT_KEYS, json.dumps(tkeys).encode("utf-8"))
    files.set_pointer(name)
    description = resident_description(uri, prefix)
    for path in sorted(staging.rglob("*"), reverse=True):
        if path.relative_to(staging).as_posix() not in LOCAL_FILES:
            path.unlink() if path.is_file() else path.rmdir()
    (staging / BACKEND_FILE).write_text(json.dumps(description), encoding="utf-8")


def load_resident(
    version: Path, manifest: Manifest, uri: str, prefix: str, name: str, stamp: Stamp | None
) -> IndexVersion:
    """Open version ``name`` of the index in ``prefix`` at ``uri`` (``version``: its folder).

    Raises:
        CorruptIndexError: a collection or file is missing.
        BackendUnavailableError: Milvus cannot be reached.
    """
    files = MilvusFiles(uri, files_collection(prefix), create=False)
    if not files.exists:
        raise CorruptIndexError(
            f"Milvus at {uri} has no collection {files.collection}, which this index keeps "
            "its files in; rebuild with: docqa ingest PATH --rebuild"
        )

    def array(file: str) -> np.ndarray:
        return files.get_array(name, file)

    spans = array(DOCUMENT_SPANS)
    texts = MilvusTexts(files, spans, json.loads(files.get(name, TEXT_KEYS)))
    documents, chunks = open_store(
        json.loads(files.get(name, DOC_IDS)),
        json.loads(files.get(name, HEADINGS)),
        spans,
        array(CHUNKS),
        texts,
        files.get(name, DOCUMENTS),
    )
    dim, sparse = manifest.dimension, manifest.sparse
    chunk_rows = MilvusBackend(uri, prefix, dim, sparse, create=False)

    def read_tokens() -> TokenTable | None:
        return _tokens(files, name)

    dense, keyword = milvus_views(chunk_rows, array(KEYS_FILE), read_tokens, sparse)
    unit_rows, section_rows = open_collections(uri, prefix, dim, sparse, create=False)
    ukeys, skeys = array(UNIT_KEYS), array(SECTION_KEYS)
    parts = VersionParts(
        documents=documents,
        chunks=chunks,
        dense=dense,
        sparse=keyword,
        units=UnitTable(*(array(f) for f in _UNIT_FILES)),
        unit_dense=MilvusUnitRows(unit_rows, KeyRows(ukeys, extra_rows(unit_rows, ukeys))),
        sections=array(SECTIONS_FILE),
        section_sparse=MilvusSectionRows(
            section_rows, KeyRows(skeys, extra_rows(section_rows, skeys)), sparse
        ),
    )
    return checked_version(version, manifest, parts, stamp=stamp, read_tokens=read_tokens)


def _tokens(files: MilvusFiles, name: str) -> TokenTable | None:
    try:
        vocab = json.loads(files.get(name, "tokens/vocab.json"))
        ids = files.get_array(name, "tokens/ids.npy")
        offsets = files.get_array(name, "tokens/offsets.npy")
    except (CorruptIndexError, ValueError):
        return None
    return TokenTable(vocab, ids, offsets)


def remote_address(index_dir: Path, settings: BackendSettings) -> tuple[str, str] | None:
    """``(uri, prefix)`` of an index read without its local folder: settings naming Milvus
    with a URI (the collection defaults to the one derived from ``index_dir``)."""
    if settings.kind != "milvus" or not settings.milvus_uri:
        return None
    return check_uri(settings.milvus_uri), settings.collection or collection_name(index_dir)


def remote_pointer(uri: str, prefix: str) -> str | None:
    """The live version Milvus names for the index in ``prefix`` (None: none there)."""
    return MilvusFiles(uri, files_collection(prefix), create=False).pointer()


def remote_manifest(uri: str, prefix: str, index_dir: Path) -> tuple[str, Manifest]:
    """The live version's name and manifest, read from Milvus.

    Raises:
        IndexNotFoundError: Milvus holds no version of this index.
    """
    files = MilvusFiles(uri, files_collection(prefix), create=False)
    name = files.pointer()
    if name is None:
        raise IndexNotFoundError(
            f"no docqa index at {index_dir}, nor in Milvus at {uri} (collection {prefix}); "
            f"build one with: docqa ingest PATH --index {index_dir} --backend milvus "
            f"--milvus-uri {uri}"
        )
    data = json.loads(files.get(name, "manifest.json"))
    return name, Manifest.from_json(data, f"{uri} {files.collection} {name}/manifest.json")


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


def collect(kept_versions: Sequence[Path], live: Path) -> None:
    """Remove from the live version's Milvus collections every row and file that no kept
    version (the live one and the one before) lists."""
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
    MilvusBackend(uri, prefix, 1, create=False).retain(np.concatenate([k[0] for k in keys]))
    if files is None:
        return
    unit_rows = UnitCollection(uri, f"{prefix}_units", 1, create=False)
    unit_rows.retain(np.concatenate([k[1] for k in keys]))
    section_rows = SectionCollection(uri, f"{prefix}_sections", 1, create=False)
    section_rows.retain(np.concatenate([k[2] for k in keys]))
    names = {v.name for v in same}
    texts = {t for k in keys for t in k[3]}
    scopes = {scope for scope, _ in files.names()} - {TEXT_SCOPE}
    for scope in sorted(scopes - names):
        files.delete(scope)
    stale = [n for _, n in files.names(TEXT_SCOPE) if n not in texts]
    files.delete(TEXT_SCOPE, stale)


def drop(uri: str, prefix: str) -> list[str]:
    """Drop every collection of the index whose chunks are in ``prefix``; returns their names."""
    client = connect(check_uri(uri))
    names = [prefix, f"{prefix}_units", f"{prefix}_sections", files_collection(prefix)]
    dropped = [n for n in names if client.has_collection(n)]
    for n in dropped:
        client.drop_collection(n)
    return dropped


def follow_milvus(index_dir: Path, target: Target) -> str | None:
    """Make the local folder name the version Milvus holds as live, when another machine
    wrote it (the caller holds the writer lock and the lease); returns that version's name,
    or None when there was nothing to follow.

    The folder of a version held in Milvus keeps only its manifest and where it lives, so
    following is writing those two files and ``CURRENT``; the next version then starts from
    what Milvus holds rather than from this folder's older idea of it. A folder whose live
    version is elsewhere (FAISS files, another collection) is left alone.
    """
    assert target.uri is not None and target.collection is not None
    uri, prefix = check_uri(target.uri), target.collection
    remote = remote_pointer(uri, prefix)
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
    name, manifest = remote_manifest(uri, prefix, index_dir)
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
