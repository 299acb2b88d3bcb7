"""What stands in front of the HTTP API: the login, same-origin requests only, and a limit on
the size of a request's body."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.security import HTTPBasic
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ui.http_errors import error_response

#: How a client learns that the API wants HTTP Basic credentials.
CHALLENGE = {"WWW-Authenticate": 'Basic realm="docqa", charset="UTF-8"'}


class BasicLogin(HTTPBasic):
    """A dependency that lets a request through only with the server's ``--auth`` login,
    sent as HTTP Basic credentials (``curl -u USER:PASSWORD``); else a 401.

    Unlike FastAPI's own ``HTTPBasic``, a user or password may hold any Unicode (UTF-8).
    """

    def __init__(self, credentials: tuple[str, str]) -> None:
        super().__init__(
            realm="docqa",
            auto_error=False,
            description="The login given to docqa serve --auth USER:PASSWORD.",
        )
        self._user = credentials[0].encode()
        self._password = credentials[1].encode()

    async def __call__(self, request: Request) -> None:  # type: ignore[override]
        """Return when the request carries the login; raise a 401 otherwise."""
        user, password = _basic_credentials(request.headers.get("authorization", ""))
        # Both compared in constant time, always: a wrong user costs what a wrong password does.
        good_user = secrets.compare_digest(user, self._user)
        good_password = secrets.compare_digest(password, self._password)
        if not (good_user and good_password):
            sent = "wrong user or password" if user or password else "no login was sent"
            raise HTTPException(
                401,
                f"{sent}; this server needs the login of docqa serve --auth, as HTTP Basic "
                "credentials (curl -u USER:PASSWORD)",
                headers=CHALLENGE,
            )


def _basic_credentials(header: str) -> tuple[bytes, bytes]:
    """``(user, password)`` of an ``Authorization: Basic ...`` header; empty when there is
    none or it cannot be read."""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return b"", b""
    try:
        decoded = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return b"", b""
    user, sep, password = decoded.partition(b":")
    return (user, password) if sep else (b"", b"")


async def same_origin(request: Request) -> None:
    """Refuse a request a web page of another site sent (its ``Origin`` names another host):
    scripts send no ``Origin``; a browser does, and only this server's own pages may call."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    host = request.headers.get("host", "")
    if origin == "null" or urlsplit(origin).netloc.lower() != host.lower():
        raise HTTPException(
            403, f"requests from web pages of other sites are refused (Origin: {origin[:100]})"
        )


class BodyTooLargeError(HTTPException):
    """A request body over its route's limit (a 413 naming the limit)."""

    def __init__(self, method: str, path: str, limit: int, size: int | None = None) -> None:
        told = f"is {size:,} bytes" if size is not None else "is larger"
        super().__init__(
            413,
            f"the request body {told}; the limit for {method} {path} is {limit:,} bytes",
        )


class BodyLimit:
    """ASGI middleware: a request whose body is over ``limit_for(method, path)`` bytes gets a
    413 (``None``: no limit, as for the chat's own routes, which Gradio limits).

    A declared ``Content-Length`` over the limit is refused before the body is read; a body
    sent without one is counted as it arrives and refused once over.
    """

    def __init__(self, app: ASGIApp, *, limit_for: Callable[[str, str], int | None]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = str(scope["method"]), str(scope["path"])
        limit = self.limit_for(method, path)
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            too_large = BodyTooLargeError(method, path, limit, declared)
            await error_response(413, str(too_large.detail))(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(method, path, limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLargeError as exc:  # raised outside a route, which would have answered
            if started:
                raise
            await error_response(413, str(exc.detail))(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
