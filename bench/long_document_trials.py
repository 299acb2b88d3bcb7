"""First-stage trials on long documents, each measured on covidqa-train against the baseline.

Every trial changes a loaded index (or the first stage's fusion) in memory, so the baseline
index is built once (``bench/covidqa.py``):

- ``context-stem`` / ``context-line``: each chunk's vector and BM25 text carry its document's
  title (from the file name, or the document's first line) and section path;
- ``boilerplate``: chunks that are mostly header lines (URLs, DOI, licence, authors, dates)
  are left out of the ranking (they stay in the text, for offsets);
- ``doc-mean-W`` / ``doc-head-W``: the cosine of the question to its document (the mean of
  the document's chunk vectors, or the vector of its first 1,000 characters) joins the
  fusion with weight W;
- ``paragraphs``: chunks end at every paragraph break (another index);
- ``w-B_S_C_T``: other fusion weights (chunk BM25, section BM25, chunk and sentence cosine).

    python -m bench.long_document_trials --trials context-stem,doc-mean-0.2 [--paths fast]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.covidqa import ROOT, build_index, load_asked, path_rows
from training import FOLD_MODELS

_HEADER = re.compile(
    r"^\s*(https?://\S+|(DOI|doi)\s*:?.*|Licen[cs]e\s*:.*|SHA\s*:.*|Authors?\s*:.*|Date\s*:.*"
    r"|\d{4}-\d{2}-\d{2}|[^.;\n]+(;[^.;\n]+){2,}|Author Affiliations.*)\s*$"
)


def boilerplate_share(text: str) -> float:
    """Share of the text's characters on header-like lines (URL, DOI, licence, authors)."""
    lines = text.splitlines() or [text]
    flagged = sum(len(line) for line in lines if _HEADER.match(line))
    return flagged / max(1, sum(len(line) for line in lines))


def _title(doc: Any, source: str) -> str:
    if source == "line":
        return doc.text.strip().split("\n", 1)[0][:200]
    return re.sub(r"^\d+-", "", doc.title).replace("-", " ")


def with_context(retriever: Any, source: str, cache: Path) -> Any:
    """Chunk vectors and chunk BM25 rebuilt from ``Title › Section: text``."""
    from ingest.index.dense import DenseIndex
    from ingest.index.sparse import SparseIndex

    version = retriever.version
    docs = version.documents
    titles = {d: _title(docs[d], source) for d in docs}
    texts = []
    for chunk in version.chunks:
        head = " › ".join((titles[chunk.doc_id], *chunk.section))
        texts.append(f"{head}: {chunk.text}")
    path = cache / f"context-{source}.npy"
    if path.exists():
        vectors = np.load(path)
    else:
        vectors = np.asarray(retriever.embedder.embed(texts), dtype=np.float32)
        np.save(path, vectors)
    sparse = SparseIndex.build(texts, version.manifest.sparse)
    clone = retriever.with_settings(retriever.settings)
    clone.version = replace(version, dense=DenseIndex.build(vectors), sparse=sparse)
    clone._first = type(retriever._first)(clone.version, clone.embedder)
    return clone


class _Adjusted:
    """The first stage with its fused scores changed after fusion."""

    def __init__(self, first: Any, adjust: Any) -> None:
        self._first, self._adjust = first, adjust

    def rank(self, question: Any, settings: Any, allowed: Any = None) -> Any:
        ranking = self._first.rank(question, settings, allowed)
        fused = self._adjust(ranking)
        return replace(ranking, fused=fused, order=np.argsort(-fused, kind="stable"))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._first, name)


def with_adjustment(retriever: Any, adjust: Any) -> Any:
    clone = retriever.with_settings(retriever.settings)
    clone._first = _Adjusted(retriever._first, adjust)
    return clone


def without_boilerplate(retriever: Any, share: float = 0.5) -> Any:
    """Chunks mostly made of header lines ranked last."""
    chunks = retriever.version.chunks
    flagged = np.array([boilerplate_share(c.text) >= share for c in chunks])
    print(f"boilerplate chunks: {int(flagged.sum())} of {len(chunks)}", file=sys.stderr)

    def adjust(ranking: Any) -> Any:
        return np.where(flagged[ranking.signals.rows], ranking.fused - 10.0, ranking.fused)

    return with_adjustment(retriever, adjust)


def with_document_signal(retriever: Any, kind: str, weight: float) -> Any:
    """The question's cosine to each candidate's document joins the fusion."""
    from retrieval.fusion import minmax

    version = retriever.version
    doc_rows = np.asarray(version.chunks.doc_rows)
    if kind == "mean":
        vectors = version.dense.reconstruct(np.arange(len(version.chunks)))
        n_docs = int(doc_rows.max()) + 1
        docs = np.zeros((n_docs, vectors.shape[1]), dtype=np.float64)
        np.add.at(docs, doc_rows, vectors)
    else:
        ids = version.documents.ids
        heads = [version.documents[d].text[:1000] for d in ids]
        docs = np.asarray(retriever.embedder.embed(heads), dtype=np.float64)
    docs /= np.linalg.norm(docs, axis=1, keepdims=True)

    def adjust(ranking: Any) -> Any:
        q = retriever._first.question_vector(ranking)
        cos = docs[doc_rows[ranking.signals.rows]] @ np.asarray(q, dtype=np.float64)
        return ranking.fused + weight * minmax(cos)

    return with_adjustment(retriever, adjust)


def paragraph_index(out: Path) -> Path:
    """covidqa-train indexed with chunks ending at every paragraph break (the baseline's
    embedding cache copied, so only new chunk texts are embedded)."""
    from ingest.text.chunker import ChunkSettings

    target = out / "covidqa-index-paragraphs"
    if not target.exists():
        target.mkdir(parents=True)
        shutil.copytree(out / "covidqa-index" / "cache", target / "cache")
    return build_index(out, chunking=ChunkSettings(paragraphs=True), name=target.name)


def trial(name: str, base: Any, out: Path) -> Any:
    """The retriever of trial ``name``."""
    from retrieval.retriever import Retriever

    if name == "baseline":
        return base
    if name.startswith("context-"):
        return with_context(base, name.split("-", 1)[1], out)
    if name == "boilerplate":
        return without_boilerplate(base)
    if name.startswith("doc-"):
        _, kind, weight = name.split("-")
        return with_document_signal(base, kind, float(weight))
    if name.startswith("w-"):  # w-BM25-SECTION-CHUNK-SENTENCE: other fusion weights
        from retrieval.fusion import FusionWeights

        bm25, section, chunk, sentence = (float(x) for x in name[2:].split("_"))
        weights = FusionWeights(bm25=bm25, section=section, chunk=chunk, sentence=sentence)
        return base.with_settings(replace(base.settings, weights=weights))
    if name == "paragraphs":
        return Retriever(paragraph_index(out), embedder=base.embedder)
    raise SystemExit(f"unknown trial {name!r}")


def main(argv: list[str] | None = None) -> int:
    """Print one JSON row per trial."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--trials", default="baseline")
    parser.add_argument("--paths", default="fast")
    parser.add_argument(
        "--fold-models",
        type=Path,
        default=FOLD_MODELS,
        help="the default path's per-fold cross-encoders (each question read by the one "
        "trained without its article)",
    )
    args = parser.parse_args(argv)

    from retrieval.retriever import Retriever

    base = Retriever(build_index(args.out))
    asked = load_asked(base)
    for name in args.trials.split(","):
        retriever = trial(name, base, args.out)
        paths = args.paths.split(",")
        row = {"trial": name, **path_rows(retriever, asked, paths, args.fold_models)}
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
