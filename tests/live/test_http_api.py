"""The HTTP API of a real ``docqa serve --auth`` (a subprocess on 127.0.0.1 and a free port),
over a fake-embedder index, called as a script in another language would: HTTP and JSON.

One server is shared by the module; tests that change the index add and remove their own
document.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest.sync.pipeline import ingest
from tests.support.browser import server_env
from tests.support.fakes import FakeEmbedder
from tests.support.paths import CORPUS, ROOT
from tests.support.servers import served

pytestmark = [pytest.mark.slow]

USER, PASSWORD = "ann", "s3cret:pass"
LOGIN = (USER, PASSWORD)
QUESTION = "Why did Kazakhstan decline the BRICS+ invitation?"
UPLOAD_LIMIT_MB = 1
HERONS = (
    "# Herons of the Ysel delta\n\n## Nesting\n\nThe grey herons of the Ysel delta nest in the "
    "alder carr north of Brakwater, where 212 nests were counted in the spring of 2019.\n"
)


def _docqa(*args: str) -> Any:
    """``docqa ARGS --json`` (with the fake embedder) in a subprocess, its output as JSON."""
    command = [sys.executable, "-m", "tests.support.fake_cli", *args, "--json"]
    done = subprocess.run(
        command, cwd=ROOT, env=server_env(), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _without_time(answer: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answer.items() if key != "elapsed_ms"}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled corpus, indexed with the fake embedder."""
    folder = tmp_path_factory.mktemp("http") / "index"
    ingest([CORPUS], index=folder, embedder=FakeEmbedder())
    return folder


@pytest.fixture(scope="module")
def server(index: Path) -> Iterator[tuple[str, Path]]:
    """``docqa serve --auth ann:... --max-upload-mb 1 --port 0``; its URL and log."""
    log_path = index.parent / "server.log"
    command = [sys.executable, "-m", "tests.support.fake_cli", "serve", "--index", str(index)]
    command += ["--port", "0", "--auth", f"{USER}:{PASSWORD}"]
    command += ["--max-upload-mb", str(UPLOAD_LIMIT_MB)]
    with served(command, env=server_env(), log_path=log_path) as (_process, url, _port):
        yield url, log_path


@pytest.fixture
def api(server: tuple[str, Path]) -> Iterator[httpx.Client]:
    """A client of the served API that sends the login."""
    with httpx.Client(base_url=server[0], auth=LOGIN, timeout=120, trust_env=False) as client:
        yield client


@pytest.fixture
def anonymous(server: tuple[str, Path]) -> Iterator[httpx.Client]:
    """A client that sends no login."""
    with httpx.Client(base_url=server[0], timeout=120, trust_env=False) as client:
        yield client


def test_ask_answers_as_docqa_ask_json_does(api: httpx.Client, index: Path) -> None:
    response = api.post("/v1/ask", json={"question": QUESTION, "k": 3})
    assert response.status_code == 200, response.text
    printed = _docqa("ask", QUESTION, "--index", str(index), "--k", "3")
    assert _without_time(response.json()) == _without_time(printed)
    assert len(printed["passages"]) == 3


def test_documents_are_listed_as_docqa_list_json_does(api: httpx.Client, index: Path) -> None:
    response = api.get("/v1/documents")
    assert response.status_code == 200
    assert response.json() == _docqa("list", "--index", str(index))


def test_an_uploaded_document_is_answered_from_then_removed(api: httpx.Client) -> None:
    files = [("files", ("herons.md", HERONS.encode(), "text/markdown"))]
    upload = api.post("/v1/documents", files=files)
    assert upload.status_code == 200, upload.text
    assert upload.json() == {"files": [{"name": "herons.md", "status": "added", "reason": ""}]}
    question = {"question": "How many heron nests were counted in the Ysel delta?", "k": 2}
    answer = api.post("/v1/ask", json=question).json()
    top = answer["passages"][0]
    assert top["doc_id"] == "herons.md" and "212 nests" in top["text"]

    removed = api.delete("/v1/documents/herons.md")
    assert removed.status_code == 200 and removed.json()["removed"] == ["herons.md"]
    assert "herons.md" not in {row["doc_id"] for row in api.get("/v1/documents").json()}
    again = api.delete("/v1/documents/herons.md")
    assert again.status_code == 404 and "herons.md" in again.json()["error"]


def test_the_api_needs_the_login(anonymous: httpx.Client, api: httpx.Client) -> None:
    refused = anonymous.get("/v1/documents")
    assert refused.status_code == 401 and "curl -u USER:PASSWORD" in refused.json()["error"]
    assert anonymous.get("/v1/documents", auth=(USER, "wrong")).status_code == 401
    assert anonymous.post("/v1/ask", json={"question": QUESTION}).status_code == 401
    assert anonymous.get("/openapi.json").status_code == 401
    assert api.get("/v1/documents").status_code == 200


def test_the_chat_still_loads_behind_its_login(
    anonymous: httpx.Client, server: tuple[str, Path]
) -> None:
    from gradio_client import Client

    assert anonymous.get("/config").status_code == 401
    assert anonymous.post("/login", data={"username": USER, "password": PASSWORD}).is_success
    assert anonymous.get("/config").status_code == 200  # with the session cookie
    page = anonymous.get("/")
    assert page.status_code == 200 and "<html" in page.text
    client = Client(server[0], auth=LOGIN, verbose=False)  # the chat's own queue, logged in
    assert client.predict(QUESTION, 2, "hybrid", api_name="/ask")["passages"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b'{"question": ', 400, "not valid JSON"),
        (b'{"question": "x", "top": 3}', 422, "top: unknown field"),
        (b'{"question": "x", "k": 500}', 422, "k: Input should be less than or equal to 50"),
        (b'{"question": ["x"]}', 422, "question: Input should be a valid string"),
    ],
)
def test_bad_requests_get_a_4xx_that_names_the_problem(
    api: httpx.Client, index: Path, body: bytes, status: int, message: str
) -> None:
    response = api.post("/v1/ask", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status
    assert message in response.json()["error"]
    assert str(index.parent) not in response.text and "Traceback" not in response.text


def test_an_oversize_upload_is_a_413_naming_the_limit(api: httpx.Client) -> None:
    big = b"x" * (2 * UPLOAD_LIMIT_MB * 1_000_000 + 1_000_001)
    response = api.post("/v1/documents", files=[("files", ("big.md", big, "text/markdown"))])
    assert response.status_code == 413
    assert "the limit for POST /v1/documents is 3,000,000 bytes" in response.json()["error"]


def test_openapi_lists_the_routes_and_their_models(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    assert set(spec["paths"]) == {"/v1/ask", "/v1/documents", "/v1/documents/{doc_id}"}
    ask = spec["paths"]["/v1/ask"]["post"]
    body = ask["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    answer = ask["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert body.endswith("/AskRequest") and answer.endswith("/AnswerModel")
    assert "multipart/form-data" in spec["paths"]["/v1/documents"]["post"]["requestBody"]["content"]
    assert {"AskRequest", "TurnModel", "DocumentModel", "ErrorModel"} <= set(
        spec["components"]["schemas"]
    )


def test_the_server_log_stays_quiet(api: httpx.Client, server: tuple[str, Path]) -> None:
    assert api.get("/v1/documents").status_code == 200
    lines = server[1].read_text().splitlines()
    assert lines and lines[0].startswith("docqa: serving ")
    assert not [line for line in lines if "INFO" in line or "GET /v1" in line]
