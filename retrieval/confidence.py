"""How likely a passage is to answer: one calibrated probability, the same whatever else is
indexed.

Its inputs describe the question and the passage alone; adding unrelated documents to the
index changes none of them:

- ``logit``: the cross-encoder's best logit over the passage's few sentences nearest the
  question (chosen by cosine and background-weighted word overlap, so the same sentences
  whatever else is indexed; it reads the question with each);
- ``sentence``: the best cosine between the question and one of the passage's sentences;
- ``chunk``: the cosine between the question and the whole passage;
- ``coverage``: the share of the question's content words the passage holds, each weighed by
  how rare it is in the language (:mod:`retrieval.background`), not in the index;
- ``named``: the share of the names the question uses ("Kazakhstan", "BRICS") that the
  passage's document holds (:mod:`retrieval.names`; 1 when it uses none).

A :class:`Head` is a logistic model over some of them: ``P = sigmoid(bias + w . x)``. The
``reader`` head (all five) labels the first card and decides when the cross-encoder reads;
the ``first_stage`` head (no logit) when it does not (``AskSettings(reader="none")``). Each
has a ``_lower`` twin for the cards below the first: a passage the reader put second is less
often the one that answers than a first passage that looks the same (on long papers several
passages of one article look alike and one holds the answer), and a head fitted on first
cards alone showed half of those lower cards as "likely". All four are fitted by ``python -m
training --step confidence`` on questions over documents that hold their answer and over
documents that do not, folds by article, and written with the abstention thresholds to
``confidence.json`` beside the cross-encoder.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.rerank.scorer import MODEL_DIR, ScorerModelError, read_model_json

#: Every input a head may use, in this order.
FEATURES = ("logit", "sentence", "chunk", "coverage", "named")
#: The fitted heads (``python -m training --step confidence`` writes it).
CONFIDENCE_FILE = MODEL_DIR / "confidence.json"
_FIX = "reinstall docqa, or rebuild it: python -m training --step confidence"


@dataclass(frozen=True)
class Head:
    """A logistic model of the probability that a passage answers.

    Attributes:
        features: The inputs it reads (names from :data:`FEATURES`).
        weights: One weight per feature.
        bias: The intercept.
        threshold: Below this probability for the first passage, the answer abstains.
    """

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float

    def probabilities(self, inputs: Mapping[str, np.ndarray]) -> np.ndarray:
        """One probability per passage; ``inputs`` maps each feature to one value per
        passage.

        Example:
            >>> head = Head(("sentence",), (10.0,), -5.0, 0.3)
            >>> head.probabilities({"sentence": np.array([0.5, 0.2])}).round(3)
            array([0.5  , 0.047])
        """
        z = np.full(len(next(iter(inputs.values()))) if inputs else 0, self.bias)
        for name, weight in zip(self.features, self.weights, strict=True):
            z = z + weight * np.asarray(inputs[name], dtype=np.float64)
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))

    def as_dict(self) -> dict[str, object]:
        """The head as ``confidence.json`` holds it."""
        return {
            "features": list(self.features),
            "weights": [round(w, 6) for w in self.weights],
            "bias": round(self.bias, 6),
            "threshold": round(self.threshold, 4),
        }


@dataclass(frozen=True)
class ConfidenceModel:
    """The two fitted heads: with the cross-encoder's logit, and without it.

    Attributes:
        reader: The head of a first passage the cross-encoder read (its threshold decides).
        first_stage: The head of a first passage it did not read (the fast path).
        reader_lower: The ``reader`` head's twin for the cards below the first.
        first_stage_lower: The ``first_stage`` head's twin for the cards below the first.
        sentences: How many of each passage's sentences the cross-encoder reads for its
            ``logit`` (the heads were fitted with this many).
    """

    reader: Head
    first_stage: Head
    reader_lower: Head
    first_stage_lower: Head
    sentences: int = 3


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _head(data: object, name: str, path: Path) -> Head:
    problem = f"the confidence model {path} has no valid {name!r} head"
    if not isinstance(data, dict):
        raise ScorerModelError(f"{problem}; {_FIX}")
    features, weights = data.get("features"), data.get("weights")
    bias, threshold = _number(data.get("bias")), _number(data.get("threshold"))
    if (
        not isinstance(features, list)
        or not isinstance(weights, list)
        or len(features) != len(weights)
        or any(f not in FEATURES for f in features)
        or any(_number(w) is None for w in weights)
        or bias is None
        or threshold is None
        or not 0.0 <= threshold <= 1.0
    ):
        raise ScorerModelError(f"{problem} (features, weights, bias, threshold 0..1); {_FIX}")
    return Head(tuple(features), tuple(float(w) for w in weights), bias, threshold)


def load_confidence(path: Path | None = None) -> ConfidenceModel:
    """The fitted heads in ``path`` (by default the shipped ``confidence.json``).

    Raises:
        ScorerModelError: the file is missing, unreadable or lacks a valid head; the message
            names the file and the fix.
    """
    path = path or CONFIDENCE_FILE
    data = read_model_json(path, "the confidence model", _FIX)
    if not isinstance(data, dict):
        raise ScorerModelError(f"the confidence model {path} is not a JSON object; {_FIX}")
    reader = _head(data.get("reader"), "reader", path)
    if "logit" not in reader.features:
        raise ScorerModelError(f"the confidence model {path}'s reader head lacks 'logit'; {_FIX}")
    first_stage = _head(data.get("first_stage"), "first_stage", path)
    reader_lower = _head(data.get("reader_lower"), "reader_lower", path)
    first_stage_lower = _head(data.get("first_stage_lower"), "first_stage_lower", path)
    sentences = data.get("sentences")
    if isinstance(sentences, bool) or not isinstance(sentences, int) or sentences < 1:
        raise ScorerModelError(
            f"the confidence model {path} has sentences={sentences!r}, where a whole number "
            f"1 or more is needed; {_FIX}"
        )
    return ConfidenceModel(reader, first_stage, reader_lower, first_stage_lower, sentences)


@functools.cache
def shipped_confidence() -> ConfidenceModel:
    """:func:`load_confidence` of the shipped file, read once per process."""
    return load_confidence()


def non_increasing(probabilities: Sequence[float]) -> list[float]:
    """The probabilities as shown down a list of cards: none above the card before it.

    The reader's order stands (it ranks better than the probability alone); a passage it put
    lower is never shown as likelier than one above it, so the cards' order is the order of
    their percentages.

    Example:
        >>> non_increasing([0.7, 0.9, 0.2, 0.4])
        [0.7, 0.7, 0.2, 0.2]
    """
    shown: list[float] = []
    for p in probabilities:
        shown.append(min(p, shown[-1]) if shown else p)
    return shown
