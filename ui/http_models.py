"""The JSON shapes of the HTTP API (``/v1/...``), as pydantic models.

They describe the wire for the OpenAPI document and check requests; responses are made by the
same serialisers as the CLI's ``--json`` (``Answer.to_dict()``, :func:`ui.documents.document_rows`,
the ingest report's fields), which these models mirror field for field (a test holds it).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from retrieval.inputs import MAX_K, MAX_QUESTION_CHARS
from retrieval.types import Answer, Passage

_STRICT = ConfigDict(extra="forbid", strict=True)
#: A ``[start, end]`` pair (JSON has no tuples; strict models take no list as a tuple).
Span = Annotated[list[int], Field(min_length=2, max_length=2)]


class PassageModel(BaseModel):
    """A cited span of one document; ``text`` is ``document_text[start:end]``."""

    model_config = _STRICT

    doc_id: str
    title: str
    section: list[str] = Field(description="The section path, outermost first.")
    page: int | None = Field(
        description="The page (PDF, picture; a deck's slide, see format), else null."
    )
    start: int
    end: int
    text: str
    score: float = Field(description="Orders the passages of one answer.")
    highlights: list[Span] = Field(
        description="(start, end) of the answering sentences in the document's text, best first."
    )
    confidence: float | None = Field(
        default=None, description="Calibrated probability (0..1) that the passage answers."
    )
    format: str = Field(
        default="",
        description="The document's format (pdf, pptx, md...): a pptx's page is a slide.",
    )

    def to_passage(self) -> Passage:
        """The :class:`~retrieval.types.Passage` this JSON describes."""
        return Passage(
            doc_id=self.doc_id,
            title=self.title,
            section=tuple(self.section),
            page=self.page,
            start=self.start,
            end=self.end,
            text=self.text,
            score=self.score,
            highlights=tuple((a, b) for a, b in self.highlights),
            confidence=self.confidence,
            format=self.format,
        )


class AnswerModel(BaseModel):
    """What ``POST /v1/ask`` returns: the same JSON as ``docqa ask --json``."""

    model_config = _STRICT

    question: str
    passages: list[PassageModel] = Field(description="Best first; the nearest when abstained.")
    abstained: bool = Field(description="True when nothing in the documents answers.")
    elapsed_ms: float


class TurnModel(AnswerModel):
    """An earlier turn of the conversation: the answer ``POST /v1/ask`` returned for it, as
    returned (``elapsed_ms`` may be left out)."""

    elapsed_ms: float = 0.0

    def to_answer(self) -> Answer:
        """The :class:`~retrieval.types.Answer` this turn describes."""
        return Answer(
            question=self.question,
            passages=tuple(p.to_passage() for p in self.passages),
            abstained=self.abstained,
            elapsed_ms=self.elapsed_ms,
        )


class AskRequest(BaseModel):
    """The body of ``POST /v1/ask``."""

    model_config = _STRICT

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    k: int = Field(default=5, ge=1, le=MAX_K, description="Passages to return.")
    documents: list[str] | None = Field(
        default=None,
        description="Only answer from these doc ids (as GET /v1/documents lists them); "
        "null or empty: all documents.",
    )
    history: list[TurnModel] = Field(
        default_factory=list,
        description="The earlier turns of the conversation, oldest first: each the answer "
        "POST /v1/ask returned. A follow-up question is read with them.",
    )
    mode: Literal["hybrid", "dense", "keyword"] | None = Field(
        default=None, description="Search mode (default: hybrid)."
    )
    fast: bool = Field(
        default=False, description="First stage only: skip the cross-encoder (docqa ask --fast)."
    )


class DocumentModel(BaseModel):
    """One indexed document, as ``docqa list --json`` prints it."""

    model_config = _STRICT

    doc_id: str
    title: str
    format: str
    n_chunks: int
    ingested_at: str
    source: str


class UploadOutcomeModel(BaseModel):
    """What happened to one uploaded file."""

    model_config = _STRICT

    name: str = Field(description="The file's sanitised name: its doc id once ingested.")
    status: Literal["added", "updated", "unchanged", "rejected"]
    reason: str = Field(description="Why it was rejected (empty otherwise).")


class UploadResponse(BaseModel):
    """What ``POST /v1/documents`` returns: one outcome per file, rejected files last."""

    model_config = _STRICT

    files: list[UploadOutcomeModel]


class RejectedModel(BaseModel):
    """A file an ingest could not read, and why."""

    model_config = _STRICT

    path: str
    reason: str


class LoadWarningModel(BaseModel):
    """Something left out of a file that was still ingested, and why."""

    model_config = _STRICT

    path: str
    message: str


class RemoveReportModel(BaseModel):
    """What ``DELETE /v1/documents/{doc_id}`` returns: the JSON of ``docqa remove --json``
    without ``index_dir`` (the server's folder is not the client's to know)."""

    model_config = _STRICT

    added: list[str]
    updated: list[str]
    unchanged: list[str]
    removed: list[str]
    rejected: list[RejectedModel]
    renamed: list[Annotated[list[str], Field(min_length=2, max_length=2)]]
    warnings: list[LoadWarningModel] = Field(
        default_factory=list,
        description="What was left out of files that were still ingested (e.g. an attachment).",
    )
    n_documents: int
    n_chunks: int
    chunks_embedded: int
    chunks_reused: int
    sentences_embedded: int
    seconds: float
    version: str | None


class ErrorModel(BaseModel):
    """Every error response: one message that names the problem."""

    model_config = _STRICT

    error: str
