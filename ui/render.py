"""HTML for the chat: answers, source cards and messages, with every piece of text escaped.

Document text and questions are untrusted: everything that comes from them goes through
:func:`html.escape` before it is placed in markup, so a document containing ``<script>`` shows
those characters instead of running them. The only tags in the output are the ones written here.
The output never contains a blank line, so a Markdown renderer keeps it as one HTML block.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

from retrieval.types import Answer, Passage
from ui.labels import confidence_label, page_label, section_label
from ui.links import Place, place_query
from ui.uploads import UploadOutcome

#: What the chat says when the documents do not answer a question.
ABSTAIN_TEXT = "Nothing in these documents answers that."
_CONFIDENCE_TIP = "the calibrated probability that this passage answers the question"


def escape(text: str) -> str:
    """``text`` escaped for HTML (quotes included), newlines written as ``&#10;``.

    The newlines stay newlines in the page (the CSS keeps them with ``white-space:
    pre-wrap``) while the markup itself stays on one line.
    """
    return html.escape(text, quote=True).replace("\r\n", "\n").replace("\n", "&#10;")


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def highlighted_text(passage: Passage) -> str:
    """The passage text, escaped, with its highlight spans wrapped in ``<mark>``.

    Highlights are document offsets; parts outside the passage are ignored.
    """
    text, base = passage.text, passage.start
    spans = [
        (max(a, base) - base, min(b, passage.end) - base)
        for a, b in passage.highlights
        if b > base and a < passage.end and b > a
    ]
    pieces, cursor = [], 0
    for a, b in _merged(spans):
        pieces.append(escape(text[cursor:a]))
        pieces.append(f"<mark>{escape(text[a:b])}</mark>")
        cursor = b
    pieces.append(escape(text[cursor:]))
    return "".join(pieces)


def open_anchor(passage: Passage, label: str, *, turn: int, number: int) -> str:
    """A link to ``passage``, passage ``number`` of answer ``turn``, whose text is ``label``
    (already escaped).

    A plain click opens it in the viewer beside the chat, with the answer's other passages
    (the page's script reads ``turn`` and ``n``); the same link opened in a new tab (middle
    click, Ctrl/Cmd click) has no conversation and shows the passage from the document and
    offsets it names, as a shared link does.
    """
    highlight = passage.highlights[0] if passage.highlights else None
    place = Place(passage.doc_id, passage.start, passage.end, highlight, turn=turn, number=number)
    return f'<a class="dq-open" href="{escape(place_query(place))}">{label}</a>'


def card_heading(passage: Passage) -> str:
    """What a card is titled by: the innermost heading of its section, else the document's
    title (a document without headings)."""
    label = section_label(passage)
    return label.rsplit(" › ", 1)[-1] if label else passage.title


def source_card(
    number: int,
    passage: Passage,
    *,
    expanded: bool,
    turn: int | None = None,
    show_document: bool = True,
) -> str:
    """One numbered source card: its heading (:func:`card_heading`, a link to the viewer when
    the answer's ``turn`` is known; the whole section path as its tooltip), the document's
    title when ``show_document``, the page, how likely the passage answers, then the passage
    with its answering sentence highlighted."""
    meta = []
    if show_document:
        meta.append(f'<span class="dq-doc">{escape(passage.title)}</span>')
    if passage.page is not None:
        meta.append(f'<span class="dq-page">{page_label(passage)}</span>')
    label = confidence_label(passage.confidence)
    if label:
        meta.append(f'<span class="dq-score" title="{_CONFIDENCE_TIP}">{label}</span>')
    heading = escape(card_heading(passage))
    if turn is not None:
        heading = open_anchor(passage, heading, turn=turn, number=number)
    path = " › ".join(part for part in (passage.title, section_label(passage)) if part)
    return (
        f'<details class="dq-card"{" open" if expanded else ""}>'
        f'<summary><span class="dq-num">[{number}]</span>'
        f'<span class="dq-head"><span class="dq-title" title="{escape(path)}">{heading}</span>'
        f'<span class="dq-meta">{" · ".join(meta)}</span></span></summary>'
        f'<div class="dq-passage">{highlighted_text(passage)}</div>'
        "</details>"
    )


def citations(answer: Answer) -> tuple[int, ...]:
    """Numbers (1-based) of the passages whose highlighted sentence is the answer sentence.

    The top passage always supports the answer; overlapping chunks of the same document can
    highlight the same sentence, and then they are cited too.
    """
    sentence = answer.answer_sentence
    if sentence is None:
        return ()
    key = " ".join(sentence.split())
    cited = [1]
    for n, p in enumerate(answer.passages[1:], 2):
        if p.highlights:
            a, b = p.highlights[0]
            if " ".join(p.text[a - p.start : b - p.start].split()) == key:
                cited.append(n)
    return tuple(cited)


def one_document(passages: Sequence[Passage]) -> str | None:
    """The title of the one document all ``passages`` come from, or None (several, or none)."""
    docs = {p.doc_id for p in passages}
    return passages[0].title if len(docs) == 1 else None


def _cards(passages: tuple[Passage, ...], *, expand_first: bool, turn: int | None) -> str:
    """The cards; the document's title is on each card only when they come from several."""
    several = one_document(passages) is None
    return "".join(
        source_card(n, p, expanded=expand_first and n == 1, turn=turn, show_document=several)
        for n, p in enumerate(passages, 1)
    )


def _sources_label(passages: tuple[Passage, ...], label: str) -> str:
    """``label`` ("Sources"...), then the document's title when every card is from it."""
    title = one_document(passages)
    source = f' <span class="dq-sources-doc">· {escape(title)}</span>' if title else ""
    return f'<div class="dq-sources-label"><span>{label}</span>{source}</div>'


def _markdown(text: str) -> str:
    """``text`` on one line with Markdown's special characters backslash-escaped."""
    return re.sub(r"([\\`*_\[\]<>])", r"\\\1", " ".join(text.split()))


def passage_link(passage: Passage) -> str:
    """The shared link (a ``?query`` of the chat's address) to ``passage``, its sentence
    highlighted; see :mod:`ui.links`."""
    highlight = passage.highlights[0] if passage.highlights else None
    return place_query(Place(passage.doc_id, passage.start, passage.end, highlight))


def copy_markdown(answer: Answer) -> str:
    """The answer sentence and its citations as Markdown, for the clipboard.

    A quote of the sentence with its citation numbers, then one line per cited passage:
    title, section path, page and a link. Links are written ``<?doc=...>``; the page makes
    them absolute (the chat's own address) when it copies.
    """
    sentence = answer.answer_sentence
    if sentence is None:
        return ""
    cited = citations(answer)
    lines = [f"> {_markdown(sentence)} {''.join(f'[{n}]' for n in cited)}", ""]
    for n in cited:
        p = answer.passages[n - 1]
        where = [f"*{_markdown(p.title)}*"]
        if section_label(p):
            where.append(_markdown(section_label(p)))
        if p.page is not None:
            where.append(page_label(p))
        lines.append(f"[{n}] {', '.join(where)}: <{passage_link(p)}>")
    return "\n".join(lines)


def render_answer(answer: Answer, *, mode: str | None = None, turn: int | None = None) -> str:
    """The chat message for one answer.

    It leads with the answer sentence and its numbered citations, then one card per passage
    (the first expanded). An abstention says :data:`ABSTAIN_TEXT` plainly and keeps the nearest
    passages in a collapsed block. With ``turn`` (the answer's place in the conversation),
    citations and card titles open the viewer (:func:`open_anchor`) and a button copies the
    sentence with its citations (:func:`copy_markdown`).
    """
    n = len(answer.passages)
    footer_bits = [f"{n} passage{'s' if n != 1 else ''}"]
    if mode:
        footer_bits.append(escape(mode))
    footer_bits.append(f"{answer.elapsed_ms:.0f} ms")
    footer = f'<div class="dq-footer">{" · ".join(footer_bits)}</div>'
    sentence = answer.answer_sentence
    if answer.abstained or sentence is None:
        body = f'<p class="dq-lead dq-abstain">{escape(ABSTAIN_TEXT)}</p>'
        if answer.passages:
            body += (
                f'<details class="dq-nearest"><summary>Nearest passages ({n})</summary>'
                f"{_sources_label(answer.passages, 'From')}"
                f"{_cards(answer.passages, expand_first=False, turn=turn)}</details>"
            )
        return f'<div class="dq-answer">{body}{footer}</div>'
    if turn is None:
        marks = "".join(f'<sup class="dq-cite">[{c}]</sup>' for c in citations(answer))
        copy = ""
    else:
        marks = "".join(
            f'<sup class="dq-cite">'
            f"{open_anchor(answer.passages[c - 1], f'[{c}]', turn=turn, number=c)}</sup>"
            for c in citations(answer)
        )
        copy = (
            '<div class="dq-tools"><button type="button" class="dq-copy" title="Copy the '
            'answer sentence with its citations as Markdown">Copy</button>'
            f'<span class="dq-copy-text" hidden>{escape(copy_markdown(answer))}</span></div>'
        )
    return (
        '<div class="dq-answer">'
        f'<p class="dq-lead">{escape(sentence)} {marks}</p>'
        f"{copy}"
        f"{_sources_label(answer.passages, 'Sources')}"
        f"{_cards(answer.passages, expand_first=True, turn=turn)}"
        f"{footer}</div>"
    )


def render_question(question: str) -> str:
    """The user's message as shown in the chat: the question, escaped."""
    return f'<div class="dq-question">{escape(question)}</div>'


def render_error(message: str) -> str:
    """A one-line error message in the chat (for bad input or a missing index)."""
    return f'<div class="dq-answer"><p class="dq-error">⚠ {escape(message)}</p></div>'


_STATUS_MARK = {
    "added": "✓ added",
    "updated": "✓ replaced the earlier upload of this name",
    "unchanged": "= unchanged",
    "rejected": "✗ rejected",
}


def render_uploads(outcomes: Sequence[UploadOutcome]) -> str:
    """The per-file result of an upload: added, updated, unchanged, or rejected and why."""
    if not outcomes:
        return ""
    rows = []
    for o in outcomes:
        reason = f" — {escape(o.reason)}" if o.reason else ""
        rows.append(
            f'<li><span class="dq-status-{o.status}">{_STATUS_MARK[o.status]}</span> '
            f"<code>{escape(o.name)}</code>{reason}</li>"
        )
    return f'<ul class="dq-uploads">{"".join(rows)}</ul>'


def render_documents(documents: Mapping[str, Mapping[str, Any]]) -> str:
    """The indexed documents (title and id, by title), from an index manifest's ``documents``."""
    n_chunks = sum(int(info.get("n_chunks", 0)) for info in documents.values())
    titled = sorted(
        (str(info.get("title") or doc_id), doc_id) for doc_id, info in documents.items()
    )
    titled.sort(key=lambda pair: pair[0].casefold())
    items = "".join(
        f'<li>{escape(title)} <span class="dq-docid">{escape(doc_id)}</span></li>'
        for title, doc_id in titled
    )
    n = len(documents)
    return (
        f'<div class="dq-docs"><b>{n} document{"s" if n != 1 else ""}</b>, '
        f"{n_chunks} passages<ul>{items}</ul></div>"
    )
