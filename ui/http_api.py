"""The HTTP API that ``docqa serve`` offers beside the chat: ``/v1/ask``, ``/v1/documents``
and the OpenAPI document ``/openapi.json``.

Each route answers with what the matching command prints with ``--json`` (``docqa ask``,
``docqa list``, ``docqa remove``) and uploads go through the chat's own upload path
(:meth:`ui.app.ChatSettings.ingest_uploads`). The work runs in worker threads, never on the
event loop: questions at most two at a time (as the chat's queue), writes one at a time
behind the index's writer lock. The routes are described in ``docs/http-api.md``.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import APIRouter, Depends, FastAPI, File, UploadFile
from fastapi.params import Depends as DependsParam
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ingest.errors import DocqaError, InvalidInputError
from ingest.sync.pipeline import Ingestor
from retrieval import AskSettings, ask
from retrieval.types import Answer
from ui.app import ChatSettings
from ui.documents import document_rows, live_manifest
from ui.http_errors import docqa_error, install_error_handlers
from ui.http_guard import BasicLogin, BodyLimit, same_origin
from ui.http_models import (
    AnswerModel,
    AskRequest,
    DocumentModel,
    ErrorModel,
    RemoveReportModel,
    UploadResponse,
)
from ui.uploads import UploadOutcome, sanitize_filename, upload_cap_bytes

#: Where the API's routes live.
PREFIX = "/v1"
#: The largest JSON body taken (a question with a long history of earlier turns fits).
MAX_JSON_BYTES = 1_000_000
#: Questions answered at once through the API (each keeps a CPU core busy).
ASK_THREADS = 2

_T = TypeVar("_T")
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorModel, "description": text}
    for code, text in {
        400: "The body is not valid JSON.",
        401: "The server was started with --auth and the request has no or another login.",
        403: "Sent by a web page of another site.",
        413: "The body is over the limit.",
        422: "The request does not fit the model, or docqa refused its content.",
        503: "The index cannot be read now (missing, damaged, or busy).",
    }.items()
}


def body_limits(max_upload_mb: float) -> Callable[[str, str], int | None]:
    """The body limit of each API request (an upload's is :func:`upload_cap_bytes`); ``None``
    for the chat's own routes, which Gradio limits."""
    upload_cap = upload_cap_bytes(max_upload_mb)

    def limit_for(method: str, path: str) -> int | None:
        if not (path.startswith(PREFIX + "/") or path == "/openapi.json"):
            return None
        if method == "POST" and path.rstrip("/") == f"{PREFIX}/documents":
            return upload_cap
        return MAX_JSON_BYTES

    return limit_for


def build_api(chat: ChatSettings, *, credentials: tuple[str, str] | None = None) -> FastAPI:
    """The FastAPI app holding the API's routes, for the chat to be mounted into.

    Args:
        chat: The index the chat serves, its upload limit, backend and model settings.
        credentials: ``(user, password)`` every route requires as HTTP Basic credentials
            (``docqa serve --auth``); ``None``: no login.
    """
    app = FastAPI(
        title="docqa",
        version=_version(),
        description="Cited answers from your documents. See docs/http-api.md.",
        docs_url=None,  # the Swagger and ReDoc pages load scripts from the Internet
        redoc_url=None,
        openapi_url=None,  # served below, behind the same login as the routes
    )
    guards: list[DependsParam] = [Depends(same_origin)]
    if credentials is not None:
        guards.append(Depends(BasicLogin(credentials)))
    router = APIRouter(dependencies=guards, responses=_ERRORS)
    asking = anyio.CapacityLimiter(ASK_THREADS)
    index_dir = chat.index_dir

    async def in_thread(work: Callable[[], _T], limiter: anyio.CapacityLimiter | None = None) -> _T:
        try:
            return await anyio.to_thread.run_sync(work, limiter=limiter)
        except DocqaError as exc:
            raise docqa_error(exc, index_dir) from None
        except OSError as exc:  # the disk or the file system refused: full, read-only
            raise HTTPException(507, f"the server's disk refused ({exc.strerror or exc})") from None

    @router.post(f"{PREFIX}/ask", response_model=AnswerModel, summary="Ask a question")
    async def ask_question(request: AskRequest) -> Any:
        """Cited passages answering the question, or an abstention with the nearest ones:
        the same JSON as ``docqa ask --json``."""
        answer = await in_thread(partial(answer_request, chat, request), asking)
        return JSONResponse(answer.to_dict())

    @router.get(
        f"{PREFIX}/documents", response_model=list[DocumentModel], summary="List the documents"
    )
    async def list_documents() -> Any:
        """The indexed documents: the same JSON as ``docqa list --json``."""
        return JSONResponse(await in_thread(lambda: document_rows(live_manifest(index_dir))))

    @router.post(f"{PREFIX}/documents", response_model=UploadResponse, summary="Add documents")
    async def upload_documents(
        files: Annotated[
            list[UploadFile], File(description="The files, as multipart/form-data parts.")
        ],
    ) -> Any:
        """Add or update files, as the chat's upload does (same size limit, same per-file
        messages); a 422 when no file was accepted."""
        outcomes = await in_thread(partial(save_and_ingest, chat, files))
        if outcomes and all(o.status == "rejected" for o in outcomes):
            reasons = "; ".join(f"{o.name}: {o.reason}" for o in outcomes)
            raise HTTPException(422, f"no file was added: {reasons}")
        return JSONResponse({"files": [asdict(o) for o in outcomes]})

    @router.delete(
        f"{PREFIX}/documents/{{doc_id:path}}",
        response_model=RemoveReportModel,
        summary="Remove a document",
        responses={404: {"model": ErrorModel, "description": "No document has this id."}},
    )
    async def remove_document(doc_id: str) -> Any:
        """Remove a document from the index, as ``docqa remove`` does (its report)."""
        report = await in_thread(partial(remove, chat, doc_id))
        return JSONResponse(report)

    @router.get("/openapi.json", include_in_schema=False)
    async def openapi() -> Any:
        return JSONResponse(app.openapi())

    app.include_router(router)
    install_error_handlers(app, bodies={f"{PREFIX}/ask": AskRequest})
    app.add_middleware(BodyLimit, limit_for=body_limits(chat.max_upload_mb))
    return app


def answer_request(chat: ChatSettings, request: AskRequest) -> Answer:
    """``retrieval.ask`` for an API request, over the chat's index.

    Raises:
        DocqaError: the question, history, documents or index cannot be used.
    """
    return ask(
        request.question,
        k=request.k,
        index=chat.index_dir,
        history=tuple(turn.to_answer() for turn in request.history),
        settings=AskSettings(
            mode=request.mode,
            documents=list(request.documents) if request.documents else None,
            reader="none" if request.fast else "cross-encoder",
            backend=chat.backend,
            embedding=chat.embedding,
        ),
    )


def save_and_ingest(chat: ChatSettings, files: list[UploadFile]) -> list[UploadOutcome]:
    """Write the uploaded parts to a private folder under their sanitised names (each in its
    own subfolder, so two parts of one name reach the chat's duplicate check), then ingest
    them as the chat does."""
    with tempfile.TemporaryDirectory(prefix="docqa-upload-") as scratch:
        paths: list[Path] = []
        for n, upload in enumerate(files):
            folder = Path(scratch) / str(n)
            folder.mkdir()
            path = folder / sanitize_filename(upload.filename or "")
            with path.open("wb") as out:
                upload.file.seek(0)
                shutil.copyfileobj(upload.file, out)
            paths.append(path)
        return chat.ingest_uploads(paths)


def remove(chat: ChatSettings, doc_id: str) -> dict[str, Any]:
    """Remove ``doc_id`` as ``docqa remove`` does; its report without ``index_dir``.

    Raises:
        HTTPException: 404, no document has this id.
        DocqaError: the index cannot be read or written.
    """
    index_dir = chat.index_dir
    if doc_id not in live_manifest(index_dir).documents:
        raise _unknown(doc_id)
    ingestor = Ingestor(index_dir, backend=chat.backend, embedding=chat.embedding)
    try:
        report = ingestor.remove([doc_id])
    except InvalidInputError:
        if doc_id not in live_manifest(index_dir).documents:  # removed meanwhile
            raise _unknown(doc_id) from None
        raise
    fields = asdict(report)
    fields.pop("index_dir")
    return fields


def _unknown(doc_id: str) -> HTTPException:
    return HTTPException(
        404, f"no document {doc_id[:200]!r} in the index; GET {PREFIX}/documents lists them"
    )


def _version() -> str:
    try:
        return version("docqa")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "0+checkout"
