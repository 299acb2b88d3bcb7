"""The chat's HTML: escaping, highlights, citations and the abstention message."""

from __future__ import annotations

import re
from pathlib import Path

from retrieval.api import get_retriever
from retrieval.types import Answer, Passage
from tests.support.html_tags import parse_tags
from ui.labels import LIKELY_ANSWERS, MAY_ANSWER, confidence_label, section_label
from ui.render import (
    ABSTAIN_TEXT,
    citations,
    copy_markdown,
    escape,
    highlighted_text,
    passage_link,
    render_answer,
    render_documents,
    render_error,
    render_question,
    render_uploads,
)
from ui.uploads import UploadOutcome

XSS = "<script>alert(1)</script> and <img src=x onerror=alert(2)>"


def _passage(
    text: str,
    *,
    start: int = 100,
    highlights: tuple[tuple[int, int], ...] = (),
    title: str = "Doc",
    section: tuple[str, ...] = ("Doc", "Part"),
    page: int | None = None,
    doc_id: str = "doc.md",
    score: float = 0.5,
    confidence: float | None = None,
) -> Passage:
    return Passage(
        doc_id, title, section, page, start, start + len(text), text, score, highlights, confidence
    )


def _answer(*passages: Passage, abstained: bool = False) -> Answer:
    return Answer("q?", tuple(passages), abstained, 12.0)


def test_highlight_wraps_exactly_the_span_in_mark_and_escapes_around_it() -> None:
    text = "First <b>one</b>. Second & last."
    start = 40
    a = start + text.index("Second")
    p = _passage(text, start=start, highlights=((a, start + len(text)),))
    html = highlighted_text(p)
    assert html == "First &lt;b&gt;one&lt;/b&gt;. <mark>Second &amp; last.</mark>"


def test_highlights_outside_the_passage_are_clipped_and_overlaps_merged() -> None:
    p = _passage("abcdefghij", start=10, highlights=((5, 13), (12, 15), (30, 40)))
    assert highlighted_text(p) == "<mark>abcde</mark>fghij"


def test_newlines_are_kept_as_references_so_the_markup_is_one_line() -> None:
    p = _passage("one\n\ntwo", highlights=())
    html = render_answer(_answer(p, abstained=True))
    assert "one&#10;&#10;two" in html
    assert "\n" not in html


def test_document_text_title_and_section_are_escaped_never_markup() -> None:
    text = f"The note read {XSS} in red."
    p = _passage(
        text,
        title=f"Title {XSS}",
        section=(f"Title {XSS}", f"Part {XSS}"),
        highlights=((100, 100 + len(text)),),
    )
    html = render_answer(_answer(p))
    parsed = parse_tags(html)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert "onerror" not in parsed.attrs
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html


def test_questions_and_errors_are_escaped() -> None:
    for html in (render_question(XSS), render_error(XSS)):
        parsed = parse_tags(html)
        assert "script" not in parsed.tags and "img" not in parsed.tags
        assert "&lt;img src=x onerror=alert(2)&gt;" in html


def test_an_answer_leads_with_its_sentence_and_citation_then_numbered_cards() -> None:
    text = "Background first. The summit was held in October 2024. More after."
    a = 100 + text.index("The summit")
    b = a + len("The summit was held in October 2024.")
    top = _passage(
        text, highlights=((a, b),), page=3, section=("Doc", "Intro", "Dates"), confidence=0.823
    )
    other = _passage(
        "Unrelated words here.",
        start=500,
        highlights=((500, 521),),
        section=("Doc", "Other"),
        score=0.25,
        confidence=0.04,
    )
    html = render_answer(_answer(top, other), mode="hybrid")
    lead = re.search(r'<p class="dq-lead">(.*?)</p>', html)
    assert lead is not None
    assert lead.group(1).startswith("The summit was held in October 2024.")
    assert '<sup class="dq-cite">[1]</sup>' in lead.group(1) and "[2]" not in lead.group(1)
    assert html.index("[1]</span>") < html.index("[2]</span>")
    assert "page 3" in html and "likely answers · 82%" in html
    # Cards are titled by their innermost heading, the path in the tooltip; the document's
    # title is said once, above the cards, when all come from it.
    titles = re.findall(r'<span class="dq-title" title="([^"]*)">([^<]*)</span>', html)
    assert titles == [("Doc › Intro › Dates", "Dates"), ("Doc › Other", "Other")]
    assert 'class="dq-sources-doc">· Doc</span>' in html and "dq-doc" not in html.replace(
        "dq-sources-doc", ""
    )
    assert "related · 4%" in html
    assert "0.5000" not in html and "0.2500" not in html  # never the fused score
    assert html.count("<details") == 2 and html.count(" open>") == 1  # first card expanded
    assert "<mark>The summit was held in October 2024.</mark>" in html
    assert ABSTAIN_TEXT not in html
    assert "2 passages · hybrid · 12 ms" in html


def test_overlapping_passages_that_highlight_the_same_sentence_are_all_cited() -> None:
    sentence = "Kazakhstan declined the offer."
    first = _passage(f"Intro. {sentence}", start=0, highlights=((7, 7 + len(sentence)),))
    second = _passage(f"{sentence} Then more.", start=7, highlights=((7, 7 + len(sentence)),))
    third = _passage("Something else entirely.", start=90, highlights=((90, 114),))
    assert citations(_answer(first, second, third)) == (1, 2)


def test_an_abstention_says_so_plainly_and_collapses_the_nearest_passages() -> None:
    p1 = _passage("Nearest text one.", highlights=((100, 117),))
    p2 = _passage("Nearest text two.", start=300, highlights=((300, 317),))
    html = render_answer(_answer(p1, p2, abstained=True))
    assert f'<p class="dq-lead dq-abstain">{ABSTAIN_TEXT}</p>' in html
    nearest = re.search(r'<details class="dq-nearest">(.*)</details>', html)
    assert nearest is not None and "Nearest passages (2)" in nearest.group(1)
    assert '<details class="dq-nearest" open' not in html
    assert " open>" not in html  # the nearest passages and their cards start collapsed
    assert "Nearest text one." in nearest.group(1) and "Nearest text two." in nearest.group(1)
    assert "dq-cite" not in html


def test_an_abstention_without_any_passage_has_no_nearest_block() -> None:
    html = render_answer(_answer(abstained=True))
    assert ABSTAIN_TEXT in html and "dq-nearest" not in html and "0 passages" in html


def test_the_section_label_drops_a_leading_title() -> None:
    assert section_label(_passage("x", title="T", section=("T", "A", "B"))) == "A › B"
    assert section_label(_passage("x", title="T", section=("T",))) == "T"
    assert section_label(_passage("x", title="T", section=("Other", "A"))) == "Other › A"


def test_upload_results_show_each_file_and_escape_reasons() -> None:
    html = render_uploads(
        [
            UploadOutcome("a.md", "added"),
            UploadOutcome("b.md", "unchanged"),
            UploadOutcome("c.pdf", "rejected", f"bad {XSS}"),
        ]
    )
    assert "✓ added" in html and "= unchanged" in html and "✗ rejected" in html
    assert "<code>c.pdf</code> — bad &lt;script&gt;" in html
    assert "script" not in parse_tags(html).tags
    assert render_uploads([]) == ""


def test_the_document_list_escapes_titles_and_counts_passages() -> None:
    html = render_documents(
        {
            "x.md": {"title": XSS, "n_chunks": 2},
            "y.md": {"title": "Plain", "n_chunks": 3},
        }
    )
    assert "2 documents</b>, 5 passages" in html
    assert "script" not in parse_tags(html).tags and "&lt;script&gt;" in html


def test_a_real_answer_renders_its_top_highlight(fake_index: Path) -> None:
    answer = get_retriever(fake_index).answer("When was the 16th BRICS summit held?", k=3)
    top = answer.passages[0]
    a, b = top.highlights[0]
    marked = re.search(r"<mark>(.*?)</mark>", render_answer(answer))
    assert marked is not None
    assert marked.group(1) == escape(top.text[a - top.start : b - top.start])


def test_the_document_list_is_sorted_by_title_ignoring_case() -> None:
    html = render_documents(
        {
            "b.md": {"title": "zebra", "n_chunks": 1},
            "c.md": {"title": "Mango", "n_chunks": 1},
            "a.md": {"title": "apple", "n_chunks": 1},
        }
    )
    assert html.index("apple") < html.index("Mango") < html.index("zebra")


def test_the_confidence_label_names_how_likely_a_passage_answers() -> None:
    assert confidence_label(0.823) == "likely answers · 82%"
    assert confidence_label(LIKELY_ANSWERS) == "likely answers · 50%"
    assert confidence_label(LIKELY_ANSWERS - 0.001) == "may answer · 50%"
    assert confidence_label(MAY_ANSWER) == "may answer · 20%"
    assert confidence_label(0.19) == "related · 19%"
    assert confidence_label(0.9996) == "likely answers · 99%"  # never shown as certain
    assert confidence_label(0.0004) == "related · 1%"
    assert confidence_label(None) == ""
    p = _passage("Some text.", confidence=None, section=("Doc",), title="Doc")
    html = render_answer(_answer(p, abstained=True))
    assert "dq-score" not in html  # no probability known: no label, and never the score


def test_with_its_turn_an_answer_links_citations_and_titles_to_the_viewer() -> None:
    text = "The summit was held in October 2024."
    top = _passage(text, start=0, highlights=((0, len(text)),), doc_id="a<b>.md")
    other = _passage("Other words.", start=90, highlights=((90, 102),))
    html = render_answer(_answer(top, other), turn=3)
    # The link names the passage's turn and number (the viewer beside the chat, with the
    # answer's other passages) and its document and offsets (a new tab, no conversation).
    cite = re.search(r'<sup class="dq-cite"><a class="dq-open" href="([^"]*)">\[1\]</a>', html)
    assert cite is not None
    assert cite.group(1) == "?doc=a%3Cb%3E.md&amp;start=0&amp;end=36&amp;hl=0-36&amp;turn=3&amp;n=1"
    assert '&amp;turn=3&amp;n=2">Part</a>' in html
    # Two documents: each card names its own, and no title is said above the cards.
    assert html.count('<span class="dq-doc">Doc</span>') == 2 and "dq-sources-doc" not in html
    assert "a<b>" not in html  # the document id is in no attribute, only escaped in copy text
    assert html.count('class="dq-copy"') == 1
    plain = render_answer(_answer(top, other))
    assert "dq-open" not in plain and "dq-copy" not in plain


def test_the_copy_text_is_the_sentence_and_its_citations_as_markdown() -> None:
    sentence = "The *summit* was held [in] October 2024."
    first = _passage(
        f"Intro. {sentence}",
        start=0,
        highlights=((7, 7 + len(sentence)),),
        title="Report_2024",
        section=("Report_2024", "Dates"),
        page=4,
        doc_id="r.pdf",
    )
    second = _passage(f"{sentence} Then.", start=7, highlights=((7, 7 + len(sentence)),))
    third = _passage("Unrelated.", start=200, highlights=((200, 210),))
    markdown = copy_markdown(_answer(first, second, third))
    assert markdown.splitlines() == [
        r"> The \*summit\* was held \[in\] October 2024. [1][2]",
        "",
        rf"[1] *Report\_2024*, Dates, page 4: <{passage_link(first)}>",
        rf"[2] *Doc*, Part: <{passage_link(second)}>",
    ]
    assert passage_link(first) == f"?doc=r.pdf&start=0&end={first.end}&hl=7-{7 + len(sentence)}"
    assert copy_markdown(_answer(first, abstained=True)) == ""


def test_a_slide_is_cited_as_a_slide_and_a_pdf_page_as_a_page() -> None:
    from dataclasses import replace

    from ui.terminal import format_answer

    sentence = "The pier costs 12,000 euros."
    slide = replace(
        _passage(sentence, start=0, highlights=((0, len(sentence)),), page=3, doc_id="d.pptx"),
        format="pptx",
    )
    page = replace(slide, doc_id="r.pdf", format="pdf")
    for passage, label in ((slide, "slide 3"), (page, "page 3")):
        answer = _answer(passage)
        assert f'<span class="dq-page">{label}</span>' in render_answer(answer)
        assert f", {label}: <" in copy_markdown(answer)
        assert f", {label} | chars" in format_answer(answer)
