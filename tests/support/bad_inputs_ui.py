"""The bad-input catalogue, part 2: the ``docqa`` command line and the chat's handlers."""

from __future__ import annotations

from tests.support.bad_input_files import (
    BRICS,
    EMOJI,
    NOTE,
    RTL,
    answer_json,
    big_line,
    edit_manifest,
    encrypted_pptx,
    has_document,
    lose,
    original_upload_kept,
    read_only_index,
    serve_then_lose,
    unreadable_file,
    upload_first,
    uploaded,
)
from tests.support.bad_input_harness import Case, chat_api, chat_ask, chat_upload, cli

REBUILD = r"--rebuild"

CLI_CASES = [
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
        check=answer_json,
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
        "failed",
        rf"^docqa: error: .*version 99.*{REBUILD}",
        setup=edit_manifest(format_version=99),
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
        check=has_document("note.md"),
    ),
    Case(
        "cli-ingest-unreadable-file",
        lambda e: cli(e, "ingest", str(e.work / "locked.md")),
        "rejected",
        r"locked.md: .*Permission denied",
        setup=unreadable_file,
    ),
    Case(
        "cli-ingest-index-is-a-file",
        lambda e: cli(e, "ingest", str(e.file("n.md", NOTE)), index=e.file("idx", "x")),
        "failed",
        r"^docqa: error: cannot write the index at .*idx \(File exists\)",
    ),
    Case(
        "cli-ingest-read-only-index",
        lambda e: cli(e, "ingest", str(e.work / "note.md")),
        "failed",
        r"^docqa: error: cannot write the index at .*\(Permission denied\)",
        setup=read_only_index,
    ),
    Case(
        "cli-ingest-other-model",
        lambda e: cli(e, "ingest", str(e.file("n.md", NOTE)), "--model", "fake-hashing-64"),
        "failed",
        rf"^docqa: error: .*'fake-hashing-256', not 'fake-hashing-64'; .*{REBUILD}",
    ),
    Case(
        "cli-ingest-max-chars-10",
        lambda e: cli(e, "ingest", str(e.file("n.md", NOTE)), "--max-chars", "10"),
        "error",
        r"max_chars=10 is out of range; choose 50..1200",
    ),
]

CHAT_CASES = [
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
        setup=serve_then_lose("dense.faiss"),
        breaks_index=True,
    ),
    Case(
        "chat-upload-half-deleted-index",
        lambda e: chat_upload(e, [e.file("note.md", NOTE)]),
        "error",
        rf"damaged index files .*{REBUILD}",
        setup=lose("chunks.npy"),
        breaks_index=True,
    ),
    Case(
        "chat-upload-into-an-index-damaged-while-serving",
        lambda e: chat_upload(e, [e.file("note.md", NOTE)]),
        "error",  # the ingest fails after the file was saved: the copy is taken back
        rf"damaged index files .*{REBUILD}",
        setup=serve_then_lose("chunks.npy"),
        breaks_index=True,
    ),
    Case(
        "chat-upload-read-only-index",
        lambda e: chat_upload(e, [e.work / "note.md"]),
        "error",
        r"Permission denied",
        setup=read_only_index,
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
        "chat-upload-encrypted-pptx",
        lambda e: chat_upload(e, [encrypted_pptx(e.work / "locked.pptx")]),
        "rejected",
        r"^locked.pptx: the .pptx is encrypted and needs a password; save an unprotected copy",
    ),
    Case(
        "chat-upload-50mb-over-limit",
        lambda e: chat_upload(e, [e.work / "one-line.txt"]),
        "rejected",
        r"^one-line.txt: the file is 50.0 MB, over the upload limit of 20.0 MB",
        setup=big_line,
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
        check=has_document("notes.md"),
    ),
    Case(
        "chat-upload-duplicate-of-an-earlier-upload",
        lambda e: chat_upload(e, [e.work / "first" / "notes.md"]),
        "ingested",
        setup=upload_first("notes.md"),
        check=uploaded("notes.md", "unchanged"),
    ),
    Case(
        "chat-upload-replacement-that-is-binary",
        lambda e: chat_upload(e, [e.file("second/notes.md", b"\x00\x01\x02")]),
        "rejected",
        r"^notes.md: looks like a binary file",
        setup=upload_first("notes.md"),
        check=original_upload_kept,
    ),
    Case(
        "chat-upload-name-with-dot-dot-backslashes",
        lambda e: chat_upload(e, [e.file("..\\..\\evil.md", NOTE)]),
        "ingested",
        changes_index=True,
        check=uploaded("evil.md", "added"),
    ),
    Case(
        "chat-upload-name-with-spaces",
        lambda e: chat_upload(e, [e.file("my notes (v2).md", NOTE)]),
        "ingested",
        changes_index=True,
        check=uploaded("my_notes_v2.md", "added"),
    ),
    Case(
        "chat-upload-non-ascii-name",
        lambda e: chat_upload(e, [e.file("Fyrtårn 灯台.md", NOTE)]),
        "ingested",
        changes_index=True,
        check=uploaded("Fyrtårn_灯台.md", "added"),
    ),
]
