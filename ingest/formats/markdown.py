"""Read Markdown with markdown-it-py: headings give section paths, front matter gives metadata.

The document text is the file's text as written, so every offset points into the file.
markdown-it-py parses the block structure (CommonMark) and gives each block its line range
(``Token.map``); this module turns the line ranges of the top-level headings, ATX (``# x``)
and setext (a title underlined with ``===`` or ``---``), into section boundaries. Heading
lines and YAML front matter lie outside every section span, so chunks hold body text only.
Everything else (paragraphs, lists, quotes, tables, code) is body text kept verbatim, and a
``#`` line inside a code block or an HTML block is never a heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

from ingest.formats.document import Document, Section

# The front-matter plugin opens on any run of dashes at the top ("-----" rules included);
# docqa reads front matter only when the first line is exactly "---", as it always has.
_FRONT_MATTER_OPENING = re.compile(r"---[ \t]*(?:\n|\Z)")


@dataclass(frozen=True)
class Heading:
    """A top-level Markdown heading and the span of its source lines.

    Attributes:
        level: 1 to 6 (setext ``===`` is 1, ``---`` is 2).
        title: The heading's source text, closing ``#`` run removed, lines joined by a space.
        start: Offset of the heading's first line in the text.
        end: Offset just past its last line (its newline included).
    """

    level: int
    title: str
    start: int
    end: int


def _parser(*, front_matter: bool) -> MarkdownIt:
    # A fresh parser per document: building one takes ~0.1 ms, and markdown-it compiles its
    # rule chains lazily on first use, which is not safe to share between threads.
    md = MarkdownIt("commonmark")
    if front_matter:
        md.use(front_matter_plugin)
    # Only the block structure is needed; headings keep their source text as their title.
    return md.disable("inline")


def _line_starts(text: str) -> list[int]:
    # markdown-it splits lines on "\n" only (not on str.splitlines' other separators).
    return [0, *(m.end() for m in re.finditer("\n", text))]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _heading_title(inline: Token | None) -> str:
    content = inline.content if inline is not None and inline.type == "inline" else ""
    return " ".join(line.strip() for line in content.split("\n") if line.strip())


def parse_front_matter(block: str) -> tuple[tuple[str, str], ...]:
    """Read the ``key: value`` lines of a YAML front-matter block, in order.

    Only top-level scalar lines are kept (nested and list entries are skipped), with
    surrounding quotes removed; this is metadata for display, not a YAML parser.

    Example:
        >>> parse_front_matter('title: "My note"\\ntags:\\n  - a\\nauthor: A\\n')
        (('title', 'My note'), ('tags', ''), ('author', 'A'))
    """
    pairs = []
    for line in block.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and not line.startswith((" ", "\t", "-")):
            pairs.append((key.strip(), value.strip().strip("\"'")))
    return tuple(pairs)


def markdown_structure(text: str) -> tuple[int, tuple[tuple[str, str], ...], list[Heading]]:
    """Find the front matter and the top-level headings of a Markdown text.

    Returns:
        ``(body_start, metadata, headings)``: the offset where the body starts (past the
        front matter, else 0), the front matter's ``key: value`` pairs, and the headings
        with non-empty titles, in text order.

    Example:
        >>> start, meta, heads = markdown_structure("---\\ntitle: T\\n---\\nIntro\\n=====\\n")
        >>> start, meta, [(h.level, h.title) for h in heads]
        (17, (('title', 'T'),), [(1, 'Intro')])
    """
    md = _parser(front_matter=_FRONT_MATTER_OPENING.match(text) is not None)
    tokens = md.parse(text)
    starts = _line_starts(text)

    def offset(line: int) -> int:
        return starts[line] if line < len(starts) else len(text)

    body_start = 0
    metadata: tuple[tuple[str, str], ...] = ()
    headings: list[Heading] = []
    for i, token in enumerate(tokens):
        if token.map is None:
            continue
        first, last = token.map
        if token.type == "front_matter":
            metadata = parse_front_matter(token.content)
            body_start = offset(last)
        elif token.type == "heading_open" and token.level == 0:
            # Headings nested in quotes or lists are body text, as they always were.
            title = _heading_title(tokens[i + 1] if i + 1 < len(tokens) else None)
            if title:  # "#" alone is an empty heading: kept as body text
                headings.append(Heading(int(token.tag[1:]), title, offset(first), offset(last)))
    return body_start, metadata, headings


def parse_markdown(path: Path, doc_id: str, text: str) -> Document:
    """Build the :class:`Document` of a Markdown text (already decoded, ``\\n`` newlines).

    The title is the front matter's ``title``, else the first level-1 heading, else the
    file stem. Each heading starts a section whose path is the chain of enclosing headings;
    section spans are trimmed and exclude heading lines and front matter, so
    ``text[s.start:s.end]`` is body text exactly as written.

    Example:
        >>> doc = parse_markdown(Path("a.md"), "a.md", "Guide\\n=====\\n\\n## Setup\\n\\nRun it.")
        >>> doc.title, [(s.path, doc.text[s.start : s.end]) for s in doc.sections]
        ('Guide', [(('Guide', 'Setup'), 'Run it.')])
    """
    body_start, metadata, headings = markdown_structure(text)
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    cursor, current = body_start, ()  # type: tuple[int, tuple[str, ...]]
    title = dict(metadata).get("title", "")
    for heading in headings:
        start, end = _trim(text, cursor, heading.start)
        if end > start:
            sections.append(Section(current, start, end))
        if heading.level == 1 and not title:
            title = heading.title
        while stack and stack[-1][0] >= heading.level:
            stack.pop()
        stack.append((heading.level, heading.title))
        current = tuple(h for _, h in stack)
        cursor = heading.end
    start, end = _trim(text, cursor, len(text))
    if end > start:
        sections.append(Section(current, start, end))
    return Document(
        doc_id, title or path.stem, str(path), "md", text, tuple(sections), (), metadata
    )
