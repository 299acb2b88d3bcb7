"""SciFact ingest time in-process against embedding on a local Ray cluster of 1, 2, ... workers.

Each run ingests the same SciFact records (one document each, ``--docs N`` for the first N)
into a fresh index with an empty embedding cache, so every chunk and sentence is embedded.
Printed per run: wall seconds, texts embedded and texts/s; the seconds spent embedding (for
Ray: the calls to the cluster, as the coordinator saw them, starting the cluster included);
the workers' own embedding seconds and their texts per worker-second; and the coordinator's
share: the part of the wall clock in which no worker was embedding (chunking, BM25, writing
the index, starting the cluster and its workers, moving texts and vectors).

The in-process run uses the default model settings (inference threads: one per core); each
Ray worker reserves one CPU and runs the model on one thread. On a shared machine the wall
clock grows with the load: the load average is printed beside each run.

Run: ``python -m bench.ray_ingest [--docs 500] [--workers 1,2] [--json]`` (needs the ray
extra: ``pip install 'docqa[ray]'``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.arguments import SCIFACT
from ingest.embedding.factory import make_embedder
from ingest.embedding.protocol import Embedder
from ingest.embedding.ray_embedder import RayEmbedder
from ingest.embedding.settings import EmbeddingSettings, RaySettings
from ingest.formats.document import Document
from ingest.sync.pipeline import Ingestor
from retrieval.eval.beir_index import beir_documents

ROOT = Path(__file__).resolve().parent.parent


class TimedEmbedder:
    """An in-process embedder that adds up the seconds spent in ``embed``."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.seconds = 0.0

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """The inner embedder's vectors, timed."""
        started = time.perf_counter()
        try:
            return self.inner.embed(texts, batch_size=batch_size)
        finally:
            self.seconds += time.perf_counter() - started


def _run(index: Path, documents: list[Document], ingestor: Ingestor) -> tuple[float, int]:
    """Wall seconds of one ingest into a fresh ``index`` and the texts it embedded."""
    shutil.rmtree(index, ignore_errors=True)
    started = time.perf_counter()
    report = ingestor.sync_documents(documents)
    wall = time.perf_counter() - started
    return wall, report.chunks_embedded + report.sentences_embedded


def in_process(work: Path, documents: list[Document]) -> dict[str, Any]:
    """The figures of an in-process ingest (the model loaded beforehand)."""
    timed = TimedEmbedder(make_embedder(None))
    timed.embed(["load the model before the clock starts"])
    timed.seconds = 0.0
    wall, texts = _run(work / "index-local", documents, Ingestor(work / "index-local", timed))
    return {
        "run": "in-process",
        "workers": "-",
        "wall_s": round(wall, 1),
        "texts": texts,
        "texts_per_s": round(texts / wall, 1),
        "embedding_s": round(timed.seconds, 1),
        "worker_s": round(timed.seconds, 1),
        "texts_per_worker_s": round(texts / timed.seconds, 1),
        "coordinator_share": round(1 - timed.seconds / wall, 3),
        "load_average": round(os.getloadavg()[0], 1),
    }


def on_ray(work: Path, documents: list[Document], workers: int) -> dict[str, Any]:
    """The figures of an ingest embedding on a local Ray cluster of ``workers`` workers."""
    embedding = replace(EmbeddingSettings.from_environment(), ray=RaySettings(workers=workers))
    embedder = make_embedder(None, settings=embedding)
    assert isinstance(embedder, RayEmbedder)
    embedder.dimension  # noqa: B018 - the coordinator's copy of the model, loaded beforehand
    index = work / f"index-ray-{workers}"
    try:
        wall, texts = _run(index, documents, Ingestor(index, embedding=embedding))
    finally:
        embedder.close()
    stats = embedder.stats
    busy = stats.worker_seconds / workers  # wall seconds in which the workers embedded
    return {
        "run": "Ray",
        "workers": workers,
        "wall_s": round(wall, 1),
        "texts": texts,
        "texts_per_s": round(texts / wall, 1),
        "embedding_s": round(stats.seconds, 1),
        "worker_s": round(stats.worker_seconds, 1),
        "texts_per_worker_s": round(texts / stats.worker_seconds, 1),
        "coordinator_share": round(1 - busy / wall, 3),
        "load_average": round(os.getloadavg()[0], 1),
        "calls": stats.calls,
        "connect_s": round(stats.connect_seconds, 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")  # as `docqa ingest --ray` does
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scifact", type=Path, default=SCIFACT)
    parser.add_argument("--docs", type=int, default=None, help="the first N records only")
    parser.add_argument("--workers", default="1,2", help="Ray worker counts (default: 1,2)")
    parser.add_argument("--work", type=Path, default=ROOT / ".docqa" / "bench-ray-ingest")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON lines")
    args = parser.parse_args(argv)

    documents = beir_documents(args.scifact)[: args.docs]
    args.work.mkdir(parents=True, exist_ok=True)
    rows = [in_process(args.work, documents)]
    for workers in (int(n) for n in args.workers.split(",")):
        rows.append(on_ray(args.work, documents, workers))
    if args.json:
        for row in rows:
            print(json.dumps({"documents": len(documents), **row}))
        return 0
    print(f"{len(documents)} SciFact documents")
    columns = list(rows[-1])
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(str(row.get(c, "-")) for c in columns) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
