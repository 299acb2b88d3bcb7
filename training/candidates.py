"""Candidate sentences and training groups, from the packaged bi-encoder's cosine.

At question time the cross-encoder will see the sentences the bi-encoder ranks highest, so
both evaluation and training draw from that ranking: a question's candidates are the top
:data:`EVAL_CANDIDATES` sentences of its own article by cosine (all-MiniLM-L6-v2, docqa's
default backend). Training groups take their negatives from the same ranking (hard
negatives: the sentences the bi-encoder confuses with the answer) plus random sentences of
the article; an unanswerable question's near-miss sentence comes first among its negatives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.squad import Article, Question

#: Candidates per question at evaluation (how the shipped stage will see them).
EVAL_CANDIDATES = 25


@dataclass(frozen=True)
class Ranked:
    """One question's sentences of its article ranked by bi-encoder cosine, best first."""

    order: np.ndarray  # sentence numbers, all of the article's sentences
    cosine: np.ndarray  # their cosines, same order


def rank_by_cosine(articles: dict[str, Article], questions: list[Question]) -> list[Ranked]:
    """Every question's article sentences ranked by the packaged bi-encoder (one per question)."""
    from ingest.embedding.factory import make_embedder

    embedder = make_embedder(None)
    vectors = {t: embedder.embed(list(a.sentences)) for t, a in sorted(articles.items())}
    q_vectors = embedder.embed([q.text for q in questions])
    ranked: list[Ranked] = []
    for q, qv in zip(questions, q_vectors, strict=True):
        cos = vectors[q.title] @ qv
        order = np.argsort(-cos, kind="stable")
        ranked.append(Ranked(order=order, cosine=cos[order].astype(np.float32)))
    return ranked


@dataclass(frozen=True)
class Group:
    """One training question with its sentences and labels (1: answers it), positive first."""

    question: str
    sentences: tuple[str, ...]
    labels: tuple[int, ...]
    answerable: bool


def training_groups(
    articles: dict[str, Article],
    questions: list[Question],
    ranked: list[Ranked],
    *,
    hard: int,
    easy: int,
    seed: int,
    context: int = 0,
) -> list[Group]:
    """One group of ``1 + hard + easy`` sentences per question, deterministic for ``seed``.

    Answerable: its answer sentence (the first, when several hold an answer), then the
    ``hard`` best-ranked sentences that hold no answer, then ``easy`` random others.
    Unanswerable: its near-miss sentences first, then the best-ranked others, ``1 + hard`` in
    all, then ``easy`` random others. Each sentence is read with ``context`` sentences before
    it (:meth:`Article.reading`).
    """
    rng = np.random.default_rng(seed)
    groups: list[Group] = []
    for q, r in zip(questions, ranked, strict=True):
        article = articles[q.title]
        top = [int(i) for i in r.order]
        if q.answerable:
            first = min(q.answers, key=top.index)
            chosen = [first, *[i for i in top if i not in q.answers][:hard]]
        else:
            misses = sorted(q.near_misses, key=top.index)
            chosen = (misses + [i for i in top if i not in q.near_misses])[: 1 + hard]
        rest = np.array([i for i in top[2 * hard + 5 :] if i not in q.answers], dtype=np.int64)
        if easy and len(rest):
            chosen += [int(i) for i in rng.choice(rest, size=min(easy, len(rest)), replace=False)]
        groups.append(
            Group(
                question=q.text,
                sentences=tuple(article.reading(i, context) for i in chosen),
                labels=tuple(int(i in q.answers) for i in chosen),
                answerable=q.answerable,
            )
        )
    return groups
