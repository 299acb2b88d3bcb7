"""A Milvus collection of keyed rows: the calls every docqa collection shares.

A URI that is a file path (ending ``.db``) runs milvus-lite in-process; ``http://host:19530``
reaches a Milvus server or cluster. Every collection has an int64 primary key ``pk``
(content-derived, so rows of unchanged content are written once); those with a ``dense``
vector field are searched by inner product, those with ``terms`` by Milvus's built-in BM25
function (full-text search) into a ``sparse`` field. The dense index type follows the
collection's size as on the FAISS side: ``FLAT`` (exact) up to
:data:`ingest.index.dense.EXACT_MAX_ROWS` rows, ``IVF_SQ8`` above. Nothing in a collection is
ever pickled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ingest.errors import CorruptIndexError
from ingest.index.backends.milvus.connect import call, check_uri, connect
from ingest.index.dense import EXACT_MAX_ROWS, default_nprobe, ivf_cells
from ingest.index.sparse import SparseSettings, Tokenizer

#: Milvus's largest ``limit`` of one search.
MAX_LIMIT = 16_384
#: Rows per get or delete request (well under gRPC's message size limit).
_BATCH = 1_000
#: Longest VARCHAR Milvus holds.
TEXT_BYTES = 65_535
#: bm25s's BM25 parameters, so both backends score alike.
BM25_K1, BM25_B = 1.5, 0.75


#: The ``terms`` field holds docqa's own tokens (see :func:`terms_of`), so Milvus only splits
#: at spaces. milvus-lite's analyzer has no stemmer; this way lite and a server index the
#: same terms as bm25s does and score them alike.
ANALYZER: dict[str, Any] = {"tokenizer": "standard"}


def terms_of(tokenizer: Tokenizer, text: str) -> str:
    """The text Milvus analyses for BM25: docqa's tokens (stop words out, stemmed), spaced."""
    return " ".join(tokenizer(text))


def dense_index_kind(n_rows: int) -> str:
    """``FLAT`` (exact) up to :data:`EXACT_MAX_ROWS` rows, ``IVF_SQ8`` above."""
    return "FLAT" if n_rows <= EXACT_MAX_ROWS else "IVF_SQ8"


def add_terms(schema: Any, max_length: int = TEXT_BYTES) -> None:
    """The ``terms`` field: spaced tokens that Milvus's BM25 function analyses."""
    from pymilvus import DataType

    schema.add_field(
        "terms",
        DataType.VARCHAR,
        max_length=max_length,
        enable_analyzer=True,
        analyzer_params=ANALYZER,
    )


def add_bm25(schema: Any, function: str) -> None:
    """The ``sparse`` field and the BM25 function ``function`` that fills it from ``terms``."""
    from pymilvus import DataType, Function, FunctionType

    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(
        Function(
            name=function,
            function_type=FunctionType.BM25,
            input_field_names=["terms"],
            output_field_names=["sparse"],
        )
    )


def index_bm25(params: Any) -> None:
    """The BM25 index of the ``sparse`` field, with bm25s's parameters."""
    params.add_index(
        field_name="sparse",
        index_type="SPARSE_INVERTED_INDEX",
        metric_type="BM25",
        params={"bm25_k1": BM25_K1, "bm25_b": BM25_B},
    )


@dataclass(frozen=True)
class CollectionStats:
    """What a collection holds."""

    n_rows: int
    dense_index: str
    location: str


class KeyedCollection:
    """Rows keyed by int64 ``pk`` in one Milvus collection; subclasses give the schema.

    Args:
        uri: milvus-lite file (``.db``) or server address.
        collection: Collection name (created when missing).
        dimension: Vector length.
        sparse: Tokenisation settings the BM25 analyzer follows.
        create: Create the collection when missing (else a missing one is an error).

    Raises:
        BackendUnavailableError: Milvus cannot be reached or refused the collection.
        CorruptIndexError: ``create`` is False and the collection is missing.
    """

    def __init__(
        self,
        uri: str,
        collection: str,
        dimension: int,
        sparse: SparseSettings | None = None,
        *,
        create: bool = True,
    ) -> None:
        self.uri = check_uri(uri)
        self.collection = collection
        self.dimension = dimension
        self._client = connect(self.uri)
        self._tokenizer = Tokenizer(sparse or SparseSettings())
        if create:
            self._call(self._ensure_collection)
        elif not self._call(self._client.has_collection, collection):
            raise CorruptIndexError(
                f"Milvus at {self.uri} has no collection {collection!r}, which this index "
                "keeps its chunks in; rebuild with: docqa ingest PATH --rebuild"
            )
        self._call(self._load)
        self._dense_kind: tuple[str, int] | None = None

    def _load(self) -> None:
        """Collections start released when milvus-lite or a server restarts."""
        state = self._client.get_load_state(self.collection).get("state")
        if "NotLoad" in str(state):
            self._client.load_collection(self.collection)

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return call(self.uri, self.collection, fn, *args, **kwargs)

    def _schema(self, schema: Any, params: Any) -> None:
        """Add the collection's fields to ``schema`` and their indexes to ``params``."""
        raise NotImplementedError  # pragma: no cover - every collection has its schema

    def _ensure_collection(self) -> None:
        client = self._client
        if client.has_collection(self.collection):
            return
        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        params = client.prepare_index_params()
        self._schema(schema, params)
        client.create_collection(
            self.collection, schema=schema, index_params=params, consistency_level="Strong"
        )

    def _dense_index(self) -> tuple[str, int]:
        if self._dense_kind is None:
            self._dense_kind = self._describe_dense()
        return self._dense_kind

    def _describe_dense(self) -> tuple[str, int]:
        described = self._client.describe_index(self.collection, index_name="dense")
        kind = str(described.get("index_type", "FLAT"))
        if kind == "FLAT":
            return kind, 0
        # milvus-lite does not report nlist back; it was chosen from the size at build time.
        nlist = described.get("nlist") or ivf_cells(int(described.get("total_rows", 0) or 0))
        return kind, int(nlist)

    def fit_dense_index(self, n_rows: int) -> None:
        """Rebuild the dense index when the collection's size calls for another type."""
        wanted = dense_index_kind(n_rows)

        def refit() -> None:
            self._dense_kind = None
            if self._dense_index()[0] == wanted:
                return
            self._dense_kind = None
            client = self._client
            client.release_collection(self.collection)
            client.drop_index(self.collection, index_name="dense")
            params = client.prepare_index_params()
            extra = {"nlist": ivf_cells(n_rows)} if wanted != "FLAT" else {}
            params.add_index(field_name="dense", index_type=wanted, metric_type="IP", params=extra)
            client.create_index(self.collection, params)
            client.load_collection(self.collection)

        self._call(refit)

    def present(self, keys: np.ndarray) -> np.ndarray:
        """Boolean mask: which of ``keys`` the collection holds."""
        found: set[int] = set()
        for batch in batches(np.asarray(keys, dtype=np.int64)):
            rows = self._call(
                self._client.query,
                self.collection,
                filter=f"pk in {batch.tolist()}",
                output_fields=["pk"],
            )
            found.update(int(r["pk"]) for r in rows)
        return np.array([int(k) in found for k in keys], dtype=bool)

    def delete_keys(self, keys: np.ndarray, before: Callable[[], None] | None = None) -> None:
        """Remove the rows of ``keys``; ``before`` is called before each request (raising
        stops the removal)."""
        for batch in batches(np.asarray(keys, dtype=np.int64)):
            if before is not None:
                before()
            self._call(self._client.delete, self.collection, ids=batch.tolist())

    def keys(self) -> np.ndarray:
        """Every key the collection holds."""
        return np.fromiter(self._call(lambda: list(self._iter_keys())), dtype=np.int64)

    def _iter_keys(self) -> Iterator[int]:
        # milvus-lite has no server timestamp for iterators; pymilvus warns and copes.
        logging.getLogger("pymilvus.client.iterator.query_iterator").setLevel(logging.ERROR)
        iterator = self._client.query_iterator(
            self.collection, batch_size=_BATCH * 10, filter="", output_fields=["pk"]
        )
        try:
            while rows := iterator.next():
                yield from (int(r["pk"]) for r in rows)
        finally:
            iterator.close()

    def retain(self, keep: np.ndarray, before: Callable[[], None] | None = None) -> int:
        """Remove every row whose key is not in ``keep``; returns how many were removed
        (``before`` as for :meth:`delete_keys`)."""
        stale = np.setdiff1d(self.keys(), np.asarray(keep, dtype=np.int64))
        self.delete_keys(stale, before)
        return len(stale)

    def count(self) -> int:
        """Rows in the collection."""
        rows = self._call(
            self._client.query, self.collection, filter="", output_fields=["count(*)"]
        )
        return int(rows[0]["count(*)"])

    def search_dense(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, keys)`` of the ``k`` chunks of highest inner product, best first."""
        kind, nlist = self._call(self._dense_index)
        params: dict[str, Any] = {"metric_type": "IP"}
        if kind != "FLAT" and nlist:
            params["params"] = {"nprobe": nlist if k > 1_000 else default_nprobe(nlist)}
        data = [np.asarray(query, dtype=np.float32).ravel().tolist()]
        return self._search(data, "dense", k, params)

    def search_sparse(self, text: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, keys)`` of the ``k`` chunks of highest BM25 score (> 0), best first."""
        terms = terms_of(self._tokenizer, text)
        if not terms:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        scores, keys = self._search([terms], "sparse", k, {"metric_type": "BM25"})
        keep = scores > 0
        return scores[keep], keys[keep]

    def _search(
        self, data: list[Any], field: str, k: int, params: dict[str, Any]
    ) -> tuple[np.ndarray, np.ndarray]:
        limit = min(k, MAX_LIMIT)
        if limit <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        hits = self._call(
            self._client.search,
            self.collection,
            data=data,
            anns_field=field,
            limit=limit,
            search_params=params,
            output_fields=["pk"],
        )[0]
        keys = np.array([int(h["pk"]) for h in hits], dtype=np.int64)
        scores = np.array([float(h["distance"]) for h in hits], dtype=np.float32)
        if field == "sparse":
            # milvus-lite reports BM25 as a negated distance (abs() accepts either sign).
            # Milvus multiplies by (k1 + 1), Lucene and bm25s do not: same ranking, and
            # dividing gives bm25s's scale.
            scores = (np.abs(scores) / (1.0 + BM25_K1)).astype(np.float32)
        return scores, keys

    def inner_products(self, query: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """Inner product of ``query`` with the stored vector of each of ``keys``, computed by
        Milvus (one filtered search; no vector crosses the wire). NaN where Milvus gave none:
        on an approximate (IVF) index every key, so callers read those vectors instead.
        """
        keys = np.asarray(keys, dtype=np.int64)
        out = np.full(len(keys), np.nan, dtype=np.float32)
        unique = np.unique(keys)
        if not len(unique) or len(unique) > MAX_LIMIT or self._call(self._dense_index)[0] != "FLAT":
            return out
        hits = self._call(
            self._client.search,
            self.collection,
            data=[np.asarray(query, dtype=np.float32).ravel().tolist()],
            anns_field="dense",
            limit=len(unique),
            filter=f"pk in {unique.tolist()}",
            search_params={"metric_type": "IP"},
            output_fields=["pk"],
        )[0]
        found = np.array([int(h["pk"]) for h in hits], dtype=np.int64)
        scores = np.array([float(h["distance"]) for h in hits], dtype=np.float32)
        order = np.argsort(found)
        pos = np.minimum(np.searchsorted(found[order], keys), max(len(found) - 1, 0))
        if len(found):
            hit = found[order][pos] == keys
            out[hit] = scores[order][pos][hit]
        return out

    def vectors(self, keys: np.ndarray) -> np.ndarray:
        """Stored vectors of ``keys``.

        Raises:
            KeyError: a key the collection does not hold.
        """
        keys = np.asarray(keys, dtype=np.int64)
        out = np.zeros((len(keys), self.dimension), dtype=np.float32)
        where: dict[int, list[int]] = {}
        for i, key in enumerate(keys.tolist()):
            where.setdefault(key, []).append(i)
        found = 0
        for batch in batches(np.unique(keys)):
            rows = self._call(
                self._client.get, self.collection, ids=batch.tolist(), output_fields=["dense"]
            )
            for row in rows:
                out[where[int(row["pk"])]] = np.asarray(row["dense"], dtype=np.float32)
                found += 1
        if found != len(where):
            raise KeyError(f"{len(where) - found} chunk keys not in collection {self.collection}")
        return out

    def stats(self) -> CollectionStats:
        """Counts and index type."""
        kind = self._call(self._dense_index)[0]
        return CollectionStats(self.count(), kind, f"{self.uri} / {self.collection}")


def batches(keys: np.ndarray) -> Iterator[np.ndarray]:
    for lo in range(0, len(keys), _BATCH):
        yield keys[lo : lo + _BATCH]
