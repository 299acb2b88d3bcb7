"""Follow-up questions: conversations asked with their history, without it, and in full.

Builds a fresh index of ``bench/data/conversation_docs/`` and the bundled ``corpus/`` with the
default model, then plays each conversation of ``bench/data/conversations.jsonl`` three ways:

- with history: each question asked after the answers docqa gave to the turns before it;
- alone: each question asked without history;
- in full: each follow-up's ``full_question`` (the follow-up written out) asked alone.

Follow-ups are scored on hit@1, hit@3 and answered hit@1 (a hit not abstained); questions
that stand alone but come after an unrelated topic (``switch``) are scored with and without
history, to show the history does not drag them to the previous topic.

    python -m bench.followups [--grid] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

DATA = ROOT / "bench" / "data"


@dataclass(frozen=True)
class Turn:
    """One turn of a conversation: ``kind`` is opening, followup or switch."""

    kind: str
    question: str
    full_question: str
    evidence: tuple[str, ...]


def load_conversations(path: Path) -> list[list[Turn]]:
    """The conversations of a JSON-lines file, each a list of turns."""
    conversations = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            conversations.append(
                [
                    Turn(t["kind"], t["question"], t["full_question"], tuple(t["evidence"]))
                    for t in row["turns"]
                ]
            )
    return conversations


def _rank_of_hit(answer: Any, evidence: tuple[str, ...]) -> int | None:
    from retrieval.eval.evaluation import contains_evidence

    for i, passage in enumerate(answer.passages[:5]):
        if contains_evidence(passage.text, evidence):
            return i
    return None


def play(retriever: Any, conversations: list[list[Turn]]) -> dict[str, Any]:
    """Play every conversation three ways; return the figures of one configuration."""
    scores: dict[str, list[float]] = {}

    def score(name: str, answer: Any, turn: Turn) -> None:
        rank = _rank_of_hit(answer, turn.evidence)
        scores.setdefault(f"{name} hit@1", []).append(rank == 0)
        scores.setdefault(f"{name} hit@3", []).append(rank is not None and rank < 3)
        answered = rank == 0 and not answer.abstained
        scores.setdefault(f"{name} answered@1", []).append(answered)

    for turns in conversations:
        history: list[Any] = []
        for turn in turns:
            followed = retriever.answer(turn.question, history=history)
            if turn.kind == "followup":
                score("follow-up with history", followed, turn)
                score("follow-up alone", retriever.answer(turn.question), turn)
                score("follow-up in full", retriever.answer(turn.full_question), turn)
            elif turn.kind == "switch":
                score("switch with history", followed, turn)
                score("switch alone", retriever.answer(turn.question), turn)
            history.append(followed)
    return {name: round(sum(v) / len(v), 4) for name, v in scores.items()} | {
        "n follow-ups": len(scores.get("follow-up alone hit@1", [])),
        "n switches": len(scores.get("switch alone hit@1", [])),
    }


def build_index(folder: Path) -> Path:
    """A fresh index of the conversation documents and the bundled corpus."""
    from ingest.sync.pipeline import ingest

    docs = folder / "docs"
    docs.mkdir()
    for source in [*(DATA / "conversation_docs").glob("*.md"), *(ROOT / "corpus").glob("*.md")]:
        (docs / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    index = folder / "index"
    ingest([docs], index=index)
    return index


def settings_grid() -> list[tuple[str, Any]]:
    """The follow-up settings compared with ``--grid`` (the default first)."""
    from retrieval.followup import FollowupSettings

    default = FollowupSettings()
    rows = [("default", default), ("history off", replace(default, enabled=False))]
    for q, a, kw, prior in [
        (0.5, 0.25, 0.5, 0.2),
        (0.3, 0.15, 0.3, 0.0),
        (0.0, 0.0, 0.0, 0.2),
        (0.3, 0.0, 0.3, 0.2),
        (0.3, 0.3, 0.3, 0.2),
        (0.5, 0.0, 0.3, 0.1),
        (0.3, 0.15, 0.3, 0.4),
        (0.3, 0.15, 0.0, 0.2),
    ]:
        variant = replace(
            default, question_weight=q, answer_weight=a, keyword_weight=kw, document_prior=prior
        )
        rows.append((f"question {q}, answer {a}, keyword {kw}, prior {prior}", variant))
    return rows


def main(argv: list[str] | None = None) -> int:
    """Print the follow-up table."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=Path, default=DATA / "conversations.jsonl")
    parser.add_argument("--grid", action="store_true", help="compare follow-up settings")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from retrieval.retriever import Retriever

    conversations = load_conversations(args.conversations)
    with tempfile.TemporaryDirectory(prefix="docqa-followups-") as folder:
        retriever = Retriever(build_index(Path(folder)))
        configs = settings_grid() if args.grid else settings_grid()[:1]
        rows = []
        for name, followup in configs:
            tuned = retriever.with_settings(replace(retriever.settings, followup=followup))
            rows.append({"configuration": name, **play(tuned, conversations)})
            if not args.json:
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        print(figures_table(rows[0]))
        if args.grid:
            print()
            print(grid_table(rows))
    return 0


def figures_table(row: dict[str, Any]) -> str:
    """One configuration's figures as docs/quality.md's table."""
    lines = [
        "| questions | asked | hit@1 | hit@3 | answered hit@1 |",
        "|---|---|---:|---:|---:|",
    ]
    for group, n, ways in [
        ("follow-ups", row["n follow-ups"], ("with history", "alone", "in full")),
        ("self-contained after another topic", row["n switches"], ("with history", "alone")),
    ]:
        prefix = "follow-up" if group == "follow-ups" else "switch"
        for way in ways:
            key = f"{prefix} {way}"
            label = "written out in full, alone" if way == "in full" else way
            lines.append(
                f"| {group} ({n}) | {label} | {row[key + ' hit@1']} | {row[key + ' hit@3']} "
                f"| {row[key + ' answered@1']} |"
            )
    return "\n".join(lines)


def grid_table(rows: list[dict[str, Any]]) -> str:
    """The settings compared, one row each."""
    keys = [
        "follow-up with history hit@1",
        "follow-up with history hit@3",
        "follow-up with history answered@1",
        "switch with history hit@1",
    ]
    lines = ["| settings | " + " | ".join(keys) + " |", "|---|" + "---:|" * len(keys)]
    for row in rows:
        lines.append(f"| {row['configuration']} | " + " | ".join(str(row[k]) for k in keys) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
