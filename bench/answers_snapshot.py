"""Every answer docqa gives on a fixed question set, written to JSON, and a comparison of two.

A change that only moves code must leave answers identical: passages, offsets, scores,
highlights and abstentions. Run this before and after, then compare:

    python -m bench.answers_snapshot write before.json
    python -m bench.answers_snapshot write after.json
    python -m bench.answers_snapshot compare before.json after.json [--ignore FIELD ...]

The set: the article's seed, development and paraphrase questions (default and first-stage
only), the follow-up conversations, the article on Milvus (milvus-lite), every fourth
question of squad2-train over its eight articles, and 60 SciFact test queries over the whole
SciFact corpus (about ten minutes on 2 cores, most of it ingesting SciFact).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ingest.index.backends.settings import BackendSettings
from ingest.sync.pipeline import Ingestor
from retrieval.api import AskSettings, ReaderChoice, ask
from retrieval.eval.beir import read_queries
from retrieval.eval.beir_index import beir_documents
from retrieval.eval.evaluation import load_questions
from retrieval.eval.squad import read_squad, write_articles
from retrieval.types import Answer

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "eval"
DATA = ROOT / "bench" / "data"
PARTS = ("article", "conversations", "milvus", "squad", "scifact")

Record = dict[str, Any]


#: Fields that say how long an answer took, not what it is: left out of the comparison.
TIMING_FIELDS = frozenset({"elapsed_ms"})


def _record(answer: Answer) -> Record:
    return json.loads(json.dumps(answer.to_dict(), default=str))


def _ask(
    question: str,
    index: Path,
    *,
    fast: bool = False,
    backend: BackendSettings | None = None,
    **options: Any,
) -> Answer:
    """``ask`` with the default reader, or the first stage alone when ``fast``."""
    reader: ReaderChoice = "none" if fast else "cross-encoder"
    settings = AskSettings(reader=reader, backend=backend)
    return ask(question, index=index, settings=settings, **options)


def _article_questions() -> Iterator[tuple[str, str]]:
    for path in (
        SHARED / "seed_questions.jsonl",
        DATA / "article_dev.jsonl",
        DATA / "article_paraphrase.jsonl",
    ):
        for question in load_questions(path):
            yield f"{path.stem}/{question.id}", question.question


def article(work: Path) -> dict[str, Record]:
    """The article's questions, with and without the second stage."""
    index = work / "article"
    Ingestor(index, backend=BackendSettings(kind="faiss")).run([ROOT / "corpus"])
    out: dict[str, Record] = {}
    for key, question in _article_questions():
        out[key] = _record(_ask(question, index))
        out[f"{key}/fast"] = _record(_ask(question, index, fast=True))
    return out


def conversations(work: Path) -> dict[str, Record]:
    """Each written conversation, every turn asked with the answers before it."""
    index = work / "conversations"
    Ingestor(index, backend=BackendSettings(kind="faiss")).run([DATA / "conversation_docs"])
    out: dict[str, Record] = {}
    with open(DATA / "conversations.jsonl", encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            conversation = json.loads(line)
            history: list[Answer] = []
            for number, turn in enumerate(conversation["turns"]):
                answer = _ask(turn["question"], index, history=history)
                out[f"{conversation['id']}/{number}"] = _record(answer)
                history.append(answer)
    return out


def milvus(work: Path) -> dict[str, Record]:
    """The article's seed questions over an index kept in milvus-lite."""
    index = work / "milvus"
    backend = BackendSettings(kind="milvus", milvus_uri=str(work / "milvus.db"))
    Ingestor(index, backend=backend).run([ROOT / "corpus"])
    return {
        key: _record(_ask(question, index, backend=backend))
        for key, question in _article_questions()
        if key.startswith("seed_questions/")
    }


def squad(work: Path) -> dict[str, Record]:
    """Every fourth squad2-train question over its eight articles together."""
    index, folder = work / "squad", work / "squad-docs"
    converted = read_squad(SHARED / "squad2-train" / "squad2-8-articles.json")
    write_articles(converted.articles, folder)
    Ingestor(index, backend=BackendSettings(kind="faiss")).run([folder])
    return {
        q.id: _record(_ask(q.question, index))
        for number, q in enumerate(converted.questions)
        if number % 4 == 0
    }


def scifact(work: Path) -> dict[str, Record]:
    """The first 60 SciFact test queries over the whole corpus, ten passages each."""
    folder = SHARED / "beir" / "scifact"
    index = work / "scifact"
    Ingestor(index, backend=BackendSettings(kind="faiss")).sync_documents(beir_documents(folder))
    queries = read_queries(folder)
    test = (folder / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]
    ids = list(dict.fromkeys(line.split("\t")[0] for line in test))[:60]
    return {qid: _record(_ask(queries[qid], index, k=10)) for qid in ids}


MAKERS: dict[str, Callable[[Path], dict[str, Record]]] = {
    "article": article,
    "conversations": conversations,
    "milvus": milvus,
    "squad": squad,
    "scifact": scifact,
}


def _differences(
    before: Any, after: Any, where: str = "", ignored: frozenset[str] = frozenset()
) -> Iterator[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted((set(before) | set(after)) - TIMING_FIELDS - ignored):
            if key not in before or key not in after:
                yield f"{where}/{key}: only in {'after' if key not in before else 'before'}"
            else:
                yield from _differences(before[key], after[key], f"{where}/{key}", ignored)
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for number, (one, other) in enumerate(zip(before, after, strict=True)):
            yield from _differences(one, other, f"{where}[{number}]", ignored)
    elif isinstance(before, float) and isinstance(after, float):
        if not math.isclose(before, after, rel_tol=1e-9, abs_tol=1e-12):
            yield f"{where}: {before!r} != {after!r}"
    elif before != after:
        yield f"{where}: {before!r} != {after!r}"


def compare(before_path: Path, after_path: Path, ignored: frozenset[str] = frozenset()) -> int:
    """Print how many answers differ in each part (fields named in ``ignored`` left out, at
    any depth); the number of differing answers."""
    before = json.loads(before_path.read_text(encoding="utf-8"))
    after = json.loads(after_path.read_text(encoding="utf-8"))
    total = 0
    for part in sorted(set(before) | set(after)):
        if part not in before or part not in after:
            print(f"{part}: only in {'after' if part not in before else 'before'}, not compared")
            continue
        old, new = before[part], after[part]
        differing = [key for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]
        # Floats compared to 1e-9 relative: identical arithmetic gives identical numbers.
        real = [k for k in differing if any(_differences(old.get(k), new.get(k), k, ignored))]
        print(f"{part}: {len(new)} answers, {len(real)} differ")
        for key in real[:5]:
            for line in list(_differences(old.get(key), new.get(key), key, ignored))[:3]:
                print(f"  {line[:300]}")
        total += len(real)
    return total


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``write OUT.json [--parts ...]`` or ``compare BEFORE AFTER``."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("write", help="answer the fixed set, write JSON")
    write.add_argument("out", type=Path)
    write.add_argument("--parts", default=",".join(PARTS), help="comma-separated subset")
    write.add_argument(
        "--work",
        type=Path,
        default=Path(tempfile.gettempdir()) / "docqa-answers-snapshot",
        help="emptied first; the same folder in both runs (answers name their files)",
    )
    both = commands.add_parser("compare", help="count differing answers")
    both.add_argument("before", type=Path)
    both.add_argument("after", type=Path)
    both.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="FIELD",
        help="leave this field out (repeatable), e.g. confidence when only it was meant to move",
    )
    args = parser.parse_args(argv)
    if args.command == "compare":
        return 1 if compare(args.before, args.after, frozenset(args.ignore)) else 0
    results: dict[str, dict[str, Record]] = {}
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    for part in args.parts.split(","):
        results[part] = MAKERS[part](args.work)
        print(f"{part}: {len(results[part])} answers", file=sys.stderr, flush=True)
        args.out.write_text(json.dumps(results, indent=1, sort_keys=True), encoding="utf-8")
    shutil.rmtree(args.work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
