"""Does the confidence mean what it says, whatever else is indexed?

Two measurements (``make bench-confidence``):

1. **Invariance**: the bundled article alone, and the article among 57 other documents
   (squad2-train's eight articles and covidqa-train's 49). The same questions over both:
   the article's answerable questions (seed, development and paraphrase files) and
   questions near its topic that it does not answer (``bench/data/article_near_topic.jsonl``,
   written for this check and never tuned on, plus the unanswerable questions of the
   evaluation files). Prints abstention on the unanswerable, answered hit@1 on the
   answerable (answered, and the first passage holds the evidence) and how many decisions
   change between the two indexes.
2. **Calibration**: squad2-train over its eight articles and covidqa-train over its 49: for
   the first passage of every answer, its percentage against whether it holds the evidence,
   in ten bins (expected calibration error), and the share of cards shown as likely
   (>= 50%) that hold the evidence. The shipped heads were fitted on these questions too
   (five weights at most); the figures held out by article, which ``python -m training --step
   confidence`` measured when it fitted them, are printed after (from ``confidence.json``).

    python -m bench.confidence [--parts invariance,calibration] [--sample N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.index.backends.settings import BackendSettings
from ingest.sync.pipeline import Ingestor
from retrieval.api import ask
from retrieval.eval.evaluation import Question, contains_evidence, load_questions
from retrieval.eval.squad import read_squad, write_articles
from retrieval.types import Answer

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "eval"
DATA = ROOT / "bench" / "data"
SQUAD = SHARED / "squad2-train" / "squad2-8-articles.json"
COVIDQA = SHARED / "covidqa-train"
ARTICLE_FILES = (
    SHARED / "seed_questions.jsonl",
    DATA / "article_dev.jsonl",
    DATA / "article_paraphrase.jsonl",
)
NEAR_TOPIC = DATA / "article_near_topic.jsonl"
LIKELY = 0.5


@dataclass(frozen=True)
class Outcome:
    """One question's answer, reduced to what the figures need."""

    abstained: bool
    right: tuple[bool, ...]
    confidence: tuple[float, ...]
    first: str = ""  # the first passage: document and offset


def _outcome(answer: Answer, evidence: Sequence[str]) -> Outcome:
    return Outcome(
        abstained=answer.abstained,
        right=tuple(
            bool(evidence) and contains_evidence(p.text, evidence) for p in answer.passages
        ),
        confidence=tuple(
            float(p.confidence) if p.confidence is not None else float("nan")
            for p in answer.passages
        ),
        first=f"{answer.passages[0].doc_id}@{answer.passages[0].start}" if answer.passages else "",
    )


def _ask_all(questions: Sequence[Question], index: Path) -> list[Outcome]:
    return [_outcome(ask(q.question, index=index), q.evidence) for q in questions]


def _ingest(index: Path, paths: Sequence[Path]) -> None:
    Ingestor(index, backend=BackendSettings(kind="faiss")).run(list(paths))


def _squad_folder(work: Path) -> Path:
    folder = work / "squad-docs"
    if not folder.is_dir():
        write_articles(read_squad(SQUAD).articles, folder)
    return folder


def invariance(work: Path) -> dict[str, float]:
    """The article alone against the article among 57 other documents."""
    answerable: list[Question] = []
    unanswerable: list[Question] = []
    for path in ARTICLE_FILES:
        for q in load_questions(path):
            (answerable if q.evidence else unanswerable).append(q)
    near = load_questions(NEAR_TOPIC)
    alone, among = work / "article-alone", work / "article-among"
    _ingest(alone, [ROOT / "corpus"])
    _ingest(among, [ROOT / "corpus", _squad_folder(work), COVIDQA / "corpus"])
    figures: dict[str, float] = {}
    decisions: dict[str, list[Outcome]] = {}
    print("| index | near-topic abstained | other unanswerable abstained | answered hit@1 |")
    print("|---|---|---|---|")
    for name, index in (("article alone", alone), ("article among 57 others", among)):
        a, n, u = (_ask_all(qs, index) for qs in (answerable, near, unanswerable))
        hit = float(np.mean([not o.abstained and o.right[:1] == (True,) for o in a]))
        near_rate = float(np.mean([o.abstained for o in n]))
        other_rate = float(np.mean([o.abstained for o in u]))
        print(
            f"| {name} | {near_rate:.3f} ({len(n)}) | {other_rate:.3f} ({len(u)}) "
            f"| {hit:.3f} ({len(a)}) |"
        )
        decisions[name] = a + n + u
        key = "alone" if index == alone else "among"
        figures |= {f"{key}_near": near_rate, f"{key}_other": other_rate, f"{key}_hit1": hit}
    one, other = decisions.values()
    asked = [q.question for q in answerable + near + unanswerable]
    flipped = [
        (q, x, y) for q, x, y in zip(asked, one, other, strict=True) if x.abstained != y.abstained
    ]
    flips = len(flipped)
    for question, x, y in flipped:
        same = "same first passage" if x.first == y.first else f"first {x.first} / {y.first}"
        print(
            f"  flipped: {question!r}: {x.confidence[:1]} / {y.confidence[:1]} ({same})",
        )
    figures["flipped"] = flips / len(one)
    print(
        f"\ndecisions that change between the two: {flips} of {len(one)} ({flips / len(one):.3f})"
    )
    return figures


def reliability(outcomes: Sequence[Outcome], label: str) -> dict[str, float]:
    """Print the ten-bin reliability table of first passages; ECE and the likely share."""
    first = [(o.confidence[0], o.right[0]) for o in outcomes if o.confidence]
    p = np.array([c for c, _ in first])
    y = np.array([r for _, r in first], dtype=float)
    bins = np.minimum((p * 10).astype(int), 9)
    print(f"\n{label}: {len(first)} first passages, {y.mean():.3f} hold the evidence")
    print("| shown | passages | mean shown | share right |")
    print("|---|---|---|---|")
    ece = 0.0
    for b in range(10):
        inside = bins == b
        if not inside.any():
            continue
        shown, right = float(p[inside].mean()), float(y[inside].mean())
        ece += inside.mean() * abs(shown - right)
        print(f"| {b * 10}-{b * 10 + 10}% | {int(inside.sum())} | {shown:.3f} | {right:.3f} |")
    cards = [(c, r) for o in outcomes for c, r in zip(o.confidence, o.right, strict=True)]
    likely = [r for c, r in cards if c >= LIKELY]
    share = float(np.mean(likely)) if likely else float("nan")
    print(
        f"ECE {ece:.3f}; likely cards (>= 50%) holding the evidence: {share:.3f} of {len(likely)}"
    )
    return {"ece": ece, "likely_right": share, "likely_cards": float(len(likely))}


def calibration(work: Path, sample: int | None) -> dict[str, float]:
    """Reliability of the first passage's percentage on squad2-train and covidqa-train."""
    rng = random.Random(7)
    squad = [q.as_question() for q in read_squad(SQUAD).questions]
    covid = load_questions(COVIDQA / "questions.jsonl")
    if sample:
        squad = rng.sample(squad, min(sample, len(squad)))
        covid = rng.sample(covid, min(sample, len(covid)))
    figures: dict[str, float] = {}
    for name, questions, folder in (
        ("squad2-train", squad, _squad_folder(work)),
        ("covidqa-train", covid, COVIDQA / "corpus"),
    ):
        index = work / name
        _ingest(index, [folder])
        found = reliability(_ask_all(questions, index), name)
        figures |= {f"{name}_{key}": value for key, value in found.items()}
    return figures


def held_out() -> dict[str, float]:
    """Print the held-out figures the shipped heads were fitted with (``confidence.json``)."""
    from retrieval.confidence import CONFIDENCE_FILE

    data = json.loads(CONFIDENCE_FILE.read_text(encoding="utf-8")).get("held_out", {})
    figures: dict[str, float] = {}
    for head, sets in data.items():
        print(f"\nheld out by article, {head} head (python -m training --step confidence):")
        print("| set | questions | first right | ECE | likely right | abstained |")
        print("|---|---|---|---|---|---|")
        for name, f in sets.items():
            print(
                f"| {name} | {f['questions']} | {f['first_right']} | {f['ece']} "
                f"| {f['likely_right']} | {f['abstained']} |"
            )
            if head == "reader":
                figures[f"held_out_{name}_ece"] = f["ece"]
    return figures


def main(argv: list[str] | None = None) -> int:
    """Entry point; prints markdown tables, then the figures as one JSON line."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="invariance,calibration")
    parser.add_argument("--sample", type=int, default=None, help="questions per calibration set")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="docqa-confidence-"))
    figures: dict[str, float] = {}
    try:
        parts = args.parts.split(",")
        if "invariance" in parts:
            figures |= invariance(work)
        if "calibration" in parts:
            figures |= calibration(work, args.sample)
            figures |= held_out()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({k: round(v, 4) for k, v in figures.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
