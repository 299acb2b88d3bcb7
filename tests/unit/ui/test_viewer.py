"""The viewer without a browser: links, locating a place, the text window, the PDF page."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from ingest.errors import InvalidInputError
from ingest.formats.document import Document, Section
from ingest.index.store import load_version
from ingest.sync.pipeline import ingest
from retrieval.api import get_retriever
from tests.support.documents import write_pdf
from tests.support.fakes import FakeEmbedder
from tests.support.html_tags import parse_tags
from ui.links import (
    DEFAULT_CONTEXT,
    MAX_CONTEXT,
    MAX_PASSAGE,
    Place,
    parse_link,
    parse_place,
    place_query,
)
from ui.pdf_page import (
    MAX_PIXELS,
    MAX_SIDE_PX,
    PAGE_WIDTH_PX,
    PageUnavailableError,
    find_text,
    line_boxes,
    render_page,
    render_scale,
)
from ui.render import escape
from ui.viewer import Located, locate, marked_text, render_viewer, text_window

XSS = "<script>window.__xss=1</script> <img src=x onerror=alert(1)>"
PDF_PAGES = [
    ["A first page about the visiting hours of the observatory."],
    [
        "The refractor dome was repainted in a pale green colour during the summer.",
        "The meridian telescope was cleaned and its mirror recoated with fresh aluminium by "
        "technicians from the optics workshop. Visitors may view it on Saturday evenings.",
    ],
]
RECOATED = "The meridian telescope was cleaned and its mirror recoated"


def _document(text: str, *, title: str = "Notes", doc_id: str = "notes.md") -> Document:
    return Document(
        doc_id, title, f"/nowhere/{doc_id}", "md", text, (Section((title, "Part"), 0, len(text)),)
    )


def _located(document: Document, start: int, end: int, **place: object) -> Located:
    return Located(
        place=Place(document.doc_id, start, end, **place),  # type: ignore[arg-type]
        document=document,
        passage=(start, end),
        highlight=None,
        page=None,
        section=document.sections[0].path,
        view="text",
    )


@pytest.fixture
def pdf_index(tmp_path: Path) -> tuple[Path, Path]:
    """An index of the bundled corpus plus a two-page PDF; returns (index, pdf)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    pdf = write_pdf(docs / "observatory.pdf", PDF_PAGES, title="Observatory report")
    (docs / "hostile.md").write_text(f"# Title {XSS}\n\n## Part\n\nThe note read {XSS} twice.\n")
    index = tmp_path / "index"
    ingest([docs], index=index, embedder=FakeEmbedder())
    return index, pdf


# -- links ----------------------------------------------------------------------------------


def test_a_place_survives_its_link() -> None:
    place = Place("guide/a b&c.md", 120, 480, (130, 200), 3, "page")
    query = place_query(place)
    assert query == "?doc=guide%2Fa+b%26c.md&start=120&end=480&hl=130-200&pg=3&show=page"
    assert parse_link("http://host:7860/" + query) == place
    chat = Place(turn=2, number=4, before=9_000)
    assert place_query(chat) == "?turn=2&n=4&before=9000"
    assert parse_link(place_query(chat)) == chat
    assert parse_link(place_query(chat)).shared() == Place()  # type: ignore[union-attr]


def test_a_link_without_a_document_opens_nothing_and_bad_values_say_which() -> None:
    assert parse_place({}) is None and parse_place({"turn": "1"}) is None
    for query, words in [
        ({"doc": "a.md", "start": "x"}, "start='x'"),
        ({"doc": "a.md", "start": "9", "end": "3"}, "end=3"),
        ({"doc": "a.md", "start": "1", "hl": "5-2"}, "hl='5-2'"),
        ({"doc": "a.md", "start": "1", "show": "raw"}, "show='raw'"),
        ({"doc": "a.md"}, "start=OFFSET"),
        ({"doc": "a.md", "pg": "0"}, "pg=0"),
    ]:
        with pytest.raises(InvalidInputError, match=re.escape(words)):
            parse_place(query)
    wide = parse_place({"doc": "a.md", "start": "1", "before": str(10 * MAX_CONTEXT)})
    assert wide is not None and wide.before == MAX_CONTEXT and wide.after == DEFAULT_CONTEXT


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("hl", "\u00b2-5"),  # a superscript two passes str.isdigit, not int()
        ("hl", "1-" + "9" * 5000),  # past int()'s digit limit
        ("start", "\u0663"),  # an Arabic-Indic three: int() takes it, a link should not
        ("start", "9" * 5000),
        ("pg", "\uff11"),  # a fullwidth one
    ],
)
def test_numbers_in_a_link_are_ascii_digits_of_sane_length(key: str, value: str) -> None:
    query = {"doc": "a.md", "start": "1", key: value}
    with pytest.raises(InvalidInputError, match=f"{key}=") as raised:
        parse_place(query)
    assert len(str(raised.value)) < 120  # the message quotes the value, cut short


# -- the text window ------------------------------------------------------------------------


def test_the_window_stops_at_line_breaks_near_its_edges() -> None:
    text = "alpha line\n" * 100 + "PASSAGE" + "\nomega line" * 100
    start = text.index("PASSAGE")
    a, b = text_window(text, start, start + 7, before=50, after=50)
    assert text[a - 1] == "\n" and text[b] == "\n"
    assert start - 50 <= a <= start and start + 7 <= b <= start + 57
    assert text_window(text, start, start + 7, before=10**6, after=10**6) == (0, len(text))


def test_the_passage_is_shaded_the_sentence_marked_and_there_is_one_scroll_target() -> None:
    text = "Before. The passage starts. The answer <b>is</b> here. After it."
    start, end = text.index("The passage"), text.index(" After")
    sentence = (text.index("The answer"), end)
    document = _document(text)
    located = _located(document, start, end)
    located = Located(**{**located.__dict__, "highlight": sentence})
    html = marked_text(text, (0, len(text)), located)
    assert html.count("dq-vtarget") == 1
    assert html.index("dq-vtarget") < html.index("The passage")
    assert '<span class="dq-vpassage">The passage starts. </span>' in html
    assert (
        '<span class="dq-vpassage"><mark>The answer &lt;b&gt;is&lt;/b&gt; here.</mark></span>'
        in html
    )
    assert html.endswith(" After it.")


def test_markdown_heading_lines_are_shown_as_headings_and_code_stays_text() -> None:
    from ingest.formats.markdown import parse_markdown

    text = (
        "# Field notes\n\nThe first paragraph.\n\n## Beyond the <river> ##\n\n"
        "Second part.\n\n```\n# not a heading, a comment in code\n```\n\n### Last\n\nEnd.\n"
    )
    document = parse_markdown(Path("notes.md"), "notes.md", text)
    start = text.index("Second part.")
    html = marked_text(text, (0, len(text)), _located(document, start, start + 12))
    assert '<span class="dq-vmarks" aria-hidden="true"># </span>' in html
    assert '<span class="dq-vh dq-vh1">Field notes</span>' in html
    assert '<span class="dq-vmarks" aria-hidden="true">## </span>' in html
    assert '<span class="dq-vh dq-vh2">Beyond the &lt;river&gt;</span>' in html
    assert '<span class="dq-vh dq-vh3">Last</span>' in html
    assert "# not a heading, a comment in code" in html and html.count("dq-vh ") == 3
    # The same text as plain text is not Markdown: no headings.
    plain = replace(document, format="txt")
    assert "dq-vh" not in marked_text(text, (0, len(text)), _located(plain, start, start + 12))


def test_a_long_document_sends_only_the_window_around_the_passage() -> None:
    filler = "Routine entry about rope and tar in the harbour stores.\n"
    text = filler * 50_000 + "The ferry ran aground.\n" + filler * 50_000  # about 5.6 MB
    start = text.index("The ferry")
    html = render_viewer(_located(_document(text), start, start + 22))
    assert len(text) > 5_000_000 and len(html) < 4 * DEFAULT_CONTEXT
    assert "The ferry ran aground." in html
    assert "Show earlier text (" in html and "Show later text (" in html


def test_html_in_a_document_is_text_in_the_viewer() -> None:
    text = f"Intro. The note read {XSS} in red. End."
    document = _document(text, title=f"Title {XSS}", doc_id="x<y>.md")
    start = text.index("The note")
    html = render_viewer(_located(document, start, start + 40))
    parsed = parse_tags(html)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert "onerror" not in parsed.attrs
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html


# -- locating a place in an index -----------------------------------------------------------


def test_a_place_is_found_in_the_index_or_refused_with_the_reason(
    pdf_index: tuple[Path, Path],
) -> None:
    version = load_version(pdf_index[0])
    text = version.documents["hostile.md"].text
    offset = text.index("The note")
    found = locate(Place("hostile.md", offset), version)  # no end: the passage holding it
    chunk = next(c for c in version.chunks if c.doc_id == "hostile.md" and c.start <= offset)
    assert found.passage == (chunk.start, chunk.end) and found.view == "text"
    assert found.section[-1] == "Part"
    with pytest.raises(InvalidInputError, match=r"'gone\.md' is not in this index"):
        locate(Place("gone.md", 0, 5), version)
    with pytest.raises(InvalidInputError, match="past the end"):
        locate(Place("hostile.md", len(text) + 10, len(text) + 20), version)
    with pytest.raises(InvalidInputError, match="has no page 2"):
        locate(Place("hostile.md", page=2), version)
    pdf_text = version.documents["observatory.pdf"].text
    with pytest.raises(InvalidInputError, match=r"has no page 999 \(2 pages\)"):
        locate(Place("observatory.pdf", 10, page=999, view="page"), version)
    assert len(pdf_text) > 10
    with pytest.raises(InvalidInputError, match="another conversation"):
        locate(Place(turn=0, number=1), version, [])


def test_a_chat_link_opens_a_passage_of_the_conversation(pdf_index: tuple[Path, Path]) -> None:
    index, _ = pdf_index
    answer = get_retriever(index).answer("Who recoated the mirror of the meridian telescope?")
    version = load_version(index)
    found = locate(Place(turn=0, number=1), version, [answer])
    top = answer.passages[0]
    assert found.document.doc_id == top.doc_id == "observatory.pdf"
    assert found.passage == (top.start, top.end) and found.highlight == top.highlights[0]
    assert found.page == top.page == 2 and found.view == "page"
    assert found.siblings == answer.passages
    html = render_viewer(found)
    assert f"passage 1 of {len(answer.passages)}" in html
    second = answer.passages[1]  # the next passage of the same answer, also in a new tab
    nxt = re.search(r'<a class="dq-open dq-next" href="([^"]*)"', html)
    assert nxt is not None and nxt.group(1).startswith(
        f"?doc={second.doc_id}&amp;start={second.start}&amp;end={second.end}"
    )
    assert nxt.group(1).endswith("&amp;turn=0&amp;n=2")
    shared = re.search(r'class="dq-share" href="([^"]+)"', html)
    assert shared is not None and "turn" not in shared.group(1)
    assert parse_link(shared.group(1).replace("&amp;", "&")) == Place(
        "observatory.pdf", top.start, top.end, top.highlights[0], 2, None
    )


# -- the PDF page ---------------------------------------------------------------------------


def test_text_is_found_on_a_page_whatever_the_line_breaks_and_hyphens() -> None:
    page = "The meridian tele-\r\nscope was cleaned  and its\r\nmirror recoated."
    found = find_text(page, "the meridian telescope was cleaned and its mirror")
    assert found is not None and page[found[0] : found[1] + 1].endswith("mirror")
    assert page[found[0]] == "T"
    assert find_text(page, "a sentence that is not there") is None
    assert find_text(page, "   ") is None


def test_character_boxes_merge_into_lines_measured_from_the_top() -> None:
    rects = [(10.0, 80.0, 20.0, 90.0), (20.0, 80.0, 30.0, 90.0), (10.0, 60.0, 15.0, 70.0)]
    lines = line_boxes(rects, 100.0, 100.0)
    assert lines == [(0.1, 0.1, 0.2, 0.1), (0.1, 0.3, 0.05, 0.1)]


def test_the_page_is_rendered_with_boxes_over_the_sentence(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "o.pdf", PDF_PAGES)
    sentence = PDF_PAGES[1][1].split(" Visitors")[0]
    image = render_page(pdf, 2, passage=PDF_PAGES[1][0], sentence=sentence)
    assert image.png.startswith(b"\x89PNG") and image.page_count == 2 and image.width > 500
    kinds = [box.kind for box in image.boxes]
    assert kinds.count("passage") == 1 and kinds.count("sentence") >= 2
    first = next(box for box in image.boxes if box.kind == "sentence")
    passage = next(box for box in image.boxes if box.kind == "passage")
    assert 0 < passage.top < first.top < 0.5 and 0 < first.left < 0.2
    assert render_page(pdf, 1, sentence=sentence).boxes == ()  # not on that page: no boxes
    with pytest.raises(PageUnavailableError, match="no page 3"):
        render_page(pdf, 3)
    with pytest.raises(PageUnavailableError, match="no longer at"):
        render_page(tmp_path / "gone.pdf", 1)


@pytest.mark.parametrize(("width", "height"), [(3, 2000), (2000, 3), (14_400, 14_400)])
def test_a_page_of_any_shape_renders_within_the_pixel_caps(
    tmp_path: Path, width: int, height: int
) -> None:
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format=(width, height))
    pdf.add_page()
    pdf.output(str(tmp_path / "odd.pdf"))
    image = render_page(tmp_path / "odd.pdf", 1)
    assert max(image.width, image.height) <= MAX_SIDE_PX
    assert image.width * image.height <= MAX_PIXELS * 1.01  # pdfium rounds each side up
    assert min(image.width, image.height) >= 1


def test_the_render_scale_is_the_chat_width_unless_a_cap_is_nearer() -> None:
    assert render_scale(595, 842) == pytest.approx(PAGE_WIDTH_PX / 595)  # A4
    assert render_scale(3, 2000) == pytest.approx(MAX_SIDE_PX / 2000)
    with pytest.raises(PageUnavailableError, match="0 x 10 points"):
        render_scale(0, 10)


def test_a_link_naming_a_whole_long_document_gets_a_bounded_window(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    line = "The harbour ledger lists rope, tar and lamp oil delivered to the stores.\n\n"
    (docs / "big.md").write_text("# Ledger\n\n" + line * 8_000)  # about 600,000 characters
    index = tmp_path / "index"
    ingest([docs], index=index, embedder=FakeEmbedder())
    version = load_version(index)
    size = len(version.documents["big.md"].text)
    query = {"doc": "big.md", "start": "0", "end": str(size)}
    query |= {"before": str(10**9), "after": str(10**9)}
    found = locate(parse_place(query), version)  # type: ignore[arg-type]
    assert found.passage == (0, MAX_PASSAGE)
    html = render_viewer(found)
    assert size > 500_000 and len(html) < 2 * MAX_CONTEXT + MAX_PASSAGE + 20_000


def test_a_pdf_whose_file_is_gone_is_shown_as_text(pdf_index: tuple[Path, Path]) -> None:
    index, pdf = pdf_index
    version = load_version(index)
    text = version.documents["observatory.pdf"].text
    start = text.index(RECOATED)
    found = locate(Place("observatory.pdf", start, start + len(RECOATED)), version)
    assert found.view == "page" and found.page == 2
    assert 'class="dq-pdfpage"' in render_viewer(found)
    pdf.unlink()
    html = render_viewer(found)
    assert "dq-pdfpage" not in html and "cannot be shown" in html
    assert str(pdf.parent) not in html  # no server path in what the page shows
    assert f'<span class="dq-vpassage">{RECOATED}</span>' in html


def test_a_page_link_opens_the_page_and_its_text_starts_there(
    pdf_index: tuple[Path, Path],
) -> None:
    version = load_version(pdf_index[0])
    document = version.documents["observatory.pdf"]
    found = locate(Place("observatory.pdf", page=2), version)
    assert found.passage is None and found.page == 2 and found.view == "page"
    html = render_viewer(found)
    assert "page 2 of 2" in html and "dq-pdfbox" not in html  # nothing to box
    as_text = render_viewer(locate(Place("observatory.pdf", page=2, view="text"), version))
    page_start = next(p.start for p in document.pages if p.number == 2)
    first_words = escape(document.text[page_start : page_start + 20])
    assert as_text.count("dq-vtarget") == 1
    assert re.search(r'<span class="dq-vtarget"></span>' + re.escape(first_words), as_text)
    assert "dq-vpassage" not in as_text


def test_a_deck_is_shown_as_text_with_its_slide_named(tmp_path: Path) -> None:
    from tests.support.documents import write_pptx

    docs = tmp_path / "docs"
    docs.mkdir()
    write_pptx(docs / "d.pptx", [("Intro", ["Welcome."], ""), ("Budget", ["Pier: 12,000."], "")])
    index = tmp_path / "index"
    ingest([docs], index=index, embedder=FakeEmbedder())
    version = load_version(index)
    offset = version.documents["d.pptx"].text.index("Pier")
    found = locate(Place("d.pptx", offset), version)
    assert found.page == 2 and found.view == "text"
    html = render_viewer(found)
    assert '<span class="dq-vpage">slide 2</span>' in html and "dq-pdfpage" not in html
    with pytest.raises(InvalidInputError, match=r"has no slide 9 \(2 slides\)"):
        locate(Place("d.pptx", page=9), version)
