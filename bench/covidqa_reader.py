"""The second stage on covidqa-train: its candidates dumped once, then re-read offline.

For each of covidqa-train's questions over one index of its 49 articles (``bench/covidqa.py``),
the first stage's 16 passages and their sentences with the cross-encoder's logits for the 64
best (:func:`training.reader_features.question_features`); each reader setting is then
re-read from that dump as ``retrieval/reader.py`` reads (:func:`training.reader_fit.decide`):
hit@1 and sentence_hit@1 for the passages and sentences read and the blend (mix, fused
weight), beside the first stage's recall at 8 and 16 passages. ``--fold K`` keeps the
questions of the articles in fold K (position among the sorted names modulo 4, as
:mod:`training.covidqa` folds them), to read them with a model trained without them.

    python -m bench.covidqa_reader [--model DIR] [--fold K] [--limit N] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from bench.covidqa import ROOT, build_index, load_asked

#: (passages read, sentences read); the first is the shipped reading.
SETTINGS = ((8, 6), (8, 8), (8, 16), (16, 16), (16, 64))
#: (mix, fused weight); the first is the shipped blend, the second the 3-layer model's, the
#: last the cross-encoder alone.
BLENDS = ((6.0, 4.0), (10.0, 3.0), (5.0, 1.0), (0.0, 0.0))


def restricted(row: dict[str, Any], passages: int, sentences: int) -> dict[str, Any]:
    """``row`` as a reader reading ``passages`` passages and ``sentences`` sentences sees it."""
    keep = row["passage"] < passages
    idx = np.flatnonzero(keep)
    read = idx[np.argsort(-row["first"][idx], kind="stable")[:sentences]]
    logit = np.full(len(row["logit"]), np.nan, dtype=np.float32)
    logit[read] = row["logit"][read]
    out = {
        k: (v[keep] if isinstance(v, np.ndarray) and len(v) == len(keep) else v)
        for k, v in row.items()
    }
    out["logit"] = logit[keep]
    out["fused"] = row["fused"][:passages]
    out["passage_hit"] = row["passage_hit"][:passages]
    return out


def figures(rows: list[dict[str, Any]], mix: float, fused_weight: float) -> tuple[float, float]:
    """hit@1 and sentence_hit@1 of ``rows`` read with the blend (``mix``, ``fused_weight``)."""
    from training.reader_fit import decide

    hit, sent = [], []
    for row in rows:
        top, s, _ = decide(row, mix, fused_weight)
        hit.append(bool(row["passage_hit"][top]))
        sent.append(s >= 0 and bool(row["sentence_hit"][s]))
    return float(np.mean(hit)), float(np.mean(sent))


def main(argv: list[str] | None = None) -> int:
    """Dump the candidates and print one line per setting."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--model", type=Path, help="a cross-encoder folder (default: shipped)")
    parser.add_argument("--fold", type=int, choices=range(4))
    parser.add_argument("--limit", type=int, help="the first N questions only")
    args = parser.parse_args(argv)

    from retrieval.rerank import SentenceScorer
    from retrieval.retriever import Retriever
    from training.reader_features import question_features

    retriever = Retriever(build_index(args.out))
    asked = load_asked(retriever)
    if args.fold is not None:
        from training.covidqa import article_folds

        fold_of = article_folds()
        asked = [a for a in asked if fold_of.get(a.doc_id) == args.fold]
    asked = asked[: args.limit]
    scorer = SentenceScorer(args.model) if args.model else SentenceScorer()
    rows = [question_features(retriever, scorer, a.question, a.evidence, 16, 64) for a in asked]
    print(
        f"{len(rows)} questions; first stage recall@8 "
        f"{np.mean([r['passage_hit'][:8].any() for r in rows]):.3f}, recall@16 "
        f"{np.mean([r['passage_hit'].any() for r in rows]):.3f}"
    )
    for passages, sentences in SETTINGS:
        seen = [restricted(r, passages, sentences) for r in rows]
        for mix, fused_weight in BLENDS:
            hit, sent = figures(seen, mix, fused_weight)
            print(
                f"passages {passages:2d} sentences {sentences:2d} mix {mix:4.1f} "
                f"fused {fused_weight:3.1f}: hit@1 {hit:.3f} sentence_hit@1 {sent:.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
