"""The dense index: exact and approximate search checked against brute force on seeded data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ingest.errors import InvalidInputError
from ingest.index.dense import DENSE_INDEX_ENV, EXACT_MAX_ROWS, DenseIndex, choose_kind, ivf_cells


def clustered(n: int, dim: int = 64, *, seed: int = 7, clusters: int = 40) -> np.ndarray:
    """Unit vectors around random centres: neighbours are close, ties are rare."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    x = centres[rng.integers(0, clusters, n)] + 0.6 * rng.standard_normal((n, dim)).astype(
        np.float32
    )
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def brute_force(vectors: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-(vectors @ query), kind="stable")[:k]


def recall_at(index: DenseIndex, vectors: np.ndarray, queries: np.ndarray, k: int = 10) -> float:
    hits = [
        len(set(index.search(q, k)[1].tolist()) & set(brute_force(vectors, q, k).tolist()))
        for q in queries
    ]
    return sum(hits) / (k * len(queries))


def test_flat_index_returns_the_brute_force_ranking_and_scores() -> None:
    vectors = clustered(500)
    index = DenseIndex.build(vectors, kind="flat")
    for query in clustered(5, seed=99):
        scores, rows = index.search(query, 10)
        expected = brute_force(vectors, query, 10)
        assert rows.tolist() == expected.tolist()
        np.testing.assert_allclose(scores, vectors[expected] @ query, rtol=1e-5)


def test_ivf_sq8_recall_against_exact_search_on_seeded_data() -> None:
    vectors = clustered(6000)
    index = DenseIndex.build(vectors, kind="ivf-sq8")
    assert index.kind == "ivf-sq8"
    assert recall_at(index, vectors, clustered(50, seed=99)) >= 0.9


def test_ivf_sq8_with_a_single_probe_loses_recall_that_the_default_keeps() -> None:
    vectors = clustered(6000, clusters=200)
    queries = clustered(50, seed=99, clusters=200)
    index = DenseIndex.build(vectors, kind="ivf-sq8")
    default = recall_at(index, vectors, queries)
    narrow = recall_at(DenseIndex(index._index, nprobe=1), vectors, queries)
    assert narrow < default


def test_ivf_sq8_wide_search_scans_every_cell() -> None:
    vectors = clustered(3000)
    index = DenseIndex.build(vectors, kind="ivf-sq8")
    _, rows = index.search(vectors[0], 3000)
    assert sorted(rows.tolist()) == list(range(3000))


def test_approximate_index_survives_save_and_load(tmp_path: Path) -> None:
    vectors = clustered(3000)
    index = DenseIndex.build(vectors, kind="ivf-sq8")
    index.save(tmp_path / "dense.faiss")
    loaded = DenseIndex.load(tmp_path / "dense.faiss")
    assert (loaded.kind, loaded.size, loaded.nprobe) == ("ivf-sq8", 3000, index.nprobe)
    query = clustered(1, seed=5)[0]
    assert loaded.search(query, 10)[1].tolist() == index.search(query, 10)[1].tolist()


def test_kind_follows_corpus_size_unless_overridden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DENSE_INDEX_ENV, raising=False)
    assert choose_kind(10) == "flat"
    assert choose_kind(EXACT_MAX_ROWS) == "flat"
    assert choose_kind(EXACT_MAX_ROWS + 1) == "ivf-sq8"
    assert choose_kind(10, "ivf-sq8") == "ivf-sq8"
    monkeypatch.setenv(DENSE_INDEX_ENV, "ivf-sq8")
    assert choose_kind(10) == "ivf-sq8"
    assert choose_kind(10, "flat") == "flat"
    with pytest.raises(InvalidInputError, match="valid types are: auto, flat, ivf-sq8"):
        choose_kind(10, "hnsw")


def test_env_override_reaches_the_built_index(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DENSE_INDEX_ENV, "ivf-sq8")
    assert DenseIndex.build(clustered(2000)).kind == "ivf-sq8"


def test_tiny_and_empty_inputs_fall_back_to_exact_search() -> None:
    assert DenseIndex.build(np.zeros((0, 8), dtype=np.float32), kind="ivf-sq8").size == 0
    one = DenseIndex.build(clustered(1, dim=8), kind="ivf-sq8")
    assert one.search(clustered(1, dim=8)[0], 5)[1].tolist() == [0]


def test_cells_grow_with_the_square_root_of_the_corpus() -> None:
    assert ivf_cells(1_000_000) == 2048
    assert ivf_cells(250_000) == 1024
    assert all(ivf_cells(n) & (ivf_cells(n) - 1) == 0 for n in (10, 5000, 123_456))


def test_ivf_sq8_reconstructs_rows_close_to_the_originals(tmp_path: Path) -> None:
    vectors = clustered(3000)
    index = DenseIndex.build(vectors, kind="ivf-sq8")
    index.save(tmp_path / "dense.faiss")
    for loaded in (index, DenseIndex.load(tmp_path / "dense.faiss")):
        rows = np.array([0, 17, 2999])
        np.testing.assert_allclose(loaded.reconstruct(rows), vectors[rows], atol=0.02)
        assert loaded.vectors().shape == vectors.shape
        assert loaded.dimension == 64
