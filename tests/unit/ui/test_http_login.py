"""``docqa serve --auth``: the API wants the login as HTTP Basic credentials, the chat keeps
Gradio's own login page, and without --auth neither asks for one."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ui.app import ChatSettings
from ui.server import build_server_app

USER, PASSWORD = "ann", "pä:ss wörd"  # a colon and non-ASCII letters, as --auth allows


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"authorization": f"Basic {token}"}


@pytest.fixture
def served(fake_index: Path) -> Iterator[TestClient]:
    """The whole web app ``docqa serve --auth`` runs, the chat mounted beside the API."""
    app = build_server_app(ChatSettings(index_dir=fake_index), auth=(USER, PASSWORD))
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/documents"),
        ("POST", "/v1/ask"),
        ("POST", "/v1/documents"),
        ("DELETE", "/v1/documents/kazakhstan-brics-refusal.md"),
        ("GET", "/openapi.json"),
    ],
)
def test_every_api_route_needs_the_login(served: TestClient, method: str, path: str) -> None:
    for headers in ({}, _basic(USER, "wrong"), _basic("bob", PASSWORD), _basic(USER, "")):
        response = served.request(method, path, headers=headers, json={"question": "Who?"})
        assert response.status_code == 401, (headers, response.text)
        assert response.headers["www-authenticate"].startswith('Basic realm="docqa"')
        assert "curl -u USER:PASSWORD" in response.json()["error"]
    for header in ("Basic !!!", "Bearer abc", "Basic " + "YW5u"):  # unreadable, other, no colon
        response = served.request(method, path, headers={"authorization": header})
        assert response.status_code == 401
    # Nothing was removed by the refused requests.
    ids = [r["doc_id"] for r in served.get("/v1/documents", auth=(USER, PASSWORD)).json()]
    assert ids == ["kazakhstan-brics-refusal.md"]


def test_the_login_opens_the_api(served: TestClient) -> None:
    assert served.get("/v1/documents", auth=(USER, PASSWORD)).status_code == 200
    spec = served.get("/openapi.json", auth=(USER, PASSWORD)).json()
    assert spec["components"]["securitySchemes"] == {
        "BasicLogin": {
            "type": "http",
            "scheme": "basic",
            "description": "The login given to docqa serve --auth USER:PASSWORD.",
        }
    }


def test_the_chat_keeps_its_own_login(served: TestClient) -> None:
    assert served.get("/config").status_code == 401  # the chat's settings need the login
    assert served.get("/config", auth=(USER, PASSWORD)).status_code == 401  # Basic is the API's
    refused = served.post("/login", data={"username": USER, "password": "wrong"})
    assert refused.status_code == 400
    assert served.post("/login", data={"username": USER, "password": PASSWORD}).status_code == 200
    config = served.get("/config")  # the session cookie the login set
    assert config.status_code == 200 and config.json()["components"]
    page = served.get("/")
    assert page.status_code == 200 and "<html" in page.text


def test_without_auth_nothing_asks_for_a_login(fake_index: Path) -> None:
    with TestClient(build_server_app(ChatSettings(index_dir=fake_index))) as client:
        assert client.get("/v1/documents").status_code == 200
        assert client.get("/openapi.json").status_code == 200
        assert client.get("/config").status_code == 200
        answer = client.post("/v1/ask", json={"question": "Who hosted it?", "k": 1, "fast": True})
        assert answer.status_code == 200 and len(answer.json()["passages"]) == 1
