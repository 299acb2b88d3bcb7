"""Ingest figures on SciFact: first ingest, unchanged re-ingest, one changed document.

The corpus is exported as one text file per record and ingested as a folder, the way
``docqa ingest`` is used. Printed figures (seconds, and what was embedded):

1. first ingest into an empty index (loads the model, embeds every chunk);
2. re-ingest of the unchanged folder (target: under 5% of the first);
3. one document changed, in the same process (target: under 2 s);
4. the same two syncs as ``docqa ingest`` commands in a new process (which must import
   the libraries and, to embed the changed chunk, load the model);
5. OCR (``--part ocr``): a 20-page scanned PDF made on the spot (the bundled article
   typeset in Helvetica 11 pt, rendered at 200 dpi, a PDF of the pictures) is loaded with
   an empty OCR cache (pages per second on this machine's 2 cores, loading the engine
   included, and the character error rate against the typeset text), then again from the
   cache; and the same 20 pages as a PDF with a text layer (no page needs OCR).

Each figure is given as wall-clock and CPU seconds: on a shared machine the wall clock
grows with the load (printed as ``load_average``), the CPU time much less.

Run: ``make bench-ingest`` or ``python -m bench.ingest [--folder F] [--work DIR] [--part
scifact|ocr|all]``; ``--keep-index`` reuses the index of an earlier run and measures only the
re-ingests. Takes several minutes of CPU (the first ingest embeds ~13,000 chunks; OCR reads
each page in a few seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed_cli(argv: list[str]) -> tuple[float, float, dict[str, Any]]:
    """Run ``docqa ARGV --json`` in a new process: (wall seconds, CPU seconds, report)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ui.cli", *argv, "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    return wall, _children_cpu() - cpu, json.loads(done.stdout)


class _Clock:
    """Wall-clock and CPU seconds of a block (CPU time is less sensitive to a busy machine)."""

    def __enter__(self) -> _Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def _edit(path: Path, n: int) -> None:
    """Change one sentence of a document (the rest of its text stays as it was)."""
    text = path.read_text(encoding="utf-8")
    stamp = time.time_ns()  # a text never embedded before
    path.write_text(text.rstrip("\n") + f" Added by edit {n} at {stamp}.\n", "utf-8")


def ocr_figures(work: Path, pages: int = 20) -> dict[str, Any]:
    """Load a ``pages``-page scanned PDF with an empty OCR cache, then from the cache, and
    the same pages with a text layer; see the module docstring (part 5)."""
    import io

    from pypdf import PdfReader, PdfWriter

    from bench.scans import character_error_rate, prose_pages, scan, scanned_pdf, typeset
    from ingest.formats.loaders import parse_document
    from ingest.formats.ocr.reader import PageReader

    article = (ROOT / "corpus" / "kazakhstan-brics-refusal.md").read_text(encoding="utf-8")
    texts = prose_pages(article, pages)
    work.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(work / "ocr-cache", ignore_errors=True)
    scanned = scanned_pdf(work / "scanned.pdf", [scan(t, size=11) for t in texts])
    merged = PdfWriter()
    for t in texts:
        merged.add_page(PdfReader(io.BytesIO(typeset(t, size=11))).pages[0])
    layered = work / "layered.pdf"
    with layered.open("wb") as handle:
        merged.write(handle)

    def load(path: Path) -> tuple[_Clock, Any, PageReader]:
        reader = PageReader(cache_dir=work / "ocr-cache")
        with _Clock() as clock:
            document = parse_document(path, path.name, path.read_bytes(), ocr=reader)
        return clock, document, reader

    cold, document, reader = load(scanned)
    warm, _, again = load(scanned)
    text_layer, _, layered_reader = load(layered)
    rates = [
        character_error_rate(document.text[p.start : p.end], " ".join(t))
        for p, t in zip(document.pages, texts, strict=True)
    ]
    return {
        "ocr_pages": pages,
        "ocr_pages_read": reader.pages_read,
        "ocr_s": round(cold.wall, 1),
        "ocr_cpu_s": round(cold.cpu, 1),
        "ocr_pages_per_s": round(pages / cold.wall, 3),
        "ocr_s_per_page": round(cold.wall / pages, 2),
        "ocr_cer_mean": round(sum(rates) / len(rates), 4),
        "ocr_cer_worst_page": round(max(rates), 4),
        "ocr_cached_s": round(warm.wall, 2),
        "ocr_cached_pages_read": again.pages_read,
        "text_layer_pdf_s": round(text_layer.wall, 3),
        "text_layer_pages_read": layered_reader.pages_read,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folder", default=str(ROOT.parent / "shared/eval/beir/scifact"))
    parser.add_argument("--work", default=str(ROOT / ".docqa/bench-ingest"))
    parser.add_argument("--model", default=None, help="embedding model (default: packaged)")
    parser.add_argument(
        "--keep-index",
        action="store_true",
        help="reuse the index of an earlier run: measure only the re-ingest figures",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--part",
        choices=("scifact", "ocr", "all"),
        default="all",
        help="SciFact's ingest figures, OCR's, or both (default)",
    )
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {}
    if args.part in ("scifact", "all"):
        figures |= scifact_figures(args)
    if args.part in ("ocr", "all"):
        figures |= ocr_figures(Path(args.work) / "ocr")
    figures["load_average"] = round(os.getloadavg()[0], 1)
    if args.json:
        print(json.dumps(figures))
    else:
        width = max(map(len, figures))
        for key, value in figures.items():
            print(f"{key:<{width}}  {value}")
    return 0


def scifact_figures(args: argparse.Namespace) -> dict[str, Any]:
    """Parts 1 to 4 of the module docstring, on the folder ``args.folder``."""

    from ingest.embedding.factory import make_embedder
    from ingest.sync.pipeline import Ingestor
    from retrieval.eval.beir import export_corpus

    work = Path(args.work)
    files, index = work / "scifact", work / "index"
    if not args.keep_index:
        shutil.rmtree(index, ignore_errors=True)
    n_files = export_corpus(Path(args.folder), files)
    victim = files / sorted(p.name for p in files.glob("*.txt"))[n_files // 2]
    embedder = make_embedder(args.model)
    ingestor = Ingestor(index, embedder=embedder)

    with _Clock() as first_t:
        first = ingestor.run([files])  # with --keep-index: brings the index up to date
    if args.keep_index:
        embedder.embed(["load the model, as the first ingest would have"])
    with _Clock() as again_t:
        again = ingestor.run([files])
    _edit(victim, 1)
    with _Clock() as one_t:
        one = ingestor.run([files])
    cli_again_s, cli_again_cpu, cli_again = _timed_cli(
        ["ingest", str(files), "--index", str(index)]
    )
    _edit(victim, 2)
    cli_one_s, cli_one_cpu, cli_one = _timed_cli(["ingest", str(files), "--index", str(index)])
    export_corpus(Path(args.folder), files)  # undo the edits for the next run

    figures: dict[str, Any] = {"documents": first.n_documents, "chunks": first.n_chunks}
    if not args.keep_index:
        figures["first_ingest_s"] = round(first_t.wall, 2)
        figures["first_ingest_cpu_s"] = round(first_t.cpu, 2)
        figures["first_embedded"] = first.chunks_embedded
    share = None if args.keep_index else round(again_t.wall / first_t.wall, 5)
    figures |= {
        "unchanged_reingest_s": round(again_t.wall, 3),
        "unchanged_reingest_cpu_s": round(again_t.cpu, 3),
        "unchanged_share_of_first": share,
        "unchanged_embedded": again.chunks_embedded,
        "one_changed_s": round(one_t.wall, 3),
        "one_changed_cpu_s": round(one_t.cpu, 3),
        "one_changed_embedded": one.chunks_embedded,
        "one_changed_updated": list(one.updated),
        "cli_unchanged_s": round(cli_again_s, 2),
        "cli_unchanged_cpu_s": round(cli_again_cpu, 2),
        "cli_unchanged_embedded": cli_again["chunks_embedded"],
        "cli_one_changed_s": round(cli_one_s, 2),
        "cli_one_changed_cpu_s": round(cli_one_cpu, 2),
        "cli_one_changed_embedded": cli_one["chunks_embedded"],
    }
    return figures


if __name__ == "__main__":
    sys.exit(main())
