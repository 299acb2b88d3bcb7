"""Property tests of the loaders, the sentence splitter and the chunker, for any text.

For any input: chunks cover the document's body in order, their offsets reproduce the text
exactly, none exceeds the limit, each stays inside one section, and the same input always
gives the same chunks and ids. Loaders turn any bytes into a document or a typed error.
"""

from __future__ import annotations

import tempfile
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.errors import DocqaError, UnsupportedFileError
from ingest.formats.document import Document
from ingest.formats.loaders import LOADERS, load_document, load_markdown, load_text
from ingest.text.chunker import ChunkSettings, chunk_document
from ingest.text.sentences import sentence_spans

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

_WORDS = ["The", "lighthouse", "was", "built", "in", "1887", "E.g.", "Dr.", "U.S.", "café"]
_WORDS += ["日本語", "🌍", "مرحبا", "שלום", "a", "I"]
_GAPS = [" ", "  ", ". ", "! ", "? ", "… ", '." ', ".) ", "\n", "\n\n", "\t", "\r\n", " \n \n"]
_MARKUP = ["# Title\n", "## Part two\n", "### 3.1 Deep\n", "```\n", "~~~\n", "---\n"]
_MARKUP += ["title: Front\n", "#no-space\n", "- item\n", "    code\n"]

_pieces = st.one_of(
    st.sampled_from(_WORDS),
    st.sampled_from(_GAPS),
    st.sampled_from(_MARKUP),
    st.text(min_size=1, max_size=20),  # anything at all, control characters included
    st.text(alphabet="xyz", min_size=50, max_size=1500),  # words longer than a chunk
)
#: Document texts: prose-like runs of words, gaps and markup, with arbitrary text mixed in.
texts = st.lists(_pieces, max_size=120).map("".join)
chunk_settings = st.builds(
    ChunkSettings,
    max_chars=st.integers(min_value=50, max_value=1200),
    overlap_sentences=st.integers(min_value=0, max_value=5),
)


def _load(text: str, suffix: str) -> Document | None:
    loader = load_markdown if suffix == ".md" else load_text
    try:
        return loader(Path(f"doc{suffix}"), f"doc{suffix}", text.encode("utf-8"))
    except UnsupportedFileError:
        assert "\x00" in text  # only binary-looking text is refused
        return None


def _check_chunks(document: Document, chunk_settings: ChunkSettings) -> None:
    chunks = chunk_document(document, chunk_settings)
    text = document.text
    for n, chunk in enumerate(chunks):
        assert chunk.chunk_id == f"{document.doc_id}#{n}"
        assert text[chunk.start : chunk.end] == chunk.text  # exact offsets
        assert 0 < len(chunk.text) <= chunk_settings.max_chars  # within the limit
        assert not chunk.text[0].isspace() and not chunk.text[-1].isspace()
        (section,) = [s for s in document.sections if s.start <= chunk.start < s.end]
        assert chunk.end <= section.end and chunk.section == section.path  # one section
    for a, b in pairwise(chunks):  # in order
        assert a.start < b.start and a.end <= b.end
        if chunk_settings.overlap_sentences == 0:
            assert a.end <= b.start
    covered = bytearray(len(text))
    for chunk in chunks:
        covered[chunk.start : chunk.end] = b"\x01" * (chunk.end - chunk.start)
    for section in document.sections:  # every visible character of the body is in a chunk
        for i in range(section.start, section.end):
            assert covered[i] or text[i].isspace(), (i, text[i])
    again = chunk_document(document, chunk_settings)
    assert again == chunks  # same input, same chunks and ids


@PROPERTY_SETTINGS
@given(text=texts, chunking=chunk_settings)
def test_markdown_chunks_cover_the_text_exactly_and_within_the_limit(
    text: str, chunking: ChunkSettings
) -> None:
    document = _load(text, ".md")
    if document is not None:
        _check_chunks(document, chunking)


@PROPERTY_SETTINGS
@given(text=texts, chunking=chunk_settings)
def test_text_chunks_cover_the_text_exactly_and_within_the_limit(
    text: str, chunking: ChunkSettings
) -> None:
    document = _load(text, ".txt")
    if document is not None:
        _check_chunks(document, chunking)


@PROPERTY_SETTINGS
@given(text=texts)
def test_same_input_same_chunk_ids(text: str) -> None:
    first, second = _load(text, ".md"), _load(text, ".md")
    if first is not None and second is not None:
        assert first == second
        ids = [(c.chunk_id, c.start, c.end) for c in chunk_document(first)]
        assert ids == [(c.chunk_id, c.start, c.end) for c in chunk_document(second)]
        assert len({i for i, _, _ in ids}) == len(ids)


@PROPERTY_SETTINGS
@given(text=texts)
def test_loaded_sections_are_ordered_trimmed_spans_of_the_text(text: str) -> None:
    for suffix in (".md", ".txt"):
        document = _load(text, suffix)
        if document is None:
            continue
        assert document.text == text.removeprefix("\ufeff").replace("\r\n", "\n").replace(
            "\r", "\n"
        )
        previous_end = 0
        for section in document.sections:
            assert previous_end <= section.start < section.end <= len(document.text)
            body = document.text[section.start : section.end]
            assert body == body.strip() and all(section.path)
            previous_end = section.end


@PROPERTY_SETTINGS
@given(text=texts, start=st.integers(min_value=0, max_value=50))
def test_sentences_are_ordered_trimmed_and_cover_every_visible_character(
    text: str, start: int
) -> None:
    start = min(start, len(text))
    spans = sentence_spans(text, start)
    covered: set[int] = set()
    for a, b in spans:
        assert start <= a < b <= len(text)
        assert text[a:b] == text[a:b].strip()
        covered.update(range(a, b))
    assert all(a[1] <= b[0] for a, b in pairwise(spans))
    assert all(i in covered or text[i].isspace() for i in range(start, len(text)))


@PROPERTY_SETTINGS
@pytest.mark.parametrize("suffix", sorted(LOADERS))
@given(data=st.one_of(st.binary(max_size=3000), texts.map(lambda t: t.encode("utf-8"))))
def test_any_bytes_load_or_raise_a_typed_error(suffix: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"file{suffix}"
        path.write_bytes(data)
        try:
            document = load_document(path)
        except DocqaError as exc:
            assert "\n" not in str(exc) and str(path) in str(exc)
            return
    assert document.sections and document.doc_id == path.name
    for section in document.sections:
        assert 0 <= section.start < section.end <= len(document.text)
