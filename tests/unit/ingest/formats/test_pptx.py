"""PowerPoint decks: a section and a page per slide, reading order, tables, groups, notes."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from ingest.errors import UnsupportedFileError
from ingest.formats.loaders import load_document
from ingest.formats.packages import OLE_SIGNATURE
from tests.support.documents import write_pptx


def _section_texts(path: Path) -> dict[tuple[str, ...], str]:
    doc = load_document(path)
    return {s.path: doc.text[s.start : s.end] for s in doc.sections}


def test_each_slide_is_a_section_and_a_page_numbered_like_the_slide(tmp_path: Path) -> None:
    path = write_pptx(
        tmp_path / "harbour.pptx",
        [
            ("Harbour plan", ["Dredging starts in May.", "The pier closes for a week."], ""),
            ("", [], ""),  # an empty slide: left out, the others keep their numbers
            ("Budget", ["The pier costs 12,000 euros."], "Mention the grant from the region."),
        ],
    )
    doc = load_document(path)
    assert doc.format == "pptx" and doc.title == "Harbour plan"
    assert [p.number for p in doc.pages] == [1, 3]
    sections = {s.path: doc.text[s.start : s.end] for s in doc.sections}
    assert sections[("Harbour plan",)] == "Dredging starts in May.\n\nThe pier closes for a week."
    assert sections[("Budget",)] == "The pier costs 12,000 euros."
    assert sections[("Budget", "Notes")] == "Mention the grant from the region."
    for section in doc.sections:  # every section lies inside its slide's page
        page = doc.page_at(section.start)
        assert page == doc.page_at(section.end - 1) and page is not None
    assert doc.page_at(doc.text.index("grant")) == 3


def test_the_core_title_names_the_deck(tmp_path: Path) -> None:
    path = write_pptx(tmp_path / "d.pptx", [("Intro", ["Words."], "")], title="Annual review")
    assert load_document(path).title == "Annual review"


def test_untitled_and_title_only_slides_can_still_be_cited(tmp_path: Path) -> None:
    path = write_pptx(
        tmp_path / "d.pptx",
        [("Quarterly review 2025", [], ""), ("", ["A slide without a title."], "")],
    )
    sections = _section_texts(path)
    assert sections == {
        ("Slide 1",): "Quarterly review 2025",
        ("Slide 2",): "A slide without a title.",
    }


def test_tables_and_grouped_shapes_are_read_in_reading_order(tmp_path: Path) -> None:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Works"
    group = slide.shapes.add_group_shape()  # first in the shape tree, lowest on the slide
    group.shapes.add_textbox(Inches(5), Inches(6), Inches(3), Inches(1)).text_frame.text = "Right."
    group.shapes.add_textbox(Inches(1), Inches(6), Inches(3), Inches(1)).text_frame.text = "Left."
    table = slide.shapes.add_table(2, 2, Inches(1), Inches(4), Inches(6), Inches(1)).table
    for (r, c), text in {(0, 0): "Item", (0, 1): "Cost", (1, 0): "Pier", (1, 1): "12"}.items():
        table.cell(r, c).text = text
    box = slide.shapes.add_textbox(Inches(1), Inches(2), Inches(6), Inches(1))
    box.text_frame.text = "First line.\nSecond line."
    deck.save(str(tmp_path / "w.pptx"))

    assert _section_texts(tmp_path / "w.pptx") == {
        ("Works",): "First line.\nSecond line.\n\nItem | Cost\nPier | 12\n\nLeft.\n\nRight."
    }


def test_a_password_protected_deck_is_named_as_such(tmp_path: Path) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = write_pptx(tmp_path / "plain.pptx", [("Secret plan", ["Words."], "")])
    locked = tmp_path / "locked.pptx"
    with plain.open("rb") as source, locked.open("wb") as target:
        OOXMLFile(source).encrypt("secret", target)
    with pytest.raises(UnsupportedFileError, match="encrypted and needs a password"):
        load_document(locked)


def test_an_old_binary_file_under_the_new_suffix_is_named(tmp_path: Path) -> None:
    path = tmp_path / "old.pptx"
    path.write_bytes(OLE_SIGNATURE + bytes(4000))
    with pytest.raises(UnsupportedFileError, match=r"old binary Office file .* save it as .pptx"):
        load_document(path)


def test_a_truncated_deck_is_refused(tmp_path: Path) -> None:
    path = write_pptx(tmp_path / "cut.pptx", [("Title", ["Words."], "")])
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(UnsupportedFileError, match=r"cut.pptx: not a readable .pptx file"):
        load_document(path)


def test_a_zip_bomb_part_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    path = write_pptx(tmp_path / "bomb.pptx", [("Title", ["Words."], "")])
    buffer = io.BytesIO(path.read_bytes())
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as package:
        package.writestr("ppt/media/blank.xml", b" " * 30_000_000)  # ~30 KB packed
    path.write_bytes(buffer.getvalue())
    with pytest.raises(UnsupportedFileError, match=r"refused as a possible zip bomb"):
        load_document(path)
