"""Long technical documents: covidqa-train's 700 questions over one index of its 49 articles.

Each question is asked over the whole folder (one index, built once with the index's own
model and reused), on the default path and on the fast path (first stage only), and scored
by the evaluation protocol: hit@1, hit@3 and MRR@5 (the passage contains the evidence span),
sentence_hit@1 (the first highlighted sentence contains the evidence) and, since COVID-QA's
evidence is often several sentences long, sentence_overlap@1 (the first highlighted sentence
or the evidence's place in the article share a character). ``doc@1`` is the share whose
first passage comes from the article the evidence was taken from.

The shipped cross-encoder trained on covidqa-train, so on the default path each question is
read by the fold model trained without its article (``--fold-models``, built by ``python -m
training --step folds``); ``--shipped`` reads them all with the shipped model instead.

    python -m bench.covidqa [--out DIR] [--paths default,fast] [--fold-models DIR | --shipped]
        [--json]
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.tables import print_figures
from training import FOLD_MODELS

ROOT = Path(__file__).resolve().parent.parent
COVIDQA = ROOT.parent / "shared" / "eval" / "covidqa-train"


@dataclass(frozen=True)
class Asked:
    """A question with its evidence and where the evidence lies (article and span)."""

    question: str
    evidence: tuple[str, ...]
    doc_id: str
    start: int
    end: int


def owned_questions(questions: Sequence[Any], documents: dict[str, str]) -> list[Asked]:
    """The questions whose evidence is found verbatim in one of ``documents`` (id -> text),
    with its first place there; the others are left out (none in covidqa-train)."""
    out = []
    for q in questions:
        for doc_id, text in documents.items():
            at = next((text.find(e) for e in q.evidence if e and e in text), -1)
            if at >= 0:
                length = next(len(e) for e in q.evidence if e and e in text)
                out.append(Asked(q.question, q.evidence, doc_id, at, at + length))
                break
    return out


FIGURES = ("hit@1", "hit@3", "mrr@5", "sentence_hit@1", "sentence_overlap@1", "doc@1")


def long_document_figures(
    asked: Sequence[Asked], answer: Callable[[str], Any], document_text: Callable[[str], str]
) -> dict[str, float]:
    """hit@1, hit@3, MRR@5, sentence_hit@1, sentence_overlap@1 and doc@1 over ``asked``."""
    return _means(_question_rows(asked, answer, document_text))


def _means(rows: list[tuple[bool, bool, float, bool, bool, bool]]) -> dict[str, float]:
    table = np.array(rows, dtype=np.float64).reshape(-1, len(FIGURES))
    means = table.mean(axis=0) if len(table) else np.zeros(len(FIGURES))
    return {name: round(float(v), 4) for name, v in zip(FIGURES, means, strict=True)}


def _question_rows(
    asked: Sequence[Asked], answer: Callable[[str], Any], document_text: Callable[[str], str]
) -> list[tuple[bool, bool, float, bool, bool, bool]]:
    from retrieval.eval.evaluation import contains_evidence

    rows: list[tuple[bool, bool, float, bool, bool, bool]] = []
    for q in asked:
        result = answer(q.question)
        passages = result.passages[:5]
        ranks = [i for i, p in enumerate(passages) if contains_evidence(p.text, q.evidence)]
        first = ranks[0] if ranks else None
        sentence, overlap, doc = False, False, False
        if passages:
            top = passages[0]
            doc = top.doc_id == q.doc_id
            if top.highlights:
                a, b = top.highlights[0]
                sentence = contains_evidence(document_text(top.doc_id)[a:b], q.evidence)
                overlap = sentence or (doc and a < q.end and q.start < b)
        rows.append(
            (
                first == 0,
                first is not None and first < 3,
                1.0 / (first + 1) if first is not None else 0.0,
                sentence,
                overlap,
                doc,
            )
        )
    return rows


def build_index(out: Path, *, chunking: Any = None, name: str = "covidqa-index") -> Path:
    """Index covidqa-train's articles under ``out`` (reusing what is there)."""
    from ingest.index.backends.settings import BackendSettings
    from ingest.sync.pipeline import Ingestor
    from ingest.text.chunker import ChunkSettings

    index = out / name
    Ingestor(
        index, chunking=chunking or ChunkSettings(), backend=BackendSettings(kind="faiss")
    ).run([COVIDQA / "corpus"], prune=True)
    return index


def load_asked(retriever: Any, questions: Path = COVIDQA / "questions.jsonl") -> list[Asked]:
    """covidqa-train's questions located in the retriever's documents."""
    from retrieval.eval.evaluation import load_questions

    docs = retriever.version.documents
    return owned_questions(load_questions(questions), {d: docs[d].text for d in docs})


def covid_figures(
    retriever: Any, asked: Sequence[Asked], fold_models: Path | None = None
) -> dict[str, float]:
    """:func:`long_document_figures` of ``retriever`` (five passages a question). With
    ``fold_models`` (``foldK-model`` folders), each question is read by the cross-encoder
    trained without its article, one model loaded at a time: held-out figures for a model
    that trained on covidqa-train."""
    docs = retriever.version.documents

    def text(doc_id: str) -> str:
        return docs[doc_id].text

    if fold_models is None:
        return long_document_figures(asked, lambda q: retriever.answer(q, k=5), text)
    from retrieval.rerank import SentenceScorer
    from training.covidqa import article_folds

    fold_of = article_folds()
    rows: list[tuple[bool, bool, float, bool, bool, bool]] = []
    for k in sorted(set(fold_of.values())):
        mine = [a for a in asked if fold_of.get(a.doc_id) == k]
        reading = retriever.with_scorer(SentenceScorer(fold_models / f"fold{k}-model"))
        rows += _question_rows(mine, functools.partial(reading.answer, k=5), text)
        del reading
        gc.collect()
    return _means(rows)


def path_rows(
    retriever: Any, asked: Sequence[Asked], paths: Sequence[str], fold_models: Path | None = None
) -> dict[str, Any]:
    """Figures of the default path (read by ``fold_models`` when given) and of the fast path,
    keyed ``covid PATH FIGURE``."""
    out: dict[str, Any] = {}
    for path in paths:
        if path == "fast":
            r = retriever.with_settings(replace(retriever.settings, reader=None))
            figures = covid_figures(r, asked)
        else:
            figures = covid_figures(retriever, asked, fold_models)
        out.update({f"covid {path} {k}": v for k, v in figures.items()})
    return out


def main(argv: list[str] | None = None) -> int:
    """Print the figures of both paths."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--paths", default="default,fast")
    parser.add_argument(
        "--fold-models",
        type=Path,
        default=FOLD_MODELS,
        help="per-fold cross-encoders (python -m training --step folds): each question is "
        "read by the one trained without its article",
    )
    parser.add_argument(
        "--shipped",
        action="store_true",
        help="read every question with the shipped cross-encoder (it trained on these "
        "articles: not held out)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    fold_models = None if args.shipped else args.fold_models
    if fold_models is not None and not (fold_models / "fold0-model").is_dir():
        parser.error(
            f"no fold models in {fold_models}: build them with python -m training --step "
            "folds, or pass --shipped (figures not held out)"
        )

    from retrieval.retriever import Retriever

    retriever = Retriever(build_index(args.out))
    asked = load_asked(retriever)
    row = {
        "questions": len(asked),
        "read by": "the shipped model" if fold_models is None else f"fold models ({fold_models})",
        **path_rows(retriever, asked, args.paths.split(","), fold_models),
    }
    print_figures(row, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
