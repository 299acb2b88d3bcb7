"""What the second stage sees, per question, dumped for fitting and ablations offline.

For every question: the first stage's top ``--passages`` passages (fused score, whether each
holds the evidence, the fast path's calibrated confidence), and their sentences (first-stage
cosine and combined score, whether each holds the evidence, and the cross-encoder's logit
for the ``--sentences`` best by first stage). Fitting the reader's blend and its abstention
model on these (``bench/reader_fit.py``) takes seconds instead of re-running the pipeline.

Sets:
- ``squad``: the four SQuAD folds (indexes from ``bench/squad_folds.py``), each scored by the
  cross-encoder trained without that fold's articles (``--fold-models``), so every logit is
  held out.
- ``written``: the twelve documents written for training (index and question file from
  ``bench/written_eval.py``), each question scored by the fold model trained without its
  document (``--fold-models``; folds as in :mod:`training.written`), or by ``--model``.
- ``article``: docqa's article (index from ``bench/quality.py``) with the shipped model, over
  the question files given (tuning files to fit on; the others only to report).

    python bench/reader_features.py squad [--fold-models DIR]
    python bench/reader_features.py article --questions FILE...
    python bench/reader_features.py written [--fold-models DIR | --model DIR]
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.train import FOLD_MODELS  # noqa: E402


def question_features(
    retriever: Any,
    scorer: Any,
    question: str,
    evidence: tuple[str, ...],
    passages: int,
    sentences: int,
) -> dict[str, Any]:
    """One question's first-stage passages and sentences with their scores and labels."""
    from retrieval.eval.evaluation import contains_evidence
    from retrieval.passage_sentences import unit_text

    ranking = retriever.rank(question)
    top = ranking.order[:passages]
    rows = [int(r) for r in ranking.signals.rows[top]]
    version = retriever.version
    found = retriever.passage_sentences(ranking, rows, question)
    confidence = found.confidence
    passage = np.concatenate([np.full(len(u), i) for i, u in enumerate(found.units)])
    units = np.concatenate(found.units).astype(np.int64)
    cos = np.concatenate(found.cosines).astype(np.float32)
    first = np.concatenate(found.scores).astype(np.float32)
    texts = [unit_text(version, int(u)) for u in units]
    chosen = np.argsort(-first, kind="stable")[:sentences]
    logit = np.full(len(units), np.nan, dtype=np.float32)
    if len(chosen):
        logit[chosen] = scorer.logits(question, [texts[i] for i in chosen])
    chunk_texts = [version.chunks[r].text for r in rows]
    return {
        "question": question,
        "answerable": bool(evidence),
        "fused": np.asarray(ranking.fused[top], dtype=np.float32),
        "passage_hit": np.array(
            [bool(evidence) and contains_evidence(t, evidence) for t in chunk_texts]
        ),
        "confidence": np.array(confidence, dtype=np.float32),
        "passage": passage,
        "unit": units,
        "cos": cos,
        "first": first,
        "logit": logit,
        "sentence_hit": np.array(
            [bool(evidence) and contains_evidence(t, evidence) for t in texts]
        ),
    }


def dump_squad(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Held-out features of every SQuAD fold's questions."""
    from retrieval.eval.squad import read_squad, squad_folds
    from retrieval.rerank import SentenceScorer
    from retrieval.retriever import Retriever

    squad = read_squad(args.squad)
    folds = squad_folds([a.title for a in squad.articles], n=4)
    work = ROOT / "bench" / "out" / "squad_folds"
    out: list[dict[str, Any]] = []
    embedder = None
    for k, titles in enumerate(folds):
        retriever = Retriever(work / f"fold-{k}" / "index", embedder=embedder)
        embedder = retriever.embedder
        scorer = SentenceScorer(args.fold_models / f"fold{k}-model")
        for n, q in enumerate(squad.questions_of(titles)):
            qq = q.as_question()
            row = question_features(
                retriever, scorer, qq.question, qq.evidence, args.passages, args.sentences
            )
            row.update(fold=k, set=q.title)
            out.append(row)
            if n % 200 == 0:
                print(f"fold {k}: {n} questions", file=sys.stderr, flush=True)
    return out


def dump_article(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Features of the article's question files with the shipped cross-encoder."""
    from retrieval.eval.evaluation import load_questions
    from retrieval.retriever import Retriever, shipped_scorer

    retriever = Retriever(ROOT / "bench" / "out" / "article-index")
    scorer = shipped_scorer()
    out: list[dict[str, Any]] = []
    for path in args.questions:
        for q in load_questions(path):
            row = question_features(
                retriever, scorer, q.question, q.evidence, args.passages, args.sentences
            )
            row.update(fold=-1, set=path.stem)
            out.append(row)
    return out


def dump_written(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Features of the written documents' questions, one index for all twelve; each
    question scored by the fold model trained without its document (or by ``--model``)."""
    from training.written import load_written
    from bench.written_eval import written_index
    from retrieval.eval.evaluation import load_questions
    from retrieval.rerank import SentenceScorer
    from retrieval.retriever import Retriever

    index, path = written_index(ROOT / "bench" / "out" / "written")
    retriever = Retriever(index)
    # Each question's document and fold, as the fold models were trained.
    where = {q.qid: (q.title, q.fold) for q in load_written()[1]}
    scorers: dict[int, Any] = {}
    out: list[dict[str, Any]] = []
    for q in load_questions(path):
        document, k = where[q.id]
        if k not in scorers:
            scorers[k] = SentenceScorer(args.model or args.fold_models / f"fold{k}-model")
        row = question_features(
            retriever, scorers[k], q.question, q.evidence, args.passages, args.sentences
        )
        row.update(fold=k, set=document)
        out.append(row)
    return out


def main(argv: list[str] | None = None) -> int:
    """Dump the features of one set to ``bench/out/reader_features-SET.pkl``."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("set", choices=("squad", "article", "written"))
    parser.add_argument(
        "--squad",
        type=Path,
        default=ROOT.parent / "shared" / "eval" / "squad2-train" / "squad2-8-articles.json",
    )
    parser.add_argument("--fold-models", type=Path, default=FOLD_MODELS)
    parser.add_argument("--questions", type=Path, nargs="*", default=[])
    parser.add_argument("--model", type=Path, help="written: a cross-encoder folder")
    parser.add_argument("--passages", type=int, default=8)
    parser.add_argument("--sentences", type=int, default=32)
    args = parser.parse_args(argv)
    dump = {"squad": dump_squad, "article": dump_article, "written": dump_written}[args.set]
    rows = dump(args)
    path = ROOT / "bench" / "out" / f"reader_features-{args.set}.pkl"
    path.write_bytes(pickle.dumps(rows))
    print(f"{len(rows)} questions -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
