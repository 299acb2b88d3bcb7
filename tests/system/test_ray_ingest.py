"""Ingest with embedding on Ray: a local 2-worker cluster gives the index an in-process run
gives, and the embedding cache keeps a second run from embedding anything."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ingest.embedding.factory import make_embedder
from ingest.embedding.protocol import Embedder
from ingest.embedding.ray_embedder import RayEmbedder
from ingest.embedding.settings import EmbeddingSettings, RaySettings
from ingest.index.store import load_version
from ingest.sync.pipeline import Ingestor
from ui.cli import main

pytestmark = [pytest.mark.model, pytest.mark.slow]

OWLS = """# Owls

Owls hunt at night. Their eyes face forward, so they judge distance well.
A barn owl can find a mouse under snow by sound alone.

## Feathers

Soft edges on the flight feathers make an owl's flight almost silent. Prey hears nothing
until it is too late. Most owls sleep through the day in hollow trees or barns.
"""

TIDES = """# Tides

The Moon's pull raises the sea on the side of the Earth that faces it, and on the far side.
Most coasts see two high tides a day. Spring tides come at new and full moon, when the Sun
and the Moon pull in line. Neap tides, the smallest, come in between.
Harbours publish tide tables a year ahead.
"""


#: Manifest entries that say when a run saw a file, not what it made of it.
WHEN = {"ingested_at", "file_checked_ns"}


@pytest.fixture(scope="module")
def ray_embedder() -> Iterator[Embedder]:
    """The packaged model on a local Ray cluster of 2 workers (2 CPUs), stopped after.

    Batches of 2 texts, so even this tiny corpus is spread over both workers in several
    blocks whose results come back in any order.
    """
    settings = replace(
        EmbeddingSettings.from_environment(), ray=RaySettings(workers=2, batch_size=2)
    )
    embedder = make_embedder(None, settings=settings)
    assert isinstance(embedder, RayEmbedder)
    yield embedder
    embedder.close()


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    """Two short Markdown documents."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "owls.md").write_text(OWLS, encoding="utf-8")
    (folder / "tides.md").write_text(TIDES, encoding="utf-8")
    return folder


def _contents(index: Path) -> dict[str, Any]:
    """What an index holds, vectors apart: manifest (less :data:`WHEN`), chunks, units."""
    version = load_version(index)
    manifest = version.manifest
    return {
        "model": manifest.model,
        "dimension": manifest.dimension,
        "documents": {
            d: {k: v for k, v in info.items() if k not in WHEN}
            for d, info in manifest.documents.items()
        },
        "chunks": [(c.doc_id, c.start, c.end, c.section, c.page) for c in version.chunks],
        "units": [
            a.tolist() for a in (version.units.chunk, version.units.start, version.units.end)
        ],
    }


def _vectors(index: Path) -> tuple[np.ndarray, np.ndarray]:
    """The chunk vectors and the sentence-unit vectors, in row order."""
    version = load_version(index)
    return (
        version.dense.reconstruct(np.arange(version.dense.size)),
        version.unit_dense.reconstruct(np.arange(version.unit_dense.size)),
    )


def test_ray_ingest_gives_the_in_process_index(
    tmp_path: Path, docs: Path, real_embedder: Embedder, ray_embedder: RayEmbedder
) -> None:
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    Ingestor(local, embedder=real_embedder).run([docs])
    before = ray_embedder.stats.texts
    report = Ingestor(on_ray, embedding=ray_embedder_settings(ray_embedder)).run([docs])

    assert report.chunks_embedded > 0 and report.sentences_embedded > 0
    # Every text the index embedded went through the cluster, in more blocks than workers.
    sent = ray_embedder.stats.texts - before
    assert sent == report.chunks_embedded + report.sentences_embedded
    assert sent > 2 * ray_embedder.settings.batch_size
    assert _contents(on_ray) == _contents(local)
    for ray_rows, local_rows in zip(_vectors(on_ray), _vectors(local), strict=True):
        assert ray_rows.shape == local_rows.shape
        # The same model on the same inputs: equal up to float rounding at most.
        np.testing.assert_allclose(ray_rows, local_rows, atol=1e-6)


def test_a_second_ray_ingest_embeds_nothing(
    tmp_path: Path,
    docs: Path,
    ray_embedder: RayEmbedder,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RAY_BACKEND_LOG_LEVEL", "fatal")  # what main() sets: undone after
    index = tmp_path / "index"
    first = Ingestor(index, embedding=ray_embedder_settings(ray_embedder)).run([docs])
    assert first.chunks_embedded > 0
    sent = ray_embedder.stats.texts
    capsys.readouterr()
    # The CLI path: --workers builds the Ray settings; --rebuild chunks everything anew,
    # and the embedding cache answers for every text.
    argv = ["ingest", str(docs), "--index", str(index), "--workers", "2", "--rebuild", "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["chunks_embedded"] == 0 and report["sentences_embedded"] == 0
    assert report["n_chunks"] == first.n_chunks
    assert ray_embedder.stats.texts == sent


def ray_embedder_settings(embedder: RayEmbedder) -> EmbeddingSettings:
    """The settings :func:`make_embedder` builds ``embedder`` back from (same instance)."""
    settings = replace(EmbeddingSettings.from_environment(), ray=embedder.settings)
    assert make_embedder(None, settings=settings) is embedder
    return settings
