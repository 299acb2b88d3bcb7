"""E-mail messages: subject, headers, body (plain preferred), attachments as documents."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

import ingest.formats.attachments
from ingest.errors import UnsupportedFileError
from ingest.formats.attachments import parse_file
from ingest.formats.loaders import load_document
from tests.support.documents import write_docx, write_eml, write_pdf

BODY = "Hello all,\n\nThe pier survey is attached.\nRepairs start on 2 June.\n\nAna"
PDF_MIME = "application/pdf"


def _parse(path: Path) -> tuple[dict[str, str], list[tuple[str, str]]]:
    parsed = parse_file(path, path.name, path.read_bytes())
    texts = {d.doc_id: d.text for d in parsed.documents}
    return texts, [(w.path, w.message) for w in parsed.warnings]


def test_subject_headers_and_plain_body(tmp_path: Path) -> None:
    path = write_eml(tmp_path / "mail.eml", "Pier survey", BODY, html="<p>HTML twin</p>")
    doc = load_document(path)
    assert doc.format == "eml" and doc.title == "Pier survey"
    assert dict(doc.metadata) == {
        "from": "Ana Berg <ana@example.org>",
        "to": "Council <council@example.org>",
        "date": "Tue, 03 Jun 2025 10:00:00 +0200",
    }
    (section,) = doc.sections
    assert section.path == ("Pier survey",)
    assert doc.text[section.start : section.end] == (
        "From: Ana Berg <ana@example.org>\nTo: Council <council@example.org>\n"
        "Date: Tue, 03 Jun 2025 10:00:00 +0200\n\n" + BODY
    )
    assert "HTML twin" not in doc.text  # the plain part is preferred


def test_an_html_only_body_is_read_like_a_page(tmp_path: Path) -> None:
    html = (
        "<html><head><style>p {color: red}</style></head><body><h1>Agenda</h1>"
        "<p>Budget first.</p><script>track()</script><h2>Later</h2><p>Any other business.</p>"
        "</body></html>"
    )
    doc = load_document(write_eml(tmp_path / "m.eml", "Meeting", "", html=html))
    sections = {s.path: doc.text[s.start : s.end] for s in doc.sections}
    assert sections[("Meeting", "Agenda")] == "Budget first."
    assert sections[("Meeting", "Agenda", "Later")] == "Any other business."
    assert "track()" not in doc.text and "color" not in doc.text


def test_attachments_become_documents_under_the_mail_id(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "survey.pdf", [["Page one."], ["The pier rests on 40 piles."]])
    docx = write_docx(tmp_path / "plan.docx", [("heading", (1, "Plan")), ("para", "Dig.")])
    path = write_eml(
        tmp_path / "mail.eml",
        "Pier survey",
        BODY,
        attachments=[
            ("survey.pdf", pdf.read_bytes(), PDF_MIME),
            ("plan.docx", docx.read_bytes(), "application/octet-stream"),
        ],
    )
    parsed = parse_file(path, "inbox/mail.eml", path.read_bytes())
    mail, survey, plan = parsed.documents
    assert (survey.doc_id, plan.doc_id) == (
        "inbox/mail.eml/attachments/survey.pdf",
        "inbox/mail.eml/attachments/plan.docx",
    )
    assert survey.source == str(path / "attachments" / "survey.pdf")
    assert survey.format == "pdf" and survey.page_at(survey.text.index("40 piles")) == 2
    assert plan.format == "docx" and "Dig." in plan.text
    assert "Attachments: survey.pdf, plan.docx" in mail.text
    assert dict(mail.metadata)["attachments"] == "survey.pdf, plan.docx"
    assert parsed.warnings == ()


def test_attachments_docqa_cannot_use_are_named_and_skipped_and_the_mail_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest.formats.attachments, "MAX_ATTACHMENT_BYTES", 1_000)
    path = write_eml(
        tmp_path / "mail.eml",
        "Photos",
        BODY,
        attachments=[
            ("pier.heic", b"\x00\x00\x00\x18ftypheic" + bytes(50), "image/heic"),
            ("big.txt", b"word " * 1_000, "text/plain"),
            ("cut.pdf", b"%PDF-1.4\n1 0 obj\n<<", PDF_MIME),
            ("small.txt", b"The crane arrives on Monday.", "text/plain"),
        ],
    )
    texts, warnings = _parse(path)
    assert sorted(texts) == ["mail.eml", "mail.eml/attachments/small.txt"]
    where = str(path / "attachments")
    assert warnings[0] == (
        f"{where}/pier.heic",
        "attachment skipped: unsupported file type '.heic'",
    )
    assert warnings[1] == (
        f"{where}/big.txt",
        "attachment skipped: 5,000 bytes is over the limit of 1,000 bytes for an attachment",
    )
    assert warnings[2][0] == f"{where}/cut.pdf"
    assert warnings[2][1].startswith("attachment skipped: not a readable PDF")
    assert len(warnings) == 3


def test_attachment_names_are_unique_and_safe(tmp_path: Path) -> None:
    message = EmailMessage()
    message["Subject"] = "Notes"
    message.set_content("See the notes.")
    for name in ["notes.txt", "NOTES.txt", "../../etc/x.txt", None, "y" * 300 + ".txt"]:
        message.add_attachment(b"Some words.", maintype="text", subtype="plain", filename=name)
    path = tmp_path / "m.eml"
    path.write_bytes(message.as_bytes())
    texts, _ = _parse(path)
    assert sorted(texts)[1:] == [
        "m.eml/attachments/NOTES~2.txt",
        "m.eml/attachments/attachment-4.txt",
        "m.eml/attachments/notes.txt",
        "m.eml/attachments/x.txt",
        "m.eml/attachments/" + "y" * 116 + ".txt",
    ]


def test_an_attached_mail_is_read_with_its_own_attachments_to_a_limited_depth(
    tmp_path: Path,
) -> None:
    attachment = ("note.txt", b"The tide table is wrong.", "text/plain")
    for level in (4, 3, 2, 1):  # mail 1 carries mail 2, which carries mail 3, ...
        mail = write_eml(
            tmp_path / f"m{level}.eml", f"Level {level}", "See below.", attachments=[attachment]
        )
        attachment = (f"m{level}.eml", mail.read_bytes(), "application/octet-stream")
    texts, warnings = _parse(tmp_path / "m1.eml")
    assert sorted(texts) == [
        "m1.eml",
        "m1.eml/attachments/m2.eml",
        "m1.eml/attachments/m2.eml/attachments/m3.eml",
    ]
    assert warnings == [
        (
            str(tmp_path / "m1.eml/attachments/m2.eml/attachments/m3.eml/attachments/m4.eml"),
            "attachment skipped: a mail nested more than 3 deep",
        )
    ]


def test_a_binary_file_is_not_a_mail(tmp_path: Path) -> None:
    path = tmp_path / "x.eml"
    path.write_bytes(b"\x00\x01binary")
    with pytest.raises(UnsupportedFileError, match="binary file, not an e-mail"):
        load_document(path)
