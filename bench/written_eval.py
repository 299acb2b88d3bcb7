"""docqa on the twelve documents written for training (``bench/data/reader_training``).

For a model that never saw them (the packaged embedder, a cross-encoder trained on SQuAD
only), these are questions of a new kind over documents it has not seen: policy, science,
business, history, finance and law prose rather than Wikipedia. One index holds all twelve
documents; each question is asked against all of them. A question's evidence is its answer
span (unique in its document and, checked here, across the documents).

    python bench/written_eval.py [--model DIR] [--fast] [--constant] [--json]

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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KEYS = (
    "hit@1",
    "hit@3",
    "sentence_hit@1",
    "answered_hit@1",
    "abstention_accuracy",
    "false_abstention_rate",
)


def _answers() -> dict[str, str | None]:
    """Every written question's answer span (None: unanswerable), by id."""
    from training.written import WRITTEN

    found: dict[str, str | None] = {}
    for qfile in sorted((WRITTEN / "questions").glob("*.jsonl")):
        for line in qfile.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            found[str(row["id"])] = row.get("answer")
    return found


def written_questions(out: Path) -> Path:
    """The written questions as an evaluation file (``id``, ``question``, ``evidence``)."""
    from training.written import WRITTEN, load_written

    docs = [p.read_text(encoding="utf-8") for p in (WRITTEN / "docs").glob("*.md")]
    articles, questions = load_written()
    spans = _answers()
    rows = []
    for q in questions:
        evidence: list[str] = []
        if q.answerable:
            answer = str(spans[q.qid])
            # The span when it names one place in all twelve documents, else its sentence.
            unique = len(answer) >= 12 and sum(text.count(answer) for text in docs) == 1
            sentence = articles[q.title].sentences[min(q.answers)]
            evidence = [answer if unique else sentence]
        rows.append({"id": q.qid, "question": q.text, "evidence": evidence})
    path = out / "questions.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def written_index(out: Path) -> tuple[Path, Path]:
    """``(index, question file)`` of the written documents under ``out``, built or brought up
    to date (an unchanged document is not embedded again)."""
    from training.written import WRITTEN
    from ingest.sync.pipeline import Ingestor

    questions = written_questions(out)
    index = out / "index"
    Ingestor(index).run(sorted((WRITTEN / "docs").glob("*.md")))
    return index, questions


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

    from bench.quality import ConstantScorer
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
