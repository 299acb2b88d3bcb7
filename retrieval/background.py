"""How much a question's words say, weighed by the language, never by the index.

A word's weight is how rare it is in English (its frequency from ``wordfreq``: ``-ln f``,
from about 3 for "the" to 18.4 for a word it has never seen). Unlike an index's own IDF it
is the same whatever else is indexed, so a probability built on it does not move when
unrelated documents are added (:mod:`retrieval.confidence`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Collection

from ingest.index.sparse import Tokenizer

#: The frequency given to words the language table has never seen (weight 18.4).
UNSEEN = 1e-8
LANGUAGE = "en"


@functools.lru_cache(maxsize=65_536)
def word_weight(word: str) -> float:
    """``-ln`` of the word's frequency in English (higher: rarer, says more).

    Example:
        >>> word_weight("the") < word_weight("population") < word_weight("xylophonist")
        True
    """
    from wordfreq import word_frequency

    return -math.log(max(word_frequency(word, LANGUAGE), UNSEEN))


def question_weights(tokenizer: Tokenizer, question: str) -> dict[str, float]:
    """The question's content terms (stemmed as the index stems them), each weighed by its
    rarest written form; all its terms when it has no content word."""
    pairs = tokenizer.content_words(question)
    if not pairs:
        pairs = [(t, t) for t in tokenizer(question)]
    weights: dict[str, float] = {}
    for word, term in pairs:
        weights[term] = max(weights.get(term, 0.0), word_weight(word))
    return weights


def covered(weights: dict[str, float], terms: Collection[str]) -> float:
    """The weighted share (0..1) of the question's terms that ``terms`` holds.

    Example:
        >>> covered({"popul": 11.5, "kazakhstan": 12.5}, {"kazakhstan", "steppe"})
        0.5208333333333334
    """
    total = sum(weights.values())
    if not total:
        return 0.0
    return sum(w for t, w in weights.items() if t in terms) / total
