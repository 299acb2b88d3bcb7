"""How docqa's index grows: build, disk, load, memory, latency and recall at 10k to 1M chunks.

Each corpus is synthetic but full size: documents of ten chunks of five sentences of 22
words (110 words, about 750 characters, like docqa's chunks), 40% of them English stop words
and the rest drawn from a Zipf-distributed vocabulary of 50,000 pseudo-words (the text store
and BM25 hold real amounts of text); every sentence is a sentence unit with its own vector,
as in a real index (five units per chunk: five million at a million chunks). Clustered unit
vectors stand in for embeddings (each chunk's a mix of two random topic centres plus noise,
so neighbourhoods straddle k-means cells as real embeddings do; its sentences' near it).

Every size runs in two fresh processes, so memory figures are that size's alone:

- ``build``: writes an index version with :func:`ingest.index.store.write_version` (the dense
  index type chosen by size, see :mod:`ingest.index.dense`) and computes the exact top 10 of
  the probe queries by brute force;
- ``query``: loads the index, measures the dense search alone (k=10, the recall@10 of the
  chosen index against exact search, and k=100 as retrieval asks for), and the hybrid
  ranking and a full answer through :class:`retrieval.Retriever` (questions embedded with
  the fake embedder, so model time is left out: ``bench/speed.py`` measures that). Memory
  is taken after loading and again after the questions (mapped files count once touched).

Run: ``make bench-scale`` or ``python -m bench.scale --sizes 10000,100000,1000000``.
Prints a table, writes ``docs/scale.json`` and the plot ``docs/scale.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

DIM = 384
CHUNKS_PER_DOC = 10
SENTENCES_PER_CHUNK = 5
WORDS_PER_SENTENCE = 22
VOCABULARY = 50_000
N_QUERIES = 200
QUESTIONS = (
    "what limits the growth of river delta sediment",
    "vaccine response in older adults",
    "treaty negotiations over water rights",
    "effects of sleep on memory consolidation",
)


def rss_mb() -> float:
    """Resident memory of this process now, in MB."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_rss_mb() -> float:
    """Peak resident memory of this process, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def synthetic_vectors(n: int, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    """Unit vectors near a mix of two topic centres, generated in blocks to bound memory."""
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        first = centres[rng.integers(0, len(centres), m)]
        second = centres[rng.integers(0, len(centres), m)]
        weight = rng.random((m, 1), dtype=np.float32)
        noise = rng.standard_normal((m, DIM), dtype=np.float32) / np.sqrt(DIM)
        block = first + weight * second + noise
        out[start : start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def unit_vectors(chunk_vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Float16 unit vectors of each chunk's sentences: the chunk's vector plus noise."""
    n = len(chunk_vectors)
    out = np.empty((n * SENTENCES_PER_CHUNK, DIM), dtype=np.float16)
    for start in range(0, n, 20_000):
        block = np.repeat(chunk_vectors[start : start + 20_000], SENTENCES_PER_CHUNK, axis=0)
        block = block + rng.standard_normal(block.shape, dtype=np.float32) / np.sqrt(DIM)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start * SENTENCES_PER_CHUNK : start * SENTENCES_PER_CHUNK + len(block)] = block
    return out


def topic_centres(n: int, rng: np.random.Generator) -> np.ndarray:
    centres = rng.standard_normal((max(1, n // 200), DIM)).astype(np.float32)
    return centres / np.linalg.norm(centres, axis=1, keepdims=True)


def synthetic_words(rng: np.random.Generator) -> np.ndarray:
    """A vocabulary of pronounceable pseudo-words (BM25 needs many distinct terms)."""
    syllables = np.array([c + v for c in "bcdfghklmnprstvz" for v in "aeiou"])
    parts = rng.integers(0, len(syllables), (VOCABULARY, 3))
    return np.array(["".join(syllables[p]) for p in parts])


def build(n: int, folder: Path) -> dict[str, Any]:
    """Write an index of ``n`` synthetic chunks into ``folder``; exact answers beside it."""
    from bm25s.stopwords import STOPWORDS_EN

    from ingest.formats.document import Document, Section
    from ingest.index.sparse import SparseSettings
    from ingest.index.store import Manifest, write_version
    from ingest.index.units import UnitTable
    from ingest.text.chunker import Chunk, ChunkSettings

    rng = np.random.default_rng(n)
    stop = np.array(sorted(STOPWORDS_EN))
    words = np.concatenate([synthetic_words(rng), stop])
    zipf = np.concatenate(
        [
            0.6 / np.arange(1, VOCABULARY + 1) / np.sum(1.0 / np.arange(1, VOCABULARY + 1)),
            np.full(len(stop), 0.4 / len(stop)),
        ]
    )
    documents, chunks, meta = [], [], {}
    unit_start: list[int] = []
    unit_end: list[int] = []
    for d in range(0, n, CHUNKS_PER_DOC):
        count = min(CHUNKS_PER_DOC, n - d)
        picks = rng.choice(
            len(words), size=(count * SENTENCES_PER_CHUNK, WORDS_PER_SENTENCE), p=zipf
        )
        sentences = [" ".join(words[row]).capitalize() + "." for row in picks]
        parts = [
            " ".join(sentences[i : i + SENTENCES_PER_CHUNK])
            for i in range(0, len(sentences), SENTENCES_PER_CHUNK)
        ]
        text = "\n\n".join(parts)
        doc_id = f"doc{d // CHUNKS_PER_DOC:07d}.txt"
        doc = Document(
            doc_id,
            f"Synthetic {doc_id}",
            f"synthetic/{doc_id}",
            "txt",
            text,
            (Section((), 0, len(text)),),
        )
        offset = 0
        for i, part in enumerate(parts):
            chunks.append(
                Chunk(f"{doc_id}#{i}", doc_id, offset, offset + len(part), (), None, part)
            )
            for sentence in sentences[i * SENTENCES_PER_CHUNK : (i + 1) * SENTENCES_PER_CHUNK]:
                unit_start.append(offset)
                unit_end.append(offset + len(sentence))
                offset += len(sentence) + 1
            offset += 1
        documents.append(doc)
        meta[doc_id] = {
            "content_hash": doc.content_hash,
            "title": doc.title,
            "source": doc.source,
            "format": "txt",
            "n_chunks": count,
            "ingested_at": "2024-01-01T00:00:00Z",
        }
    centres = topic_centres(n, rng)
    vectors = synthetic_vectors(n, rng, centres)
    sentence_vectors = unit_vectors(vectors, rng)
    queries = synthetic_vectors(N_QUERIES, np.random.default_rng(7), centres)
    exact = np.vstack([np.argsort(-(vectors @ q))[:10] for q in queries])
    np.save(folder / "queries.npy", queries)
    np.save(folder / "exact.npy", exact)
    manifest = Manifest(
        model=f"fake-hashing-{DIM}",
        dimension=DIM,
        chunking=ChunkSettings(),
        sparse=SparseSettings(),
        documents=meta,
        n_chunks=n,
    )
    units = UnitTable(
        chunk=np.repeat(np.arange(n, dtype=np.int32), SENTENCES_PER_CHUNK),
        start=np.array(unit_start, dtype=np.int64),
        end=np.array(unit_end, dtype=np.int64),
    )
    del unit_start, unit_end
    generated_mb = peak_rss_mb()
    started = time.perf_counter()
    version = write_version(
        folder / "index",
        manifest,
        documents,
        chunks,
        vectors,
        units=units,
        unit_vectors=sentence_vectors,
    )
    seconds = time.perf_counter() - started
    return {
        "build_s": round(seconds, 1),
        "build_peak_rss_mb": round(peak_rss_mb()),
        "inputs_rss_mb": round(generated_mb),
        "disk_mb": round(sum(p.stat().st_size for p in version.rglob("*") if p.is_file()) / 1e6),
        "dense_disk_mb": round((version / "dense.faiss").stat().st_size / 1e6),
        "units": len(units),
    }


def percentiles(samples: list[float]) -> tuple[float, float]:
    return round(float(np.percentile(samples, 50)), 2), round(float(np.percentile(samples, 95)), 2)


def query(folder: Path) -> dict[str, Any]:
    """Load the index in this (fresh) process and time searches."""
    from ingest.index.dense import DenseIndex
    from ingest.index.store import current_version_path
    from retrieval import Retriever

    queries, exact = np.load(folder / "queries.npy"), np.load(folder / "exact.npy")
    version = current_version_path(folder / "index")
    base = rss_mb()
    started = time.perf_counter()
    dense = DenseIndex.load(version / "dense.faiss")
    dense_load = time.perf_counter() - started
    dense_rss = rss_mb() - base
    recall, k10, k100 = [], [], []
    for q, truth in zip(queries, exact, strict=True):
        t = time.perf_counter()
        _, rows = dense.search(q, 10)
        k10.append((time.perf_counter() - t) * 1000)
        recall.append(len(set(rows.tolist()) & set(truth.tolist())) / 10)
        t = time.perf_counter()
        dense.search(q, 100)
        k100.append((time.perf_counter() - t) * 1000)
    del dense
    before = rss_mb()
    started = time.perf_counter()
    retriever = Retriever(folder / "index")
    load = time.perf_counter() - started
    loaded_rss = rss_mb()
    hybrid, answer = [], []
    for i in range(40):
        question = QUESTIONS[i % len(QUESTIONS)] + f" {i}"
        t = time.perf_counter()
        retriever.rank(question)
        hybrid.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        retriever.answer(question)
        answer.append((time.perf_counter() - t) * 1000)
    after_rss = rss_mb()
    return {
        "dense_kind": retriever.version.dense.kind,
        "unit_kind": retriever.version.unit_dense.kind,
        "process_rss_after_mb": round(after_rss),
        "recall@10": round(float(np.mean(recall)), 4),
        "dense_load_s": round(dense_load, 2),
        "dense_rss_mb": round(dense_rss),
        "dense_k10_p50_ms": percentiles(k10)[0],
        "dense_k10_p95_ms": percentiles(k10)[1],
        "dense_k100_p50_ms": percentiles(k100)[0],
        "dense_k100_p95_ms": percentiles(k100)[1],
        "index_load_s": round(load, 2),
        "index_rss_mb": round(loaded_rss - before + base),
        "process_rss_mb": round(loaded_rss),
        "hybrid_rank_p50_ms": percentiles(hybrid)[0],
        "hybrid_rank_p95_ms": percentiles(hybrid)[1],
        "answer_p50_ms": percentiles(answer)[0],
        "answer_p95_ms": percentiles(answer)[1],
    }


def run_step(step: str, n: int, folder: Path, max_gb: float) -> dict[str, Any]:
    """Run one half of one size in a fresh process; returns its figures."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    command = [sys.executable, __file__, "--step", step, "--n", str(n), "--max-gb", str(max_gb)]
    out = subprocess.run(
        [*command, str(folder)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


COLUMNS = [
    ("chunks", "n"),
    ("index", "dense_kind"),
    ("build s", "build_s"),
    ("disk MB", "disk_mb"),
    ("dense MB", "dense_disk_mb"),
    ("units", "units"),
    ("unit vectors", "unit_kind"),
    ("load s", "index_load_s"),
    ("dense load s", "dense_load_s"),
    ("RSS MB", "process_rss_mb"),
    ("RSS after queries MB", "process_rss_after_mb"),
    ("dense RSS MB", "dense_rss_mb"),
    ("build peak MB", "build_peak_rss_mb"),
    ("recall@10", "recall@10"),
    ("dense p50 ms", "dense_k10_p50_ms"),
    ("dense p95 ms", "dense_k10_p95_ms"),
    ("k=100 p50 ms", "dense_k100_p50_ms"),
    ("hybrid p50 ms", "hybrid_rank_p50_ms"),
    ("hybrid p95 ms", "hybrid_rank_p95_ms"),
    ("answer p50 ms", "answer_p50_ms"),
]


def table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table of the results."""
    lines = [
        "| " + " | ".join(c for c, _ in COLUMNS) + " |",
        "|" + "|".join("---:" for _ in COLUMNS) + "|",
    ]
    lines += ["| " + " | ".join(f"{r.get(k, '')}" for _, k in COLUMNS) + " |" for r in rows]
    return "\n".join(lines)


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    """Latency and memory against corpus size (log-log), as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [r["n"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for key, label in [
        ("dense_k10_p50_ms", "dense search p50"),
        ("hybrid_rank_p50_ms", "hybrid ranking p50"),
        ("answer_p50_ms", "answer p50 (no model)"),
    ]:
        left.plot(n, [r[key] for r in rows], marker="o", label=label)
    left.axhline(20, color="grey", linestyle=":", label="20 ms")
    left.set(xscale="log", yscale="log", xlabel="chunks", ylabel="ms", title="Query latency")
    for key, label in [
        ("process_rss_mb", "process RSS after load"),
        ("process_rss_after_mb", "process RSS after the questions"),
        ("dense_rss_mb", "dense index"),
        ("disk_mb", "index on disk"),
    ]:
        right.plot(n, [r.get(key, np.nan) for r in rows], marker="o", label=label)
    right.axhline(2000, color="grey", linestyle=":", label="2 GB")
    right.set(xscale="log", yscale="log", xlabel="chunks", ylabel="MB", title="Memory and disk")
    for ax in (left, right):
        ax.legend(fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    """Run the scale benchmark; ``--step`` runs one half of one size (used internally)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--out", default=str(ROOT / "docs"), help="folder for scale.json/png")
    parser.add_argument("--workdir", help="where indexes are built (default: a temp folder)")
    parser.add_argument(
        "--max-gb",
        type=float,
        default=12.0,
        help="address-space limit of each child, so a large build fails instead of "
        "starving the machine (default 12)",
    )
    parser.add_argument("--step", choices=("build", "query"), help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("folder", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        limit = int(args.max_gb * 1e9)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        step = build if args.step == "build" else None
        result = step(args.n, Path(args.folder)) if step else query(Path(args.folder))
        print(json.dumps(result))
        return 0
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        folder = Path(tempfile.mkdtemp(prefix=f"docqa-scale-{n}-", dir=args.workdir))
        try:
            built = run_step("build", n, folder, args.max_gb)
            row = {"n": n, **built, **run_step("query", n, folder, args.max_gb)}
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
        save(rows, Path(args.out))  # after every size: the largest may take long
    print(table(rows))
    return 0


def save(rows: list[dict[str, Any]], out: Path) -> None:
    """Write ``scale.json`` and, with matplotlib installed, ``scale.png`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "scale.json").write_text(json.dumps(rows, indent=1) + "\n")
    try:
        plot(rows, out / "scale.png")
    except ImportError:
        print("matplotlib is missing: pip install -e '.[bench]' for the plot", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
