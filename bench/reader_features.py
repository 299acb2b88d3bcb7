"""What the second stage sees, per question, dumped for ablations offline.

The features of :mod:`training.reader_features` (the first stage's passages and sentences,
their scores and labels, and the cross-encoder's logits), written to
``bench/out/reader_features-SET.pkl`` so that ``python -m bench.reader_fit`` can compare
blends in seconds. ``python -m training`` computes the same features in memory to fit the
shipped blend.

Sets:
- ``squad``: the four SQuAD folds (indexes from ``python -m training --step indexes``), each
  scored by the cross-encoder trained without that fold's articles (``--fold-models``), so
  every logit is held out.
- ``written``: the twelve documents written for training (index and question file under
  ``--work``), each question scored by the fold model trained without its document
  (``--fold-models``; folds as in :mod:`training.written`), or by ``--model``.
- ``article``: docqa's article (index from ``python -m bench.quality``) with the shipped
  model, over the question files given (tuning files to fit on; the others only to report).

    python -m bench.reader_features squad [--fold-models DIR]
    python -m bench.reader_features article --questions FILE...
    python -m bench.reader_features written [--fold-models DIR | --model DIR]
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
from pathlib import Path
from typing import Any

from training import BUILD, FOLD_MODELS, ROOT
from training.reader_features import (
    PASSAGES,
    SENTENCES,
    question_features,
    squad_features,
    written_features,
)
from training.squad import SQUAD


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


def main(argv: list[str] | None = None) -> int:
    """Dump the features of one set to ``bench/out/reader_features-SET.pkl``."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("set", choices=("squad", "article", "written"))
    parser.add_argument("--squad", type=Path, default=SQUAD)
    parser.add_argument(
        "--work",
        type=Path,
        default=BUILD,
        help="where python -m training keeps the indexes (squad_folds/, written/)",
    )
    parser.add_argument("--fold-models", type=Path, default=FOLD_MODELS)
    parser.add_argument("--questions", type=Path, nargs="*", default=[])
    parser.add_argument("--model", type=Path, help="written: a cross-encoder folder")
    parser.add_argument("--passages", type=int, default=PASSAGES)
    parser.add_argument("--sentences", type=int, default=SENTENCES)
    args = parser.parse_args(argv)
    if args.set == "squad":
        rows = squad_features(
            args.work / "squad_folds",
            args.fold_models,
            squad_file=args.squad,
            passages=args.passages,
            sentences=args.sentences,
        )
    elif args.set == "written":
        rows = written_features(
            args.work / "written",
            args.fold_models,
            model=args.model,
            passages=args.passages,
            sentences=args.sentences,
        )
    else:
        rows = dump_article(args)
    path = ROOT / "bench" / "out" / f"reader_features-{args.set}.pkl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(rows))
    print(f"{len(rows)} questions -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
