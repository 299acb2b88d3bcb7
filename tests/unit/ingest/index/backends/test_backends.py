"""Milvus's collections (milvus-lite, in-process) against FAISS + bm25s: chunks, and the
sentence-unit and section rows retrieval reads, on both.

One milvus-lite file per module; each test gets its own collection.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ingest.index.dense import DenseIndex
from ingest.index.sparse import SparseIndex, SparseSettings, Tokenizer
from ingest.text.chunker import Chunk
from tests.support.fakes import FakeEmbedder

pytest.importorskip("milvus_lite")
from ingest.index.backends.milvus.chunks import ChunkCollection, chunk_keys
from ingest.index.backends.milvus.rows import (
    SectionCollection,
    UnitCollection,
    extra_rows,
    section_keys,
    unit_keys,
)
from ingest.index.backends.milvus.views import KeyRows, MilvusSectionRows, MilvusUnitRows

TEXTS = {
    "owls.md": [
        "Owls hunt mice at night and sleep during the day.",
        "A barn owl swallows its prey whole and coughs up pellets.",
        "Snowy owls nest on the open tundra.",
    ],
    "boats.md": [
        "The ferry crosses the harbour every hour.",
        "Sailing boats wait in the harbour for the tide.",
    ],
    "bread.md": [
        "Sourdough bread rises slowly overnight.",
        "Rye bread keeps for a week in a cool larder.",
        "The baker shapes loaves before dawn.",
    ],
}
EMBEDDER = FakeEmbedder(dimension=64)
Filled = tuple[ChunkCollection, list[Chunk]]
_names = itertools.count()


def _chunks() -> list[Chunk]:
    out = []
    for doc_id, texts in TEXTS.items():
        start = 0
        for n, text in enumerate(texts):
            out.append(Chunk(f"{doc_id}#{n}", doc_id, start, start + len(text), (), None, text))
            start += len(text) + 1
    return out


@pytest.fixture(scope="module")
def milvus_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("milvus") / "contract.db")


@pytest.fixture
def make_backend(milvus_file: str) -> Callable[[], ChunkCollection]:
    """A factory of empty chunk collections."""

    def make() -> ChunkCollection:
        name = f"contract_{next(_names)}"
        return ChunkCollection(milvus_file, name, EMBEDDER.dimension, SparseSettings())

    return make


@pytest.fixture
def filled(make_backend: Callable[[], ChunkCollection]) -> Iterator[Filled]:
    chunks = _chunks()
    backend = make_backend()
    backend.add(chunk_keys(chunks), chunks, EMBEDDER.embed([c.text for c in chunks]))
    yield backend, chunks


def test_dense_search_is_exact_inner_product(filled: Filled) -> None:
    backend, chunks = filled
    vectors = EMBEDDER.embed([c.text for c in chunks])
    keys = chunk_keys(chunks)
    query = EMBEDDER.embed(["where do owls nest"])[0]
    scores, found = backend.search_dense(query, 4)
    expected = np.argsort(-(vectors @ query), kind="stable")[:4]
    assert len(found) == 4
    assert np.allclose(scores, (vectors @ query)[expected], atol=1e-5)
    assert set(found[:1]) == {keys[expected[0]]}
    assert np.all(np.diff(scores) <= 1e-6)


def test_sparse_search_finds_only_matching_chunks(filled: Filled) -> None:
    backend, chunks = filled
    keys = dict(zip(chunk_keys(chunks).tolist(), chunks, strict=True))
    scores, found = backend.search_sparse("harbour tide", 10)
    assert [keys[int(k)].chunk_id for k in found] == ["boats.md#1", "boats.md#0"]
    assert np.all(scores > 0) and scores[0] > scores[1]
    empty_scores, nothing = backend.search_sparse("zeppelin", 10)
    assert len(nothing) == 0 and len(empty_scores) == 0


def test_sparse_scores_agree_with_bm25s(filled: Filled) -> None:
    """Milvus's analyzer and BM25 follow bm25s's: same rows, same scores on plain words."""
    backend, chunks = filled
    reference = SparseIndex.build([c.text for c in chunks], SparseSettings())
    keys = chunk_keys(chunks)
    for question in ("bread baker loaves", "owls hunting mice", "the harbour ferry"):
        scores = reference.scores(question)
        rows = np.argsort(-scores, kind="stable")[:10]
        rows = rows[scores[rows] > 0]
        want_scores, want = scores[rows], keys[rows]
        got_scores, got = backend.search_sparse(question, 10)
        assert set(got.tolist()) == set(want.tolist())
        by_key = dict(zip(got.tolist(), got_scores.tolist(), strict=True))
        assert np.allclose([by_key[k] for k in want.tolist()], want_scores, rtol=1e-3)


def test_delete_documents_removes_their_chunks(filled: Filled) -> None:
    backend, chunks = filled
    owl_keys = {
        int(k) for k, c in zip(chunk_keys(chunks), chunks, strict=True) if "owl" in c.doc_id
    }
    assert backend.delete_documents(["owls.md"]) == 3
    _, sparse = backend.search_sparse("owls mice tundra", 10)
    _, dense = backend.search_dense(EMBEDDER.embed(["owls hunt mice"])[0], 10)
    assert not owl_keys & set(sparse.tolist()) and not owl_keys & set(dense.tolist())
    assert len(dense) == len(chunks) - 3
    assert backend.stats().n_rows == len(chunks) - 3
    assert backend.delete_documents(["no-such-doc"]) == 0


def test_vectors_come_back_by_key(filled: Filled) -> None:
    backend, chunks = filled
    keys = chunk_keys(chunks)
    vectors = EMBEDDER.embed([c.text for c in chunks])
    pick = np.array([5, 0, 2, 5])
    assert np.allclose(backend.vectors(keys[pick]), vectors[pick], atol=1e-6)
    with pytest.raises(KeyError):
        backend.vectors(np.array([12345], dtype=np.int64))


def test_adding_a_key_again_replaces_its_chunk(filled: Filled) -> None:
    backend, chunks = filled
    keys = chunk_keys(chunks)
    replacement = Chunk("bread.md#0", "bread.md", 0, 20, (), None, "Zeppelins drift slowly.")
    backend.add(keys[6:7], [replacement], EMBEDDER.embed([replacement.text]))
    _, found = backend.search_sparse("zeppelins", 5)
    assert found.tolist() == [keys[6]]
    assert backend.stats().n_rows == len(chunks)


def test_chunk_keys_are_stable_and_distinct() -> None:
    chunks = _chunks()
    assert np.array_equal(chunk_keys(chunks), chunk_keys(list(chunks)))
    assert len(set(chunk_keys(chunks).tolist())) == len(chunks)
    assert np.all(chunk_keys(chunks) >= 0)


def test_empty_backend_searches_nothing(make_backend: Callable[[], ChunkCollection]) -> None:
    backend = make_backend()
    assert len(backend.search_dense(EMBEDDER.embed(["owls"])[0], 5)[1]) == 0
    assert len(backend.search_sparse("owls", 5)[1]) == 0
    assert backend.stats().n_rows == 0


def test_milvus_uri_must_be_a_server_or_a_db_file(tmp_path: Path) -> None:
    from ingest.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match=r"\.db"):
        ChunkCollection(str(tmp_path / "folder"), "x", 4)


def test_milvus_dense_index_follows_the_size(
    milvus_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above the exact-search limit the collection is re-indexed as IVF_SQ8 and still finds
    the nearest chunks (approximate search against exact brute force, seeded data)."""
    monkeypatch.setattr("ingest.index.backends.milvus.collection.EXACT_MAX_ROWS", 50)
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((300, EMBEDDER.dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    chunks = [Chunk(f"d#{i}", f"d{i % 5}", i, i + 1, (), None, f"row {i}") for i in range(300)]
    backend = ChunkCollection(milvus_file, f"ivf_{next(_names)}", EMBEDDER.dimension)
    backend.add(chunk_keys(chunks), chunks, vectors)
    backend.fit_dense_index(len(chunks))
    assert backend.stats().dense_index == "IVF_SQ8"
    keys = chunk_keys(chunks)
    hits = 0
    for row in range(0, 300, 30):
        query = vectors[row] + 0.05 * rng.standard_normal(EMBEDDER.dimension).astype(np.float32)
        exact = keys[np.argsort(-(vectors @ query))[:10]]
        _, found = backend.search_dense(query, 10)
        hits += len(set(found.tolist()) & set(exact.tolist()))
    assert hits / 100 >= 0.9


# Sentence units and sections: the row views retrieval reads, on both backends.

UNIT_TEXTS = [sentence for texts in TEXTS.values() for sentence in texts] + [
    "Owls are silent fliers.",
    "Ferries carry cars across the bay.",
]
SECTION_TEXTS = [" ".join(texts) for texts in TEXTS.values()] + ["Zeppelins drift over owls."]


@pytest.fixture(params=["faiss", "milvus"])
def unit_rows(request: pytest.FixtureRequest, milvus_file: str) -> tuple[Any, np.ndarray]:
    """The unit vectors of one version as rows, and the vectors themselves."""
    vectors = EMBEDDER.embed(UNIT_TEXTS)
    if request.param == "faiss":
        return DenseIndex.build(vectors), vectors
    collection = UnitCollection(milvus_file, f"units_{next(_names)}", EMBEDDER.dimension)
    n = len(vectors)
    chunk_of = np.arange(n, dtype=np.int64) // 2
    keys = unit_keys(chunk_of, np.arange(n), np.arange(n) + 1)
    # Another version's units share the collection; this version must not see them.
    stranger = EMBEDDER.embed(["Owls hunt mice at night and sleep during the day."])
    collection.add_units(np.array([7]), np.array([99]), np.array([0]), np.array([1]), stranger)
    collection.add_units(keys, chunk_of, np.arange(n), np.arange(n) + 1, vectors)
    return MilvusUnitRows(collection, KeyRows(keys, extra_rows(collection, keys))), vectors


def test_unit_search_is_exact_inner_product_over_the_versions_rows(
    unit_rows: tuple[Any, np.ndarray],
) -> None:
    rows, vectors = unit_rows
    assert rows.size == len(UNIT_TEXTS) and rows.dimension == EMBEDDER.dimension
    assert rows.searchable
    query = EMBEDDER.embed(["owls hunt mice at night"])[0]
    scores, found = rows.search(query, 5)
    exact = vectors @ query
    assert np.allclose(scores, np.sort(exact)[::-1][:5], atol=1e-5)  # the best five (ties aside)
    assert np.allclose(scores, exact[found], atol=1e-5)
    assert found[0] == 0  # the unit with the query's words
    _, everything = rows.search(query, 100)
    assert sorted(everything.tolist()) == list(range(len(UNIT_TEXTS)))


def test_unit_vectors_come_back_by_row(unit_rows: tuple[Any, np.ndarray]) -> None:
    rows, vectors = unit_rows
    pick = np.array([3, 0, 9, 3])
    assert np.allclose(rows.reconstruct(pick), vectors[pick], atol=1e-6)
    assert rows.reconstruct(np.zeros(0, dtype=np.int64)).shape == (0, EMBEDDER.dimension)
    assert np.allclose(rows.vectors(), vectors, atol=1e-6)


def test_unit_inner_products_are_the_rows_own(unit_rows: tuple[Any, np.ndarray]) -> None:
    rows, vectors = unit_rows
    query = EMBEDDER.embed(["ferries across the bay"])[0]
    pick = np.array([5, 1, 9, 5])  # repeated rows too; the stranger's key never counts
    assert np.allclose(rows.inner_products(query, pick), vectors[pick] @ query, atol=1e-5)
    assert rows.inner_products(query, np.zeros(0, dtype=np.int64)).shape == (0,)


@pytest.fixture(params=["faiss", "milvus"])
def section_rows(request: pytest.FixtureRequest, milvus_file: str) -> Any:
    """The section BM25 of one version."""
    settings = SparseSettings()
    if request.param == "faiss":
        return SparseIndex.build(SECTION_TEXTS, settings)
    tokenizer = Tokenizer(settings)
    terms = [" ".join(tokenizer(t)) for t in SECTION_TEXTS]
    doc_ids = [f"d{i}" for i in range(len(terms))]
    keys = section_keys(doc_ids, terms)
    collection = SectionCollection(milvus_file, f"sections_{next(_names)}", 1, settings)
    collection.add_sections(keys, doc_ids, terms)
    return MilvusSectionRows(collection, KeyRows(keys, extra_rows(collection, keys)))


def test_section_scores_agree_with_bm25s(section_rows: Any) -> None:
    reference = SparseIndex.build(SECTION_TEXTS, SparseSettings())
    assert section_rows.size == len(SECTION_TEXTS)
    for question in ("owls hunting mice", "the harbour ferry", "bread baker", "zeppelins"):
        want = reference.scores(question)
        got = section_rows.scores(question)
        assert got.shape == want.shape
        assert np.allclose(got, want, rtol=1e-3, atol=1e-6), question
    assert not section_rows.scores("quantum chromodynamics").any()


def test_section_keys_are_stable_and_distinct() -> None:
    doc_ids, terms = ["a", "a", "b"], ["same words", "same words", "same words"]
    keys = section_keys(doc_ids, terms)
    assert len(set(keys.tolist())) == 3
    assert np.array_equal(keys, section_keys(doc_ids, terms))
