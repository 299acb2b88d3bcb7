"""``docqa serve``: who may reach the chat, start-up warm-up, and the web app: the Gradio chat
mounted beside the HTTP API."""

from __future__ import annotations

import ipaddress
import math
import os
import sys
from typing import TYPE_CHECKING, Any

from ingest.errors import InvalidInputError
from ui import listener
from ui.uploads import DEFAULT_MAX_UPLOAD_MB, upload_cap_bytes

if TYPE_CHECKING:
    from ui.app import ChatSettings
    from ui.settings import Settings

NO_AUTH_WARNING = (
    "docqa: warning: serving on {host} without a password; anyone who can reach this "
    "machine can read and add documents"
)
#: Conversations kept in memory at once (Gradio keeps each tab's answers and last viewer in
#: its session): the least recently active is forgotten beyond this, which bounds the
#: server's memory (a session holds a few hundred KB at most).
MAX_SESSIONS = 500


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_auth(value: str) -> tuple[str, str]:
    """``USER:PASSWORD`` as a pair; the password may contain colons.

    Raises:
        InvalidInputError: no colon, or an empty user or password.
    """
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise InvalidInputError("--auth must be USER:PASSWORD, both non-empty")
    return user, password


def check_access(host: str, auth: str | None, no_auth: bool) -> tuple[str, str] | None:
    """The credentials to require, after checking that ``host`` may be served as asked.

    A loopback host needs nothing. Any other host needs ``--auth USER:PASSWORD``, or an
    explicit ``--no-auth`` (the caller prints :data:`NO_AUTH_WARNING`).

    Raises:
        InvalidInputError: a non-loopback host without either, or both given.
    """
    if auth is not None and no_auth:
        raise InvalidInputError("choose either --auth USER:PASSWORD or --no-auth, not both")
    credentials = parse_auth(auth) if auth is not None else None
    if credentials is None and not no_auth and not is_loopback(host):
        raise InvalidInputError(
            f"--host {host} exposes the chat to the network; add --auth USER:PASSWORD "
            "(or --no-auth to serve it without a password)"
        )
    return credentials


def check_upload_limit(megabytes: float) -> float:
    """``megabytes`` if it is a positive size, else :class:`InvalidInputError`."""
    if not (megabytes > 0 and math.isfinite(megabytes)):
        raise InvalidInputError(f"--max-upload-mb must be a positive size, not {megabytes}")
    return megabytes


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: tuple[str, str] | None = None,
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB,
) -> None:
    """Load the model and index once (answering one warm-up question), then serve the chat
    and, beside it, the HTTP API (:mod:`ui.http_api`), both behind ``auth`` when given.

    Call :func:`check_access` first: this function serves wherever it is told to.

    Raises:
        IndexNotFoundError: no index and no bundled corpus to build the default one from.
        OSError: the port is taken.
    """
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from retrieval.api import get_retriever
    from ui.app import ChatSettings

    # Builds the default index from the bundled corpus when missing.
    get_retriever(settings.index, backend=settings.backend, embedding=settings.embedding)
    index_dir = settings.index_dir
    chat = ChatSettings(
        index_dir=index_dir,
        max_upload_mb=max_upload_mb,
        backend=settings.backend,
        embedding=settings.embedding,
    )
    chat.retriever().answer("warm-up", k=1)  # first model call pays the one-off start-up costs
    app = build_server_app(chat, auth=auth)
    sock = listener.bind(host, port)

    def ready(bound: int) -> None:
        # The port actually bound (with --port 0, tests and scripts read it from this line).
        print(f"docqa: serving {index_dir} on http://{host}:{bound}", file=sys.stderr)

    listener.run(app, sock, on_ready=ready)


def build_server_app(chat: ChatSettings, *, auth: tuple[str, str] | None = None) -> Any:
    """The web app ``docqa serve`` runs: the HTTP API's routes, with the Gradio chat mounted
    at ``/`` behind Gradio's own login page when ``auth`` is given."""
    import gradio as gr

    from ui.app import build_app
    from ui.http_api import build_api
    from ui.script import SCRIPT
    from ui.style import CSS, theme

    blocks = build_app(chat).queue(default_concurrency_limit=2)
    # What launch(state_session_capacity=...) would set; mounting takes no such argument.
    blocks.state_session_capacity = MAX_SESSIONS
    return gr.mount_gradio_app(
        build_api(chat, credentials=auth),
        blocks,
        path="/",
        auth=auth,
        show_error=False,
        ssr_mode=False,
        max_file_size=upload_cap_bytes(chat.max_upload_mb),
        theme=theme(),
        css=CSS,
        js=SCRIPT,
    )
