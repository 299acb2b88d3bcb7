"""The Ray embedder's parts that need no cluster: its worker, its call size, the cache's use
of it (the cluster itself: tests/system/test_ray_ingest.py)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from ingest.embedding.cache import DEFAULT_BATCH, EmbeddingCache
from ingest.embedding.factory import make_embedder
from ingest.embedding.ray_embedder import EmbedWorker, RayEmbedder
from ingest.embedding.settings import EmbeddingSettings, RaySettings
from ingest.errors import InvalidInputError
from tests.support.fakes import FakeEmbedder


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, recording how many texts each call got."""

    def __init__(self, texts_per_call: int | None = None) -> None:
        super().__init__()
        self.calls: list[int] = []
        if texts_per_call is not None:
            self.texts_per_call = texts_per_call

    def embed(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        self.calls.append(len(texts))
        return super().embed(texts, batch_size=batch_size)


def test_the_cache_gives_an_embedder_the_texts_per_call_it_asks_for(tmp_path: Path) -> None:
    texts = [f"text number {i}" for i in range(10)]
    wants_four = CountingEmbedder(texts_per_call=4)
    cache = EmbeddingCache(tmp_path / "a", wants_four.model_id, wants_four.dimension)
    vectors, embedded = cache.embed_with_cache(texts, wants_four.embed)
    assert wants_four.calls == [4, 4, 2] and embedded == 10
    np.testing.assert_array_equal(vectors, FakeEmbedder().embed(texts))
    plain = CountingEmbedder()  # declares nothing: the in-process default
    cache = EmbeddingCache(tmp_path / "b", plain.model_id, plain.dimension)
    cache.embed_with_cache([f"text {i}" for i in range(DEFAULT_BATCH + 88)], plain.embed)
    assert plain.calls == [DEFAULT_BATCH, 88]


def test_a_worker_returns_each_vector_with_its_row() -> None:
    worker_class = type("Worker", (EmbedWorker,), {"build": FakeEmbedder})
    worker = worker_class()
    texts = np.array(["owls hunt at night", "tides follow the moon", "barns hold owls"])
    out = worker({"row": np.array([7, 2, 5]), "text": texts})
    assert out["row"].tolist() == [7, 2, 5]
    np.testing.assert_array_equal(out["vector"], FakeEmbedder().embed(list(texts)))
    assert out["seconds"].shape == (3,) and (out["seconds"] >= 0).all()


def test_a_call_gives_each_worker_its_share() -> None:
    settings = RaySettings(workers=3, texts_per_worker=10)
    embedder = RayEmbedder("fake-hashing-256", FakeEmbedder, settings)
    assert embedder.texts_per_call == 30  # a worker count set: no cluster joined to count
    assert embedder.model_id == "fake-hashing-256" and embedder.dimension == 256
    with pytest.raises(InvalidInputError, match="cpus_per_worker 0 must be 1 or more"):
        RayEmbedder("m", FakeEmbedder, settings, cpus_per_worker=0)
    with pytest.raises(InvalidInputError, match="Ray texts_per_worker 0 must be 1 or more"):
        RaySettings(workers=1, texts_per_worker=0)


def test_make_embedder_puts_the_model_on_ray_when_asked() -> None:
    on_ray = make_embedder(None, settings=EmbeddingSettings(threads=2, ray=RaySettings(workers=1)))
    assert isinstance(on_ray, RayEmbedder)
    assert on_ray.settings == RaySettings(workers=1)
    assert not isinstance(make_embedder(None, settings=EmbeddingSettings()), RayEmbedder)
