"""Inputs of the bad-input catalogue: hostile files, broken indexes, and their checks."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import threading
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from ingest.index.store import current_version_path, load_version
from retrieval import ask
from tests.support.bad_input_harness import (
    Env,
    Outcome,
    api_ingest,
    chat_upload,
    hand_over,
    make_read_only,
)

BRICS = "When was the 16th BRICS summit held?"
RTL = "متى عقدت قمة بريكس السادسة عشرة؟ מתי התקיימה פסגת BRICS?"
EMOJI = "🌍🤝 Who hosted the 16th BRICS summit? 🇷🇺🇰🇿"
NOTE = "# Lighthouse notes\n\nThe Varnholm lighthouse was built in 1887 from granite.\n"
BIG_BYTES = 50_000_000
BIG_MEMORY_LIMIT = 1_000_000_000  # peak RSS growth allowed while ingesting the 50 MB line


def version_dir(env: Env) -> Path:
    """The live version folder of the env's index."""
    return current_version_path(env.index)


def lose(name: str) -> Callable[[Env], None]:
    """A setup: delete one file (or folder) of the live version."""

    def setup(env: Env) -> None:
        target = version_dir(env) / name
        shutil.rmtree(target) if target.is_dir() else target.unlink()

    return setup


def edit_manifest(**changes: object) -> Callable[[Env], None]:
    """A setup: change fields of the live version's manifest."""

    def setup(env: Env) -> None:
        path = version_dir(env) / "manifest.json"
        data = json.loads(path.read_text())
        data.update(changes)
        path.write_text(json.dumps(data))

    return setup


def unreadable_file(env: Env) -> None:
    """A setup: ``work/locked.md`` that the user running the case may not read."""
    env.file("locked.md", NOTE).chmod(0o000)
    hand_over(env.index)  # the unprivileged user may write the index, not read the file
    env.unprivileged = True


def read_only_index(env: Env) -> None:
    """A setup: an index the user running the case may read but not write."""
    env.file("note.md", NOTE)
    make_read_only(env.index)
    env.unprivileged = True


def cut_in_half(path: Path) -> None:
    """Truncate a file to its first half, as an interrupted download leaves it."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def zip_bomb_docx(path: Path, *, megabytes: int = 200, padding: int = 0) -> None:
    """A .docx whose document.xml is ``megabytes`` MB unpacked, a few hundred KB packed,
    plus ``padding`` bytes of random data stored unpacked (which lowers the package's ratio
    of unpacked to packed size without adding work)."""
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
            for _ in range(megabytes):
                part.write(block)
            part.write(b"</w:t></w:r></w:p></w:body></w:document>")
        if padding:
            package.writestr("word/media/noise.bin", os.urandom(padding), zipfile.ZIP_STORED)


def big_line(env: Env) -> None:
    """50 MB on one line: words and spaces, no sentence end, no line break."""
    words = b"granite lighthouse keeper wrote entries about storms and ships "
    data = (words * (BIG_BYTES // len(words) + 1))[:BIG_BYTES]
    env.file("one-line.txt", data)


@contextlib.contextmanager
def peak_rss_growth() -> Iterator[list[int]]:
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


def ingest_big(env: Env) -> Outcome:
    """Ingest the 50 MB line, sampling this process's memory meanwhile."""
    with peak_rss_growth() as growth:
        outcome = api_ingest(env, [env.work / "one-line.txt"])
    outcome.detail["rss_growth"] = growth[0]
    return outcome


def check_big(env: Env, outcome: Outcome) -> None:
    """The 50 MB line is indexed whole, in chunks within the limit, in bounded memory."""
    assert outcome.detail["rss_growth"] < BIG_MEMORY_LIMIT, outcome.detail["rss_growth"]
    version = load_version(env.index)
    text = version.documents["one-line.txt"].text
    chunks = [c for c in version.chunks if c.doc_id == "one-line.txt"]
    assert len(text) == BIG_BYTES and "\n" not in text
    assert len(chunks) >= BIG_BYTES // 800 and max(c.end - c.start for c in chunks) <= 800
    assert chunks[0].start == 0 and chunks[-1].end == len(text.rstrip())


def has_document(
    doc_id: str, question: str = "When was the Varnholm lighthouse built?"
) -> Callable[[Env, Outcome], None]:
    """A check: the document is indexed and answers ``question``."""

    def check(env: Env, outcome: Outcome) -> None:
        version = load_version(env.index)
        assert doc_id in version.documents, sorted(version.documents)
        answer = ask(question, index=env.index, k=3)
        assert doc_id in {p.doc_id for p in answer.passages}

    return check


def upload_first(name: str, text: str = NOTE) -> Callable[[Env], None]:
    """A setup: upload ``name`` once through the chat."""

    def setup(env: Env) -> None:
        outcome = chat_upload(env, [env.file(f"first/{name}", text)])
        assert outcome.kind == "ingested", outcome

    return setup


def uploaded(name: str, status: str) -> Callable[[Env, Outcome], None]:
    """A check: ``name`` has ``status``, is stored under uploads/ and indexed."""

    def check(env: Env, outcome: Outcome) -> None:
        assert outcome.detail["statuses"] == {name: status}
        saved = env.index / "uploads" / name
        assert saved.is_file() and name in load_version(env.index).documents
        escaped = [p for p in env.root.rglob("*") if p.name == name and p != saved]
        assert all(env.work in p.parents for p in escaped), escaped  # only the sources

    return check


def answer_json(env: Env, outcome: Outcome) -> None:
    """A check: the CLI printed the answer as JSON."""
    json.loads(outcome.detail["stdout"])


def original_upload_kept(env: Env, outcome: Outcome) -> None:
    """A check: the earlier upload of notes.md is still there, unchanged."""
    assert (env.index / "uploads" / "notes.md").read_text() == NOTE


def ingest_then_empty_folder(env: Env) -> None:
    """A setup: a folder ingested, then emptied."""
    note = env.file("notes/lighthouse.md", NOTE)
    assert api_ingest(env, [note.parent]).kind == "ingested"
    note.unlink()


def only_corpus_left(env: Env, outcome: Outcome) -> None:
    """A check: pruning removed the emptied folder's document only."""
    assert outcome.detail["report"].removed == ("lighthouse.md",)
    assert sorted(load_version(env.index).documents) == ["kazakhstan-brics-refusal.md"]


def serve_then_lose(name: str) -> Callable[[Env], None]:
    """A setup: the chat starts (loading the index), then a file of the live version goes."""

    def setup(env: Env) -> None:
        env.handlers()  # the chat loads the index when it starts
        lose(name)(env)

    return setup


def bad_utf8_name(env: Env) -> None:
    """A setup: a file whose name is not valid UTF-8."""
    (env.work / b"caf\xe9 notes.md".decode("utf-8", "surrogateescape")).write_text(NOTE)


def flate_bomb_pdf(path: Path) -> None:
    """A 100 KB PDF whose one content stream inflates to 100 MB."""
    content = zlib.compress(b"BT /F1 12 Tf 72 720 Td (" + b"A" * 100_000_000 + b") Tj ET", 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content)
        + content
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))


def bomb_png(side: int) -> bytes:
    """A valid ``side`` x ``side`` one-bit white PNG: a few kB that decode to side**2 pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")
        )

    row = b"\x00" + b"\xff" * ((side + 7) // 8)
    header = side.to_bytes(4, "big") * 2 + bytes([1, 0, 0, 0, 0])
    pixels = zlib.compress(row * side, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def cut_png_bytes() -> bytes:
    """A PNG of a few lines of text, cut in half: its header reads, its pixels do not."""
    from PIL import Image, ImageDraw

    picture = Image.new("L", (600, 200), 255)
    ImageDraw.Draw(picture).text((20, 20), NOTE, fill=0)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()[: len(buffer.getvalue()) // 2]


def cut_png(path: Path) -> None:
    """Write :func:`cut_png_bytes` to ``path``."""
    path.write_bytes(cut_png_bytes())


def nested_html(depth: int = 100_000) -> str:
    """A page whose one sentence sits inside ``depth`` nested ``div`` elements."""
    return f"<html><body>{'<div>' * depth}The lighthouse keeper lived here.{'</div>' * depth}"


def add_bomb_part(path: Path, part: str, *, megabytes: int = 60) -> Path:
    """Add to the package at ``path`` an XML part of ``megabytes`` MB that packs ~1,000 times."""
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as package,
        package.open(part, "w", force_zip64=True) as stream,
    ):
        stream.write(b"<a>")
        for _ in range(megabytes):
            stream.write(b"A" * 1_000_000)
        stream.write(b"</a>")
    return path


def million_row_xlsx(path: Path, rows: int = 1_000_000) -> Path:
    """A workbook of one sheet, ``Log``, with a header and ``rows`` rows of readings, written
    as XML directly (openpyxl would take minutes); about 20 MB."""
    ns = 'xmlns="http://schemas.openxmlformats.org/'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    main = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": f'<Types {ns}package/2006/content-types"><Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default '
        'Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        f'ContentType="{main}.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" '
        f'ContentType="{main}.worksheet+xml"/></Types>',
        "_rels/.rels": f'<Relationships {ns}package/2006/relationships"><Relationship Id="rId1" '
        f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook {ns}spreadsheetml/2006/main" xmlns:r="{rel}"><sheets>'
        '<sheet name="Log" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships {ns}package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        for name, text in parts.items():
            package.writestr(name, text)
        with package.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                f'<worksheet {ns}spreadsheetml/2006/main"><dimension ref="A1:B{rows}"/>'
                '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Reading</t></is></c>'
                '<c r="B1" t="inlineStr"><is><t>Level</t></is></c></row>'.encode()
            )
            for start in range(2, rows + 1, 10_000):
                sheet.write(
                    "".join(
                        f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}"><v>{r % 977}</v>'
                        "</c></row>"
                        for r in range(start, min(start + 10_000, rows + 1))
                    ).encode()
                )
            sheet.write(b"</sheetData></worksheet>")
    return path


def encrypted_pptx(path: Path) -> Path:
    """A deck saved with the password ``secret`` (an OLE compound file, not a zip)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    from tests.support.documents import write_pptx

    plain = write_pptx(path.with_name("plain-deck.tmp"), [("Secret plan", ["Words."], "")])
    with plain.open("rb") as source, path.open("wb") as target:
        OOXMLFile(source).encrypt("secret", target)
    plain.unlink()
    return path


def locked_deck_beside_a_note(env: Env) -> None:
    """A setup: ``work/deck/`` holding a password-protected deck and a good note."""
    encrypted_pptx(env.file("deck/locked.pptx", b""))
    env.file("deck/note.md", NOTE)


def mail_with_big_attachment(env: Env) -> None:
    """A setup: ``work/mail.eml`` whose attachment is 50 MB (the message about 67 MB)."""
    from tests.support.documents import write_eml

    scan = ("scan.pdf", os.urandom(BIG_BYTES), "application/pdf")
    write_eml(env.work / "mail.eml", "Pier survey", SURVEY, attachments=[scan])


SURVEY = "The survey found that the Varnholm pier was built in 1887 from granite."


def ingest_measured(name: str) -> Callable[[Env], Outcome]:
    """Ingest ``work/name``, recording the peak memory growth and the seconds it took."""

    def run(env: Env) -> Outcome:
        started = time.perf_counter()
        with peak_rss_growth() as growth:
            outcome = api_ingest(env, [env.work / name])
        outcome.detail.update(rss_growth=growth[0], seconds=time.perf_counter() - started)
        return outcome

    return run


def big_attachment_skipped(env: Env, outcome: Outcome) -> None:
    """A check: the mail is indexed, its 50 MB attachment named and skipped, in bounded memory."""
    (warning,) = outcome.detail["report"].warnings
    assert warning.path == str(env.work.resolve() / "mail.eml" / "attachments" / "scan.pdf")
    assert re.fullmatch(
        r"attachment skipped: 50,000,000 bytes is over the limit of 25,000,000 bytes for an "
        "attachment",
        warning.message,
    ), warning.message
    assert outcome.detail["rss_growth"] < BIG_MEMORY_LIMIT, outcome.detail["rss_growth"]
    has_document("mail.eml", "When was the Varnholm pier built?")(env, outcome)
    assert not any("attachments" in d for d in load_version(env.index).documents)


def million_rows_cut(env: Env, outcome: Outcome) -> None:
    """A check: the million-row sheet is indexed up to the cell limit, said in the text and in
    a warning, in seconds and bounded memory."""
    (warning,) = outcome.detail["report"].warnings
    assert warning.message.startswith("sheet 'Log' is cut: only its first 5,000 rows of about")
    text = load_version(env.index).documents["readings.xlsx"].text
    assert "Row 5000: Reading: 5000 | Level: 115" in text and "Row 5001:" not in text
    assert "[This sheet is cut: only its first 5,000 rows of about 1,000,000 are indexed" in text
    assert outcome.detail["seconds"] < 60 and outcome.detail["rss_growth"] < 500_000_000


def mail_with_a_photo(env: Env) -> None:
    """A setup: ``work/photo-mail.eml`` carrying a note and a HEIC photo (a type docqa does
    not read)."""
    from tests.support.documents import write_eml

    photo = ("pier.heic", b"\x00\x00\x00\x18ftypheic" + bytes(64), "image/heic")
    write_eml(env.work / "photo-mail.eml", "Pier photo", SURVEY, attachments=[photo])


def mail_with_a_cut_picture(env: Env) -> None:
    """A setup: ``work/scan-mail.eml`` carrying a note and a PNG cut in half (a type docqa
    reads, by OCR, but damaged)."""
    from tests.support.documents import write_eml

    picture = ("scan.png", cut_png_bytes(), "image/png")
    write_eml(env.work / "scan-mail.eml", "Pier scan", SURVEY, attachments=[picture])


def cut_picture_skipped(env: Env, outcome: Outcome) -> None:
    """A check: the mail is indexed and its damaged picture named as skipped, with the reason."""
    (warning,) = outcome.detail["report"].warnings
    assert warning.path.endswith("scan-mail.eml/attachments/scan.png")
    assert warning.message.startswith("attachment skipped: damaged picture (OSError: ")
    has_document("scan-mail.eml", "When was the Varnholm pier built?")(env, outcome)
    assert not any("attachments" in d for d in load_version(env.index).documents)


def photo_skipped(env: Env, outcome: Outcome) -> None:
    """A check: the mail is indexed and its photo named as skipped, with the reason."""
    (warning,) = outcome.detail["report"].warnings
    assert warning.path.endswith("photo-mail.eml/attachments/pier.heic")
    assert warning.message == "attachment skipped: unsupported file type '.heic'"
    has_document("photo-mail.eml", "When was the Varnholm pier built?")(env, outcome)
