"""The HTTP API's routes over a fake-embedder index, called in-process (no server, no socket):
the CLI's JSON, the chat's uploads, typed refusals with messages, and work off the event loop."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient

from ingest.sync.pipeline import ingest
from ingest.sync.reports import IngestReport
from retrieval import ask
from retrieval.inputs import MAX_QUESTION_CHARS
from retrieval.types import Answer, Passage
from tests.support.fakes import FakeEmbedder
from ui import http_api
from ui.app import ChatSettings
from ui.cli import main
from ui.documents import document_rows
from ui.http_api import MAX_JSON_BYTES, build_api
from ui.http_models import (
    AnswerModel,
    AskRequest,
    DocumentModel,
    PassageModel,
    RemoveReportModel,
    UploadOutcomeModel,
)
from ui.uploads import UploadOutcome, check_upload, upload_cap_bytes

QUESTION = "Who hosted the 16th BRICS summit?"
LIGHTHOUSE = (
    "# The Varnholm Lighthouse\n\nThe Varnholm lighthouse was built in 1887 from granite "
    "quarried on Skarvö island. Its lamp was converted to electricity in 1931.\n"
)
LIMIT_MB = 0.01  # 10,000 bytes a file


@pytest.fixture
def client(fake_index: Path) -> Iterator[TestClient]:
    """The API over a private fake-embedder index of the bundled corpus, no login."""
    with TestClient(build_api(ChatSettings(index_dir=fake_index, max_upload_mb=LIMIT_MB))) as c:
        yield c


def _cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    capsys.readouterr()
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _without_time(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer as JSON reads it back (lists, not tuples), without its timing."""
    return {k: v for k, v in json.loads(json.dumps(answer)).items() if k != "elapsed_ms"}


def _upload(client: TestClient, *named: tuple[str, bytes]) -> Any:
    return client.post("/v1/documents", files=[("files", (n, body)) for n, body in named])


# -- the same JSON as the CLI -----------------------------------------------------------------


@pytest.mark.parametrize("fast", [False, True])
def test_ask_returns_what_docqa_ask_json_prints(
    client: TestClient, fake_index: Path, capsys: pytest.CaptureFixture[str], fast: bool
) -> None:
    response = client.post("/v1/ask", json={"question": QUESTION, "k": 3, "fast": fast})
    assert response.status_code == 200, response.text
    args = ["ask", QUESTION, "--index", str(fake_index), "--k", "3", *(["--fast"] * fast)]
    printed = _cli_json(capsys, *args)
    got = response.json()
    assert set(got) == {f.name for f in fields(Answer)} and len(got["passages"]) == 3
    assert _without_time(got) == _without_time(printed)


def test_documents_are_what_docqa_list_json_prints(
    client: TestClient, fake_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    response = client.get("/v1/documents")
    assert response.status_code == 200
    assert response.json() == _cli_json(capsys, "list", "--index", str(fake_index))
    assert [row["doc_id"] for row in response.json()] == ["kazakhstan-brics-refusal.md"]


def test_the_wire_models_mirror_what_the_serialisers_write() -> None:
    assert list(AnswerModel.model_fields) == [f.name for f in fields(Answer)]
    assert list(PassageModel.model_fields) == [f.name for f in fields(Passage)]
    assert list(UploadOutcomeModel.model_fields) == [f.name for f in fields(UploadOutcome)]
    report = [f.name for f in fields(IngestReport) if f.name != "index_dir"]
    assert list(RemoveReportModel.model_fields) == report

    class OneDocument:
        documents: ClassVar[dict[str, Any]] = {"a.md": {"title": "A"}}

    (row,) = document_rows(OneDocument())  # type: ignore[arg-type]
    assert list(DocumentModel.model_fields) == list(row)


# -- follow-ups and the document filter --------------------------------------------------------


def test_history_is_the_earlier_answers_as_returned(client: TestClient, fake_index: Path) -> None:
    first = client.post("/v1/ask", json={"question": QUESTION, "fast": True}).json()
    follow = "When was it held?"
    response = client.post("/v1/ask", json={"question": follow, "fast": True, "history": [first]})
    assert response.status_code == 200, response.text
    from retrieval import AskSettings

    earlier = ask(QUESTION, index=fake_index, settings=AskSettings(reader="none"))
    expected = ask(follow, index=fake_index, history=[earlier], settings=AskSettings(reader="none"))
    alone = ask(follow, index=fake_index, settings=AskSettings(reader="none"))
    assert _without_time(response.json()) == _without_time(expected.to_dict())
    assert _without_time(expected.to_dict()) != _without_time(alone.to_dict())  # history was read


def test_a_turn_whose_offsets_do_not_span_its_text_is_refused_with_where(
    client: TestClient,
) -> None:
    first = client.post("/v1/ask", json={"question": QUESTION, "fast": True}).json()
    first["passages"][1]["end"] += 5
    response = client.post("/v1/ask", json={"question": "And then?", "history": [first]})
    assert response.status_code == 422
    assert "history[0].passages[1]" in response.json()["error"]


def test_documents_restrict_the_answer(
    client: TestClient, tmp_path: Path, fake_index: Path
) -> None:
    assert _upload(client, ("lighthouse.md", LIGHTHOUSE.encode())).status_code == 200
    body = {"question": "When was the lighthouse built?", "k": 5, "fast": True}
    everywhere = client.post("/v1/ask", json=body).json()
    assert {p["doc_id"] for p in everywhere["passages"]} == {
        "lighthouse.md",
        "kazakhstan-brics-refusal.md",
    }
    only = client.post("/v1/ask", json={**body, "documents": ["kazakhstan-brics-refusal.md"]})
    assert {p["doc_id"] for p in only.json()["passages"]} == {"kazakhstan-brics-refusal.md"}
    unknown = client.post("/v1/ask", json={**body, "documents": ["nowhere.md"]})
    assert unknown.status_code == 422 and "nowhere.md" in unknown.json()["error"]


# -- uploads and removal -------------------------------------------------------------------------


def test_an_upload_is_ingested_then_found_then_removed(client: TestClient) -> None:
    response = _upload(client, ("Light house.md", LIGHTHOUSE.encode()), ("run.exe", b"MZ"))
    assert response.status_code == 200
    added, rejected = response.json()["files"]
    assert added == {"name": "Light_house.md", "status": "added", "reason": ""}
    assert rejected["status"] == "rejected" and "unsupported file type '.exe'" in rejected["reason"]
    answer = client.post(
        "/v1/ask", json={"question": "When was the Varnholm lighthouse built?", "fast": True}
    ).json()
    assert answer["passages"][0]["doc_id"] == "Light_house.md"
    again = _upload(client, ("Light house.md", LIGHTHOUSE.encode())).json()["files"]
    assert again == [{"name": "Light_house.md", "status": "unchanged", "reason": ""}]

    removed = client.delete("/v1/documents/Light_house.md")
    assert removed.status_code == 200 and removed.json()["removed"] == ["Light_house.md"]
    assert "index_dir" not in removed.json()
    ids = [row["doc_id"] for row in client.get("/v1/documents").json()]
    assert ids == ["kazakhstan-brics-refusal.md"]
    gone = client.delete("/v1/documents/Light_house.md")
    assert gone.status_code == 404 and "Light_house.md" in gone.json()["error"]


def test_an_id_from_a_subfolder_is_removed_by_its_path(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "sub" / "a.md").write_text("# A\n\nHerons nest in the alder carr.")
    (docs / "b.md").write_text("# B\n\nOwls nest in the barn.")
    index = tmp_path / "index"
    ingest([docs], index=index, embedder=FakeEmbedder())
    with TestClient(build_api(ChatSettings(index_dir=index))) as client:
        assert [r["doc_id"] for r in client.get("/v1/documents").json()] == ["b.md", "sub/a.md"]
        assert client.delete("/v1/documents/sub%2Fa.md").json()["removed"] == ["sub/a.md"]
        assert client.delete("/v1/documents/sub/a.md").status_code == 404


def test_a_file_over_the_limit_gets_the_chats_message(client: TestClient, tmp_path: Path) -> None:
    big = b"word " * 2_500  # 12,500 bytes, over the 10,000-byte limit, under the request cap
    response = _upload(client, ("big.md", big))
    assert response.status_code == 422
    copy = tmp_path / "big.md"
    copy.write_bytes(big)
    reason = check_upload(copy, max_bytes=10_000)
    assert reason and response.json()["error"] == f"no file was added: big.md: {reason}"


def test_two_files_of_one_name_in_one_upload(client: TestClient) -> None:
    response = _upload(client, ("a.md", b"# A\n\nOne."), ("a.md", b"# A\n\nTwo."))
    assert [f["status"] for f in response.json()["files"]] == ["added", "rejected"]
    assert "same name" in response.json()["files"][1]["reason"]


def test_concurrent_uploads_all_land(client: TestClient) -> None:
    results: list[int] = []

    def send(n: int) -> None:
        body = f"# Note {n}\n\nThe heron number {n} nests by the river.".encode()
        results.append(_upload(client, (f"note-{n}.md", body)).status_code)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 4
    ids = {row["doc_id"] for row in client.get("/v1/documents").json()}
    assert {f"note-{n}.md" for n in range(4)} <= ids


# -- refusals name the problem -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ('{"question": "x",', 400, "not valid JSON"),
        ('{"question": "x", "kk": 1}', 422, "kk: unknown field; the fields are: question, k"),
        ('{"question": 5}', 422, "question: Input should be a valid string"),
        ('{"question": "x", "k": "5"}', 422, "k: Input should be a valid integer"),
        ('{"question": "x", "k": 0}', 422, "k: Input should be greater than or equal to 1"),
        ('{"question": "x", "k": 51}', 422, "k: Input should be less than or equal to 50"),
        ('{"question": "x", "mode": "fuzzy"}', 422, "mode: Input should be"),
        ('{"k": 3}', 422, "question: required"),
        ("[1, 2]", 422, "the body must be a JSON object"),
        (
            '{"question": "x", "history": [{"question": "q", "passages": [], "abstained": false, '
            '"why": 1}]}',
            422,
            "history[0].why: unknown field; the fields are: question, passages, abstained",
        ),
        ('{"question": "a\\u0000b"}', 422, "control character"),
    ],
)
def test_bad_requests_get_a_4xx_naming_the_problem(
    client: TestClient, fake_index: Path, body: str, status: int, message: str
) -> None:
    response = client.post("/v1/ask", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status
    error = response.json()["error"]
    assert message in error
    assert "Traceback" not in error and str(fake_index) not in error


def test_a_question_over_the_limit_is_refused_before_any_work(client: TestClient) -> None:
    response = client.post("/v1/ask", json={"question": "a" * (MAX_QUESTION_CHARS + 1)})
    assert response.status_code == 422
    assert f"at most {MAX_QUESTION_CHARS} characters" in response.json()["error"]


def test_bodies_over_the_limit_get_413_declared_or_streamed(client: TestClient) -> None:
    big = b"x" * (MAX_JSON_BYTES + 1)
    declared = client.post("/v1/ask", content=big, headers={"content-type": "application/json"})
    assert declared.status_code == 413
    assert f"the limit for POST /v1/ask is {MAX_JSON_BYTES:,} bytes" in declared.json()["error"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(MAX_JSON_BYTES // 100_000 + 1):
            yield b" " * 100_000

    streamed = client.post(
        "/v1/ask", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413 and "the limit" in streamed.json()["error"]
    cap = upload_cap_bytes(LIMIT_MB)
    upload = _upload(client, ("huge.md", b"x" * cap))
    assert upload.status_code == 413
    assert f"the limit for POST /v1/documents is {cap:,} bytes" in upload.json()["error"]


def test_an_index_that_is_gone_is_a_503_without_its_path(
    client: TestClient, fake_index: Path
) -> None:
    (fake_index / "CURRENT").unlink()
    response = client.get("/v1/documents")
    assert response.status_code == 503
    assert "<index>" in response.json()["error"] and str(fake_index) not in response.text


def test_an_unexpected_failure_is_a_500_that_tells_nothing_of_the_server(
    fake_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(chat: ChatSettings, request: AskRequest) -> Answer:
        raise RuntimeError(f"cannot open {fake_index}/secret")

    monkeypatch.setattr(http_api, "answer_request", broken)
    app = build_api(ChatSettings(index_dir=fake_index))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/v1/ask", json={"question": QUESTION})
    assert response.status_code == 500
    assert response.json() == {"error": "internal error; the server's log has the details"}


def test_pages_of_other_sites_are_refused(client: TestClient) -> None:
    evil = client.get("/v1/documents", headers={"origin": "http://evil.example"})
    assert evil.status_code == 403 and "other sites" in evil.json()["error"]
    own = client.get("/v1/documents", headers={"origin": "http://testserver"})
    assert own.status_code == 200


# -- the OpenAPI document ------------------------------------------------------------------------


def test_openapi_lists_the_routes_with_their_models(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert set(paths) == {"/v1/ask", "/v1/documents", "/v1/documents/{doc_id}"}
    assert set(paths["/v1/documents"]) == {"get", "post"} and set(
        paths["/v1/documents/{doc_id}"]
    ) == {"delete"}

    def ref(node: dict[str, Any]) -> str:
        return str(node["content"][next(iter(node["content"]))]["schema"].get("$ref", ""))

    ask_route = paths["/v1/ask"]["post"]
    assert ref(ask_route["requestBody"]).endswith("/AskRequest")
    assert ref(ask_route["responses"]["200"]).endswith("/AnswerModel")
    assert ref(ask_route["responses"]["422"]).endswith("/ErrorModel")
    schemas = spec["components"]["schemas"]
    request = schemas["AskRequest"]
    assert request["additionalProperties"] is False
    assert request["properties"]["question"]["maxLength"] == MAX_QUESTION_CHARS
    assert request["properties"]["k"]["maximum"] == 50
    assert {"TurnModel", "PassageModel", "UploadResponse", "RemoveReportModel"} <= set(schemas)
    assert AskRequest.model_json_schema()["properties"]["history"]["items"]["$ref"].endswith(
        "TurnModel"
    )


# -- work stays off the event loop -----------------------------------------------------------------


def test_a_slow_question_does_not_hold_up_other_requests(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered, release = threading.Event(), threading.Event()
    real = http_api.answer_request

    def slow(chat: ChatSettings, request: AskRequest) -> Answer:
        entered.set()
        assert release.wait(30)
        return real(chat, request)

    monkeypatch.setattr(http_api, "answer_request", slow)
    statuses: list[int] = []
    asking = threading.Thread(
        target=lambda: statuses.append(
            client.post("/v1/ask", json={"question": QUESTION, "fast": True}).status_code
        )
    )
    asking.start()
    try:
        assert entered.wait(30)
        assert client.get("/openapi.json").status_code == 200  # served while the question waits
        assert client.get("/v1/documents").status_code == 200
        assert statuses == []
    finally:
        release.set()
        asking.join(60)
    assert statuses == [200]
