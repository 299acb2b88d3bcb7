"""docqa's hand-built BM25 matrix (:func:`bm25_scores`, :meth:`SparseIndex.from_tokens`) against
the one bm25s builds itself, on seeded texts.

docqa sets bm25s's score matrix from outside (bm25s has no API to take one), so nothing in
bm25s checks it. These tests build the reference with bm25s's own ``index()``, the same
parameters (Lucene BM25, k1=1.5, b=0.75) and the same tokenisation (docqa's
:class:`Tokenizer`, a word-less text as the one token ``EMPTY_TOKEN``), and compare the
matrices entry by entry, the scores of queries and their rankings; then the same for a
version built incrementally from the previous version's tokens, in memory and through a
real ingest.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import pytest

from ingest.index.rows import SectionRows
from ingest.index.sparse import SparseIndex, SparseSettings, Tokenizer
from ingest.index.store import load_tokens, load_version
from ingest.index.tokens import EMPTY_TOKEN, TokenTable, assemble_tokens, bm25_scores
from ingest.sync.pipeline import Ingestor
from ingest.text.chunker import ChunkSettings
from tests.support.fakes import FakeEmbedder

K1, B = 1.5, 0.75  # bm25s's defaults, which SparseIndex uses
SETTINGS = SparseSettings()  # English Snowball stemmer, stop words dropped
# float32 scores: both sides round to float32, at different steps (bm25s keeps the IDF in
# float32, docqa rounds once at the end), so they may differ in the last bit or two.
RTOL, ATOL = 1e-6, 1e-6
TOP_K = 10
# Several chunks per section, so that section BM25 joins chunks' tokens.
SMALL_CHUNKS = ChunkSettings(max_chars=200)

# Words with a few stems each, so stemming merges them; stop words, dropped; rare words.
COMMON = [
    "lighthouse",
    "lighthouses",
    "keeper",
    "keepers",
    "keeping",
    "storm",
    "storms",
    "stormy",
    "ship",
    "ships",
    "shipping",
    "harbour",
    "light",
    "lights",
    "lighting",
    "tower",
    "granite",
    "lamp",
    "lamps",
    "sea",
    "run",
    "running",
    "runs",
]
MIDDLE = [f"term{n}" for n in range(150)]
RARE = [f"rare{n}z" for n in range(400)]
STOP = ["the", "a", "of", "and", "is", "was", "it", "to", "in", "on", "at", "by"]
QUERIES = (
    "lighthouse keeper",
    "Lighthouses KEEPING storms",  # case and stems
    "storm storm storm granite",  # a repeated term counts each time
    "running ships in the harbour",
    "term3 term17 term149 rare5z",
    "rare399z",  # in at most a doc or two
    "a word no text has",  # nothing indexed: all zeros
    "the of and",  # only stop words: all zeros
)


def _texts(seed: int, n: int) -> list[str]:
    """``n`` short texts (0-40 words), plus a word-less one and a stop-words-only one."""
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        words = []
        for _ in range(rng.randint(0, 40)):
            pick = rng.random()
            pool = COMMON if pick < 0.3 else STOP if pick < 0.45 else MIDDLE if pick < 0.9 else RARE
            words.append(rng.choice(pool))
        texts.append(" ".join(words) + rng.choice([".", "!", ""]))
    texts[3] = ""
    texts[7] = "The a of. I, 1"  # only stop words and one-character tokens: no word
    texts[11] = texts[12] = texts[10]  # duplicates: tied scores
    return texts


def _reference(texts: Sequence[str]) -> bm25s.BM25:
    """bm25s's own index of ``texts``, tokenised as docqa tokenises them."""
    tokenizer = Tokenizer(SETTINGS)
    model = bm25s.BM25(k1=K1, b=B, method="lucene", idf_method="lucene")
    model.index([tokenizer(t) or [EMPTY_TOKEN] for t in texts], show_progress=False)
    return model


def _reference_scores(model: bm25s.BM25, query: str, n_docs: int) -> np.ndarray:
    ids = model.get_tokens_ids(Tokenizer(SETTINGS)(query))
    if not ids:
        return np.zeros(n_docs, dtype=np.float32)
    return np.asarray(model.get_scores_from_ids(ids))


def _dense(scores: dict[str, Any], columns: Sequence[int]) -> np.ndarray:
    """Documents x vocabulary matrix of a bm25s-layout score dict, columns in the given order."""
    indptr = np.asarray(scores["indptr"], dtype=np.int64)
    out = np.zeros((scores["num_docs"], len(indptr) - 1), dtype=np.float64)
    column = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    out[np.asarray(scores["indices"]), column] = scores["data"]
    return out[:, list(columns)]


def _table(texts: Sequence[str]) -> TokenTable:
    return assemble_tokens(texts, [None] * len(texts), None, Tokenizer(SETTINGS))


def _top(scores: np.ndarray) -> list[int]:
    """The top of a ranking, ordered as the retriever orders (stable: ties by row)."""
    return [int(i) for i in np.argsort(-scores, kind="stable")[:TOP_K]]


def _assert_same_scores(ours: SectionRows, reference: bm25s.BM25, n_docs: int) -> float:
    """Every query scores and ranks alike; returns the largest absolute difference."""
    worst = 0.0
    for query in QUERIES:
        mine, theirs = ours.scores(query), _reference_scores(reference, query, n_docs)
        assert mine.shape == theirs.shape == (n_docs,)
        assert np.allclose(mine, theirs, rtol=RTOL, atol=ATOL), query
        assert _top(mine) == _top(theirs), query
        worst = max(worst, float(np.abs(mine.astype(np.float64) - theirs).max()))
    return worst


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return _texts(seed=20240611, n=400)


def test_the_hand_built_matrix_equals_bm25s_entry_by_entry(texts: list[str]) -> None:
    table = _table(texts)
    reference = _reference(texts)
    # bm25s adds "" (no column) for empty queries; docqa's tokenizer never yields it.
    assert set(reference.vocab_dict) - {""} == set(table.vocab)
    assert EMPTY_TOKEN in table.vocab  # the word-less texts are in the index, as one token
    ours = bm25_scores(table, k1=K1, b=B)
    assert ours["num_docs"] == reference.scores["num_docs"] == len(texts)
    mine = _dense(ours, range(len(table.vocab)))
    theirs = _dense(reference.scores, [reference.vocab_dict[t] for t in table.vocab])
    assert np.array_equal(mine != 0, theirs != 0)  # the same entries ...
    assert np.allclose(mine, theirs, rtol=RTOL, atol=ATOL)  # ... with the same scores
    # Each document's tokens were all counted (the stems of its words), none elsewhere.
    assert np.array_equal(
        (mine != 0).sum(axis=1), [len(set(table.row(i))) for i in range(len(table))]
    )


def test_query_scores_and_rankings_equal_bm25s(texts: list[str]) -> None:
    reference = _reference(texts)
    hand_built = SparseIndex.from_tokens(_table(texts), SETTINGS)
    by_bm25s = SparseIndex.build(texts, SETTINGS)  # docqa's other path: bm25s's index()
    assert _assert_same_scores(hand_built, reference, len(texts)) < 1e-5
    assert _assert_same_scores(by_bm25s, reference, len(texts)) == 0.0
    for query in QUERIES[-2:]:  # nothing indexed: nothing scores
        assert not hand_built.scores(query).any()
    lighthouse = hand_built.scores("lighthouse")
    assert lighthouse[3] == lighthouse[7] == 0.0  # the word-less texts score nothing
    assert lighthouse[10] == lighthouse[11] == lighthouse[12]  # duplicates tie exactly


def test_idf_equals_the_lucene_formula(texts: list[str]) -> None:
    table = _table(texts)
    index = SparseIndex.from_tokens(table, SETTINGS)
    rows = [set(table.row(i)) for i in range(len(table))]
    terms = ["lighthous", "storm", "term3", "rare5z", "absent"]
    idf = index.idf(terms)
    for term in terms:
        df = sum(table.vocab.index(term) in r for r in rows) if term in table.vocab else 0
        n = len(texts)
        assert idf[term] == pytest.approx(np.log(1 + (n - df + 0.5) / (df + 0.5)), rel=1e-12)


def test_a_version_built_from_the_previous_tokens_equals_one_from_scratch(
    texts: list[str],
) -> None:
    tokenizer = Tokenizer(SETTINGS)
    previous = _table(texts)
    rng = random.Random(5)
    # The next version: a third of the texts gone (among them the only ones holding some
    # rare words), a few edited, the rest kept in a shuffled order, and new texts.
    kept = sorted(rng.sample(range(len(texts)), k=2 * len(texts) // 3))
    rng.shuffle(kept)
    edited = set(kept[:15])
    new_texts = _texts(seed=99, n=120)
    current: list[str] = []
    reuse: list[int | None] = []
    for row in kept:
        if row in edited:
            current.append(texts[row] + " harbour lights term150 brandnewword")
            reuse.append(None)
        else:
            current.append(texts[row])
            reuse.append(row)
    current += new_texts
    reuse += [None] * len(new_texts)

    incremental = assemble_tokens(current, reuse, previous, tokenizer)
    scratch = _table(current)
    assert len(incremental) == len(scratch) == len(current)
    for i in range(len(current)):
        assert [incremental.vocab[t] for t in incremental.row(i)] == [
            scratch.vocab[t] for t in scratch.row(i)
        ]
    # Tokens no kept row uses are dropped from the vocabulary, so their IDF is not stale.
    assert sorted(incremental.vocab) == sorted(scratch.vocab)
    dropped = set(previous.vocab) - set(scratch.vocab)
    assert dropped  # the case is exercised

    from_previous = SparseIndex.from_tokens(incremental, SETTINGS)
    from_scratch = SparseIndex.from_tokens(scratch, SETTINGS)
    for query in (*QUERIES, "brandnewword term150", " ".join(sorted(dropped)[:5])):
        # Same counts and lengths, so the same float operations: equal to the bit.
        assert np.array_equal(from_previous.scores(query), from_scratch.scores(query)), query
    assert from_previous.idf(sorted(dropped)) == from_scratch.idf(sorted(dropped))
    assert _assert_same_scores(from_previous, _reference(current), len(current)) < 1e-5


def _write_notes(folder: Path, seed: int, names: Sequence[str]) -> None:
    """Markdown notes of one to three sections, each of a few sentences."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        parts = [f"# {rng.choice(COMMON).capitalize()}"]
        for n in range(rng.randint(1, 3)):
            parts.append(f"## Part {n} {rng.choice(MIDDLE)}")
            for _ in range(rng.randint(1, 4)):
                words = [rng.choice(COMMON + MIDDLE + RARE) for _ in range(rng.randint(3, 25))]
                parts.append(" ".join(words).capitalize() + ".")
        (folder / name).write_text("\n\n".join(parts) + "\n")


def test_an_ingested_version_scores_as_bm25s_on_its_chunks(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    _write_notes(docs, seed=1, names=[f"note{n:02d}.md" for n in range(30)])
    index = tmp_path / "index"
    Ingestor(index, embedder=FakeEmbedder(), chunking=SMALL_CHUNKS).run([docs])
    # The next version: edited, removed and new notes; the rest reuse their tokens.
    _write_notes(docs, seed=2, names=["note03.md", "note04.md", "new1.md", "new2.md"])
    for name in ("note10.md", "note11.md"):
        (docs / name).unlink()
    report = Ingestor(index, embedder=FakeEmbedder(), chunking=SMALL_CHUNKS).run([docs], prune=True)
    assert report.chunks_reused > 0 and report.removed and report.added
    version = load_version(index)
    texts = [c.text for c in version.chunks]
    tokens = load_tokens(version)
    assert tokens is not None and len(tokens) == len(texts)
    # The loaded (memory-mapped) chunk BM25 against bm25s over the chunks' texts.
    assert isinstance(version.sparse, SparseIndex)
    assert _assert_same_scores(version.sparse, _reference(texts), len(texts)) < 1e-5
    # Section BM25 is built from the chunks' tokens; against bm25s over the sections' text.
    sections: dict[int, list[str]] = {}
    for row, section in enumerate(version.sections):
        sections.setdefault(int(section), []).append(texts[row])
    assert sorted(sections) == list(range(len(sections)))
    assert len(texts) > len(sections) > len(version.documents)  # the case is exercised
    section_texts = [" ".join(sections[s]) for s in range(len(sections))]
    assert (
        _assert_same_scores(version.section_sparse, _reference(section_texts), len(section_texts))
        < 1e-5
    )
    # And the same as a from-scratch build of the same documents.
    fresh = tmp_path / "fresh"
    Ingestor(fresh, embedder=FakeEmbedder(), chunking=SMALL_CHUNKS).run([docs])
    rebuilt = load_version(fresh)
    key = {(c.doc_id, c.start, c.end): row for row, c in enumerate(rebuilt.chunks)}
    assert len(key) == len(texts)
    order = [key[(c.doc_id, c.start, c.end)] for c in version.chunks]  # rows differ in order
    for query in QUERIES:
        assert np.array_equal(version.sparse.scores(query), rebuilt.sparse.scores(query)[order])
