"""PDF, DOCX and HTML: extracted text, sections, pages, and exact offsets end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import UnsupportedFileError
from ingest.formats.loaders import load_document
from ingest.index.store import load_version
from ingest.sync.pipeline import ingest
from ingest.text.chunker import ChunkSettings, chunk_document
from retrieval.retriever import Retriever
from tests.support.documents import write_docx, write_encrypted_pdf, write_pdf, write_two_column_pdf
from tests.support.fakes import FakeEmbedder

PAGE_ONE = [
    "Orchards cover the northern valley. Apples there ripen late in the autumn.",
    "Farmers sell the harvest at the market in the old town square every week.",
]
PAGE_TWO = [
    "The observatory on the ridge opened in 1987 after a decade of construction.",
    "Its main telescope has a mirror of four metres and watches distant galaxies.",
]


def test_pdf_pages_are_spans_of_the_text(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "report.pdf", [PAGE_ONE, PAGE_TWO], title="Valley report")
    doc = load_document(path)
    assert doc.format == "pdf" and doc.title == "Valley report"
    assert [p.number for p in doc.pages] == [1, 2]
    first, second = (doc.text[p.start : p.end] for p in doc.pages)
    assert all(paragraph in first for paragraph in PAGE_ONE)
    assert all(paragraph in second for paragraph in PAGE_TWO)
    assert doc.page_at(doc.text.index("observatory")) == 2


def test_pdf_chunks_never_span_pages(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "r.pdf", [PAGE_ONE, PAGE_TWO, PAGE_ONE])
    doc = load_document(path)
    chunks = chunk_document(doc, ChunkSettings(max_chars=1200))
    assert len(chunks) == 3  # everything would fit in one chunk, but pages cut it
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert doc.page_at(chunk.start) == doc.page_at(chunk.end - 1) == chunk.page
    assert [c.page for c in chunks] == [1, 2, 3]


def test_answer_on_page_two_is_cited_with_its_page(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    write_pdf(folder / "valley.pdf", [PAGE_ONE, PAGE_TWO])
    index = tmp_path / "index"
    ingest([folder], index=index, embedder=FakeEmbedder())
    answer = Retriever(index, embedder=FakeEmbedder()).answer(
        "When did the observatory on the ridge open?", k=3
    )
    top = answer.passages[0]
    assert top.doc_id == "valley.pdf" and top.page == 2
    assert "1987" in top.text
    text = load_version(index).documents["valley.pdf"].text
    assert text[top.start : top.end] == top.text


def test_two_column_page_is_read_column_by_column(tmp_path: Path) -> None:
    left = [
        "Alpha opens the left column with",
        "a sentence that runs over three",
        "lines before it finally ends here.",
        "",
        "A second left paragraph follows",
        "and closes the first column.",
    ]
    right = [
        "Omega opens the right column with",
        "words that continue on the next",
        "line and end the right paragraph.",
        "",
        "The last right paragraph is short",
        "and closes the second column.",
    ]
    doc = load_document(write_two_column_pdf(tmp_path / "cols.pdf", left, right))
    text = doc.text
    assert text.startswith("A Title Spanning The Whole Width")
    assert (
        "Alpha opens the left column with a sentence that runs over three lines before it "
        "finally ends here." in text
    )
    assert "Omega opens the right column with words that continue on the next line" in text
    assert text.index("closes the first column") < text.index("Omega opens")


def test_hyphenated_line_ends_are_joined(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    for y, line in enumerate(["The instru-", "ment measures the tempera-", "ture twice a day."]):
        pdf.text(20, 20 + 6 * y, line)
    pdf.output(str(tmp_path / "h.pdf"))
    doc = load_document(tmp_path / "h.pdf")
    assert doc.text == "The instrument measures the temperature twice a day."


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("secret.pdf", lambda p: write_encrypted_pdf(p, "Hidden words."), "encrypted"),
        ("broken.pdf", lambda p: p.write_bytes(b"%PDF-1.4\n1 0 obj garbage"), "PDF"),
        ("truncated.pdf", None, "PDF"),
        ("scan.pdf", lambda p: write_pdf(p, [[]]), "no text"),
        ("broken.docx", lambda p: p.write_bytes(b"PK\x03\x04 not a zip"), "docx"),
        ("binary.html", lambda p: p.write_bytes(b"<html>\x00\x01\x02"), "binary"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(
    tmp_path: Path, name: str, make: object, message: str
) -> None:
    path = tmp_path / name
    if make is None:
        whole = write_pdf(tmp_path / "whole.pdf", [PAGE_ONE]).read_bytes()
        path.write_bytes(whole[: len(whole) // 2])
    else:
        make(path)  # type: ignore[operator]
    with pytest.raises(UnsupportedFileError, match=message):
        load_document(path)


def test_docx_headings_give_sections_and_tables_give_rows(tmp_path: Path) -> None:
    path = write_docx(
        tmp_path / "plan.docx",
        [
            ("heading", (1, "Budget")),
            ("para", "The budget grew by a tenth this year."),
            ("heading", (2, "Costs")),
            ("table", [["Item", "Cost"], ["Rent", "1200"], ["Power", "300"]]),
            ("para", "Costs are paid monthly."),
            ("heading", (1, "Staff")),
            ("para", "Nine people work here."),
        ],
    )
    doc = load_document(path)
    assert doc.format == "docx" and doc.title == "Budget"
    spans = [(s.path, doc.text[s.start : s.end]) for s in doc.sections]
    assert spans == [
        (("Budget",), "The budget grew by a tenth this year."),
        (("Budget", "Costs"), "Item | Cost\nRent | 1200\nPower | 300\n\nCosts are paid monthly."),
        (("Staff",), "Nine people work here."),
    ]


def test_docx_title_style_and_core_title(tmp_path: Path) -> None:
    items = [("heading", (0, "Annual Plan")), ("heading", (1, "Goals")), ("para", "Grow.")]
    doc = load_document(write_docx(tmp_path / "a.docx", items))
    assert doc.title == "Annual Plan"
    assert [s.path for s in doc.sections] == [("Annual Plan", "Goals")]
    doc = load_document(write_docx(tmp_path / "b.docx", items, title="Core Title"))
    assert doc.title == "Core Title"


HTML = """<!doctype html>
<html><head><title>Harbour guide</title><style>body { color: red }</style>
<script>var tracking = "do not index";</script></head>
<body>
<nav><a href="/">Home</a> | <a href="/about">About us</a></nav>
<h1>The harbour</h1>
<p>Boats leave the <b>harbour</b> at dawn.
   They return   at dusk.</p>
<h2>Ferries</h2>
<ul><li>The ferry to the island runs hourly.</li><li>Tickets cost five euros.</li></ul>
<table><tr><th>Day</th><th>First ferry</th></tr><tr><td>Sunday</td><td>09:00</td></tr></table>
<script>console.log("still not text")</script>
<h3>Night service</h3><div>There is no night ferry.<br>Plan ahead.</div>
<!-- a comment -->
</body></html>"""


def test_html_title_headings_and_dropped_elements(tmp_path: Path) -> None:
    path = tmp_path / "guide.html"
    path.write_text(HTML, encoding="utf-8")
    doc = load_document(path)
    assert doc.format == "html" and doc.title == "Harbour guide"
    for absent in ("tracking", "not text", "About us", "color: red", "a comment"):
        assert absent not in doc.text
    spans = [(s.path, doc.text[s.start : s.end]) for s in doc.sections]
    assert spans == [
        (("The harbour",), "Boats leave the harbour at dawn. They return at dusk."),
        (
            ("The harbour", "Ferries"),
            "The ferry to the island runs hourly.\n\nTickets cost five euros.\n\n"
            "Day | First ferry\nSunday | 09:00",
        ),
        (("The harbour", "Ferries", "Night service"), "There is no night ferry.\nPlan ahead."),
    ]


def test_html_charset_from_meta(tmp_path: Path) -> None:
    path = tmp_path / "latin.htm"
    page = '<html><head><meta charset="iso-8859-1"></head><body><p>Café crème.</p></body></html>'
    path.write_bytes(page.encode("latin-1"))
    assert "Café crème." in load_document(path).text


def test_every_format_keeps_offsets_exact_in_the_index(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    write_pdf(folder / "a.pdf", [PAGE_ONE, PAGE_TWO])
    write_docx(folder / "b.docx", [("heading", (1, "H")), ("para", PAGE_ONE[0])])
    (folder / "c.html").write_text(HTML, encoding="utf-8")
    (folder / "d.md").write_text("# T\n\n" + PAGE_TWO[0] + "\n")
    (folder / "e.txt").write_text(PAGE_TWO[1] + "\n")
    index = tmp_path / "index"
    report = ingest([folder], index=index, embedder=FakeEmbedder())
    assert sorted(report.added) == ["a.pdf", "b.docx", "c.html", "d.md", "e.txt"]
    version = load_version(index)
    assert {d.format for d in version.documents.values()} == {"pdf", "docx", "html", "md", "txt"}
    for chunk in version.chunks:
        text = version.documents[chunk.doc_id].text
        assert text[chunk.start : chunk.end] == chunk.text and chunk.text.strip()
    retriever = Retriever(index, embedder=FakeEmbedder())
    for question in ("ferry tickets", "apples ripen", "observatory telescope mirror"):
        for p in retriever.answer(question, k=5).passages:
            assert version.documents[p.doc_id].text[p.start : p.end] == p.text


def test_blank_pages_keep_the_numbering_of_the_others(tmp_path: Path) -> None:
    doc = load_document(write_pdf(tmp_path / "gaps.pdf", [[], PAGE_ONE, [], PAGE_TWO]))
    assert [p.number for p in doc.pages] == [1, 2, 3, 4]
    assert doc.text.startswith("Orchards")
    assert doc.page_at(doc.text.index("Orchards")) == 2
    assert doc.page_at(doc.text.index("observatory")) == 4
    assert [c.page for c in chunk_document(doc)] == [2, 4]
