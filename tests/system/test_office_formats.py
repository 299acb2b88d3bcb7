"""Slides, sheets and mail with the real model: the right passage first, cited by slide,
sheet and attachment."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.embedding.protocol import Embedder
from ingest.sync.pipeline import ingest
from retrieval import ask
from tests.support.documents import write_eml, write_pdf, write_pptx, write_xlsx
from tests.support.paths import CORPUS

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def office_index(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder
) -> Iterator[Path]:
    """The bundled article beside a deck, a workbook and a mail with a PDF attached."""
    root = tmp_path_factory.mktemp("office")
    docs = root / "docs"
    shutil.copytree(CORPUS, docs)
    write_pptx(
        docs / "harbour.pptx",
        [
            ("Harbour plan 2025", ["Works on the old harbour of Varnholm."], ""),
            (
                "Dredging",
                ["The harbour channel is dredged to a depth of six metres."],
                "Say that dredging of the channel starts on 14 April and lasts five weeks.",
            ),
            ("Ferry timetable", ["The summer ferry leaves the quay every two hours."], ""),
        ],
    )
    write_xlsx(
        docs / "budget.xlsx",
        {
            "Works": [
                ["Item", "Cost", "Contractor"],
                ["Bridge repair", 48500, "Nordbyg"],
                ["Quay lighting", 12800, "Lysverk"],
            ],
            "Staff": [["Name", "Role"], ["Ingrid Holm", "Harbour master"]],
        },
        formats={"Works!B2": '#,##0 "euros"', "Works!B3": '#,##0 "euros"'},
    )
    survey = write_pdf(
        root / "survey.pdf",
        [
            ["Survey of the old pier, spring 2025."],
            ["The old pier rests on forty oak piles driven into the clay in 1887."],
        ],
        title="Pier survey",
    )
    write_eml(
        docs / "mail.eml",
        "Pier survey results",
        "Hello all,\n\nThe pier survey is attached. Repairs to the pier begin in September.\n\nAna",
        attachments=[("survey.pdf", survey.read_bytes(), "application/pdf")],
    )
    index = root / "index"
    report = ingest([docs], index=index, embedder=real_embedder)
    assert report.rejected == () and report.warnings == ()
    yield index


def test_a_slide_is_found_and_cited_by_its_number(office_index: Path) -> None:
    top = ask("When does the dredging of the harbour channel start?", index=office_index).passages[
        0
    ]
    assert (top.doc_id, top.format, top.page, top.section) == (
        "harbour.pptx",
        "pptx",
        2,
        ("Dredging", "Notes"),
    )
    assert "14 April" in top.text


def test_a_sheet_row_is_found_with_its_header_and_cited_by_its_sheet(office_index: Path) -> None:
    top = ask("How much does the bridge repair cost?", index=office_index).passages[0]
    assert (top.doc_id, top.section, top.page) == ("budget.xlsx", ("Works",), None)
    assert "Row 2: Item: Bridge repair | Cost: 48,500 euros" in top.text


def test_an_attachment_is_cited_under_its_mail(office_index: Path) -> None:
    top = ask("How many oak piles does the old pier rest on?", index=office_index).passages[0]
    assert (top.doc_id, top.page) == ("mail.eml/attachments/survey.pdf", 2)
    assert "forty oak piles" in top.text


def test_the_mail_body_is_found(office_index: Path) -> None:
    top = ask("When do the repairs to the pier begin?", index=office_index).passages[0]
    assert (top.doc_id, top.section) == ("mail.eml", ("Pier survey results",))
    assert "September" in top.text
