"""Chunk size and overlap, measured: SciFact train nDCG@10 and the article's tuning questions.

Builds one SciFact index and one article index per setting (sentence vectors come from a copy
of the default index's embedding cache, so only chunk vectors are embedded again), then prints
one row per setting. Uses the train split and ``bench/data/article_dev.jsonl`` only: this is
where the chunk size is chosen, not where it is checked.

    python -m bench.chunking [--sizes 400,600,800,1000,1200] [--overlaps 0,1]
        [--paragraph-sizes 1200] [--json]
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def settings_grid(
    sizes: list[int], overlaps: list[int], paragraph_sizes: Sequence[int] = ()
) -> list[tuple[int, int, bool]]:
    """Every size with no overlap, then the default size (800) with each other overlap, then
    chunks that follow paragraphs at each of ``paragraph_sizes``."""
    grid = [(size, 0, False) for size in sizes]
    grid += [(800, overlap, False) for overlap in overlaps if overlap]
    grid += [(size, 0, True) for size in paragraph_sizes]
    return grid


def seeded_index(folder: Path, cache_from: Path) -> Path:
    """``folder``, with a copy of ``cache_from``'s embedding cache when it is new."""
    if not folder.exists() and (cache_from / "cache").is_dir():
        folder.mkdir(parents=True)
        shutil.copytree(cache_from / "cache", folder / "cache")
    return folder


def measure(
    max_chars: int,
    overlap: int,
    *,
    scifact: Path,
    split: str,
    dev: Path,
    out: Path,
    paragraphs: bool = False,
) -> dict[str, Any]:
    """One row: chunk counts, SciFact figures and the article's tuning-question figures."""
    from bench.quality import article_figures, scifact_figures
    from ingest.sync.pipeline import Ingestor, ingest
    from ingest.text.chunker import ChunkSettings
    from retrieval.eval.beir_index import beir_documents
    from retrieval.retriever import Retriever

    chunking = ChunkSettings(max_chars=max_chars, overlap_sentences=overlap, paragraphs=paragraphs)
    name = f"{max_chars}-{overlap}" + ("-paragraphs" if paragraphs else "")
    sci_index = seeded_index(out / "chunking" / f"scifact-{name}", out / "scifact-index")
    Ingestor(sci_index, chunking=chunking).sync_documents(beir_documents(scifact), prune=True)
    sci = Retriever(sci_index)
    art_index = out / "chunking" / f"article-{name}"
    ingest([ROOT / "corpus"], index=art_index, chunking=chunking)
    art = Retriever(art_index)
    figures = scifact_figures(sci, scifact, split, abstention=False)
    dev_figures = article_figures(art, [dev])
    return {
        "max_chars": max_chars,
        "overlap_sentences": overlap,
        "paragraphs": paragraphs,
        "scifact_chunks": len(sci.version.chunks),
        "article_chunks": len(art.version.chunks),
        f"{split} ndcg@10": figures["ndcg@10"],
        f"{split} recall@100": figures["recall@100"],
        "dev hit@1": dev_figures["hit@1"],
        "dev hit@3": dev_figures["hit@3"],
        "dev sentence_hit@1": dev_figures["sentence_hit@1"],
        "dev abstention": dev_figures["abstention_accuracy"],
        "dev false_abstention": dev_figures["false_abstention_rate"],
    }


def main(argv: list[str] | None = None) -> int:
    """Print the chunking table."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from bench.arguments import experiment_parser

    parser = experiment_parser(__doc__)
    parser.add_argument("--dev", type=Path, default=ROOT / "bench" / "data" / "article_dev.jsonl")
    parser.add_argument("--sizes", default="400,600,800,1000,1200")
    parser.add_argument("--overlaps", default="0,1")
    parser.add_argument(
        "--paragraph-sizes", default="1200", help="sizes of chunks that follow paragraphs"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from bench.quality import build_indexes, markdown_table

    build_indexes(args.scifact, args.out)  # the default index whose cache the others copy
    grid = settings_grid(
        [int(s) for s in args.sizes.split(",") if s],
        [int(o) for o in args.overlaps.split(",") if o],
        [int(s) for s in args.paragraph_sizes.split(",") if s],
    )
    rows = []
    for max_chars, overlap, paragraphs in grid:
        row = measure(
            max_chars,
            overlap,
            scifact=args.scifact,
            split=args.split,
            dev=args.dev,
            out=args.out,
            paragraphs=paragraphs,
        )
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    print(json.dumps(rows, indent=1) if args.json else markdown_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
