"""The docqa command line: exit codes, JSON shapes, messages."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

from retrieval.eval.evaluation import METRIC_KEYS
from retrieval.types import Answer
from ui.cli import main


def test_ingest_then_ask_json(
    tmp_path: Path, corpus_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "idx"
    assert (
        main(["ingest", str(corpus_dir), "--index", str(index), "--model", "fake-hashing-256"]) == 0
    )
    assert "1 added" in capsys.readouterr().out
    assert main(["ingest", str(corpus_dir), "--index", str(index), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["chunks_embedded"] == 0 and report["unchanged"] == ["kazakhstan-brics-refusal.md"]
    assert (
        main(["ask", "Who hosted the BRICS summit?", "--index", str(index), "--json", "--k", "3"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {f.name for f in fields(Answer)} and len(data["passages"]) == 3


def test_ask_readable_output_numbers_citations(
    fake_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ask", "BRICS summit in October", "--index", str(fake_index), "--k", "2"]) == 0
    out = capsys.readouterr().out
    assert "[1]" in out and "[2]" in out and "chars " in out


def test_ask_labels_passages_as_the_chat_does_and_names_the_title_once(
    fake_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from retrieval import ask
    from ui.labels import confidence_label

    question = "BRICS summit in October"
    assert main(["ask", question, "--index", str(fake_index), "--k", "3"]) == 0
    out = capsys.readouterr().out
    answer = ask(question, k=3, index=fake_index)
    headers = [line for line in out.splitlines() if line.startswith("[")]
    assert len(headers) == 3
    for header, passage in zip(headers, answer.passages, strict=True):
        assert header.endswith(f"| {confidence_label(passage.confidence)}")
        assert header.count(passage.title) == 1
    assert all("score" not in header for header in headers)


@pytest.mark.parametrize(
    "argv",
    [["ask", "   "], ["ask", "q", "--k", "0"], ["ask", "q", "--k", "51"]],
)
def test_bad_input_exits_2_with_one_line(
    fake_index: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--index", str(fake_index)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("docqa: error:") and "\n" not in err


def test_argument_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["ask", "q", "--k", "abc"])
    assert exc.value.code == 2


def test_missing_index_exits_1_and_says_how(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ask", "q", "--index", str(tmp_path / "none")]) == 1
    assert "docqa ingest" in capsys.readouterr().err


def test_ingest_with_a_bad_file_exits_1(
    tmp_path: Path, corpus_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (corpus_dir / "bad.txt").write_bytes(b"\x00\x00")
    code = main(
        ["ingest", str(corpus_dir), "--index", str(tmp_path / "i"), "--model", "fake-hashing-64"]
    )
    assert code == 1
    captured = capsys.readouterr()
    assert "bad.txt" in captured.err and "1 added" in captured.out


def test_eval_json_has_exactly_the_protocol_keys(
    fake_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps(
            {"id": "1", "question": "Who is Kassym-Jomart Tokayev?", "evidence": ["Tokayev"]}
        )
        + "\n"
        + json.dumps({"id": "2", "question": "zebra giraffe", "evidence": []})
        + "\n"
    )
    assert main(["eval", str(questions), "--index", str(fake_index), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert tuple(figures) == METRIC_KEYS
    assert figures["n_answerable"] == 1 and figures["citation_validity"] == 1.0


def test_list(fake_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--index", str(fake_index), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["doc_id"] for r in rows] == ["kazakhstan-brics-refusal.md"]


def test_an_ingest_into_milvus_says_how_another_docqa_names_it(
    tmp_path: Path, corpus_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index, uri = tmp_path / "idx", str(tmp_path / "m.db")
    common = ["--index", str(index), "--model", "fake-hashing-256"]
    assert (
        main(["ingest", str(corpus_dir), *common, "--backend", "milvus", "--milvus-uri", uri]) == 0
    )
    out = capsys.readouterr().out
    assert f"--milvus-uri {uri} --milvus-collection docqa_" in out
    collection = out.split("--milvus-collection ")[1].split()[0]
    elsewhere = ["--index", str(tmp_path / "elsewhere"), "--backend", "milvus"]
    named = [*elsewhere, "--milvus-uri", uri, "--milvus-collection", collection]
    assert main(["ask", "Who hosted the BRICS summit?", *named, "--json", "--k", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["passages"]
    assert not (tmp_path / "elsewhere").exists()
    local = ["--index", str(tmp_path / "local"), "--model", "fake-hashing-256"]
    assert main(["ingest", str(corpus_dir), *local]) == 0
    assert "Milvus" not in capsys.readouterr().out
