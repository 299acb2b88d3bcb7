"""The answer types: what ``ask`` returns and ``docqa ask --json`` prints."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Passage:
    """A cited span of one document.

    ``document.text[start:end] == text`` always holds; ``highlights`` are ``(start, end)``
    spans inside the same text (the answering sentences), best first. ``score`` orders the
    passages of one answer; ``confidence`` is the probability that the passage answers.
    """

    doc_id: str
    title: str
    section: tuple[str, ...]
    page: int | None
    start: int
    end: int
    text: str
    score: float
    highlights: tuple[tuple[int, int], ...]
    #: Calibrated probability (0..1) that this passage answers the question, when known;
    #: unlike ``score`` (relative to the other passages) it means the same for every answer.
    confidence: float | None = None
    #: The document's format (``pdf``, ``pptx``, ...): says what ``page`` counts (a deck's
    #: slides; :func:`ingest.formats.document.page_name`).
    format: str = ""


@dataclass(frozen=True)
class Answer:
    """Ranked passages for a question, or an abstention with the nearest passages.

    Attributes:
        question: The question as asked.
        passages: Best first. When ``abstained`` they are the nearest, shown for inspection.
        abstained: True when nothing in the documents answers the question.
        elapsed_ms: Time spent answering.
    """

    question: str
    passages: tuple[Passage, ...]
    abstained: bool
    elapsed_ms: float

    @property
    def answer_sentence(self) -> str | None:
        """The top passage's first highlighted sentence, unless the answer abstained."""
        if self.abstained or not self.passages or not self.passages[0].highlights:
            return None
        top = self.passages[0]
        a, b = top.highlights[0]
        return top.text[a - top.start : b - top.start]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict whose keys are the dataclass fields."""
        return asdict(self)
