"""Collect the tags and attributes of an HTML fragment, to check what markup it holds."""

from __future__ import annotations

from html.parser import HTMLParser


class Tags(HTMLParser):
    """Collects the tags and attributes of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(name for name, _ in attrs)


def parse_tags(fragment: str) -> Tags:
    """The tags and attribute names of ``fragment``, in the order they open."""
    parser = Tags()
    parser.feed(fragment)
    return parser
