"""Stage 4: answer or abstain, from the first stage's calibrated confidence.

Whichever reader read, the decision is the first stage's: the calibrated probability that
its best passage answers (:mod:`retrieval.relevance`) against ``min_relevance``. On held-out
folds the cross-encoder told unanswerable questions apart no better (docs/architecture.md,
"Learned second stage").
"""

from __future__ import annotations

from collections.abc import Sequence


def abstains(confidence: Sequence[float], min_relevance: float) -> bool:
    """True when nothing was found, or when the first stage's best passage (``confidence[0]``,
    in first-stage order) is less likely than ``min_relevance`` to answer.

    Example:
        >>> abstains([0.4, 0.9], 0.61), abstains([0.7], 0.61), abstains([], 0.61)
        (True, False, True)
    """
    return not confidence or confidence[0] < min_relevance
