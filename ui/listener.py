"""Bind the port ``docqa serve`` listens on and run the web app there until stopped."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Any

#: With ``--port 0``, the ports tried, in order (as Gradio does: 7860 and the 99 after it).
FIRST_PORT, N_PORTS = 7860, 100


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host`` and ``port`` (0: the first free port from 7860 up).

    Raises:
        OSError: the port is taken (or, for 0, every port tried is), or the host is unknown.
    """
    address = host.strip("[]")  # "[::1]" names the address ::1
    family = socket.getaddrinfo(address, None, type=socket.SOCK_STREAM)[0][0]
    ports = [port] if port else list(range(FIRST_PORT, FIRST_PORT + N_PORTS))
    last: OSError | None = None
    for candidate in ports:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, candidate))
        except OSError as exc:
            sock.close()
            last = exc
            continue
        sock.listen(2048)
        sock.set_inheritable(True)
        return sock
    assert last is not None
    if port:
        raise last
    raise OSError(
        f"no free port from {FIRST_PORT} to {FIRST_PORT + N_PORTS - 1} on {host}; "
        "pick one with --port"
    )


def run(app: Any, sock: socket.socket, *, on_ready: Callable[[int], None]) -> None:
    """Serve ``app`` on ``sock`` until interrupted (Ctrl-C) or terminated.

    ``on_ready(port)`` is called once the server accepts requests. Only warnings are logged:
    no access log, no start-up banner.
    """
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the web server stopped while starting; see the lines above")
            thread.join(0.02)
        on_ready(int(sock.getsockname()[1]))
        while thread.is_alive():
            thread.join(0.5)
    except KeyboardInterrupt:
        server.should_exit = True
        thread.join(10)
        raise
