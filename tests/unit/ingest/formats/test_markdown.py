"""Markdown parsed with markdown-it-py: setext headings, code fences, front matter, offsets."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.formats.document import Document
from ingest.formats.loaders import load_document, load_markdown
from ingest.text.chunker import chunk_document
from tests.support.paths import CORPUS


def _load(text: str, name: str = "note.md") -> Document:
    return load_markdown(Path(name), name, text.encode("utf-8"))


def _spans(doc: Document) -> list[tuple[tuple[str, ...], str]]:
    return [(s.path, doc.text[s.start : s.end]) for s in doc.sections]


def test_setext_headings_of_both_levels_are_sections() -> None:
    doc = _load(
        "User Guide\n==========\n\nRead this first.\n\n"
        "Setup\n-----\n\nInstall the tool.\n\n### Options\n\nPass --fast.\n\n"
        "Usage\n---\n\nRun it.\n"
    )
    assert doc.title == "User Guide"
    assert _spans(doc) == [
        (("User Guide",), "Read this first."),
        (("User Guide", "Setup"), "Install the tool."),
        (("User Guide", "Setup", "Options"), "Pass --fast."),
        (("User Guide", "Usage"), "Run it."),
    ]


def test_a_setext_heading_over_several_lines_is_one_title() -> None:
    doc = _load("A title that\nruns over two lines\n===\n\nBody.\n")
    assert doc.title == "A title that runs over two lines"
    assert _spans(doc) == [(("A title that runs over two lines",), "Body.")]


FENCED = {
    "backticks holding a tilde line": "```\n~~~\n# install\npip install docqa\n```",
    "tildes holding a backtick block": "~~~\n```sh\n# install\n```\n~~~",
    "four backticks holding three": "````markdown\n```\n# install\n```\n````",
    "indented fence": " ```\n# install\n ```",
    "after inline code at a line start": "```x``` is inline code.\n\n```\n# install\n```",
}


@pytest.mark.parametrize("fenced", FENCED.values(), ids=FENCED.keys())
def test_a_hash_line_in_a_code_fence_is_neither_a_section_nor_the_title(fenced: str) -> None:
    doc = _load(f"{fenced}\n\n# Real title\n\nText.\n")
    assert doc.title == "Real title"
    assert _spans(doc) == [((), fenced.strip()), (("Real title",), "Text.")]


def test_a_fence_left_open_runs_to_the_end_of_the_document() -> None:
    doc = _load("Intro.\n\n```\n# not a heading\n\n## nor this\n")
    assert doc.title == "note"
    assert _spans(doc) == [((), "Intro.\n\n```\n# not a heading\n\n## nor this")]


@pytest.mark.parametrize(
    ("source", "title"),
    [
        ("# C#\n\nBody.\n", "C#"),  # a closing run of # needs a space before it
        ("   # Indented by three\n\nBody.\n", "Indented by three"),
    ],
)
def test_atx_headings_follow_commonmark(source: str, title: str) -> None:
    doc = _load(source)
    assert doc.title == title
    assert _spans(doc) == [((title,), "Body.")]


@pytest.mark.parametrize(
    "source",
    [
        "---\ntitle: Field notes\nauthor: Ann\n...\nSpring\n======\n\nBirds return.\n",
        "---\ntitle: Field notes\n# a YAML comment\nauthor: Ann\n---\n"
        "Spring\n======\n\nBirds return.\n",
    ],
    ids=["closed with dots", "closed with dashes"],
)
def test_front_matter_gives_metadata_and_title_before_a_setext_heading(source: str) -> None:
    doc = _load(source)
    assert doc.title == "Field notes"  # the front matter's title wins over the first heading
    assert doc.metadata == (("title", "Field notes"), ("author", "Ann"))
    assert _spans(doc) == [(("Spring",), "Birds return.")]
    assert doc.text == source


def test_front_matter_alone_is_metadata_and_no_body() -> None:
    doc = _load("---\ntitle: Only metadata\n---")
    assert doc.title == "Only metadata" and doc.sections == ()


def test_a_longer_rule_at_the_top_is_not_front_matter() -> None:
    """Regression guard (passes on the regex loader too): the front-matter plugin alone
    would open on any run of dashes and hide everything up to the next rule."""
    doc = _load("-----\n\nPara one.\n\n-----\n\nPara two.\n")
    assert doc.metadata == ()
    assert _spans(doc) == [((), "-----\n\nPara one.\n\n-----\n\nPara two.")]


MIXED = """\
Handbook
========

Welcome to the handbook.

Getting started
---------------

1. Install it.
2. Run `docqa ingest`.

```bash
# comment, not a heading
docqa ask "question"
```

## Configuration ##

> Settings live in one file.

~~~
## still code
~~~

Troubleshooting
===============

Ask for help.
"""


def test_offsets_point_at_the_body_text_as_written() -> None:
    doc = _load(MIXED)
    assert doc.text == MIXED
    assert doc.title == "Handbook"
    assert _spans(doc) == [
        (("Handbook",), "Welcome to the handbook."),
        (
            ("Handbook", "Getting started"),
            "1. Install it.\n2. Run `docqa ingest`.\n\n"
            '```bash\n# comment, not a heading\ndocqa ask "question"\n```',
        ),
        (
            ("Handbook", "Configuration"),
            "> Settings live in one file.\n\n~~~\n## still code\n~~~",
        ),
        (("Troubleshooting",), "Ask for help."),
    ]
    for chunk in chunk_document(doc):
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert "====" not in chunk.text and "----" not in chunk.text


def test_the_bundled_article_is_unchanged() -> None:
    """Regression guard: the regex loader gave exactly this document (passes on it too)."""
    path = CORPUS / "kazakhstan-brics-refusal.md"
    doc = load_document(path)
    assert doc.text == path.read_text(encoding="utf-8")
    assert doc.title == "Kazakhstan's Refusal of BRICS+: Understanding the Geopolitical Balance"
    assert doc.metadata == ()
    spans = [(96, 853), (872, 2371), (2397, 4201), (4225, 6034), (6054, 7833), (7850, 8968)]
    assert [(s.start, s.end) for s in doc.sections] == spans
    assert [s.path[-1] for s in doc.sections] == [
        "Executive Summary",
        "Introduction",
        "The advent of BRICS",
        "Snub or Strategy?",
        "Beyond BRICS+",
        "Conclusion",
    ]
