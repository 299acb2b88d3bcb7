"""Question -> hybrid search -> fused, highlighted, cited passages (or an abstention)."""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np

from ingest.embedder import Embedder, make_embedder
from ingest.errors import InvalidInputError
from ingest.store import IndexVersion, current_version_path, load_version
from retrieval.fusion import reciprocal_rank
from retrieval.highlight import passage_sentences, score_sentences
from retrieval.types import Answer, Passage

SearchMode = Literal["hybrid", "dense", "keyword"]
SEARCH_MODES: tuple[SearchMode, ...] = ("hybrid", "dense", "keyword")
MAX_QUESTION_CHARS = 2000
MAX_K = 50


@dataclass(frozen=True)
class SearchSettings:
    """Knobs of retrieval; defaults are the measured best (see README, Figures).

    Attributes:
        mode: ``hybrid`` (dense + BM25), ``dense`` or ``keyword``.
        candidates: Rows taken from each side before fusion.
        rrf_k: Reciprocal-rank fusion constant.
        min_relevance: Abstention threshold: when the best sentence's cosine similarity to
            the question is below it, the answer abstains.
        lexical_weight: Weight of term overlap when choosing the highlighted sentence.
        highlight: Compute highlights (and the sentence-level relevance used to abstain).
    """

    mode: SearchMode = "hybrid"
    candidates: int = 100
    rrf_k: float = 60.0
    min_relevance: float = 0.35
    lexical_weight: float = 0.3
    highlight: bool = True

    def __post_init__(self) -> None:
        if self.mode not in SEARCH_MODES:
            raise InvalidInputError(
                f"unknown search mode {self.mode!r}; valid modes are: {', '.join(SEARCH_MODES)}"
            )


def validate_question(question: object) -> str:
    """Return the question stripped, or raise :class:`InvalidInputError` saying why."""
    if not isinstance(question, str):
        raise InvalidInputError(f"question must be text, not {type(question).__name__}")
    stripped = question.strip()
    if not stripped:
        raise InvalidInputError("the question is empty; type a question")
    if len(stripped) > MAX_QUESTION_CHARS:
        raise InvalidInputError(
            f"the question is {len(stripped):,} characters; the limit is {MAX_QUESTION_CHARS:,}"
        )
    return stripped


def validate_k(k: object) -> int:
    """Return ``k`` if it is an int in 1..50, else raise :class:`InvalidInputError`."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise InvalidInputError(f"k={k!r} is not valid; choose a whole number from 1 to {MAX_K}")
    return k


class Retriever:
    """Answers questions from one loaded index version.

    Args:
        index: Index directory.
        embedder: Embedder to use for questions (default: the index's own model).
        settings: Retrieval settings.
    """

    def __init__(
        self,
        index: str | Path,
        *,
        embedder: Embedder | None = None,
        settings: SearchSettings | None = None,
    ) -> None:
        self.index_dir = Path(index)
        self.version: IndexVersion = load_version(self.index_dir)
        model = self.version.manifest.model
        if embedder is not None and embedder.model_id != model:
            from ingest.errors import IndexMismatchError

            raise IndexMismatchError(
                f"{self.index_dir} was built with model {model!r}, not {embedder.model_id!r}; "
                "rebuild it with: docqa ingest PATH --rebuild"
            )
        self.embedder = embedder or make_embedder(model)
        self.settings = settings or SearchSettings()

    def is_stale(self) -> bool:
        """True when a newer version of the index has been written since loading."""
        try:
            return current_version_path(self.index_dir) != self.version.path
        except Exception:
            return False

    def rank(
        self,
        question: str,
        *,
        mode: SearchMode | None = None,
        documents: Collection[str] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Fused ranking of chunk rows: ``(rows, scores)``, best first.

        ``documents`` restricts the ranking to chunks of those doc ids.
        """
        mode = mode or self.settings.mode
        version, n = self.version, len(self.version.chunks)
        if n == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        depth = min(self.settings.candidates, n)
        if documents is not None:
            depth = n  # search everything, then keep the chosen documents
        rankings: list[np.ndarray] = []
        if mode in ("hybrid", "dense"):
            qv = self.embedder.embed([question])[0]
            _, rows = version.dense.search(qv, depth)
            rankings.append(rows)
        if mode in ("hybrid", "keyword"):
            bm25 = version.sparse.scores(question)
            top = np.argsort(-bm25, kind="stable")[:depth]
            rankings.append(top[bm25[top] > 0])
        if documents is not None:
            allowed = self._document_mask(documents)
            rankings = [rows[allowed[rows]][: self.settings.candidates] for rows in rankings]
        fused = reciprocal_rank(rankings, n, k=self.settings.rrf_k)
        order = np.argsort(-fused, kind="stable")
        order = order[fused[order] > 0]
        return order, fused[order]

    def _document_mask(self, documents: Collection[str]) -> np.ndarray:
        unknown = set(documents) - set(self.version.documents)
        if unknown:
            raise InvalidInputError(
                f"unknown document id(s): {', '.join(sorted(unknown))}; "
                "see `docqa list` for the indexed documents"
            )
        wanted = set(documents)
        return np.array([c.doc_id in wanted for c in self.version.chunks], dtype=bool)

    def answer(
        self,
        question: str,
        *,
        k: int = 5,
        mode: SearchMode | None = None,
        documents: Collection[str] | None = None,
    ) -> Answer:
        """Answer ``question`` with up to ``k`` passages (optionally only from ``documents``)."""
        started = time.perf_counter()
        question = validate_question(question)
        k = validate_k(k)
        if mode is not None and mode not in SEARCH_MODES:
            raise InvalidInputError(
                f"unknown search mode {mode!r}; valid modes are: {', '.join(SEARCH_MODES)}"
            )
        rows, scores = self.rank(question, mode=mode, documents=documents)
        passages = [
            self._passage(int(r), float(s)) for r, s in zip(rows[:k], scores[:k], strict=True)
        ]
        abstained = not passages
        if passages and self.settings.highlight:
            passages, relevance = self._highlight(question, passages)
            abstained = relevance < self.settings.min_relevance
        elapsed = (time.perf_counter() - started) * 1000
        return Answer(question, tuple(passages), abstained, round(elapsed, 2))

    def _passage(self, row: int, score: float) -> Passage:
        chunk = self.version.chunks[row]
        doc = self.version.documents[chunk.doc_id]
        return Passage(
            doc_id=chunk.doc_id,
            title=doc.title,
            section=chunk.section,
            page=chunk.page,
            start=chunk.start,
            end=chunk.end,
            text=chunk.text,
            score=round(score, 6),
            highlights=(),
        )

    def _highlight(self, question: str, passages: list[Passage]) -> tuple[list[Passage], float]:
        """Attach the best sentence of each passage; return the best sentence similarity."""
        docs = self.version.documents
        spans = [passage_sentences(docs[p.doc_id].text, p.start, p.end) for p in passages]
        texts = [
            docs[p.doc_id].text[a:b] for p, ss in zip(passages, spans, strict=True) for a, b in ss
        ]
        vectors = self.embedder.embed([question, *texts])
        qv, sv = vectors[0], vectors[1:]
        tokenizer = self.version.sparse.tokenizer
        scores = score_sentences(
            qv,
            sv,
            set(tokenizer(question)),
            texts,
            tokenizer,
            lexical_weight=self.settings.lexical_weight,
        )
        cosine = sv @ qv
        out, offset, best = [], 0, -1.0
        for passage, ss in zip(passages, spans, strict=True):
            part = scores[offset : offset + len(ss)]
            if len(ss):
                i = int(np.argmax(part))
                best = max(best, float(cosine[offset + i]))
                passage = replace(passage, highlights=(ss[i],))
            out.append(passage)
            offset += len(ss)
        return out, best
