"""Question-time cost of the shipped cross-encoder: scoring 25 candidate sentences.

    python -m bench.train.speed [--model DIR] [--questions 40] [--repeats 5] [--threads N]

Each call scores one SQuAD training question against 25 consecutive sentences of its article
(real lengths), through :class:`retrieval.rerank.SentenceScorer`, the int8 model on ONNX
Runtime. Prints p50/p95/mean milliseconds per call and the load average (a busy machine
slows every figure): figures, never pass/fail.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from retrieval.rerank import MODEL_DIR, SentenceScorer
from retrieval.rerank.scorer import BATCH_SIZE
from training.squad import load_squad

CANDIDATES = 25


def measure(
    folder: Path, *, questions: int, repeats: int, threads: int | None, batch_size: int = BATCH_SIZE
) -> dict[str, float]:
    """Milliseconds per ``score`` call of one question against :data:`CANDIDATES` sentences."""
    articles, all_questions = load_squad()
    chosen = all_questions[:: max(1, len(all_questions) // questions)][:questions]
    calls: list[tuple[str, list[str]]] = []
    for q in chosen:
        article = articles[q.title].sentences
        first = min(q.answers or q.near_misses or {0})
        start = max(0, min(first - CANDIDATES // 2, len(article) - CANDIDATES))
        calls.append((q.text, list(article[start : start + CANDIDATES])))
    started = time.perf_counter()
    scorer = SentenceScorer(folder, threads=threads)
    load_ms = (time.perf_counter() - started) * 1000
    for question, sentences in calls:  # warm-up: OpenVINO prepares each new shape once
        scorer.score(question, sentences, batch_size=batch_size)
    times = []
    for _ in range(repeats):
        for question, sentences in calls:
            t = time.perf_counter()
            scorer.score(question, sentences, batch_size=batch_size)
            times.append((time.perf_counter() - t) * 1000)
    ms = np.array(times)
    return {
        "calls": len(ms),
        "candidates": CANDIDATES,
        "batch_size": batch_size,
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "mean_ms": round(float(ms.mean()), 2),
        "load_ms": round(load_ms, 1),
        "model_mb": round(sum(p.stat().st_size for p in folder.glob("model.*")) / 1e6, 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", type=Path, default=MODEL_DIR)
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    args = parser.parse_args(argv)
    figures = measure(
        args.model,
        questions=args.questions,
        repeats=args.repeats,
        threads=args.threads,
        batch_size=args.batch_size,
    )
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
