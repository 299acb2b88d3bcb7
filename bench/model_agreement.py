"""Two cross-encoders side by side: how closely a retrained model agrees with the shipped one.

``make train`` on another CPU gives other bytes (bfloat16 kernels round differently from one
instruction set to the next); this says whether it gives the same model. Both read the same
pairs, the article's seed questions with each of its first 60 sentences: the correlation of
their logits, the largest and mean gap, and for how many questions they pick the same best
sentence. Then each answers the article's seed, development and paraphrase questions through
``ask``'s path (hit@1 of the first passage).

    python -m bench.model_agreement --model DIR [--other DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "eval"
ARTICLE = ROOT / "corpus"
QUESTION_FILES = (
    SHARED / "seed_questions.jsonl",
    ROOT / "bench" / "data" / "article_dev.jsonl",
    ROOT / "bench" / "data" / "article_paraphrase.jsonl",
)
#: The article's sentences read with every seed question.
SENTENCES = 60


@dataclass(frozen=True)
class Agreement:
    """How two models' logits over the same pairs compare."""

    pairs: int
    correlation: float
    max_gap: float
    mean_gap: float
    same_best: int
    questions: int


def agreement(first: np.ndarray, second: np.ndarray) -> Agreement:
    """Compare two models' logits, one row per question and one column per sentence.

    Example:
        >>> a = np.array([[0.0, 2.0, 1.0], [1.0, 0.0, 0.5]])
        >>> agreement(a, a + np.array([[0.1, 0.0, 0.0], [0.0, 2.0, 0.0]])).same_best
        1
    """
    if first.shape != second.shape or first.ndim != 2:
        raise ValueError(f"logit tables differ in shape: {first.shape} and {second.shape}")
    gap = np.abs(first - second)
    return Agreement(
        pairs=int(first.size),
        correlation=float(np.corrcoef(first.ravel(), second.ravel())[0, 1]),
        max_gap=float(gap.max()),
        mean_gap=float(gap.mean()),
        same_best=int((first.argmax(axis=1) == second.argmax(axis=1)).sum()),
        questions=int(first.shape[0]),
    )


def main(argv: list[str] | None = None) -> int:
    """Print the agreement of ``--model`` with ``--other`` (default: the shipped model)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="a cross-encoder folder")
    parser.add_argument("--other", type=Path, help="the folder to compare with (default: shipped)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "model_agreement")
    args = parser.parse_args(argv)

    from ingest.index.backends.settings import BackendSettings
    from ingest.sync.pipeline import Ingestor
    from ingest.text.sentences import sentence_spans
    from retrieval.eval.evaluation import evaluate, load_questions
    from retrieval.rerank import SentenceScorer
    from retrieval.retriever import Retriever

    index = args.out / "article-index"
    Ingestor(index, backend=BackendSettings(kind="faiss")).run([ARTICLE])
    text = next(ARTICLE.glob("*.md")).read_text(encoding="utf-8")
    sentences = [text[a:b] for a, b in sentence_spans(text)][:SENTENCES]
    seed = [q.question for q in load_questions(QUESTION_FILES[0])]
    models = {"other": SentenceScorer(args.other), "model": SentenceScorer(args.model)}
    tables = {
        name: np.array([scorer.logits(q, sentences) for q in seed], dtype=np.float64)
        for name, scorer in models.items()
    }
    found = agreement(tables["other"], tables["model"])
    print(
        f"{found.pairs} pairs: logit correlation {found.correlation:.3f}, largest gap "
        f"{found.max_gap:.3f}, mean gap {found.mean_gap:.4f}; same best sentence for "
        f"{found.same_best} of {found.questions} questions"
    )
    print("| questions | n | hit@1, --other | hit@1, --model |\n|---|---|---|---|")
    retrievers = [Retriever(index, scorer=scorer) for scorer in models.values()]
    documents = retrievers[0].version.documents
    for path in QUESTION_FILES:
        asked = [q for q in load_questions(path) if q.evidence]
        hits = [
            evaluate(asked, retriever.answer, lambda doc: documents[doc].text)["hit@1"]
            for retriever in retrievers
        ]
        print(f"| {path.name} | {len(asked)} | {hits[0]:.3f} | {hits[1]:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
