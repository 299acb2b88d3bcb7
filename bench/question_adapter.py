"""A question-side adapter on SciFact: does it learn the task, or the train split's abstracts?

The adapter is a residual linear map on the question vector, ``q + qW`` (unit length again),
trained with a softmax over every chunk of the index (temperature 0.05) towards each train
claim's best chunk in a cited abstract, with an L2 penalty on ``W``. Chunk vectors are the
index's own, untouched: only questions move. Dense-only nDCG@10 (a document by its best
chunk) is printed on the test claims, and apart on the test claims none of whose cited
abstracts is cited by a train claim: the only ones where a gain is not the adapter
recognising abstracts it was trained towards.

    python -m bench.question_adapter [--scifact DIR] [--out DIR]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

PENALTIES = (1e-1, 1e-2, 1e-3)


def dense_ndcg(
    questions: np.ndarray,
    chunks: np.ndarray,
    chunk_doc: np.ndarray,
    relevant: list[dict[str, int]],
    adapter: np.ndarray | None = None,
) -> float:
    """Mean nDCG@10 of ranking documents by their best chunk cosine."""
    from retrieval.eval.beir import ndcg_at

    if adapter is not None:
        questions = questions + questions @ adapter
        questions = questions / np.linalg.norm(questions, axis=1, keepdims=True)
    names, doc_of = np.unique(chunk_doc, return_inverse=True)
    scores = questions @ chunks.T
    total = 0.0
    for row, grades in zip(scores, relevant, strict=True):
        best = np.full(len(names), -np.inf)
        np.maximum.at(best, doc_of, row)
        total += ndcg_at([str(d) for d in names[np.argsort(-best)[:10]]], grades, 10)
    return total / len(relevant)


def train_adapter(
    questions: np.ndarray,
    targets: np.ndarray,
    chunks: np.ndarray,
    *,
    penalty: float,
    epochs: int = 10,
    seed: int = 0,
) -> np.ndarray:
    """``W`` minimising softmax loss towards chunk ``targets`` plus ``penalty |W|^2``."""
    import torch

    torch.manual_seed(seed)
    x_all = torch.tensor(questions)
    c = torch.tensor(chunks)
    y_all = torch.tensor(targets)
    w = torch.zeros(questions.shape[1], questions.shape[1], requires_grad=True)
    optimiser = torch.optim.Adam([w], lr=1e-3)
    for _ in range(epochs):
        for batch in torch.randperm(len(x_all)).split(64):
            x = x_all[batch] + x_all[batch] @ w
            x = x / x.norm(dim=1, keepdim=True)
            loss = torch.nn.functional.cross_entropy(x @ c.T / 0.05, y_all[batch])
            loss = loss + penalty * (w**2).sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return w.detach().numpy()


def main(argv: list[str] | None = None) -> int:
    """Train at each penalty on the train split; print dense nDCG@10 on test."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from bench.arguments import experiment_parser
    from bench.quality import build_indexes
    from retrieval.eval.beir import read_qrels, read_queries
    from retrieval.retriever import Retriever

    args = experiment_parser(__doc__).parse_args(argv)
    _, index, _ = build_indexes(args.scifact, args.out)
    retriever = Retriever(Path(index))
    version = retriever.version
    n = len(version.chunks)
    chunks = version.dense.reconstruct(np.arange(n)).astype(np.float32)
    chunk_doc = np.array([version.chunks[i].doc_id for i in range(n)])
    texts = read_queries(args.scifact)
    train, test = read_qrels(args.scifact, "train"), read_qrels(args.scifact, "test")

    def embed(ids: list[str]) -> np.ndarray:
        return np.asarray(retriever.embedder.embed([texts[i] for i in ids]), dtype=np.float32)

    train_ids = sorted(train)
    x_train = embed(train_ids)
    targets = []
    for row, qid in zip(x_train @ chunks.T, train_ids, strict=True):
        cited = np.flatnonzero(np.isin(chunk_doc, [d for d, g in train[qid].items() if g > 0]))
        targets.append(int(cited[np.argmax(row[cited])]) if len(cited) else -1)
    keep = np.array(targets) >= 0
    seen = {d for grades in train.values() for d in grades}
    test_ids = sorted(test)
    unseen_ids = [q for q in test_ids if not set(test[q]) & seen]
    x_test, x_unseen = embed(test_ids), embed(unseen_ids)
    print(
        f"{int(keep.sum())} train claims; {len(test_ids)} test claims, {len(unseen_ids)} of "
        "them citing no abstract a train claim cites"
    )
    print("| adapter | test nDCG@10 (dense) | unseen abstracts only | train |")
    print("|---|---|---|---|")
    rows: list[tuple[str, np.ndarray | None]] = [("none", None)]
    for penalty in PENALTIES:
        started = time.monotonic()
        trained = train_adapter(x_train[keep], np.array(targets)[keep], chunks, penalty=penalty)
        rows.append((f"L2 {penalty:g} ({time.monotonic() - started:.0f} s)", trained))
    for name, adapter in rows:
        figures = [
            dense_ndcg(x, chunks, chunk_doc, [qrels[q] for q in ids], adapter)
            for x, ids, qrels in (
                (x_test, test_ids, test),
                (x_unseen, unseen_ids, test),
                (x_train, train_ids, train),
            )
        ]
        print(f"| {name} | " + " | ".join(f"{f:.4f}" for f in figures) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
