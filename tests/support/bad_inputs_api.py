"""The bad-input catalogue, part 1: the Python API (``retrieval.ask``, ``ingest``)."""

from __future__ import annotations

from ingest.formats.packages import OLE_SIGNATURE
from ingest.index.store import FORMAT_VERSION
from retrieval import AskSettings
from tests.support.bad_input_files import (
    BRICS,
    EMOJI,
    NOTE,
    RTL,
    add_bomb_part,
    bad_utf8_name,
    big_attachment_skipped,
    big_line,
    bomb_png,
    check_big,
    cut_in_half,
    cut_picture_skipped,
    cut_png,
    edit_manifest,
    flate_bomb_pdf,
    has_document,
    ingest_big,
    ingest_measured,
    ingest_then_empty_folder,
    locked_deck_beside_a_note,
    lose,
    mail_with_a_cut_picture,
    mail_with_a_photo,
    mail_with_big_attachment,
    million_row_xlsx,
    million_rows_cut,
    nested_html,
    only_corpus_left,
    photo_skipped,
    read_only_index,
    unreadable_file,
    zip_bomb_docx,
)
from tests.support.bad_input_harness import Case, api_ask, api_ingest
from tests.support.documents import write_encrypted_pdf, write_pdf, write_pptx, write_xlsx
from tests.support.fakes import FakeEmbedder

INDEX_HELP = r"docqa ingest"
REBUILD = r"--rebuild"

API_CASES = [
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
        lambda e: api_ask(e, BRICS, settings=AskSettings(mode="fuzzy")),  # type: ignore[arg-type]
        "error",
        r"unknown search mode 'fuzzy'; valid modes are: hybrid, dense, keyword",
    ),
    Case(
        "api-ask-unknown-document",
        lambda e: api_ask(e, BRICS, settings=AskSettings(documents=["nope.md"])),
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
        setup=lose("dense.faiss"),
        breaks_index=True,
    ),
    Case(
        "api-ask-other-format-version",
        lambda e: api_ask(e, BRICS),
        "error",
        rf"version 99, this docqa reads 'docqa-index' version {FORMAT_VERSION}; .*{REBUILD}",
        setup=edit_manifest(format_version=99),
        breaks_index=True,
    ),
    Case(
        "api-ask-index-of-an-unavailable-model",
        lambda e: api_ask(e, BRICS),
        "error",
        rf"cannot load the embedding model 'acme/unknown-model' .*{REBUILD}",
        setup=edit_manifest(model="acme/unknown-model"),
        breaks_index=True,
    ),
    Case(
        "api-ask-index-of-another-dimension",
        lambda e: api_ask(e, BRICS),
        "error",
        rf"vectors of dimension 256, but the manifest says 64; .*{REBUILD}",
        setup=edit_manifest(model="fake-hashing-64", dimension=64),
        breaks_index=True,
    ),
    Case("api-ask-read-only-index", lambda e: api_ask(e, BRICS), "answered", setup=read_only_index),
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
        lambda e: api_ingest(e, [e.file("photos/cat.gif", b"GIF89a").parent]),
        "rejected",
        r"photos: no files docqa can read in this folder \(it holds 1 file of type \.gif; "
        r"docqa reads .*\.md.*\)",
    ),
    Case(
        "api-ingest-prune-an-emptied-folder",
        lambda e: api_ingest(e, [e.work / "notes"], prune=True),
        "ingested",  # valid: an emptied folder is how its documents are removed
        setup=ingest_then_empty_folder,
        changes_index=True,
        check=only_corpus_left,
    ),
    Case(
        "api-ingest-unreadable-file",
        lambda e: api_ingest(e, [e.work / "locked.md"]),
        "rejected",
        r"locked.md: .*Permission denied",
        setup=unreadable_file,
    ),
    Case(
        "api-ingest-truncated-pdf",
        lambda e: api_ingest(e, [e.work / "cut.pdf"]),
        "rejected",
        r"cut.pdf: not a readable PDF \(",
        setup=lambda e: cut_in_half(write_pdf(e.work / "cut.pdf", [[NOTE]])),
    ),
    Case(
        "api-ingest-encrypted-pdf",
        lambda e: api_ingest(e, [e.work / "locked.pdf"]),
        "rejected",
        r"locked.pdf: the PDF is encrypted and needs a password; save an unprotected copy",
        setup=lambda e: write_encrypted_pdf(e.work / "locked.pdf", NOTE),
    ),
    Case(
        "api-ingest-zip-bomb-docx",
        lambda e: api_ingest(e, [e.work / "bomb.docx"]),
        "rejected",
        r"bomb.docx: the .docx would unpack to 200,000,\d+ bytes .* refused as a possible zip bomb",
        setup=lambda e: zip_bomb_docx(e.work / "bomb.docx"),
    ),
    Case(
        "api-ingest-docx-bomb-padded-under-the-package-ratio",
        lambda e: api_ingest(e, [e.work / "padded.docx"]),
        "rejected",
        r"padded.docx: its part word/document.xml would unpack to 60,000,\d+ bytes from "
        r"[\d,]+ \([\d,]+ times\); refused as a possible zip bomb",
        # 60 MB of XML and 1 MB of stored noise: the whole package unpacks only ~60 times
        setup=lambda e: zip_bomb_docx(e.work / "padded.docx", megabytes=60, padding=1_000_000),
    ),
    Case(
        "api-ingest-encrypted-pptx-beside-a-note",
        lambda e: api_ingest(e, [e.work / "deck"]),
        "rejected",
        r"locked.pptx: the .pptx is encrypted and needs a password; save an unprotected copy",
        setup=locked_deck_beside_a_note,
        changes_index=True,
        check=has_document("note.md"),
    ),
    Case(
        "api-ingest-old-binary-office-file-as-pptx",
        lambda e: api_ingest(e, [e.file("old.pptx", OLE_SIGNATURE + bytes(4096))]),
        "rejected",
        r"old.pptx: an old binary Office file \(.doc, .ppt or .xls\), not a .pptx package",
    ),
    Case(
        "api-ingest-truncated-pptx",
        lambda e: api_ingest(e, [e.work / "cut.pptx"]),
        "rejected",
        r"cut.pptx: not a readable .pptx file \(",
        setup=lambda e: cut_in_half(write_pptx(e.work / "cut.pptx", [("Pier", [NOTE], "")])),
    ),
    Case(
        "api-ingest-truncated-xlsx",
        lambda e: api_ingest(e, [e.work / "cut.xlsx"]),
        "rejected",
        r"cut.xlsx: not a readable .xlsx file \(",
        setup=lambda e: cut_in_half(write_xlsx(e.work / "cut.xlsx", {"S": [["Note", NOTE]]})),
    ),
    Case(
        "api-ingest-zip-bomb-pptx",
        lambda e: api_ingest(e, [e.work / "bomb.pptx"]),
        "rejected",
        r"bomb.pptx: the .pptx would unpack to 60,\d+,\d+ bytes .* refused as a possible zip bomb",
        setup=lambda e: add_bomb_part(
            write_pptx(e.work / "bomb.pptx", [("Pier", [NOTE], "")]), "ppt/slides/slide9.xml"
        ),
    ),
    Case(
        "api-ingest-zip-bomb-sheet-in-xlsx",
        lambda e: api_ingest(e, [e.work / "bomb.xlsx"]),
        "rejected",
        r"bomb.xlsx: the .xlsx would unpack to 60,\d+,\d+ bytes .* refused as a possible zip bomb",
        setup=lambda e: add_bomb_part(
            write_xlsx(e.work / "bomb.xlsx", {"S": [["Note", NOTE]]}), "xl/worksheets/sheet2.xml"
        ),
    ),
    Case(
        "api-ingest-million-row-xlsx",
        ingest_measured("readings.xlsx"),
        "ingested",
        setup=lambda e: million_row_xlsx(e.work / "readings.xlsx"),
        changes_index=True,
        check=million_rows_cut,
    ),
    Case(
        "api-ingest-mail-with-50mb-attachment",
        ingest_measured("mail.eml"),
        "ingested",
        setup=mail_with_big_attachment,
        changes_index=True,
        check=big_attachment_skipped,
    ),
    Case(
        "api-ingest-mail-with-an-unreadable-attachment",
        lambda e: api_ingest(e, [e.work / "photo-mail.eml"]),
        "ingested",
        setup=mail_with_a_photo,
        changes_index=True,
        check=photo_skipped,
    ),
    Case(
        "api-ingest-mail-with-a-damaged-picture",
        lambda e: api_ingest(e, [e.work / "scan-mail.eml"]),
        "ingested",
        setup=mail_with_a_cut_picture,
        changes_index=True,
        check=cut_picture_skipped,
    ),
    Case(
        "api-ingest-pdf-flate-bomb",
        lambda e: api_ingest(e, [e.work / "bomb.pdf"]),
        "rejected",
        r"bomb.pdf: not a readable PDF \(Limit reached while decompressing",
        setup=lambda e: flate_bomb_pdf(e.work / "bomb.pdf"),
    ),
    Case(
        "api-ingest-folder-with-a-damaged-picture",
        lambda e: api_ingest(e, [e.work / "album"]),
        "rejected",
        r"cut.png: damaged picture \(OSError: ",
        setup=lambda e: cut_png(e.file("album/note.md", NOTE).parent / "cut.png"),
        changes_index=True,
        check=has_document("note.md"),
    ),
    Case(
        "api-ingest-folder-with-a-picture-bomb",
        lambda e: api_ingest(e, [e.work / "album"]),
        "rejected",
        r"bomb.png: the picture has 400,000,000 pixels; the limit is 80,000,000 pixels",
        setup=lambda e: (
            e.file("album/note.md", NOTE).with_name("bomb.png").write_bytes(bomb_png(20_000))
        ),
        changes_index=True,
        check=has_document("note.md"),
    ),
    Case(
        "api-ingest-deeply-nested-html",
        lambda e: api_ingest(e, [e.file("nested.html", nested_html())]),
        "ingested",
        changes_index=True,
        check=has_document("nested.html", "Where did the lighthouse keeper live?"),
    ),
    Case(
        "api-ingest-50mb-one-line",
        ingest_big,
        "ingested",
        setup=big_line,
        changes_index=True,
        check=check_big,
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
        rf"damaged index files .*chunks.npy.*{REBUILD}",
        setup=lose("chunks.npy"),
        breaks_index=True,
    ),
    Case(
        "api-ingest-into-read-only-index",
        lambda e: api_ingest(e, [e.work / "note.md"]),
        "error",
        r"cannot write the index at .*index \(Permission denied\)",
        setup=read_only_index,
    ),
    Case(
        "api-ingest-file-name-not-utf8",
        lambda e: api_ingest(e, [next(e.work.glob("caf*"))]),
        "rejected",
        r"caf\ufffd notes.md: the path is not valid UTF-8; rename the file or folder",
        setup=bad_utf8_name,
    ),
    Case(
        "api-ingest-dot-dot-and-spaces-in-path",
        lambda e: api_ingest(e, [e.file("sub/x/../lighthouse notes.md", NOTE)]),
        "ingested",
        changes_index=True,
        check=has_document("lighthouse notes.md"),
    ),
    Case(
        "api-ingest-non-ascii-name",
        lambda e: api_ingest(e, [e.file("Fyrtårn – 灯台 notes.md", NOTE)]),
        "ingested",
        changes_index=True,
        check=has_document("Fyrtårn – 灯台 notes.md"),
    ),
]
