"""Loading plain text and Markdown into documents with sections."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import InvalidInputError, UnsupportedFileError
from ingest.formats.loaders import load_document
from tests.support.paths import CORPUS, SHARED

HEADINGS = [
    "Executive Summary",
    "Introduction",
    "The advent of BRICS",
    "Snub or Strategy?",
    "Beyond BRICS+",
    "Conclusion",
]


def test_the_bundled_article_has_its_title_and_six_sections() -> None:
    doc = load_document(CORPUS / "kazakhstan-brics-refusal.md")
    title = "Kazakhstan's Refusal of BRICS+: Understanding the Geopolitical Balance"
    assert doc.title == title
    assert [s.path for s in doc.sections] == [(title, h) for h in HEADINGS]
    assert doc.format == "md" and doc.pages == ()


def test_bundled_article_paragraphs_are_verbatim() -> None:
    shared = SHARED / "corpus" / "kazakhstan-brics-refusal.txt"
    if not shared.exists():
        pytest.skip("shared article not present")
    original = [line for line in shared.read_text(encoding="utf-8").splitlines() if line.strip()]
    doc = load_document(CORPUS / "kazakhstan-brics-refusal.md")
    for paragraph in original[1:]:
        if paragraph not in HEADINGS:
            assert paragraph in doc.text


def test_markdown_front_matter_becomes_metadata_and_is_not_indexed(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text("---\ntitle: My note\nauthor: A\n---\n## Part\n\nBody text.\n")
    doc = load_document(path)
    assert doc.title == "My note"
    assert dict(doc.metadata) == {"title": "My note", "author": "A"}
    assert [doc.text[s.start : s.end] for s in doc.sections] == ["Body text."]
    assert doc.sections[0].path == ("Part",)


def test_headings_inside_code_fences_are_not_sections(tmp_path: Path) -> None:
    path = tmp_path / "code.md"
    path.write_text("# T\n\nIntro.\n\n```\n# not a heading\n```\n\n## Real\n\nText.\n")
    doc = load_document(path)
    assert [s.path for s in doc.sections] == [("T",), ("T", "Real")]


def test_plain_text_is_one_section(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("\n\nHello there.\n\nSecond paragraph.\n")
    doc = load_document(path)
    assert doc.title == "a"
    assert doc.text[doc.sections[0].start : doc.sections[0].end].startswith("Hello")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.md", b"  \n\n ", "empty"),
        ("latin1.txt", "caf\xe9".encode("latin-1"), "not UTF-8"),
        ("binary.txt", b"\x00\x01\x02binary", "binary"),
        ("table.csv", b"a,b\n", "unsupported file type"),
    ],
)
def test_bad_files_are_refused_with_a_reason(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(UnsupportedFileError, match=message):
        load_document(path)


def test_missing_path_and_size_limit(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="no such file"):
        load_document(tmp_path / "nope.txt")
    big = tmp_path / "big.txt"
    big.write_text("x" * 200)
    with pytest.raises(UnsupportedFileError, match="over the limit"):
        load_document(big, max_bytes=100)
