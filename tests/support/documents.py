"""Build test documents (PDF with fpdf2, DOCX with python-docx, HTML strings) in tmp_path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def write_pdf(path: Path, pages: Sequence[Sequence[str]], *, title: str = "") -> Path:
    """A PDF with one page per item; each page holds its paragraphs, wrapped to the width."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_font("Helvetica", size=11)
    if title:
        pdf.set_title(title)
    for paragraphs in pages:
        pdf.add_page()
        for paragraph in paragraphs:
            pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(6)
    pdf.output(str(path))
    return path


def write_two_column_pdf(path: Path, left: Sequence[str], right: Sequence[str]) -> Path:
    """One page with two columns of lines, drawn row by row (left line, then right line).

    Stream order interleaves the columns, so only a reader that finds the gutter gets
    the left column first.
    """
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.text(20, 20, "A Title Spanning The Whole Width Of The Page Above The Two Columns")
    y = 34.0
    for i in range(max(len(left), len(right))):
        if i < len(left) and left[i]:
            pdf.text(20, y, left[i])
        if i < len(right) and right[i]:
            pdf.text(110, y, right[i])
        y += 6
    pdf.output(str(path))
    return path


def write_encrypted_pdf(path: Path, text: str) -> Path:
    """A PDF that needs the user password ``secret`` to open."""
    from fpdf import FPDF
    from fpdf.enums import EncryptionMethod

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.set_encryption(
        owner_password="owner", user_password="secret", encryption_method=EncryptionMethod.RC4
    )
    pdf.add_page()
    pdf.multi_cell(0, 6, text)
    pdf.output(str(path))
    return path


def write_docx(path: Path, items: Sequence[tuple[str, Any]], *, title: str = "") -> Path:
    """A .docx from ``("heading", (level, text))``, ``("para", text)`` and
    ``("table", rows)`` items."""
    import docx

    document = docx.Document()
    if title:
        document.core_properties.title = title
    for kind, value in items:
        if kind == "heading":
            level, text = value
            document.add_heading(str(text), int(level))
        elif kind == "para":
            document.add_paragraph(str(value))
        elif kind == "table":
            rows = list(value)
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
    document.save(str(path))
    return path


def write_pptx(
    path: Path, slides: Sequence[tuple[str, Sequence[str], str]], *, title: str = ""
) -> Path:
    """A deck with one slide per ``(title, body paragraphs, speaker notes)``: each paragraph
    in a text box of its own, top to bottom, added bottom first (so shape order is not
    reading order); an empty title leaves the slide without one, empty notes without notes."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    if title:
        deck.core_properties.title = title
    for slide_title, paragraphs, notes in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[5 if slide_title else 6])
        if slide_title:
            slide.shapes.title.text = slide_title
        for n, paragraph in reversed(list(enumerate(paragraphs))):
            box = slide.shapes.add_textbox(Inches(1), Inches(2 + n), Inches(8), Inches(1))
            box.text_frame.text = paragraph
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    deck.save(str(path))
    return path


def write_xlsx(
    path: Path,
    sheets: Mapping[str, Sequence[Sequence[Any]]],
    *,
    formats: dict[str, str] | None = None,
) -> Path:
    """A workbook of ``{sheet name: rows}``; ``formats`` gives number formats by cell, as
    ``{"Sheet!B2": '#,##0 "euros"'}``."""
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    for where, number_format in (formats or {}).items():
        name, cell = where.split("!")
        workbook[name][cell].number_format = number_format
    workbook.save(str(path))
    return path


def write_eml(
    path: Path,
    subject: str,
    body: str,
    *,
    html: str = "",
    attachments: Sequence[tuple[str, bytes, str]] = (),
    sender: str = "Ana Berg <ana@example.org>",
    to: str = "Council <council@example.org>",
) -> Path:
    """An e-mail message: a text/plain body (and an HTML alternative when ``html`` is given;
    an empty ``body`` with ``html`` makes an HTML-only mail) and ``(file name, bytes, MIME
    type)`` attachments."""
    from email.message import EmailMessage

    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = to
    message["Date"] = "Tue, 03 Jun 2025 10:00:00 +0200"
    if body:
        message.set_content(body)
        if html:
            message.add_alternative(html, subtype="html")
    else:
        message.set_content(html, subtype="html")
    for name, data, mime in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    path.write_bytes(message.as_bytes())
    return path
