"""`docqa ingest`, `list` and `remove`: reports, bad input and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.index.store import load_version
from tests.support.documents import write_encrypted_pdf, write_pdf
from ui.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main

FAKE = ["--model", "fake-hashing-256"]


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("# Birds\n\nSwallows fly south in September.\n")
    write_pdf(folder / "b.pdf", [["Storks nest on chimneys."], ["Cranes dance in spring."]])
    return folder


def test_ingest_list_remove_round_trip(
    tmp_path: Path, docs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = str(tmp_path / "index")
    assert main(["ingest", str(docs), "--index", index, *FAKE, "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert sorted(report["added"]) == ["a.md", "b.pdf"]
    assert report["chunks_embedded"] == report["n_chunks"] > 0 and report["chunks_reused"] == 0
    assert main(["ingest", str(docs), "--index", index]) == EXIT_OK
    line = capsys.readouterr().out
    assert "0 added, 0 updated, 2 unchanged" in line and "0 chunks embedded" in line
    assert main(["list", "--index", index]) == EXIT_OK
    listing = capsys.readouterr().out
    assert "a.md\tmd\t1 chunks" in listing and "b.pdf\tpdf\t2 chunks" in listing
    assert "2 documents (1 md, 1 pdf)" in listing
    assert main(["list", "--index", index, "--json"]) == EXIT_OK
    rows = json.loads(capsys.readouterr().out)
    assert [r["doc_id"] for r in rows] == ["a.md", "b.pdf"] and rows[0]["ingested_at"]
    assert main(["remove", "a.md", "--index", index]) == EXIT_OK
    assert "1 removed" in capsys.readouterr().out
    assert set(load_version(index).documents) == {"b.pdf"}
    assert main(["remove", "a.md", "--index", index]) == EXIT_USAGE
    assert "unknown document id(s): a.md" in capsys.readouterr().err


def test_bad_files_are_skipped_with_reasons_and_exit_1(
    tmp_path: Path, docs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (docs / "empty.txt").write_bytes(b"")
    (docs / "binary.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00")
    (docs / "corrupt.pdf").write_bytes(b"%PDF-1.7\nthis is not a pdf body")
    write_encrypted_pdf(docs / "locked.pdf", "Secret words.")
    (docs / "big.txt").write_text("word " * 400_000)  # 2 MB
    index = str(tmp_path / "index")
    code = main(
        [
            "ingest",
            str(docs),
            str(tmp_path / "missing"),
            "--index",
            index,
            *FAKE,
            "--max-file-mb",
            "1",
        ]
    )
    assert code == EXIT_FAILED
    captured = capsys.readouterr()
    expected = {
        "empty.txt": "empty",
        "binary.txt": "binary",
        "corrupt.pdf": "PDF",
        "locked.pdf": "encrypted",
        "big.txt": "over the limit",
        "missing": "no such file",
    }
    for name, reason in expected.items():
        matching = [line for line in captured.err.splitlines() if name in line]
        assert matching and reason in matching[0], (name, captured.err)
    assert "2 added" in captured.out and "6 rejected" in captured.out
    assert set(load_version(index).documents) == {"a.md", "b.pdf"}


@pytest.mark.parametrize("option", [["--max-file-mb", "0"], ["--max-chars", "10"]])
def test_bad_settings_exit_2_and_leave_no_index(
    tmp_path: Path, docs: Path, option: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "index"
    assert main(["ingest", str(docs), "--index", str(index), *FAKE, *option]) == EXIT_USAGE
    assert option[0][2:].split("-")[1] in capsys.readouterr().err
    assert not index.exists()


@pytest.mark.parametrize("argv", [["ingest"], ["remove"], ["ingest", "x", "--no-such-flag"]])
def test_malformed_command_lines_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == EXIT_USAGE


def test_only_invalid_input_exits_1_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "index"
    (tmp_path / "empty.md").write_text("")
    code = main(
        ["ingest", str(tmp_path / "empty.md"), str(tmp_path / "nope"), "--index", str(index), *FAKE]
    )
    assert code == EXIT_FAILED and not index.exists()
    assert "no such file" in capsys.readouterr().err


def test_a_folder_with_nothing_to_read_says_what_it_holds_and_writes_no_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, index = tmp_path / "sounds", tmp_path / "index"
    (folder / "2024").mkdir(parents=True)
    (folder / "cat.mp3").write_bytes(b"ID3")
    (folder / "2024" / "dog.wav").write_bytes(b"RIFF")
    code = main(["ingest", str(folder), "--index", str(index), *FAKE])
    err = capsys.readouterr().err
    assert code == EXIT_FAILED and not index.exists()
    assert "it holds 2 files of type .mp3, .wav; docqa reads .docx" in err
    assert f"nothing to ingest: no index written at {index}" in err
    assert "no docqa index" not in err  # ingest never tells the user to run ingest
