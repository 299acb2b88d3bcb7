"""A catalogue of bad inputs thrown at the Python API, the CLI and the chat.

Each case gets its own copy of a small index (the bundled corpus, fake embedder). The test
checks that the person gets the expected kind of result with a clear one-line message, that
nothing crashes, that the index folder is byte-for-byte unchanged unless the input was valid,
and that the same process still answers questions afterwards. What is rejected, and why, is
listed in docs/robustness.md.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingest.embedder import FakeEmbedder
from ingest.loaders import LOADERS
from ingest.pipeline import ingest
from ingest.store import current_version_path, load_version
from retrieval import ask

from .bad_input_harness import (
    Env,
    Kind,
    Outcome,
    api_ask,
    api_ingest,
    chat_api,
    chat_ask,
    chat_upload,
    citations_hold,
    cli,
    hand_over,
    make_read_only,
    new_env,
    remove_env,
    running_as_root,
    snapshot,
)
from .conftest import CORPUS

BRICS = "When was the 16th BRICS summit held?"
RTL = "متى عقدت قمة بريكس السادسة عشرة؟ מתי התקיימה פסגת BRICS?"
EMOJI = "🌍🤝 Who hosted the 16th BRICS summit? 🇷🇺🇰🇿"
NOTE = "# Lighthouse notes\n\nThe Varnholm lighthouse was built in 1887 from granite.\n"
BIG_BYTES = 50_000_000
BIG_MEMORY_LIMIT = 1_000_000_000  # peak RSS growth allowed while ingesting the 50 MB line


@dataclass(frozen=True)
class Case:
    """One bad input: how to run it, what the person should get, and what it may change.

    Attributes:
        id: Surface and input, e.g. ``api-ask-empty``.
        run: Runs the input in an Env and returns the Outcome.
        expect: The kind of result.
        says: Regular expression the (single) message line must match.
        setup: Prepares the Env before the index is snapshotted.
        changes_index: The input is valid and changes the index.
        breaks_index: The setup leaves the index unusable (liveness is checked elsewhere).
        check: Extra assertions on the Env and Outcome.
    """

    id: str
    run: Callable[[Env], Outcome]
    expect: Kind
    says: str = ""
    setup: Callable[[Env], None] | None = None
    changes_index: bool = False
    breaks_index: bool = False
    check: Callable[[Env, Outcome], None] | None = None
    needs: str = ""  # a file suffix that must have a loader


# -- inputs ---------------------------------------------------------------------------------


def _version(env: Env) -> Path:
    return current_version_path(env.index)


def _lose(name: str) -> Callable[[Env], None]:
    def setup(env: Env) -> None:
        target = _version(env) / name
        shutil.rmtree(target) if target.is_dir() else target.unlink()

    return setup


def _manifest(**changes: object) -> Callable[[Env], None]:
    def setup(env: Env) -> None:
        path = _version(env) / "manifest.json"
        data = json.loads(path.read_text())
        data.update(changes)
        path.write_text(json.dumps(data))

    return setup


def _unreadable_file(env: Env) -> None:
    env.file("locked.md", NOTE).chmod(0o000)
    hand_over(env.index)  # the unprivileged user may write the index, not read the file
    env.unprivileged = True


def _read_only_index(env: Env) -> None:
    env.file("note.md", NOTE)
    make_read_only(env.index)
    env.unprivileged = True


def _pdf_bytes(text: str, *, password: str | None = None) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    if password:
        from fpdf.enums import EncryptionMethod

        pdf.set_encryption(
            owner_password="owner", user_password=password, encryption_method=EncryptionMethod.RC4
        )
    pdf.add_page()
    pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def _zip_bomb_docx(path: Path) -> None:
    """A .docx whose document.xml is 200 MB unpacked, a few hundred KB packed."""
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
            '.org/package/2006/content-types"><Default Extension="rels" ContentType="application'
            '/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http:'
            "//schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
            '" Target="word/document.xml"/></Relationships>'
        ),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        for name, text in parts.items():
            package.writestr(name, text)
        with package.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(f"<w:document {ns}><w:body><w:p><w:r><w:t>".encode())
            block = b"A" * 1_000_000
            for _ in range(200):
                part.write(block)
            part.write(b"</w:t></w:r></w:p></w:body></w:document>")


def _big_line(env: Env) -> None:
    """50 MB on one line: words and spaces, no sentence end, no line break."""
    words = b"granite lighthouse keeper wrote entries about storms and ships "
    data = (words * (BIG_BYTES // len(words) + 1))[:BIG_BYTES]
    env.file("one-line.txt", data)


@contextlib.contextmanager
def _peak_rss_growth() -> Iterator[list[int]]:
    """Sample this process's resident memory; yields [peak growth in bytes] once done."""
    page = 4096

    def rss() -> int:
        return int(Path("/proc/self/statm").read_text().split()[1]) * page

    before, peak, stop = rss(), [rss()], threading.Event()

    def sample() -> None:
        while not stop.wait(0.02):
            peak[0] = max(peak[0], rss())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    growth = [0]
    try:
        yield growth
    finally:
        stop.set()
        thread.join()
        growth[0] = max(peak[0], rss()) - before


def _ingest_big(env: Env) -> Outcome:
    with _peak_rss_growth() as growth:
        outcome = api_ingest(env, [env.work / "one-line.txt"])
    outcome.detail["rss_growth"] = growth[0]
    return outcome


def _check_big(env: Env, outcome: Outcome) -> None:
    assert outcome.detail["rss_growth"] < BIG_MEMORY_LIMIT, outcome.detail["rss_growth"]
    version = load_version(env.index)
    text = version.documents["one-line.txt"].text
    chunks = [c for c in version.chunks if c.doc_id == "one-line.txt"]
    assert len(text) == BIG_BYTES and "\n" not in text
    assert len(chunks) >= BIG_BYTES // 800 and max(c.end - c.start for c in chunks) <= 800
    assert chunks[0].start == 0 and chunks[-1].end == len(text.rstrip())


def _has_document(doc_id: str) -> Callable[[Env, Outcome], None]:
    def check(env: Env, outcome: Outcome) -> None:
        version = load_version(env.index)
        assert doc_id in version.documents, sorted(version.documents)
        answer = ask("When was the Varnholm lighthouse built?", index=env.index, k=3)
        assert doc_id in {p.doc_id for p in answer.passages}

    return check


def _upload_first(name: str, text: str = NOTE) -> Callable[[Env], None]:
    def setup(env: Env) -> None:
        outcome = chat_upload(env, [env.file(f"first/{name}", text)])
        assert outcome.kind == "ingested", outcome

    return setup


def _uploaded(name: str, status: str) -> Callable[[Env, Outcome], None]:
    def check(env: Env, outcome: Outcome) -> None:
        assert outcome.detail["statuses"] == {name: status}
        saved = env.index / "uploads" / name
        assert saved.is_file() and name in load_version(env.index).documents
        escaped = [p for p in env.root.rglob("*") if p.name == name and p != saved]
        assert all(env.work in p.parents for p in escaped), escaped  # only the sources

    return check


def _answer_json(env: Env, outcome: Outcome) -> None:
    json.loads(outcome.detail["stdout"])


def _original_upload_kept(env: Env, outcome: Outcome) -> None:
    assert (env.index / "uploads" / "notes.md").read_text() == NOTE


def _ingest_then_empty_folder(env: Env) -> None:
    note = env.file("notes/lighthouse.md", NOTE)
    assert api_ingest(env, [note.parent]).kind == "ingested"
    note.unlink()


def _only_corpus_left(env: Env, outcome: Outcome) -> None:
    assert outcome.detail["report"].removed == ("lighthouse.md",)
    assert sorted(load_version(env.index).documents) == ["kazakhstan-brics-refusal.md"]


def _serve_then_lose_dense(env: Env) -> None:
    env.handlers()  # the chat loads the index when it starts
    _lose("dense.faiss")(env)


def _bad_utf8_name(env: Env) -> None:
    (env.work / b"caf\xe9 notes.md".decode("utf-8", "surrogateescape")).write_text(NOTE)


# -- the catalogue --------------------------------------------------------------------------

INDEX_HELP = r"docqa ingest"
REBUILD = r"--rebuild"

CASES = [
    # Questions, through the Python API.
    Case("api-ask-empty", lambda e: api_ask(e, ""), "error", r"^the question is empty"),
    Case("api-ask-whitespace", lambda e: api_ask(e, " \t\n  "), "error", r"question is empty"),
    Case(
        "api-ask-100k-chars",
        lambda e: api_ask(e, "why " * 25_000),
        "error",
        r"is 99,999 characters; the limit is 2,000",
    ),
    Case(
        "api-ask-control-chars",
        lambda e: api_ask(e, "When\x00 was the \x1b[2J summit?"),
        "error",
        r"control character \(U\+0000\)",
    ),
    Case("api-ask-right-to-left", lambda e: api_ask(e, RTL), "answered"),
    Case("api-ask-emoji", lambda e: api_ask(e, EMOJI), "answered"),
    Case("api-ask-k-0", lambda e: api_ask(e, BRICS, k=0), "error", r"k=0 is not valid; .* 1 to 50"),
    Case("api-ask-k-minus-1", lambda e: api_ask(e, BRICS, k=-1), "error", r"k=-1 is not valid"),
    Case("api-ask-k-1e9", lambda e: api_ask(e, BRICS, k=10**9), "error", r"k=1000000000 is not"),
    Case("api-ask-k-abc", lambda e: api_ask(e, BRICS, k="abc"), "error", r"k='abc' is not valid"),
    Case(
        "api-ask-unknown-mode",
        lambda e: api_ask(e, BRICS, mode="fuzzy"),
        "error",
        r"unknown search mode 'fuzzy'; valid modes are: hybrid, dense, keyword",
    ),
    Case(
        "api-ask-unknown-document",
        lambda e: api_ask(e, BRICS, documents=["nope.md"]),
        "error",
        r"unknown document id\(s\): nope.md; see `docqa list`",
    ),
    # Index folders, through the Python API.
    Case(
        "api-ask-nonexistent-index",
        lambda e: api_ask(e, BRICS, index=e.work / "nowhere"),
        "error",
        rf"no docqa index at .*nowhere; build one with: {INDEX_HELP}",
    ),
    Case(
        "api-ask-index-is-a-file",
        lambda e: api_ask(e, BRICS, index=e.file("index.txt", "x")),
        "error",
        r"index.txt is a file, not an index directory",
    ),
    Case(
        "api-ask-half-deleted-index",
        lambda e: api_ask(e, BRICS),
        "error",
        rf"damaged index files .*dense.faiss.*{REBUILD}",
        setup=_lose("dense.faiss"),
        breaks_index=True,
    ),
    Case(
        "api-ask-other-format-version",
        lambda e: api_ask(e, BRICS),
        "error",
        rf"version 99, this docqa reads 'docqa-index' version 1; .*{REBUILD}",
        setup=_manifest(format_version=99),
        breaks_index=True,
    ),
    Case(
        "api-ask-index-of-an-unavailable-model",
        lambda e: api_ask(e, BRICS),
        "error",
        rf"cannot load the embedding model 'acme/unknown-model' .*{REBUILD}",
        setup=_manifest(model="acme/unknown-model"),
        breaks_index=True,
    ),
    Case(
        "api-ask-index-of-another-dimension",
        lambda e: api_ask(e, BRICS),
        "error",
        rf"vectors of dimension 256, but the manifest says 64; .*{REBUILD}",
        setup=_manifest(model="fake-hashing-64", dimension=64),
        breaks_index=True,
    ),
    Case(
        "api-ask-read-only-index", lambda e: api_ask(e, BRICS), "answered", setup=_read_only_index
    ),
    # Files, through the Python API.
    Case(
        "api-ingest-nonexistent-path",
        lambda e: api_ingest(e, [e.work / "missing.md"]),
        "rejected",
        r"missing.md: no such file or folder",
    ),
    Case(
        "api-ingest-empty-file",
        lambda e: api_ingest(e, [e.file("empty.md", b"")]),
        "rejected",
        r"empty.md: .*no text to index",
    ),
    Case(
        "api-ingest-binary-file",
        lambda e: api_ingest(e, [e.file("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")]),
        "rejected",
        r"image.txt: .*binary file",
    ),
    Case(
        "api-ingest-truncated-utf8",
        lambda e: api_ingest(e, [e.file("cut.md", "# Caf\u00e9 notes".encode()[:-7])]),
        "rejected",
        r"cut.md: .*not UTF-8",
    ),
    Case(
        "api-ingest-unsupported-type",
        lambda e: api_ingest(e, [e.file("setup.exe", b"MZ\x90\x00")]),
        "rejected",
        r"setup.exe: .*unsupported file type '.exe'; supported: .*\.md",
    ),
    Case(
        "api-ingest-folder-without-documents",
        lambda e: api_ingest(e, [e.file("photos/cat.jpg", b"\xff\xd8").parent]),
        "rejected",
        r"photos: no files docqa can read in this folder",
    ),
    Case(
        "api-ingest-prune-an-emptied-folder",
        lambda e: api_ingest(e, [e.work / "notes"], prune=True),
        "ingested",  # valid: an emptied folder is how its documents are removed
        setup=_ingest_then_empty_folder,
        changes_index=True,
        check=_only_corpus_left,
    ),
    Case(
        "api-ingest-unreadable-file",
        lambda e: api_ingest(e, [e.work / "locked.md"]),
        "rejected",
        r"locked.md: .*Permission denied",
        setup=_unreadable_file,
    ),
    Case(
        "api-ingest-truncated-pdf",
        lambda e: api_ingest(e, [e.file("cut.pdf", _pdf_bytes(NOTE)[:600])]),
        "rejected",
        r"cut.pdf: .*(damaged|truncated|not a readable)",
        needs=".pdf",
    ),
    Case(
        "api-ingest-encrypted-pdf",
        lambda e: api_ingest(e, [e.file("locked.pdf", _pdf_bytes(NOTE, password="secret"))]),
        "rejected",
        r"locked.pdf: .*(encrypted|password)",
        needs=".pdf",
    ),
    Case(
        "api-ingest-zip-bomb-docx",
        lambda e: api_ingest(e, [e.work / "bomb.docx"]),
        "rejected",
        r"bomb.docx: .*unpack",
        setup=lambda e: _zip_bomb_docx(e.work / "bomb.docx"),
        needs=".docx",
    ),
    Case(
        "api-ingest-50mb-one-line",
        _ingest_big,
        "ingested",
        setup=_big_line,
        changes_index=True,
        check=_check_big,
    ),
    Case(
        "api-ingest-other-model",
        lambda e: api_ingest(e, [e.file("note.md", NOTE)], embedder=FakeEmbedder(64)),
        "error",
        rf"built with model 'fake-hashing-256', not 'fake-hashing-64'; .*{REBUILD}",
    ),
    Case(
        "api-ingest-into-half-deleted-index",
        lambda e: api_ingest(e, [e.file("note.md", NOTE)]),
        "error",
        rf"damaged index files .*chunks.jsonl.*{REBUILD}",
        setup=_lose("chunks.jsonl"),
        breaks_index=True,
    ),
    Case(
        "api-ingest-into-read-only-index",
        lambda e: api_ingest(e, [e.work / "note.md"]),
        "error",
        r"cannot write the index at .*index \(Permission denied\)",
        setup=_read_only_index,
    ),
    Case(
        "api-ingest-file-name-not-utf8",
        lambda e: api_ingest(e, [next(e.work.glob("caf*"))]),
        "rejected",
        r"caf\ufffd notes.md: the path is not valid UTF-8; rename the file or folder",
        setup=_bad_utf8_name,
    ),
    Case(
        "api-ingest-dot-dot-and-spaces-in-path",
        lambda e: api_ingest(e, [e.file("sub/x/../lighthouse notes.md", NOTE)]),
        "ingested",
        changes_index=True,
        check=_has_document("lighthouse notes.md"),
    ),
    Case(
        "api-ingest-non-ascii-name",
        lambda e: api_ingest(e, [e.file("Fyrtårn – 灯台 notes.md", NOTE)]),
        "ingested",
        changes_index=True,
        check=_has_document("Fyrtårn – 灯台 notes.md"),
    ),
    # The command line.
    Case("cli-ask-empty", lambda e: cli(e, "ask", ""), "error", r"^docqa: error: .*is empty"),
    Case(
        "cli-ask-100k-chars",
        lambda e: cli(e, "ask", "a" * 100_000),
        "error",
        r"^docqa: error: the question is 100,000 characters; the limit is 2,000$",
    ),
    Case(
        "cli-ask-control-chars",
        lambda e: cli(e, "ask", "\x1b[31mBRICS\x1b[0m summit?"),
        "error",
        r"control character \(U\+001B\)",
    ),
    Case(
        "cli-ask-undecodable-bytes",
        lambda e: cli(e, "ask", "BRICS \udcff\udcfe summit?"),
        "error",
        r"not valid UTF-8 text",
    ),
    Case("cli-ask-right-to-left", lambda e: cli(e, "ask", RTL), "answered"),
    Case(
        "cli-ask-emoji-json",
        lambda e: cli(e, "ask", EMOJI, "--json"),
        "answered",
        check=_answer_json,
    ),
    Case("cli-ask-k-0", lambda e: cli(e, "ask", BRICS, "--k", "0"), "error", r"k=0 is not valid"),
    Case("cli-ask-k-minus-1", lambda e: cli(e, "ask", BRICS, "--k", "-1"), "error", r"k=-1 is"),
    Case(
        "cli-ask-k-1e9",
        lambda e: cli(e, "ask", BRICS, "--k", str(10**9)),
        "error",
        r"k=1000000000 is not valid",
    ),
    Case(
        "cli-ask-k-abc",
        lambda e: cli(e, "ask", BRICS, "--k", "abc"),
        "error",
        r"^docqa ask: error: argument --k: invalid int value: 'abc' \(see docqa ask --help\)$",
    ),
    Case(
        "cli-ask-unknown-mode",
        lambda e: cli(e, "ask", BRICS, "--mode", "fuzzy"),
        "error",
        r"argument --mode: invalid choice: 'fuzzy'",
    ),
    Case(
        "cli-ask-other-format-version",
        lambda e: cli(e, "ask", BRICS),
        "error",
        rf"^docqa: error: .*version 99.*{REBUILD}",
        setup=_manifest(format_version=99),
        breaks_index=True,
    ),
    Case(
        "cli-ingest-no-paths",
        lambda e: cli(e, "ingest"),
        "error",
        r"^docqa ingest: error: the following arguments are required: paths",
    ),
    Case(
        "cli-ingest-nonexistent-path",
        lambda e: cli(e, "ingest", str(e.work / "missing.md")),
        "rejected",
        r"missing.md: no such file or folder",
    ),
    Case(
        "cli-ingest-good-and-binary-files",
        lambda e: cli(e, "ingest", str(e.file("note.md", NOTE)), str(e.file("b.md", b"\0\1"))),
        "rejected",
        r"b.md: .*binary",
        changes_index=True,
        check=_has_document("note.md"),
    ),
    Case(
        "cli-ingest-unreadable-file",
        lambda e: cli(e, "ingest", str(e.work / "locked.md")),
        "rejected",
        r"locked.md: .*Permission denied",
        setup=_unreadable_file,
    ),
    Case(
        "cli-ingest-index-is-a-file",
        lambda e: cli(e, "ingest", str(e.file("n.md", NOTE)), index=e.file("idx", "x")),
        "error",
        r"^docqa: error: cannot write the index at .*idx \(File exists\)",
    ),
    Case(
        "cli-ingest-read-only-index",
        lambda e: cli(e, "ingest", str(e.work / "note.md")),
        "error",
        r"^docqa: error: cannot write the index at .*\(Permission denied\)",
        setup=_read_only_index,
    ),
    Case(
        "cli-ingest-other-model",
        lambda e: cli(e, "ingest", str(e.file("n.md", NOTE)), "--model", "fake-hashing-64"),
        "error",
        rf"^docqa: error: .*'fake-hashing-256', not 'fake-hashing-64'; .*{REBUILD}",
    ),
    Case(
        "cli-ingest-max-chars-10",
        lambda e: cli(e, "ingest", str(e.file("n.md", NOTE)), "--max-chars", "10"),
        "error",
        r"max_chars=10 is out of range; choose 50..1200",
    ),
    # The chat: the handlers behind the Gradio events and the ask API.
    Case("chat-ask-whitespace", lambda e: chat_ask(e, "   "), "error", r"^the question is empty"),
    Case(
        "chat-ask-100k-chars",
        lambda e: chat_ask(e, "x" * 100_000),
        "error",
        r"100,000 characters; the limit is 2,000",
    ),
    Case(
        "chat-ask-control-chars",
        lambda e: chat_ask(e, "BRICS\x07\x08 summit"),
        "error",
        r"control character \(U\+0007\)",
    ),
    Case("chat-ask-right-to-left", lambda e: chat_ask(e, RTL), "answered"),
    Case("chat-ask-emoji", lambda e: chat_ask(e, EMOJI), "answered"),
    Case("chat-api-empty", lambda e: chat_api(e, ""), "error", r"question is empty"),
    Case("chat-api-k-abc", lambda e: chat_api(e, BRICS, "abc"), "error", r"k='abc' is not valid"),
    Case("chat-api-k-1e9", lambda e: chat_api(e, BRICS, 10**9), "error", r"k=1000000000 is not"),
    Case("chat-api-no-question", lambda e: chat_api(e, None), "error", r"must be text, not None"),
    Case(
        "chat-ask-half-deleted-while-serving",
        lambda e: chat_ask(e, BRICS),
        "answered",  # the loaded version keeps answering
        setup=_serve_then_lose_dense,
        breaks_index=True,
    ),
    Case(
        "chat-upload-half-deleted-index",
        lambda e: chat_upload(e, [e.file("note.md", NOTE)]),
        "error",
        rf"damaged index files .*{REBUILD}",
        setup=_lose("chunks.jsonl"),
        breaks_index=True,
    ),
    Case(
        "chat-upload-read-only-index",
        lambda e: chat_upload(e, [e.work / "note.md"]),
        "error",
        r"Permission denied",
        setup=_read_only_index,
    ),
    Case(
        "chat-upload-empty-file",
        lambda e: chat_upload(e, [e.file("empty.md", b"")]),
        "rejected",
        r"^empty.md: no text to index",
    ),
    Case(
        "chat-upload-unsupported-type",
        lambda e: chat_upload(e, [e.file("run.sh", "rm -rf /")]),
        "rejected",
        r"^run.sh: unsupported file type '.sh'",
    ),
    Case(
        "chat-upload-50mb-over-limit",
        lambda e: chat_upload(e, [e.work / "one-line.txt"]),
        "rejected",
        r"^one-line.txt: the file is 50.0 MB, over the upload limit of 20.0 MB",
        setup=_big_line,
    ),
    Case(
        "chat-upload-a-folder",
        lambda e: chat_upload(e, [e.file("folder.md/inner.md", NOTE).parent]),
        "rejected",
        r"^folder.md: the upload did not arrive",
    ),
    Case(
        "chat-upload-same-name-twice-at-once",
        lambda e: chat_upload(e, [e.file("a/notes.md", NOTE), e.file("b/notes.md", "# B\n\nb")]),
        "rejected",
        r"^notes.md: another file in this upload has the same name",
        changes_index=True,
        check=_has_document("notes.md"),
    ),
    Case(
        "chat-upload-duplicate-of-an-earlier-upload",
        lambda e: chat_upload(e, [e.work / "first" / "notes.md"]),
        "ingested",
        setup=_upload_first("notes.md"),
        check=_uploaded("notes.md", "unchanged"),
    ),
    Case(
        "chat-upload-replacement-that-is-binary",
        lambda e: chat_upload(e, [e.file("second/notes.md", b"\x00\x01\x02")]),
        "rejected",
        r"^notes.md: looks like a binary file",
        setup=_upload_first("notes.md"),
        check=_original_upload_kept,
    ),
    Case(
        "chat-upload-name-with-dot-dot-backslashes",
        lambda e: chat_upload(e, [e.file("..\\..\\evil.md", NOTE)]),
        "ingested",
        changes_index=True,
        check=_uploaded("evil.md", "added"),
    ),
    Case(
        "chat-upload-name-with-spaces",
        lambda e: chat_upload(e, [e.file("my notes (v2).md", NOTE)]),
        "ingested",
        changes_index=True,
        check=_uploaded("my_notes_v2.md", "added"),
    ),
    Case(
        "chat-upload-non-ascii-name",
        lambda e: chat_upload(e, [e.file("Fyrtårn 灯台.md", NOTE)]),
        "ingested",
        changes_index=True,
        check=_uploaded("Fyrtårn_灯台.md", "added"),
    ),
]


def _params() -> list[object]:
    params: list[object] = []
    for case in CASES:
        marks = []
        if case.needs and case.needs not in LOADERS:
            marks.append(
                pytest.mark.xfail(reason=f"no {case.needs} loader on this branch", strict=False)
            )
        params.append(pytest.param(case, id=case.id, marks=marks))
    return params


@pytest.fixture(scope="module")
def template_index() -> Iterator[Path]:
    """A world-enterable folder holding the bundled corpus indexed with the fake embedder."""
    base = Path(tempfile.mkdtemp(prefix="docqa-bad-inputs-"))
    base.chmod(0o755)
    try:
        (base / "template").mkdir()
        shutil.copytree(CORPUS, base / "template" / "corpus")
        index = base / "template" / "index"
        ingest([base / "template" / "corpus"], index=index, embedder=FakeEmbedder())
        (base / "cases").mkdir()
        (base / "cases").chmod(0o755)
        yield index
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def env(template_index: Path) -> Iterator[Env]:
    case_env = new_env(template_index, template_index.parent.parent / "cases")
    try:
        yield case_env
    finally:
        remove_env(case_env)


def test_the_catalogue_has_at_least_30_inputs_on_each_surface_together() -> None:
    surfaces = {c.id.split("-")[0] for c in CASES}
    assert len(CASES) >= 30 and surfaces == {"api", "cli", "chat"}
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", _params())
def test_bad_input(case: Case, env: Env, template_index: Path) -> None:
    if case.setup:
        case.setup(env)
    before = snapshot(env.index)

    outcome = case.run(env)

    assert outcome.kind == case.expect, outcome
    if case.expect in ("error", "rejected"):
        (line,) = outcome.lines  # exactly one message, on one line
        assert "\n" not in line and 10 < len(line) < 400, line
        assert re.search(case.says, line), line
    else:
        assert outcome.lines == (), outcome.lines
    after = snapshot(env.index)
    if case.changes_index:
        assert after != before
    else:
        assert after == before, "the index changed for an input that was not valid"
    if case.check:
        case.check(env, outcome)
    # The process keeps answering: from this index, or from a healthy one if it was broken.
    index = env.index
    if case.breaks_index:
        index = env.root / "healthy"
        shutil.copytree(template_index, index)
    answer = ask(BRICS, index=index, k=3)
    assert answer.passages
    citations_hold(answer, index)


@pytest.mark.skipif(not running_as_root(), reason="shows why the permission cases drop root")
def test_root_reads_files_whatever_their_mode(tmp_path: Path) -> None:
    locked = tmp_path / "locked.md"
    locked.write_text(NOTE)
    locked.chmod(0o000)
    assert locked.read_text() == NOTE  # hence the unprivileged user in those cases
