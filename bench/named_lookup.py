"""Whether a long document names what a question names: a word-set lookup against a scan.

The confidence input ``named`` (:mod:`retrieval.names`) asks, for each document an answer
cites, whether it holds the question's names as words. Searching the document's text for
each name costs time in proportion to its length, on every question; a document's words
(:attr:`ingest.formats.document.Document.words`, built once per loaded document) answer the
same by set lookups. One long document is made of covidqa-train's 49 articles one after
another (about 1.15 million characters: a book of 400 pages or so), and the names of
covidqa-train's questions are looked up in it both ways, in the same process:

- per question: the scan, the lookup, and their ratio (the words built beforehand);
- once per loaded document: building its words;
- with ``--ask``: ``ask()`` p50 and p95 over an index of that one document (indexed under
  ``--out``, reused), with the lookup and with the scan put back in its place.

    python -m bench.named_lookup [--out DIR] [--ask] [--json]
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np

from bench.covidqa import COVIDQA, ROOT
from bench.tables import print_figures


def long_text() -> str:
    """covidqa-train's articles one after another, a blank line between them."""
    files = sorted((COVIDQA / "corpus").glob("*.txt"))
    return "\n\n".join(p.read_text(encoding="utf-8") for p in files)


def question_texts() -> list[str]:
    """covidqa-train's questions."""
    from retrieval.eval.evaluation import load_questions

    return [q.question for q in load_questions(COVIDQA / "questions.jsonl")]


def _ms(call: Callable[[], object], repeat: int = 1) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        call()
    return (time.perf_counter() - started) * 1000 / repeat


def lookup_figures(text: str, questions: Sequence[str]) -> dict[str, float]:
    """Per-question scan and lookup times (mean over the questions that name something),
    and the time to build the document's words once."""
    from ingest.formats.document import Document
    from retrieval.names import named_share, question_names

    document = Document("long", "long", "long.txt", "txt", text, ())
    build = _ms(lambda: document.words)
    names = [n for n in (question_names(q) for q in questions) if n]
    for each in names:  # the same answers both ways
        if named_share(each, text, document.words) != named_share(each, text):
            raise AssertionError(f"the lookup and the scan disagree on {each}")
    words = document.words
    scan = float(np.mean([_ms(functools.partial(named_share, n, text)) for n in names]))
    look = float(np.mean([_ms(functools.partial(named_share, n, text, words), 20) for n in names]))
    return {
        "characters": len(text),
        "questions_naming_something": len(names),
        "scan_ms_per_question": round(scan, 3),
        "lookup_ms_per_question": round(look, 4),
        "scan_over_lookup": round(scan / look, 1),
        "words_build_ms_once": round(build, 1),
    }


@contextmanager
def scanning() -> Iterator[None]:
    """Within the block, the confidence stage scans each document's text for the names
    (what it did before the documents' words)."""
    import retrieval.stages.decide as decide

    lookup = decide.named_share

    def scan(names: Sequence[str], text: str, words: Any = None) -> float:
        return lookup(names, text)

    decide.named_share = scan
    try:
        yield
    finally:
        decide.named_share = lookup


def ask_figures(out: Path, text: str, questions: Sequence[str]) -> dict[str, float]:
    """``ask()`` p50 / p95 over an index of the one long document, lookup and scan."""
    from ingest.index.backends.settings import BackendSettings
    from ingest.sync.pipeline import Ingestor
    from retrieval.retriever import Retriever

    folder = out / "named-lookup-corpus"
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "covidqa-train-articles.txt"
    if not source.is_file() or source.read_text(encoding="utf-8") != text:
        source.write_text(text, encoding="utf-8")
    index = out / "named-lookup-index"
    Ingestor(index, backend=BackendSettings(kind="faiss")).run([folder], prune=True)
    retriever = Retriever(index)
    asked = list(questions[:200])
    for q in asked[:5]:  # warm: model, files, the document's words
        retriever.answer(q)
    figures: dict[str, float] = {}
    for label, block in (("lookup", nullcontext), ("scan", scanning)):
        ms = []
        with block():
            for q in asked:
                ms.append(_ms(functools.partial(retriever.answer, q)))
        figures[f"ask_{label}_p50_ms"] = round(float(np.percentile(ms, 50)), 1)
        figures[f"ask_{label}_p95_ms"] = round(float(np.percentile(ms, 95)), 1)
    figures["ask_scan_over_lookup_p50"] = round(
        figures["ask_scan_p50_ms"] / figures["ask_lookup_p50_ms"], 2
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    """Print the figures (one per line, or JSON)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--ask", action="store_true", help="also time ask() end to end")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    text, questions = long_text(), question_texts()
    figures: dict[str, float] = lookup_figures(text, questions)
    if args.ask:
        figures.update(ask_figures(args.out, text, questions))
    print_figures(figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
