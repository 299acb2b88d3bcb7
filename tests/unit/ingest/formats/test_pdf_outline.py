"""PDF bookmarks (the outline) as sections: titles, nested paths, citations, broken outlines."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from ingest.formats.document import Document, Section
from ingest.formats.loaders import load_document
from ingest.formats.pdf import Bookmark, outline_bookmarks
from ingest.sync.pipeline import ingest
from ingest.text.chunker import chunk_document
from retrieval.retriever import Retriever
from tests.support.documents import write_pdf

COVER = "A field guide to the valley and the ridge, second edition."
ORCHARDS = "Orchards cover the northern valley. Apples there ripen late in the autumn."
MARKET = "Farmers sell the harvest at the market in the old town square every week."
RIDGE = "The observatory on the ridge opened in 1987 after a decade of construction."

#: A page is a list of blocks: ("heading", level, title) prints the title and bookmarks it,
#: ("bookmark", level, title) only bookmarks it, ("para", text) prints a paragraph.
Block = tuple[Any, ...]


def write_book(path: Path, pages: Sequence[Sequence[Block]]) -> Path:
    """A PDF whose outline fpdf2 writes from the bookmarks in ``pages``."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_font("Helvetica", size=11)
    for blocks in pages:
        pdf.add_page()
        for kind, *rest in blocks:
            if kind in ("heading", "bookmark"):
                level, title = rest
                pdf.start_section(title, level=level)
                if kind == "bookmark":
                    continue
            text = rest[-1]
            pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(6)
    pdf.output(str(path))
    return path


BOOK: list[list[Block]] = [
    [("para", COVER)],
    [
        ("heading", 0, "1 The valley"),
        ("para", ORCHARDS),
        ("heading", 1, "1.1 The market"),
        ("para", MARKET),
    ],
    [("heading", 0, "2 The ridge"), ("para", RIDGE)],
]


def _spans(doc: Document) -> list[tuple[tuple[str, ...], str]]:
    return [(s.path, doc.text[s.start : s.end]) for s in doc.sections]


def test_bookmarks_become_sections_with_nested_paths(tmp_path: Path) -> None:
    doc = load_document(write_book(tmp_path / "guide.pdf", BOOK))
    assert _spans(doc) == [
        ((), COVER),
        (("1 The valley",), f"1 The valley\n\n{ORCHARDS}"),
        (("1 The valley", "1.1 The market"), f"1.1 The market\n\n{MARKET}"),
        (("2 The ridge",), f"2 The ridge\n\n{RIDGE}"),
    ]
    assert [doc.page_at(s.start) for s in doc.sections] == [1, 2, 2, 3]


def test_the_chunk_on_chapter_two_page_names_chapter_two(tmp_path: Path) -> None:
    doc = load_document(write_book(tmp_path / "guide.pdf", BOOK))
    chunks = chunk_document(doc)
    (ridge,) = [c for c in chunks if "observatory" in c.text]
    assert ridge.page == 3 and ridge.section == ("2 The ridge",)
    assert all(doc.text[c.start : c.end] == c.text for c in chunks)


def test_the_passage_citing_chapter_two_names_chapter_two(
    tmp_path: Path, fake_embedder: Any
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    write_book(folder / "guide.pdf", BOOK)
    index = tmp_path / "index"
    ingest([folder], index=index, embedder=fake_embedder)
    answer = Retriever(index, embedder=fake_embedder).answer(
        "When did the observatory on the ridge open?", k=3
    )
    top = answer.passages[0]
    assert (top.doc_id, top.page, top.section) == ("guide.pdf", 3, ("2 The ridge",))
    assert "1987" in top.text


def test_a_bookmark_starts_at_its_title_or_else_at_its_page(tmp_path: Path) -> None:
    pages: list[list[Block]] = [
        [("heading", 0, "Summary"), ("para", ORCHARDS)],
        [
            ("bookmark", 0, "Appendix"),  # its title is nowhere on the page
            ("para", MARKET),
            ("bookmark", 1, "the   OBSERVATORY"),  # found despite case and spacing
            ("para", RIDGE),
        ],
    ]
    doc = load_document(write_book(tmp_path / "a.pdf", pages))
    assert _spans(doc) == [
        (("Summary",), f"Summary\n\n{ORCHARDS}"),
        (("Appendix",), MARKET),
        (("Appendix", "the OBSERVATORY"), RIDGE),
    ]


def test_a_pdf_without_outline_is_one_section(tmp_path: Path) -> None:
    """Regression guard (passes on the loader without outlines too)."""
    doc = load_document(write_pdf(tmp_path / "plain.pdf", [[ORCHARDS], [RIDGE]]))
    assert doc.sections == (Section((), 0, len(doc.text)),)
    assert doc.text == f"{ORCHARDS}\n\n{RIDGE}"


def _break_outline(source: Path, target: Path, *, keep_first: bool) -> Path:
    """Copy ``source`` with an outline of damaged entries (and one good one if asked)."""
    from pypdf import PdfWriter
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    writer = PdfWriter(clone_from=str(source))
    damaged: list[Any] = [
        ArrayObject([NumberObject(9999), NameObject("/Fit")]),  # no such page
        ArrayObject([NameObject("/NotAPage"), NameObject("/Fit")]),  # a name for a page
        TextStringObject("no-such-named-destination"),
        NumberObject(7),  # not a destination at all
    ]
    items = []
    if keep_first:
        items.append(writer.add_outline_item(title="Chapter two", page_number=1))
    for n, destination in enumerate(damaged):
        items.append(writer.add_outline_item(title=f"Broken {n}", page_number=0))
        entry = items[-1].get_object()
        assert isinstance(entry, DictionaryObject)
        del entry[NameObject("/A")]
        entry[NameObject("/Dest")] = destination
    writer.add_outline_item(title="Orphan child", page_number=None, parent=items[-1])
    last = items[-1].get_object()
    assert isinstance(last, DictionaryObject)
    last[NameObject("/Next")] = items[0]  # the last entry leads back to the first: a cycle
    writer.write(str(target))
    return target


def test_broken_outline_entries_are_skipped_and_good_ones_kept(tmp_path: Path) -> None:
    plain = write_pdf(tmp_path / "plain.pdf", [[ORCHARDS], [RIDGE], [MARKET]])
    doc = load_document(_break_outline(plain, tmp_path / "broken.pdf", keep_first=True))
    assert doc.text == load_document(plain).text
    assert _spans(doc) == [((), ORCHARDS), (("Chapter two",), f"{RIDGE}\n\n{MARKET}")]


def test_an_outline_with_no_usable_entry_leaves_one_section(tmp_path: Path) -> None:
    """Regression guard (passes on the loader without outlines too)."""
    plain = write_pdf(tmp_path / "plain.pdf", [[ORCHARDS], [RIDGE]])
    doc = load_document(_break_outline(plain, tmp_path / "broken.pdf", keep_first=False))
    assert doc.sections == (Section((), 0, len(doc.text)),)


class _FakeDestination:
    def __init__(self, title: object, page: object) -> None:
        self.title = title
        self.page = page


class _FakeReader:
    """Stands in for ``PdfReader``: an outline of any shape, pages resolved by a table."""

    def __init__(self, outline: object, *, pages: int = 3) -> None:
        self._outline = outline
        self.pages = [object()] * pages

    @property
    def outline(self) -> object:
        if isinstance(self._outline, Exception):
            raise self._outline
        return self._outline

    def get_destination_page_number(self, destination: _FakeDestination) -> object:
        if isinstance(destination.page, Exception):
            raise destination.page
        return destination.page


def test_outline_bookmarks_survive_any_outline_shape() -> None:
    loop: list[Any] = [_FakeDestination("Inside a loop", 2)]
    loop.append(loop)  # a list holding itself
    outline = [
        _FakeDestination("Part one", 0),
        [_FakeDestination("Child", 1), None, 42, {"/Title": "a dict"}, loop],
        _FakeDestination("Unresolved", None),
        [_FakeDestination("Child of unresolved", 1)],
        _FakeDestination("Raises", RuntimeError("bad destination")),
        _FakeDestination("Out of range", 3),
        _FakeDestination("Negative", -1),
        _FakeDestination("A bool", True),
        _FakeDestination(b"Bytes title", 2),
        _FakeDestination("", 2),  # blank title: no section, and not part of a path
        [_FakeDestination("Under a blank", 1)],
        _FakeDestination(None, 2),
    ]
    assert outline_bookmarks(_FakeReader(outline)) == [
        Bookmark(("Part one",), 0),
        Bookmark(("Part one", "Child"), 1),
        Bookmark(("Part one", "Inside a loop"), 2),
        Bookmark(("Unresolved", "Child of unresolved"), 1),
        Bookmark(("Bytes title",), 2),
        Bookmark(("Under a blank",), 1),
    ]


@pytest.mark.parametrize("outline", [RecursionError("deep"), KeyError("/First"), "text", None])
def test_an_unreadable_outline_gives_no_bookmarks(outline: object) -> None:
    assert outline_bookmarks(_FakeReader(outline)) == []
