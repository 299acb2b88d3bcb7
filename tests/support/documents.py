"""Build test documents (PDF with fpdf2, DOCX with python-docx, HTML strings) in tmp_path."""

from __future__ import annotations

from collections.abc import Sequence
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
