"""Writing a version into Milvus: its chunk rows, then everything else, then the pointer.

The writer stages the version in a local folder as for local files; the chunk rows go into
the chunk collection first (``chunk_keys.npy`` in the staging folder lists them), then
:func:`publish` adds the units, sections and document texts Milvus does not hold yet, stores
the version's files and switches Milvus's ``CURRENT``. The staging folder then keeps only
:data:`LOCAL_FILES`. Every step first asks the writer's lease
(:class:`~ingest.index.backends.milvus.held.HeldLease`): a writer that lost it stops there.
Rows are content-keyed (two writers adding one key add the same row), but a version's files
are named after the version, which a writer that lost the lease may have chosen as the new
holder did: each request storing them, and the switch, first read the lease back.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ingest.index.backends.milvus.chunks import ChunkCollection, chunk_keys
from ingest.index.backends.milvus.connect import check_uri
from ingest.index.backends.milvus.files import TEXT_SCOPE, MilvusFiles, text_key
from ingest.index.backends.milvus.held import HeldLease
from ingest.index.backends.milvus.rows import (
    open_collections,
    section_keys,
    section_terms,
    unit_keys,
)
from ingest.index.backends.protocol import VersionContent
from ingest.index.backends.settings import BACKEND_FILE
from ingest.index.records import CHUNKS, TEXTS
from ingest.index.tokens import EMPTY_TOKEN
from ingest.index.units import section_tokens

KEYS_FILE = "chunk_keys.npy"
UNIT_KEYS, SECTION_KEYS, TEXT_KEYS = "unit_keys.npy", "section_keys.npy", "text_keys.json"
#: What stays in the local folder of a version held in Milvus.
LOCAL_FILES = ("manifest.json", BACKEND_FILE)


def files_collection(prefix: str) -> str:
    """The collection holding the files of the index whose chunks are in ``prefix``."""
    return f"{prefix}_files"


def resident_description(uri: str, prefix: str) -> dict[str, str]:
    """The ``backend.json`` of a version held in Milvus whole."""
    return {"kind": "milvus", "store": "milvus", "uri": uri, "collection": prefix}


def write_chunks(
    staging: Path, uri: str, prefix: str, content: VersionContent, held: HeldLease
) -> None:
    """Add the chunk rows of the version staged in ``staging`` that the collection lacks
    (rows not yet listed by a live version, so invisible to readers).

    Raises:
        LeaseLostError: ``held`` was lost (see :meth:`HeldLease.check`).
    """
    manifest, chunks, tokens = content.manifest, content.chunks, content.tokens
    vectors = content.vectors.reshape(len(chunks), manifest.dimension)
    milvus = ChunkCollection(uri, prefix, manifest.dimension, manifest.sparse)
    keys = chunk_keys(chunks)
    missing = np.flatnonzero(~milvus.present(keys)).tolist()
    vocab = np.array(tokens.vocab, dtype=object)
    terms = [" ".join(t for t in vocab[tokens.row(i)] if t != EMPTY_TOKEN) for i in missing]
    held.check("adding its chunk rows")
    milvus.add(keys[missing], [chunks[i] for i in missing], vectors[missing], terms=terms)
    milvus.fit_dense_index(len(chunks))
    np.save(staging / KEYS_FILE, keys, allow_pickle=False)
    description = {"kind": "milvus", "uri": check_uri(uri), "collection": prefix}
    (staging / BACKEND_FILE).write_text(json.dumps(description), encoding="utf-8")


def publish(
    staging: Path, name: str, uri: str, prefix: str, content: VersionContent, held: HeldLease
) -> None:
    """Upload the version staged in ``staging`` and make it Milvus's live one.

    The chunk rows are in Milvus already (``chunk_keys.npy`` in ``staging`` lists them);
    units, sections and document texts that Milvus does not hold yet are added, the
    version's files are stored, then ``CURRENT`` is switched. Afterwards ``staging`` keeps
    only :data:`LOCAL_FILES`.

    Raises:
        LeaseLostError: ``held`` was lost before the switch; ``CURRENT`` is untouched.
    """
    uri = check_uri(uri)
    manifest, documents, tokens = content.manifest, content.documents, content.tokens
    units, unit_vectors, sections = content.units, content.unit_vectors, content.sections
    files = MilvusFiles(uri, files_collection(prefix))
    unit_rows, section_rows = open_collections(
        uri, prefix, manifest.dimension, manifest.sparse, create=True
    )
    of_unit = np.load(staging / KEYS_FILE, allow_pickle=False)[units.chunk]
    ukeys = unit_keys(of_unit, units.start, units.end)
    new = np.flatnonzero(~unit_rows.present(ukeys))
    vectors = np.asarray(unit_vectors, dtype=np.float32).reshape(len(units), manifest.dimension)
    held.check("adding its sentence rows")
    unit_rows.add_units(ukeys[new], of_unit[new], units.start[new], units.end[new], vectors[new])
    unit_rows.fit_dense_index(len(ukeys))
    terms = section_terms(section_tokens(tokens, sections))
    doc_rows = np.load(staging / CHUNKS, allow_pickle=False)[:, 0]
    first = np.searchsorted(sections, np.arange(len(terms)))
    section_docs = [documents[int(doc_rows[i])].doc_id for i in first]
    skeys = section_keys(section_docs, terms)
    new = np.flatnonzero(~section_rows.present(skeys))
    held.check("adding its section rows")
    section_rows.add_sections(skeys[new], [section_docs[i] for i in new], [terms[i] for i in new])
    tkeys = [text_key(d.doc_id, d.text) for d in documents]
    stored = files.headers(TEXT_SCOPE, tkeys)
    for document, key in zip(documents, tkeys, strict=True):
        if key not in stored:
            held.check("adding document texts")
            files.put(TEXT_SCOPE, key, document.text.encode("utf-8"))

    # Files named ``name`` are another writer's once this one lost the lease (it names its
    # version as this one did): each request is preceded by reading the lease back.
    def fence() -> None:
        held.fence(f"storing the files of version {name}")

    fence()
    files.delete(name)  # a leftover of a run killed while uploading this name
    for path in sorted(staging.rglob("*")):
        if path.is_file() and path.name != TEXTS:
            files.put(name, path.relative_to(staging).as_posix(), path.read_bytes(), fence)
    files.put_array(name, UNIT_KEYS, ukeys, fence)
    files.put_array(name, SECTION_KEYS, skeys, fence)
    files.put(name, TEXT_KEYS, json.dumps(tkeys).encode("utf-8"), fence)
    held.fence(f"making version {name} live")
    files.set_pointer(name)
    description = resident_description(uri, prefix)
    for path in sorted(staging.rglob("*"), reverse=True):
        if path.relative_to(staging).as_posix() not in LOCAL_FILES:
            path.unlink() if path.is_file() else path.rmdir()
    (staging / BACKEND_FILE).write_text(json.dumps(description), encoding="utf-8")
