"""The evaluation protocol of DESIGN.md: hit@k, MRR, sentence hits, abstention, citations."""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest.errors import InvalidInputError
from retrieval.types import Answer

_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"'})
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFKC, curly quotes to straight, whitespace collapsed, case folded."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _SPACE.sub(" ", text).strip().casefold()


@dataclass(frozen=True)
class Question:
    """One evaluation question; empty evidence means the documents do not answer it."""

    id: str
    question: str
    evidence: tuple[str, ...]


def load_questions(path: str | Path) -> list[Question]:
    """Read a JSON-lines question file (``id``, ``question``, ``evidence``)."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"{path}: no such question file")
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out.append(Question(str(row["id"]), str(row["question"]), tuple(row["evidence"])))
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInputError(f"{path}:{n}: not a question record ({exc})") from exc
    if not out:
        raise InvalidInputError(f"{path}: no questions in the file")
    return out


def contains_evidence(text: str, evidence: Sequence[str]) -> bool:
    """True when the normalised text contains any normalised evidence string."""
    norm = normalise(text)
    return any(normalise(e) in norm for e in evidence)


METRIC_KEYS = (
    "hit@1",
    "hit@3",
    "answered_hit@1",
    "answered_hit@3",
    "mrr@5",
    "sentence_hit@1",
    "abstention_accuracy",
    "false_abstention_rate",
    "citation_validity",
    "n_answerable",
    "n_unanswerable",
    "p50_ms",
)


def evaluate(
    questions: Sequence[Question],
    answer: Callable[[str], Answer],
    document_text: Callable[[str], str],
) -> dict[str, Any]:
    """Run every question through ``answer`` and compute the protocol's figures.

    Passage ranks ignore abstention: ``hit@k``, ``mrr@5`` and ``sentence_hit@1`` measure
    retrieval, and abstention is scored apart. ``answered_hit@k`` is what a user gets: over
    the answerable questions, a hit in the top k that was not abstained (an abstained
    answer counts as a miss whatever its passages).

    Args:
        questions: The questions.
        answer: ``question -> Answer`` (with at least 5 passages requested).
        document_text: ``doc_id -> extracted text``, to check citations.
    """
    hits1, hits3, answered1, answered3, rr, sent = ([] for _ in range(6))
    false_abst, abst_ok, valid, total, times = ([] for _ in range(5))
    for q in questions:
        started = time.perf_counter()
        result = answer(q.question)
        times.append((time.perf_counter() - started) * 1000)
        for p in result.passages:
            total.append(1)
            valid.append(document_text(p.doc_id)[p.start : p.end] == p.text and len(p.text) <= 1200)
        if not q.evidence:
            abst_ok.append(result.abstained)
            continue
        ranks = [
            i for i, p in enumerate(result.passages[:5]) if contains_evidence(p.text, q.evidence)
        ]
        first = ranks[0] if ranks else None
        hits1.append(first == 0)
        hits3.append(first is not None and first < 3)
        answered1.append(hits1[-1] and not result.abstained)
        answered3.append(hits3[-1] and not result.abstained)
        rr.append(1.0 / (first + 1) if first is not None else 0.0)
        sentence = ""
        if result.passages and result.passages[0].highlights:
            top = result.passages[0]
            a, b = top.highlights[0]
            sentence = document_text(top.doc_id)[a:b]
        sent.append(bool(sentence) and contains_evidence(sentence, q.evidence))
        false_abst.append(result.abstained)

    def mean(xs: list[Any]) -> float:
        return round(float(np.mean(xs)), 4) if xs else 0.0

    return {
        "hit@1": mean(hits1),
        "hit@3": mean(hits3),
        "answered_hit@1": mean(answered1),
        "answered_hit@3": mean(answered3),
        "mrr@5": mean(rr),
        "sentence_hit@1": mean(sent),
        "abstention_accuracy": mean(abst_ok),
        "false_abstention_rate": mean(false_abst),
        "citation_validity": mean(valid) if valid else 1.0,
        "n_answerable": len(hits1),
        "n_unanswerable": len(abst_ok),
        "p50_ms": round(float(np.median(times)), 2) if times else 0.0,
    }
