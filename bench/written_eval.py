"""docqa on the twelve documents written for training (``bench/data/reader_training``).

For a model that never saw them (the packaged embedder, a cross-encoder trained on SQuAD
only), these are questions of a new kind over documents it has not seen: policy, science,
business, history, finance and law prose rather than Wikipedia. One index holds all twelve
documents; each question is asked against all of them. A question's evidence is its answer
span (unique in its document and, checked here, across the documents).

    python -m bench.written_eval [--model DIR] [--fast] [--constant] [--json]

``--model`` scores with another cross-encoder folder; ``--fast`` is the first stage only;
``--constant`` the reader's blend without its learned part.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.quality import ConstantScorer
from training import ROOT
from training.indexes import written_index

KEYS = (
    "hit@1",
    "hit@3",
    "sentence_hit@1",
    "answered_hit@1",
    "abstention_accuracy",
    "false_abstention_rate",
)


def main(argv: list[str] | None = None) -> int:
    """Index the written documents, answer their questions, print the figures."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "written")
    parser.add_argument("--model", type=Path, help="a cross-encoder folder")
    parser.add_argument("--fast", action="store_true", help="first stage only")
    parser.add_argument("--constant", action="store_true", help="blend without the learned part")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from retrieval.eval.evaluation import evaluate, load_questions
    from retrieval.rerank import SentenceScorer
    from retrieval.retriever import Retriever

    index, path = written_index(args.out)
    questions = load_questions(path)
    scorer: Any = None
    if args.constant:
        scorer = ConstantScorer()
    elif args.model:
        scorer = SentenceScorer(args.model)
    retriever = Retriever(index, scorer=scorer) if scorer is not None else Retriever(index)
    if args.fast:
        retriever = retriever.with_settings(replace(retriever.settings, reader=None))
    docs = {d: doc.text for d, doc in retriever.version.documents.items()}
    figures = evaluate(questions, lambda q: retriever.answer(q, k=5), docs.__getitem__)
    row = {key: figures[key] for key in KEYS}
    print(json.dumps(row, indent=None if args.json else 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
