"""Files of index versions kept in a Milvus collection, and the pointer to the live version.

A version held in Milvus has the same files a local version folder has (manifest, document
and chunk columns, sentence-unit spans, section rows, BM25 tokens, row keys), stored as rows
of one collection (``PREFIX_files``): a file is a header row and parts of at most 48,000
bytes, base64 text in a ``VARCHAR`` (Milvus has no byte field). Files of a version share its
name as *scope*; each document's text is a file of scope ``text`` named by its content key,
so a new version uploads only the texts it does not hold yet. The row naming the live
version (scope ``""``, name ``CURRENT``) is replaced by one upsert: readers see one version
or the next, never a mix. Every row's key is a hash of (scope, name, part), so reading a
file is a ``get`` by keys, not a scan.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from io import BytesIO
from typing import Any

import numpy as np

from ingest.arrays import HEADER_LOCK
from ingest.errors import CorruptIndexError
from ingest.index.backends.milvus.connect import call, connect

#: Bytes per part: base64 of 48,000 bytes is 64,000 characters, under a VARCHAR's 65,535.
PART_BYTES = 48_000
_PARTS_PER_REQUEST = 16
_NAME_BYTES = 512
TEXT_SCOPE = "text"
POINTER = "CURRENT"
#: Document texts kept decoded per reader (the retriever asks for the same few repeatedly).
_TEXT_CACHE = 64


def row_key(scope: str, name: str, part: int) -> int:
    """The primary key of one row of a file (non-negative int63)."""
    digest = hashlib.blake2b(f"{scope}\x00{name}\x00{part}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big") >> 1


def text_key(doc_id: str, text: str) -> str:
    """Content key of a document's text (the file name of its text in scope ``text``)."""
    digest = hashlib.blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=16)
    digest.update(b"\x00" + text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


class MilvusFiles:
    """Files in the collection ``collection`` at ``uri`` (created when missing).

    Raises:
        BackendUnavailableError: Milvus cannot be reached or refused a request.
    """

    def __init__(self, uri: str, collection: str, *, create: bool = True) -> None:
        self.uri = uri
        self.collection = collection
        self._client = connect(uri)
        if create:
            self._call(self._ensure)
        self.exists = bool(self._call(self._client.has_collection, collection))
        if self.exists:
            state = self._call(self._client.get_load_state, collection).get("state")
            if "NotLoad" in str(state):
                self._call(self._client.load_collection, collection)

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return call(self.uri, self.collection, fn, *args, **kwargs)

    def _ensure(self) -> None:
        from pymilvus import DataType

        client = self._client
        if client.has_collection(self.collection):
            return
        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("pk", DataType.INT64, is_primary=True)
        schema.add_field("scope", DataType.VARCHAR, max_length=64)
        schema.add_field("name", DataType.VARCHAR, max_length=_NAME_BYTES)
        schema.add_field("part", DataType.INT64)  # -1: the header
        schema.add_field("data", DataType.VARCHAR, max_length=65_535)
        # Milvus wants a vector field in every collection; this one holds nothing.
        schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)
        params = client.prepare_index_params()
        params.add_index(field_name="unused", index_type="FLAT", metric_type="L2")
        client.create_collection(
            self.collection, schema=schema, index_params=params, consistency_level="Strong"
        )

    def put(
        self, scope: str, name: str, data: bytes, before: Callable[[], None] | None = None
    ) -> None:
        """Store ``data`` as file ``name`` of ``scope`` (replacing a file of that name);
        ``before`` is called before each request (raising stops the upload)."""
        parts = [data[i : i + PART_BYTES] for i in range(0, len(data), PART_BYTES)]
        header = json.dumps({"size": len(data), "parts": len(parts)})
        rows = [self._row(scope, name, -1, header)]
        rows += [
            self._row(scope, name, i, base64.b64encode(p).decode("ascii"))
            for i, p in enumerate(parts)
        ]
        for lo in range(0, len(rows), _PARTS_PER_REQUEST):
            if before is not None:
                before()
            self._call(self._client.upsert, self.collection, rows[lo : lo + _PARTS_PER_REQUEST])

    @staticmethod
    def _row(scope: str, name: str, part: int, data: str) -> dict[str, Any]:
        return {
            "pk": row_key(scope, name, part),
            "scope": scope,
            "name": name,
            "part": part,
            "data": data,
            "unused": [0.0, 0.0],
        }

    def _get(self, keys: Sequence[int], per_request: int = _PARTS_PER_REQUEST) -> dict[int, str]:
        out: dict[int, str] = {}
        for lo in range(0, len(keys), per_request):
            rows = self._call(
                self._client.get,
                self.collection,
                ids=list(keys[lo : lo + per_request]),
                output_fields=["data"],
            )
            out.update((int(r["pk"]), str(r["data"])) for r in rows)
        return out

    def headers(self, scope: str, names: Sequence[str]) -> dict[str, dict[str, int]]:
        """The headers of those of ``names`` that exist in ``scope``."""
        found = self._get([row_key(scope, n, -1) for n in names], per_request=1_000)
        return {
            n: json.loads(found[row_key(scope, n, -1)])
            for n in names
            if row_key(scope, n, -1) in found
        }

    def get(self, scope: str, name: str) -> bytes:
        """The bytes of a file.

        Raises:
            CorruptIndexError: the file is missing or incomplete.
        """
        header = self.headers(scope, [name]).get(name)
        if header is None:
            raise CorruptIndexError(
                f"Milvus at {self.uri} has no file {scope}/{name} in {self.collection}; "
                "rebuild the index with: docqa ingest PATH --rebuild"
            )
        keys = [row_key(scope, name, i) for i in range(header["parts"])]
        found = self._get(keys)
        if len(found) != len(keys):
            raise CorruptIndexError(f"{self.collection}: file {scope}/{name} is incomplete")
        data = b"".join(base64.b64decode(found[k]) for k in keys)
        if len(data) != header["size"]:
            raise CorruptIndexError(f"{self.collection}: file {scope}/{name} is damaged")
        return data

    def put_array(
        self, scope: str, name: str, array: np.ndarray, before: Callable[[], None] | None = None
    ) -> None:
        """Store an array as a ``.npy`` file (no pickle; ``before`` as for :meth:`put`)."""
        buffer = BytesIO()
        np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
        self.put(scope, name, buffer.getvalue(), before)

    def get_array(self, scope: str, name: str) -> np.ndarray:
        """An array :meth:`put_array` stored."""
        data = self.get(scope, name)
        with HEADER_LOCK:
            return np.load(BytesIO(data), allow_pickle=False)

    def present(self) -> bool:
        """True while the collection exists (a move away from this Milvus drops it)."""
        return bool(self._call(self._client.has_collection, self.collection))

    def pointer(self) -> str | None:
        """The name of the live version (None: no version yet)."""
        return self.note(POINTER)

    def set_pointer(self, name: str) -> None:
        """Make ``name`` the live version (one upsert: atomic for readers)."""
        self.set_note(POINTER, name)

    def note(self, name: str) -> str | None:
        """The one-row value ``name`` of the index (None: not set)."""
        if not self.exists:
            return None
        found = self._get([row_key("", name, 0)])
        return next(iter(found.values()), None)

    def set_note(self, name: str, value: str) -> None:
        """Set the one-row value ``name`` (one upsert: readers see the old or the new one)."""
        self._call(self._client.upsert, self.collection, [self._row("", name, 0, value)])

    def clear_note(self, name: str) -> None:
        """Remove the one-row value ``name``."""
        self._call(self._client.delete, self.collection, ids=[row_key("", name, 0)])

    def names(self, scope: str | None = None) -> Iterator[tuple[str, str]]:
        """``(scope, name)`` of every file (of ``scope`` only, when given)."""
        import logging

        logging.getLogger("pymilvus.client.iterator.query_iterator").setLevel(logging.ERROR)
        where = "part == -1" + (f" and scope == {json.dumps(scope)}" if scope is not None else "")
        iterator = self._call(
            self._client.query_iterator,
            self.collection,
            batch_size=5_000,
            filter=where,
            output_fields=["scope", "name"],
        )
        try:
            while rows := self._call(iterator.next):
                yield from ((str(r["scope"]), str(r["name"])) for r in rows)
        finally:
            iterator.close()

    def delete(
        self,
        scope: str,
        names: Sequence[str] | None = None,
        before: Callable[[], None] | None = None,
    ) -> None:
        """Remove files of ``scope`` (all of them when ``names`` is None); ``before`` is
        called before each request (raising stops the removal)."""
        where = f"scope == {json.dumps(scope)}"
        if names is None:
            if before is not None:
                before()
            self._call(self._client.delete, self.collection, filter=where)
            return
        for lo in range(0, len(names), 500):
            if before is not None:
                before()
            batch = json.dumps(list(names[lo : lo + 500]), ensure_ascii=False)
            self._call(self._client.delete, self.collection, filter=f"{where} and name in {batch}")


class MilvusTexts:
    """The bytes of a version's ``texts.txt`` (documents back to back), fetched per document.

    Every slice the stores take lies inside one document, so a slice costs at most that
    document's text (kept for the next slices).

    Args:
        files: The files collection.
        spans: ``documents.npy``: byte span of each document in the virtual file.
        keys: The content key of each document's text (see :func:`text_key`).
    """

    def __init__(self, files: MilvusFiles, spans: np.ndarray, keys: Sequence[str]) -> None:
        self._files = files
        self._starts = np.asarray(spans[:, 0], dtype=np.int64)
        self._size = int(spans[:, 1].max()) if len(spans) else 0
        self._keys = list(keys)
        self._recent: dict[int, bytes] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, where: slice) -> bytes:
        start, stop = int(where.start or 0), int(where.stop if where.stop is not None else 0)
        if stop <= start:
            return b""
        row = int(np.searchsorted(self._starts, start, side="right")) - 1
        text = self._recent.get(row)
        if text is None:
            text = self._files.get(TEXT_SCOPE, self._keys[row])
            with self._lock:
                if len(self._recent) >= _TEXT_CACHE:
                    del self._recent[next(iter(self._recent))]
                self._recent[row] = text
        base = int(self._starts[row])
        return text[start - base : stop - base]
