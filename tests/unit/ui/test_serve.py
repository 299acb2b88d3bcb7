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


def test_serve_loads_the_index_once_and_launches_locally_with_the_login(
    monkeypatch: pytest.MonkeyPatch, fake_index: Path
) -> None:
    import gradio as gr

    launched: list[dict[str, Any]] = []
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kwargs: launched.append(kwargs))
    monkeypatch.setattr(gr.Blocks, "block_thread", lambda self: None)
    server.serve(
        Settings(index=fake_index),
        host="127.0.0.1",
        port=9999,
        auth=("ann", "secret"),
        max_upload_mb=3,
    )
    (kwargs,) = launched
    assert kwargs["server_name"] == "127.0.0.1" and kwargs["server_port"] == 9999
    assert kwargs["auth"] == ("ann", "secret")
    assert kwargs["share"] is False and kwargs["ssr_mode"] is False
    assert kwargs["quiet"] is True  # no "set share=True" hint for people who cannot use it
    assert kwargs["state_session_capacity"] == MAX_SESSIONS  # memory bounded by sessions
    assert kwargs["css"] and kwargs["theme"] is not None
