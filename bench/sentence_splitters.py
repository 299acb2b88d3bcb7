"""Sentence splitters, measured: probe errors, speed on SciFact, and retrieval with each.

Compares docqa's splitter as it was (a regex with 30 abbreviations, frozen here as ``regex``)
with pysbd, sentencex and blingfire, each wrapped to keep the contract of
:func:`ingest.text.sentences.sentence_spans` (exact spans ``text[a:b]`` inside the requested
range, trimmed, ordered, non-overlapping, never empty, every visible character covered). A
``+lines`` variant first cuts at blank lines and at line breaks before a line that does not
continue in lower case (headings, list items: the regex's line rule), then lets the library
split each block; ``docqa`` is :func:`sentence_spans` as the tree has it now.

Per splitter: (a) errors on hand-written probes with known splits (a spurious or a missed cut
is one error each); (b) seconds to split the 5,183 SciFact documents the way ingest does
(the chunker splits each section, then the sentence units split each chunk again), and
sentences per second of the first pass; (c) SciFact train nDCG@10 and the article's tuning
questions (``bench/data/article_dev.jsonl``) from a fresh index built with that splitter (the
chunker's and the sentence units' ``sentence_spans`` are swapped for the run; each index
starts from a copy of the previous one's embedding cache, so only texts that split
differently are embedded). Uses the train split and the dev questions only. The splitters
that are not libraries also get (d) their cuts in SciFact compared with the majority of the
three ``+lines`` libraries: not a ground truth, a check on real abstracts beyond the probes.

    python -m bench.sentence_splitters [--splitters regex,pysbd,...] [--retrieval NAMES|none]

Writes ``sentence_splitters.md`` (the table) and ``sentence_splitters.json`` to ``--out``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from ingest.text.sentences import ABBREVIATIONS

ROOT = Path(__file__).resolve().parent.parent

Spans = list[tuple[int, int]]
Splitter = Callable[[str, int, "int | None"], Spans]


# --- the splitter before this comparison, frozen so it stays comparable ------------------------

_REGEX_END = re.compile(
    r"""(?:[.!?…]+["'”’)\]]*)(?=\s+["'“‘(\[]?[A-Z0-9À-ÖØ-Þ])"""
    r"""|(?:\n[ \t]*\n)"""
    r"""|(?:\n(?=[ \t]*[^a-z\s]))"""
)
#: The abbreviations docqa's splitter has known only since this comparison (references and
#: months); the frozen splitter knows the others (:data:`ingest.text.sentences.ABBREVIATIONS`).
_ADDED_SINCE = frozenset(
    [
        "ref",
        "refs",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    ]
)
_REGEX_ABBREVIATIONS = ABBREVIATIONS - _ADDED_SINCE
_REGEX_WORD_BEFORE = re.compile(r"([\w.]+)[.]$")


def regex_spans(text: str, start: int = 0, end: int | None = None) -> Spans:
    """docqa's splitter as it was before this comparison (``ingest/text/sentences.py``)."""
    stop = len(text) if end is None else end
    spans: Spans = []
    cursor = start
    for match in _REGEX_END.finditer(text, start, stop):
        cut = match.end() if not match.group(0).startswith("\n") else match.start()
        body = match.group(0).rstrip("\"'”’)]")
        if match.group(0)[0] in ".!?…" and body.endswith("."):
            word = _REGEX_WORD_BEFORE.search(
                text, max(0, match.start() + len(body) - 12), match.start() + len(body)
            )
            if word and (
                word.group(1).lower() in _REGEX_ABBREVIATIONS
                or (len(word.group(1)) == 1 and word.group(1).isalpha())
            ):
                continue
        spans.extend(_trimmed(text, cursor, cut))
        cursor = cut
    spans.extend(_trimmed(text, cursor, stop))
    return spans


# --- the libraries, wrapped to the contract ------------------------------------------------------


def _trimmed(text: str, a: int, b: int) -> Spans:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return [(a, b)] if b > a else []


def spans_from_starts(text: str, start: int, stop: int, starts: list[int]) -> Spans:
    """Sentences of ``text[start:stop]`` cut at ``starts`` (offsets relative to ``start``).

    Only the library's start offsets are trusted: each sentence runs to the next start, so
    text a library drops or reports twice still lands in exactly one span.
    """
    cuts = sorted({s for s in starts if 0 < s < stop - start})
    edges = [start, *(start + c for c in cuts), stop]
    return [span for a, b in pairwise(edges) for span in _trimmed(text, a, b)]


@functools.lru_cache(maxsize=1)
def _pysbd() -> Any:
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def pysbd_spans(text: str, start: int = 0, end: int | None = None) -> Spans:
    """pysbd (``char_span=True``; it finds each sentence again in the text)."""
    stop = len(text) if end is None else end
    piece = text[start:stop]
    if not piece.strip():
        return []
    return spans_from_starts(text, start, stop, [s.start for s in _pysbd().segment(piece)])


def sentencex_spans(text: str, start: int = 0, end: int | None = None) -> Spans:
    """sentencex (``get_sentence_boundaries``: character offsets)."""
    import sentencex

    stop = len(text) if end is None else end
    piece = text[start:stop]
    if not piece.strip():
        return []
    bounds = sentencex.get_sentence_boundaries("en", piece)
    return spans_from_starts(text, start, stop, [int(b["start_index"]) for b in bounds])


def blingfire_spans(text: str, start: int = 0, end: int | None = None) -> Spans:
    """blingfire (``text_to_sentences_and_offsets``: character offsets)."""
    import blingfire

    stop = len(text) if end is None else end
    piece = text[start:stop]
    if not piece.strip():
        return []
    _, offsets = blingfire.text_to_sentences_and_offsets(piece)
    return spans_from_starts(text, start, stop, [int(a) for a, _ in offsets])


_LINE_BREAK = re.compile(r"\n[ \t]*\n|\n(?=[ \t]*[^a-z\s])")


def with_line_breaks(split: Splitter) -> Splitter:
    """``split`` inside the blocks the regex's line rule makes (blank lines, headings)."""

    def spans(text: str, start: int = 0, end: int | None = None) -> Spans:
        stop = len(text) if end is None else end
        out: Spans = []
        cursor = start
        for match in _LINE_BREAK.finditer(text, start, stop):
            out.extend(split(text, cursor, match.start()))
            cursor = match.start()
        out.extend(split(text, cursor, stop))
        return out

    return spans


#: The libraries whose majority :func:`agreement` compares the other splitters with.
REFERENCES = ("pysbd+lines", "sentencex+lines", "blingfire+lines")
LIBRARIES = ("pysbd", "sentencex", "blingfire")


def splitters() -> dict[str, Splitter]:
    """Every splitter compared, by name."""
    from ingest.text.sentences import sentence_spans

    return {
        "regex": regex_spans,
        "pysbd": pysbd_spans,
        "sentencex": sentencex_spans,
        "blingfire": blingfire_spans,
        "pysbd+lines": with_line_breaks(pysbd_spans),
        "sentencex+lines": with_line_breaks(sentencex_spans),
        "blingfire+lines": with_line_breaks(blingfire_spans),
        "docqa": sentence_spans,
    }


# --- (a) probes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """A text and its correct sentences, in order (whitespace between them is free)."""

    name: str
    sentences: tuple[str, ...]
    separator: str = " "

    @property
    def text(self) -> str:
        return self.separator.join(self.sentences)


PROBES = (
    Probe("U.S. before a noun", ("The U.S. Army left the base.", "It came back in May.")),
    Probe("U.S. ends a sentence", ("He moved to the U.S.", "He liked it there.")),
    Probe("U.K. and U.S. in a list", ("Sites in the U.K. and the U.S. Navy bases were used.",)),
    Probe("e.g. and i.e.", ("Use a solvent, e.g. Ethanol, i.e. EtOH.", "Then heat it.")),
    Probe("titles", ("Dr. Smith met Mr. Jones and Prof. Brown.", "They talked.")),
    Probe("decimals", ("The dose was 3.5 mg per day.", "It rose to 4.25 mg.", "2020 was worse.")),
    Probe("ellipsis", ("He paused...", "Then he spoke.", "Wait… what happened?")),
    Probe("quotes", ("He said, “I will go.”", '"Fine."', "She left.")),
    Probe("question and exclamation", ("Why?", "Because it works!", "Fine.")),
    Probe("initials", ("J. R. R. Tolkien wrote The Hobbit.", "It sold well.")),
    Probe("et al.", ("Smith et al. (2010) showed it.", "Jones et al. disagreed.")),
    Probe("species", ("E. coli was found in 3 samples.", "S. aureus was found in 2.")),
    Probe("times", ("The meeting ended at 5 p.m. on Friday.", "Nobody stayed.")),
    Probe("degrees", ("She holds a Ph.D. in physics from MIT.", "Her thesis was short.")),
    Probe("month", ("Patients were enrolled from Jan. 2001 to Dec. 2005.", "All consented.")),
    Probe("figure", ("As Fig. 2 shows, No. 5 failed.", "See Section 2.1.", "It is new.")),
    Probe("list items", ("Steps:", "1. Mix the flour.", "2. Add water.", "3. Bake."), "\n"),
    Probe("bullets", ("- first item", "- second item", "Then a sentence."), "\n"),
    Probe("heading then blank line", ("Introduction", "The study began in 2001."), "\n\n"),
    Probe("heading then line break", ("Results", "The effect was large."), "\n"),
    Probe("wrapped line", ("This sentence is wrapped\nacross two lines.", "And a second one.")),
    Probe(
        "title without a stop",
        ("Vitamin D and the risk of fractures", "BACKGROUND Low levels are common."),
        "\n\n",
    ),
    Probe("single capital ends a sentence", ("Patients lacked vitamin D.", "We gave them some.")),
    Probe(
        "gene symbol opens a sentence", ("It rose in vivo.", "p16INK4A is a marker.", "mRNA fell.")
    ),
    Probe("acronym ends a sentence", ("Endothelial cells release NO.", "This relaxes the muscle.")),
    Probe("hyphenated name ends a sentence", ("Few cells formed CFU-C.", "Only some grew.")),
    Probe("no space after a bracket", ("It was significant (P = .009).", "We confirmed it."), ""),
    Probe(
        "abstract",
        (
            "Statins lower LDL-C by approx. 30% (95% CI, 1.2-2.7; P = .003) in pts. with CHD.",
            "We enrolled 1,024 patients (mean age 63.4 yr; n = 17 vs. 12) in the U.S. and Canada.",
            "Mutations, e.g. c.68_69delAG in BRCA1, were rare (cf. Table 2).",
            "CONCLUSIONS Risk fell by 2.5-fold.",
        ),
    ),
)


def _expected_cuts(probe: Probe) -> set[int]:
    text, cuts, cursor = probe.text, set(), 0
    for sentence in probe.sentences:
        at = text.index(sentence, cursor)
        cuts.add(at)
        cursor = at + len(sentence)
    return cuts - {0}


def probe_errors(split: Splitter) -> tuple[int, list[str]]:
    """Spurious plus missed cuts over all probes, and the names of the probes it gets wrong."""
    errors, wrong = 0, []
    for probe in PROBES:
        got = {a for a, _ in split(probe.text, 0, None)} - {0}
        missed_or_spurious = len(got ^ _expected_cuts(probe))
        if missed_or_spurious:
            errors += missed_or_spurious
            wrong.append(probe.name)
    return errors, wrong


# --- (b) speed -----------------------------------------------------------------------------------


def check_contract(text: str, start: int, stop: int, spans: Spans) -> None:
    """Raise when ``spans`` break the contract of ``sentence_spans``."""
    previous = start
    for a, b in spans:
        if not (previous <= a < b <= stop) or text[a:b] != text[a:b].strip():
            raise AssertionError(f"bad span {(a, b)} after {previous} in {text[start:stop]!r}")
        if text[previous:a].strip():
            raise AssertionError(f"lost {text[previous:a]!r}")
        previous = b
    if text[previous:stop].strip():
        raise AssertionError(f"lost {text[previous:stop]!r}")


def split_seconds(split: Splitter, documents: list[Any]) -> tuple[dict[str, Any], list[set[int]]]:
    """Seconds to split every section, and the chunks again, as ingest does; and the offsets
    where each document's sentences start (the cuts, for :func:`agreement`)."""
    from ingest.text.chunker import chunk_document

    started = time.perf_counter()
    per_document = [
        [split(document.text, section.start, section.end) for section in document.sections]
        for document in documents
    ]
    first = time.perf_counter() - started
    n_sentences = sum(len(spans) for sections in per_document for spans in sections)
    cuts = [
        {a for spans in sections for a, _ in spans} - {s.start for s in document.sections}
        for document, sections in zip(documents, per_document, strict=True)
    ]
    with splitter_in_use(split):
        chunks = [(d, c) for d in documents for c in chunk_document(d)]  # splits sections
        started = time.perf_counter()
        for document, chunk in chunks:
            spans = split(document.text, chunk.start, chunk.end)
            check_contract(document.text, chunk.start, chunk.end, spans)
        units = time.perf_counter() - started
    return {
        "sentences": n_sentences,
        "split s": round(first, 1),
        "sentences/s": round(n_sentences / first),
        "ingest split s": round(first + units, 1),
    }, cuts


def agreement(cuts: list[set[int]], references: list[list[set[int]]]) -> dict[str, int]:
    """Cuts the majority of the reference splitters does not make, and its cuts missed.

    Not a ground truth (the libraries err too, see the probes), but a check on SciFact's own
    text of what the probes cannot cover.
    """
    extra = missed = 0
    for i, mine in enumerate(cuts):
        votes: dict[int, int] = {}
        for reference in references:
            for cut in reference[i]:
                votes[cut] = votes.get(cut, 0) + 1
        majority = {cut for cut, n in votes.items() if 2 * n > len(references)}
        extra += len(mine - majority)
        missed += len(majority - mine)
    return {"cuts not in library majority": extra, "library-majority cuts missed": missed}


# --- (c) retrieval -------------------------------------------------------------------------------


@contextlib.contextmanager
def splitter_in_use(split: Splitter) -> Iterator[None]:
    """Make every module that imported ``sentence_spans`` (chunker, units) call ``split``."""
    from ingest.text import sentences

    original = sentences.sentence_spans
    users = [
        module
        for module in list(sys.modules.values())
        if module is not None and getattr(module, "sentence_spans", None) is original
    ]
    for module in users:
        module.sentence_spans = split  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for module in users:
            module.sentence_spans = original  # type: ignore[attr-defined]


def fresh_index(folder: Path, seed: Path | None) -> Path:
    """``folder`` holding only an embedding cache: its own, else a copy of ``seed``'s."""
    if folder.exists():
        for entry in folder.iterdir():
            if entry.name != "cache":
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "cache").is_dir() and seed is not None and (seed / "cache").is_dir():
        shutil.copytree(seed / "cache", folder / "cache")
    return folder


def retrieval_figures(
    name: str,
    split: Splitter,
    *,
    documents: list[Any],
    scifact: Path,
    qrels_split: str,
    dev: Path,
    out: Path,
    seeds: dict[str, Path | None],
) -> dict[str, Any]:
    """SciFact and article-dev figures from fresh indexes built with ``split``."""
    from bench.quality import article_figures, scifact_figures
    from ingest.sync.pipeline import Ingestor, ingest
    from retrieval.retriever import Retriever

    folder = out / "sentence_splitters"
    sci_index = fresh_index(folder / f"scifact-{name}", seeds["scifact"])
    art_index = fresh_index(folder / f"article-{name}", seeds["article"])
    seeds.update(scifact=sci_index, article=art_index)  # the next splitter copies this cache
    with splitter_in_use(split):
        started = time.perf_counter()
        report = Ingestor(sci_index).sync_documents(documents, prune=True, rebuild=True)
        seconds = time.perf_counter() - started
        ingest([ROOT / "corpus"], index=art_index, rebuild=True)
    sci = Retriever(sci_index)
    art = Retriever(art_index, embedder=sci.embedder)
    figures = scifact_figures(sci, scifact, qrels_split, abstention=False)
    dev_figures = article_figures(art, [dev])
    return {
        "scifact chunks": len(sci.version.chunks),
        "scifact units": len(sci.version.units),
        "index s": round(seconds, 1),
        "embedded": report.chunks_embedded + report.sentences_embedded,
        f"{qrels_split} ndcg@10": figures["ndcg@10"],
        f"{qrels_split} recall@100": figures["recall@100"],
        "dev hit@1": dev_figures["hit@1"],
        "dev sentence_hit@1": dev_figures["sentence_hit@1"],
        "dev hit@3": dev_figures["hit@3"],
    }


def main(argv: list[str] | None = None) -> int:
    """Measure every splitter and write the table and the JSON to ``--out``."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from bench.arguments import experiment_parser

    parser = experiment_parser(__doc__)
    parser.add_argument("--dev", type=Path, default=ROOT / "bench" / "data" / "article_dev.jsonl")
    parser.add_argument("--splitters", default=",".join(splitters()))
    parser.add_argument(
        "--retrieval",
        default="regex,pysbd+lines,sentencex+lines,blingfire+lines,docqa",
        help="splitters that also get indexes (one SciFact + one article index each); "
        "'none' for probes and speed only",
    )
    args = parser.parse_args(argv)

    from bench.quality import markdown_table
    from retrieval.eval.beir_index import beir_documents

    available = splitters()
    names = [n for n in args.splitters.split(",") if n]
    unknown = [n for n in names if n not in available]
    if unknown:
        parser.error(f"unknown splitter(s) {unknown}; valid: {', '.join(available)}")
    indexed = [n for n in args.retrieval.split(",") if n and n != "none"]
    documents = beir_documents(args.scifact)
    seeds: dict[str, Path | None] = {
        "scifact": args.out / "scifact-index",
        "article": args.out / "article-index",
    }
    rows = []
    cuts: dict[str, list[set[int]]] = {}
    for name in names:
        split = available[name]
        errors, wrong = probe_errors(split)
        row: dict[str, Any] = {"splitter": name, "probe errors": errors}
        speed, cuts[name] = split_seconds(split, documents)
        row.update(speed)
        if name in indexed:
            row.update(
                retrieval_figures(
                    name,
                    split,
                    documents=documents,
                    scifact=args.scifact,
                    qrels_split=args.split,
                    dev=args.dev,
                    out=args.out,
                    seeds=seeds,
                )
            )
        row["probes wrong"] = "; ".join(wrong) or "-"
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    references = [cuts[n] for n in REFERENCES if n in cuts]
    if len(references) >= 2:
        for row in rows:
            if not row["splitter"].startswith(LIBRARIES):  # a library would vote for itself
                row.update(agreement(cuts[row["splitter"]], references))
    keys = list(dict.fromkeys(k for row in rows for k in row))
    table = markdown_table([{k: row.get(k, "-") for k in keys} for row in rows])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sentence_splitters.md").write_text(table + "\n", encoding="utf-8")
    (args.out / "sentence_splitters.json").write_text(
        json.dumps({"split": args.split, "probes": len(PROBES), "rows": rows}, indent=1),
        encoding="utf-8",
    )
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
