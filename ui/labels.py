"""How a passage is named to people, in the chat and in the terminal alike: its section path,
and what its calibrated probability says ("likely answers · 82%")."""

from __future__ import annotations

from ingest.formats.document import page_name
from retrieval.types import Passage

#: A card reads "likely answers" when the calibrated probability that its passage answers is
#: at least this (more likely than not) ...
LIKELY_ANSWERS = 0.5
#: ... "may answer" from this up, and "related" below it.
MAY_ANSWER = 0.2


def section_label(passage: Passage) -> str:
    """The section path for display, without a leading heading that repeats the title."""
    path = passage.section
    if len(path) > 1 and path[0] == passage.title:
        path = path[1:]
    return " › ".join(path)


def page_label(passage: Passage) -> str:
    """Where in its document the passage is, for display: ``page 3``, or ``slide 3`` in a
    deck; empty for a document without pages."""
    if passage.page is None:
        return ""
    return f"{page_name(passage.format)} {passage.page}"


def confidence_label(confidence: float | None) -> str:
    """What a card says about its passage: ``likely answers · 82%``, ``may answer · 31%`` or
    ``related · 4%`` (thresholds :data:`LIKELY_ANSWERS`, :data:`MAY_ANSWER`; the percentage
    kept within 1..99); empty when the probability is unknown. Never the fused score, which
    only orders one answer's passages."""
    if confidence is None:
        return ""
    if confidence >= LIKELY_ANSWERS:
        label = "likely answers"
    elif confidence >= MAY_ANSWER:
        label = "may answer"
    else:
        label = "related"
    # A model's probability is never certainty: shown within 1%..99%.
    return f"{label} · {min(99, max(1, round(confidence * 100)))}%"
