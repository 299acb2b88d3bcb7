"""``docqa serve``: loopback by default, a login or an explicit --no-auth elsewhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ingest.errors import InvalidInputError
from ui import server
from ui.cli import main
from ui.server import MAX_SESSIONS, check_access, is_loopback, parse_auth
from ui.settings import Settings


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.5", "localhost", "::1", "[::1]"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.4", "example.org", ""])
def test_other_hosts_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


def test_loopback_needs_no_login_but_takes_one() -> None:
    assert check_access("127.0.0.1", None, False) is None
    assert check_access("127.0.0.1", "ann:secret", False) == ("ann", "secret")


def test_a_network_host_needs_auth_or_an_explicit_no_auth() -> None:
    with pytest.raises(InvalidInputError, match="--auth USER:PASSWORD"):
        check_access("0.0.0.0", None, False)
    assert check_access("0.0.0.0", "ann:pa:ss", False) == ("ann", "pa:ss")
    assert check_access("0.0.0.0", None, True) is None
    with pytest.raises(InvalidInputError, match="not both"):
        check_access("0.0.0.0", "ann:secret", True)


@pytest.mark.parametrize("value", ["ann", ":secret", "ann:", ""])
def test_bad_auth_values_are_refused(value: str) -> None:
    with pytest.raises(InvalidInputError, match="USER:PASSWORD"):
        parse_auth(value)


def _record_serve(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(
        server, "serve", lambda settings, **kwargs: calls.append({"settings": settings, **kwargs})
    )
    return calls


def test_cli_refuses_a_network_host_without_auth_with_exit_code_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = _record_serve(monkeypatch)
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--auth USER:PASSWORD" in err and "--no-auth" in err
    assert calls == []


def test_cli_no_auth_serves_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = _record_serve(monkeypatch)
    assert main(["serve", "--host", "0.0.0.0", "--no-auth", "--port", "8123"]) == 0
    assert "warning" in capsys.readouterr().err
    assert calls == [
        {
            "settings": Settings.build(),
            "host": "0.0.0.0",
            "port": 8123,
            "auth": None,
            "max_upload_mb": 20.0,
        }
    ]


def test_cli_passes_auth_and_the_upload_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _record_serve(monkeypatch)
    assert (
        main(
            [
                "serve",
                "--host",
                "0.0.0.0",
                "--auth",
                "ann:secret",
                "--max-upload-mb",
                "2.5",
                "--index",
                "idx",
            ]
        )
        == 0
    )
    assert calls == [
        {
            "settings": Settings.build(index="idx"),
            "host": "0.0.0.0",
            "port": 7860,
            "auth": ("ann", "secret"),
            "max_upload_mb": 2.5,
        }
    ]
    for bad in ("0", "-1", "nan", "inf"):
        assert main(["serve", "--max-upload-mb", bad]) == 2


def test_serve_warms_up_then_serves_the_chat_and_the_api_where_asked_with_the_login(
    monkeypatch: pytest.MonkeyPatch, fake_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    import gradio as gr

    from ui import listener

    bound: list[tuple[str, int]] = []
    served: list[Any] = []

    def fake_bind(host: str, port: int) -> socket.socket:
        bound.append((host, port))
        return socket.socket()

    def fake_run(app: Any, sock: socket.socket, *, on_ready: Any) -> None:
        served.append(app)
        sock.close()
        on_ready(43210)

    mounted: list[dict[str, Any]] = []
    real_mount = gr.mount_gradio_app

    def mount(*args: Any, **kwargs: Any) -> Any:
        mounted.append(kwargs)
        return real_mount(*args, **kwargs)

    monkeypatch.setattr(gr, "mount_gradio_app", mount)
    monkeypatch.setattr(listener, "bind", fake_bind)
    monkeypatch.setattr(listener, "run", fake_run)
    server.serve(
        Settings(index=fake_index),
        host="127.0.0.1",
        port=9999,
        auth=("ann", "secret"),
        max_upload_mb=3,
    )
    assert bound == [("127.0.0.1", 9999)]
    assert f"docqa: serving {fake_index} on http://127.0.0.1:43210" in capsys.readouterr().err
    (app,) = served
    assert {"/v1/ask", "/v1/documents"} <= set(app.openapi()["paths"])
    (kwargs,) = mounted
    assert kwargs["path"] == "/" and kwargs["auth"] == ("ann", "secret")
    assert kwargs["ssr_mode"] is False and kwargs["show_error"] is False
    assert kwargs["max_file_size"] == 7_000_000  # twice the 3 MB limit, plus 1 MB
    assert kwargs["css"] and kwargs["theme"] is not None
    blocks = next(route.app.blocks for route in app.routes if getattr(route, "path", None) == "")
    assert blocks.state_session_capacity == MAX_SESSIONS  # memory bounded by sessions
    assert blocks.auth == [("ann", "secret")]


def test_serving_a_taken_port_fails_with_the_os_reason() -> None:
    from ui import listener

    with listener.bind("127.0.0.1", 0) as taken:
        port = taken.getsockname()[1]
        assert listener.FIRST_PORT <= port < listener.FIRST_PORT + listener.N_PORTS
        with pytest.raises(OSError, match="in use"):
            listener.bind("127.0.0.1", port)
        with listener.bind("127.0.0.1", 0) as other:  # --port 0 moves on to the next free one
            assert other.getsockname()[1] != port
