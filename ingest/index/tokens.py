"""Tokenised chunks kept with each index version, and the BM25 matrix built from them.

Re-tokenising (stemming) every chunk is most of the cost of rebuilding BM25, and a BM25
matrix must be rebuilt whenever the collection changes (document frequencies move). So each
version stores its chunks' token ids; the next version reuses the rows of unchanged chunks,
tokenises only new text, and builds the score matrix with a few vectorised numpy passes.

Files (in ``VERSION/tokens/``): ``vocab.json`` (id -> token), ``ids.npy`` (int32, all
chunks' token ids back to back) and ``offsets.npy`` (int64, chunk i is
``ids[offsets[i]:offsets[i + 1]]``). Plain arrays, no pickle.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest.arrays import load_array

#: The token a chunk without any word is given, so that every row has a length.
EMPTY_TOKEN = "\x00"


@dataclass(frozen=True)
class TokenTable:
    """Token ids of each chunk (row) over one vocabulary."""

    vocab: list[str]
    ids: np.ndarray
    offsets: np.ndarray

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def row(self, i: int) -> np.ndarray:
        """The token ids of chunk ``i``."""
        return self.ids[self.offsets[i] : self.offsets[i + 1]]

    def save(self, folder: Path) -> None:
        """Write the three files into ``folder`` (created)."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False))
        np.save(folder / "ids.npy", self.ids.astype(np.int32), allow_pickle=False)
        np.save(folder / "offsets.npy", self.offsets.astype(np.int64), allow_pickle=False)

    @classmethod
    def load(cls, folder: Path) -> TokenTable | None:
        """What :meth:`save` wrote (the arrays memory-mapped), or None when the folder is
        missing or unusable."""
        try:
            vocab = json.loads((folder / "vocab.json").read_text())
            ids = load_array(folder / "ids.npy", mapped=True)
            offsets = load_array(folder / "offsets.npy", mapped=True)
        except (OSError, ValueError):
            return None
        if not isinstance(vocab, list) or len(offsets) < 1 or offsets[-1] != len(ids):
            return None
        if len(ids) and (ids.min() < 0 or ids.max() >= len(vocab)):
            return None
        return cls(vocab, ids, offsets)


def assemble_tokens(
    texts: Sequence[str],
    reuse: Sequence[int | None],
    previous: TokenTable | None,
    tokenize: Callable[[str], list[str]],
) -> TokenTable:
    """A table for ``texts``: row i is copied from ``previous`` row ``reuse[i]`` when set,
    else tokenised now. Vocabulary entries no row uses any more are dropped.
    """
    vocab = list(previous.vocab) if previous else []
    lookup: dict[str, int] | None = None
    pieces: list[np.ndarray] = []
    lengths = np.zeros(len(texts), dtype=np.int64)
    for i, (text, old) in enumerate(zip(texts, reuse, strict=True)):
        if old is not None and previous is not None:
            piece = previous.row(old)
        else:
            if lookup is None:
                lookup = {token: n for n, token in enumerate(vocab)}
            ids = []
            for token in tokenize(text) or [EMPTY_TOKEN]:
                n = lookup.get(token)
                if n is None:
                    n = lookup[token] = len(vocab)
                    vocab.append(token)
                ids.append(n)
            piece = np.asarray(ids, dtype=np.int32)
        pieces.append(piece)
        lengths[i] = len(piece)
    flat = np.concatenate(pieces).astype(np.int32) if pieces else np.zeros(0, np.int32)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    used = np.zeros(len(vocab), dtype=bool)
    used[flat] = True
    if not used.all():
        remap = np.cumsum(used) - 1
        flat = remap[flat].astype(np.int32)
        vocab = [token for token, keep in zip(vocab, used, strict=True) if keep]
    return TokenTable(vocab, flat, offsets)


def bm25_scores(table: TokenTable, *, k1: float = 1.5, b: float = 0.75) -> dict[str, Any]:
    """The BM25 (Lucene variant) score matrix of a table, token-major (CSC), as bm25s keeps it.

    Returns ``{"data", "indices", "indptr", "num_docs"}``: the scores of token ``t`` are
    ``data[indptr[t]:indptr[t + 1]]`` for the chunks ``indices[indptr[t]:indptr[t + 1]]``.
    """
    n_docs, n_vocab = len(table), len(table.vocab)
    width = max(n_docs, 1)
    lengths = np.diff(table.offsets)
    # One int64 key per token occurrence, sorted in place (token-major, then chunk): the
    # distinct keys are the matrix entries and their run lengths the term frequencies.
    # Working in place keeps the peak near two arrays of the collection's length.
    keys = table.ids.astype(np.int64)
    keys *= width
    keys += np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
    keys.sort()
    first = np.ones(len(keys), dtype=bool)
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    del first
    tf = np.empty(len(starts), dtype=np.float64)
    tf[:-1] = np.diff(starts)
    tf[-1:] = len(keys) - starts[-1:]
    keys = keys[starts]
    del starts
    token = (keys // width).astype(np.int32)
    doc = (keys % width).astype(np.int32)
    del keys
    df = np.bincount(token, minlength=n_vocab)
    idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5))
    avg = float(lengths.mean()) if n_docs else 1.0
    # tf / (k1 * ((1 - b) + b * length / avg) + tf), in place
    denominator = lengths[doc] * b
    denominator /= avg
    denominator += 1 - b
    denominator *= k1
    denominator += tf
    tf /= denominator
    del denominator
    data = idf[token]
    data *= tf
    del tf
    indptr = np.concatenate([[0], np.cumsum(np.bincount(token, minlength=n_vocab))])
    return {
        "data": data.astype(np.float32),
        "indices": doc,
        "indptr": indptr.astype(np.int32),
        "num_docs": n_docs,
    }
