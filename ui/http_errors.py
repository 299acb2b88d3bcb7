"""How the HTTP API reports a problem: a status code and ``{"error": "..."}`` naming it.

Bad JSON is a 400; a body that does not fit the request's model (an unknown field, a wrong
type, ``k`` out of range, a question over the limit) and input docqa refuses are 422; an
unknown document 404; a body over the limit 413; an index that cannot be read 503. A message
never carries a traceback, and the index folder's path is replaced by ``<index>``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, get_args

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from ingest.errors import (
    CorruptIndexError,
    DocqaError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexUnwritableError,
    InvalidInputError,
    UnsupportedFileError,
)
from ingest.index.lock import IndexBusyError

#: At most this many problems are named in one message.
MAX_PROBLEMS = 5


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> Any:
    """The JSON response of an error: ``{"error": message}``."""
    return JSONResponse({"error": message}, status_code=status, headers=dict(headers or {}))


def status_of(exc: DocqaError) -> int:
    """The HTTP status of a docqa error: the caller's input (422), or the index (503, 500)."""
    if isinstance(exc, InvalidInputError | UnsupportedFileError):
        return 422
    if isinstance(
        exc, IndexNotFoundError | CorruptIndexError | IndexMismatchError | IndexBusyError
    ):
        return 503
    if isinstance(exc, IndexUnwritableError):
        return 507
    return 500


def public_message(exc: BaseException, index_dir: Path) -> str:
    """``exc``'s message with the index folder's path shown as ``<index>``."""
    message = str(exc)
    for path in sorted({str(index_dir.resolve()), str(index_dir)}, key=len, reverse=True):
        message = message.replace(path, "<index>")
    return message


def docqa_error(exc: DocqaError, index_dir: Path) -> HTTPException:
    """The HTTP error that reports ``exc``."""
    return HTTPException(status_of(exc), public_message(exc, index_dir))


def validation_message(errors: Sequence[Any], body: type[BaseModel] | None = None) -> str:
    """One line naming each problem pydantic found in a request (at most
    :data:`MAX_PROBLEMS`), each as ``where: what``; an unknown field of ``body`` (the
    request's model) is named with the fields it may have."""
    problems = [_problem(e, body) for e in errors if isinstance(e, Mapping)]
    if len(problems) > MAX_PROBLEMS:
        rest = len(problems) - MAX_PROBLEMS
        problems = [*problems[:MAX_PROBLEMS], f"and {rest} more"]
    return "; ".join(problems) or "the request is not valid"


def _where(loc: Sequence[Any]) -> str:
    """``("body", "history", 0, "question")`` as ``history[0].question``."""
    parts = list(loc[1:] if loc and loc[0] in ("body", "path", "query") else loc)
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _fields_at(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """The fields of the model holding the field at ``loc`` (``body`` first), inside
    ``model``; empty when ``loc`` leads elsewhere."""
    current: type[BaseModel] | None = model
    for part in loc[1:-1]:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(str(part)) if current is not None else None
        current = _model_in(field.annotation) if field is not None else None
    return list(current.model_fields) if current is not None else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model an annotation such as ``list[TurnModel] | None`` holds, if any."""
    while annotation is not None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return annotation
        inner = [a for a in get_args(annotation) if a is not type(None)]
        annotation = inner[0] if inner else None
    return None


def _problem(error: Mapping[str, Any], body: type[BaseModel] | None) -> str:
    kind = str(error.get("type", ""))
    loc = tuple(error.get("loc", ()))
    where = _where(loc)
    ctx = error.get("ctx") or {}
    if kind == "json_invalid":
        return f"the body is not valid JSON ({ctx.get('error', 'cannot be parsed')})"
    if kind == "extra_forbidden":
        fields = _fields_at(body, loc) if body is not None and loc[:1] == ("body",) else []
        known = f"; the fields are: {', '.join(fields)}" if fields else ""
        return f"{where}: unknown field{known}"
    if kind == "missing":
        return f"{where}: required" if where else "the body is missing"
    if kind in ("model_type", "model_attributes_type", "dict_type") and not where:
        return "the body must be a JSON object, sent with Content-Type: application/json"
    message = str(error.get("msg", "not valid"))
    return f"{where}: {message}" if where else message


def _validation_handler(bodies: Mapping[str, type[BaseModel]]) -> Any:
    async def on_validation_error(request: Request, exc: Exception) -> Any:
        errors = exc.errors() if isinstance(exc, RequestValidationError) else []
        bad_json = any(isinstance(e, Mapping) and e.get("type") == "json_invalid" for e in errors)
        message = validation_message(errors, bodies.get(request.url.path))
        return error_response(400 if bad_json else 422, message)

    return on_validation_error


async def _on_http_error(_request: Request, exc: Exception) -> Any:
    if not isinstance(exc, HTTPException):  # pragma: no cover - registered for HTTPException
        raise exc
    detail = exc.detail if isinstance(exc.detail, str) else "the request was refused"
    return error_response(exc.status_code, detail, exc.headers)


async def _on_unexpected(_request: Request, _exc: Exception) -> Any:
    return error_response(500, "internal error; the server's log has the details")


def install_error_handlers(
    app: FastAPI, *, bodies: Mapping[str, type[BaseModel]] | None = None
) -> None:
    """Make every error of ``app``'s own routes a ``{"error": ...}`` response.

    Args:
        app: The app.
        bodies: The JSON body model of each path that takes one, so that an unknown field
            is named with the fields the body may have.
    """
    app.add_exception_handler(RequestValidationError, _validation_handler(dict(bodies or {})))
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
