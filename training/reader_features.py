"""What the second stage sees, per question: the features its blend is fitted on.

For every question: the first stage's top ``passages`` passages (fused score, whether each
holds the evidence, the fast path's calibrated confidence), and their sentences (first-stage
cosine and combined score, whether each holds the evidence, and the cross-encoder's logit
for the ``sentences`` best by first stage). :mod:`training.reader_fit` fits the reader's
blend on these in seconds instead of re-running the pipeline.

Sets:
- SQuAD's four folds (indexes from :func:`training.indexes.squad_fold_indexes`), each scored
  by the cross-encoder trained without that fold's articles, so every logit is held out.
- the twelve documents written for training (:func:`training.indexes.written_index`), each
  question scored by the fold model trained without its document (folds as in
  :mod:`training.written`), or by one given model.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any

import numpy as np

from training.indexes import SQUAD_FOLDS, written_index
from training.squad import SQUAD
from training.written import load_written

#: First-stage passages per question whose sentences are dumped.
PASSAGES = 8
#: Sentences per question read by the cross-encoder, the first stage's best first.
SENTENCES = 32


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
        "passage": passage,
        "unit": units,
        "cos": cos,
        "first": first,
        "logit": logit,
        "sentence_hit": np.array(
            [bool(evidence) and contains_evidence(t, evidence) for t in texts]
        ),
    }


def squad_features(
    work: Path,
    fold_models: Path,
    *,
    squad_file: Path = SQUAD,
    passages: int = PASSAGES,
    sentences: int = SENTENCES,
) -> list[dict[str, Any]]:
    """Held-out features of every SQuAD fold's questions, from the fold indexes under
    ``work`` (``fold-K/index``) and the fold models under ``fold_models`` (``foldK-model``)."""
    from retrieval.eval.squad import read_squad, squad_folds
    from retrieval.rerank import SentenceScorer
    from retrieval.retriever import Retriever

    squad = read_squad(squad_file)
    folds = squad_folds([a.title for a in squad.articles], n=SQUAD_FOLDS)
    out: list[dict[str, Any]] = []
    embedder = None
    for k, titles in enumerate(folds):
        retriever = Retriever(work / f"fold-{k}" / "index", embedder=embedder)
        embedder = retriever.embedder
        scorer = SentenceScorer(fold_models / f"fold{k}-model")
        for n, q in enumerate(squad.questions_of(titles)):
            qq = q.as_question()
            row = question_features(
                retriever, scorer, qq.question, qq.evidence, passages, sentences
            )
            row.update(fold=k, set=q.title)
            out.append(row)
            if n % 200 == 0:
                print(f"fold {k}: {n} questions", file=sys.stderr, flush=True)
    return out


def written_features(
    work: Path,
    fold_models: Path,
    *,
    model: Path | None = None,
    passages: int = PASSAGES,
    sentences: int = SENTENCES,
) -> list[dict[str, Any]]:
    """Features of the written documents' questions, one index for all twelve (under
    ``work``); each question scored by the fold model trained without its document, or by
    ``model``."""
    from retrieval.eval.evaluation import load_questions
    from retrieval.rerank import SentenceScorer
    from retrieval.retriever import Retriever

    index, path = written_index(work)
    retriever = Retriever(index)
    # Each question's document and fold, as the fold models were trained.
    where = {q.qid: (q.title, q.fold) for q in load_written()[1]}
    questions = load_questions(path)
    rows: dict[int, dict[str, Any]] = {}
    # One fold model loaded at a time: OpenVINO's CPU plugin has stopped a process holding
    # four 6-layer int8 models with a general protection fault.
    for k in sorted({fold for _, fold in where.values()}):
        scorer = SentenceScorer(model or fold_models / f"fold{k}-model")
        for i, q in enumerate(questions):
            document, fold = where[q.id]
            if fold == k:
                row = question_features(
                    retriever, scorer, q.question, q.evidence, passages, sentences
                )
                row.update(fold=k, set=document)
                rows[i] = row
        del scorer
        gc.collect()
    return [rows[i] for i in range(len(questions))]
