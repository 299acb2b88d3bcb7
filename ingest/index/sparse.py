"""BM25 keyword index (bm25s) with a stemming tokenizer whose settings live in the manifest."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ingest.arrays import HEADER_LOCK
from ingest.index.tokens import TokenTable, bm25_scores

_TOKEN = re.compile(r"(?u)\b\w\w+\b")


@dataclass(frozen=True)
class SparseSettings:
    """Tokenisation for BM25: Snowball stemmer language (or None) and stop-word removal."""

    stemmer: str | None = "english"
    stopwords: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"stemmer": self.stemmer, "stopwords": self.stopwords}


class Tokenizer:
    """Lower-case word tokens, English stop words dropped, Snowball-stemmed."""

    def __init__(self, settings: SparseSettings) -> None:
        self.settings = settings

    @cached_property
    def _stopwords(self) -> frozenset[str]:
        if not self.settings.stopwords:
            return frozenset()
        from bm25s.stopwords import STOPWORDS_EN

        return frozenset(STOPWORDS_EN)

    @cached_property
    def _stemmer(self) -> Any:
        if not self.settings.stemmer:
            return None
        import Stemmer

        return Stemmer.Stemmer(self.settings.stemmer)

    @cached_property
    def _function_words(self) -> frozenset[str]:
        from bm25s.stopwords import STOPWORDS_EN_PLUS

        return frozenset(STOPWORDS_EN_PLUS)

    def __call__(self, text: str) -> list[str]:
        words = [w for w in _TOKEN.findall(text.lower()) if w not in self._stopwords]
        return self._stem(words)

    def content_terms(self, text: str) -> list[str]:
        """Tokens of ``text`` without any function word (question words, auxiliaries,
        pronouns: the longer English list), stemmed like :meth:`__call__`."""
        words = [w for w in _TOKEN.findall(text.lower()) if w not in self._function_words]
        return self._stem(words)

    def content_words(self, text: str) -> list[tuple[str, str]]:
        """Each content word of ``text`` (lower-cased, as written) with its stemmed term, as
        :meth:`content_terms` gives them."""
        words = [w for w in _TOKEN.findall(text.lower()) if w not in self._function_words]
        return list(zip(words, self._stem(words), strict=True))

    def _stem(self, words: list[str]) -> list[str]:
        return list(self._stemmer.stemWords(words)) if self._stemmer else words


class SparseIndex:
    """BM25 scores over a fixed list of texts (one row per chunk)."""

    def __init__(self, model: Any, tokenizer: Tokenizer, size: int) -> None:
        self._model = model
        self.tokenizer = tokenizer
        self.size = size

    @classmethod
    def build(cls, texts: Sequence[str], settings: SparseSettings) -> SparseIndex:
        """Index ``texts`` (row i of the scores is text i)."""
        import bm25s

        tokenizer = Tokenizer(settings)
        tokens = [tokenizer(t) or ["\x00"] for t in texts]
        model = bm25s.BM25()
        if tokens:
            model.index(tokens, show_progress=False)
        return cls(model, tokenizer, len(texts))

    @classmethod
    def from_tokens(cls, table: TokenTable, settings: SparseSettings) -> SparseIndex:
        """Index tokenised chunks (see :mod:`ingest.index.tokens`); same scores as :meth:`build`."""
        import bm25s

        model = bm25s.BM25()
        if len(table):
            if model.method != "lucene" or model.idf_method != "lucene":
                raise RuntimeError(f"bm25s default method is now {model.method!r}, not lucene")
            model.scores = bm25_scores(table, k1=model.k1, b=model.b)
            model.vocab_dict = {token: i for i, token in enumerate(table.vocab)}
            model.unique_token_ids_set = set(model.vocab_dict.values())
            model.nonoccurrence_array = None  # only the bm25l and bm25+ variants use it
        return cls(model, Tokenizer(settings), len(table))

    def save(self, folder: Path) -> None:
        """Write the index as bm25s's plain files (arrays without pickle, JSON)."""
        if self.size:
            self._model.save(str(folder), show_progress=False)
        else:
            folder.mkdir(parents=True, exist_ok=True)

    @classmethod
    def load(cls, folder: Path, settings: SparseSettings, size: int) -> SparseIndex:
        """Load what :meth:`save` wrote; the score matrix is memory-mapped, not read: a query
        pages in the columns of its terms only."""
        import bm25s

        if not size:
            return cls(bm25s.BM25(), Tokenizer(settings), 0)
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        with HEADER_LOCK:
            model = bm25s.BM25.load(str(folder), mmap=True, allow_pickle=False, show_progress=False)
        return cls(model, Tokenizer(settings), size)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row for ``query`` (zeros when no query term is indexed)."""
        if not self.size:
            return np.zeros(0, dtype=np.float32)
        ids = self._model.get_tokens_ids(self.tokenizer(query))
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._model.get_scores_from_ids(ids), dtype=np.float32)

    def idf(self, terms: Sequence[str]) -> dict[str, float]:
        """Lucene-style IDF of each term; a term absent from the corpus gets the highest."""
        n = max(self.size, 1)
        vocab = getattr(self._model, "vocab_dict", None) or {}
        indptr = self._model.scores["indptr"] if self.size else np.zeros(1)
        out = {}
        for term in terms:
            row = vocab.get(term)
            df = int(indptr[row + 1] - indptr[row]) if row is not None else 0
            out[term] = float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))
        return out
