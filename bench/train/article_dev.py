"""The shipped cross-encoder on docqa's own article and its tuning questions (measured only).

    python -m bench.train.article_dev [--questions bench/data/article_dev.jsonl] [--model DIR]

The bundled article's sentences (``sentence_spans`` over its extracted text) are ranked per
question by the packaged bi-encoder; the top 25 are scored as in the fold figures
(:mod:`bench.train.metrics`). A candidate answers when it holds one of the question's evidence
strings. The abstention thresholds are the ones pooled over SQuAD's four held-out folds
(``MODEL_CARD.md``): nothing here is fitted, and nothing here is ever trained on.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from bench.train.metrics import FoldScores, auc
from ingest.embedding.factory import make_embedder
from ingest.formats.loaders import load_document
from ingest.text.sentences import sentence_spans
from retrieval.eval.evaluation import contains_evidence, load_questions
from retrieval.rerank import SentenceScorer
from training.squad import ROOT

ARTICLE = ROOT / "corpus" / "kazakhstan-brics-refusal.md"
#: Pooled over SQuAD's held-out folds (balanced accuracy), per scorer.
THRESHOLDS = {"cross-encoder": 0.36, "mix": 1.12}
CANDIDATES = 25


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--questions", default=str(ROOT / "bench" / "data" / "article_dev.jsonl"))
    parser.add_argument(
        "--model", type=Path, help="a cross-encoder folder (default: the shipped one)"
    )
    args = parser.parse_args(argv)
    text = load_document(ARTICLE).text
    sentences = [text[a:b] for a, b in sentence_spans(text)]
    questions = load_questions(args.questions)
    embedder = make_embedder(None)
    vectors = embedder.embed(sentences)
    q_vectors = embedder.embed([q.question for q in questions])
    scorer = SentenceScorer(args.model) if args.model else SentenceScorer()
    cosine, logits, is_answer = [], [], []
    for q, qv in zip(questions, q_vectors, strict=True):
        cos = vectors @ qv
        top = np.argsort(-cos, kind="stable")[:CANDIDATES]
        chosen = [sentences[int(i)] for i in top]
        cosine.append(cos[top])
        logits.append(scorer.logits(q.question, chosen))
        is_answer.append([bool(q.evidence) and contains_evidence(s, q.evidence) for s in chosen])
    fold = FoldScores(
        cosine=np.array(cosine, dtype=np.float32),
        logit=np.array(logits, dtype=np.float32),
        is_answer=np.array(is_answer, dtype=bool),
        answerable=np.array([bool(q.evidence) for q in questions]),
    )
    a = fold.answerable
    out: dict[str, object] = {
        "questions": len(questions),
        "answerable": int(a.sum()),
        "candidate_recall": round(float(fold.is_answer[a].any(axis=1).mean()), 3),
    }
    for name in ("bi-encoder", "cross-encoder", "mix"):
        s = fold.scores(name)
        best = s.max(axis=1)
        row = {
            "hit@1": round(float(fold.is_answer[np.arange(len(s)), s.argmax(axis=1)][a].mean()), 3),
            "auc": round(auc(best[a], best[~a]), 3),
        }
        if name in THRESHOLDS:
            row["abstention"] = round(float((best[~a] < THRESHOLDS[name]).mean()), 3)
            row["false_abstention"] = round(float((best[a] < THRESHOLDS[name]).mean()), 3)
        out[name] = row
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
