"""Clean scans of known text, made on the spot, and the character error rate of reading them.

A page is typeset with fpdf2 (Helvetica, one of PDF's standard fonts, which pdfium draws with
its own built-in face, so no system font is needed), rendered at 200 dpi with pypdfium2, and
kept as a picture: a clean scan of known text.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pypdfium2 as pdfium
from fpdf import FPDF
from PIL import Image

DPI = 200


def typeset(paragraphs: Sequence[str], *, size: float = 12) -> bytes:
    """A one-page A4 PDF (text layer) of ``paragraphs`` in Helvetica."""
    pdf = FPDF(format="A4")
    pdf.set_margins(20, 20)
    pdf.add_page()
    pdf.set_font("Helvetica", size=size)
    for paragraph in paragraphs:
        pdf.multi_cell(0, size * 0.5, paragraph)
        pdf.ln(size * 0.5)
    return bytes(pdf.output())


def scan(paragraphs: Sequence[str], *, size: float = 12, dpi: int = DPI) -> Image.Image:
    """A clean ``dpi`` scan (greyscale picture) of a page holding ``paragraphs``."""
    pdf = pdfium.PdfDocument(typeset(paragraphs, size=size))
    try:
        return pdf[0].render(scale=dpi / 72).to_pil().convert("L")
    finally:
        pdf.close()


def png_bytes(image: Image.Image) -> bytes:
    """``image`` as PNG bytes."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def scanned_pdf(path: Path, pages: Sequence[Image.Image | str], *, dpi: int = DPI) -> Path:
    """A PDF of ``pages``: a picture is a scanned page (no text layer), a string a page of
    text typeset with a text layer."""
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_font("Helvetica", size=12)
    for page in pages:
        pdf.add_page()
        if isinstance(page, str):
            pdf.set_xy(56, 56)
            pdf.multi_cell(pdf.w - 112, 16, page)
        else:
            width, height = page.width * 72 / dpi, page.height * 72 / dpi
            pdf.image(io.BytesIO(png_bytes(page)), 0, 0, w=min(width, pdf.w), h=min(height, pdf.h))
    path.write_bytes(bytes(pdf.output()))
    return path


#: Typographic characters outside Latin-1 (the standard PDF fonts' set) and their plain forms.
_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
    }
)


def prose_pages(text: str, pages: int, *, chars: int = 1_500) -> list[list[str]]:
    """``pages`` pages of about ``chars`` characters each, made of the paragraphs of ``text``
    (Markdown headings left out, typographic quotes made plain), repeated as needed; each
    page opens with its number."""
    paragraphs = [
        " ".join(p.split()).translate(_PLAIN)
        for p in text.split("\n\n")
        if p.strip() and not p.lstrip().startswith(("#", "---"))
    ]
    out: list[list[str]] = []
    n = 0
    while len(out) < pages:
        page = [f"Page {len(out) + 1} of {pages}."]  # no two pages alike, as in a real file
        while sum(map(len, page)) < chars:
            page.append(paragraphs[n % len(paragraphs)][:chars])
            n += 1
        out.append(page)
    return out


def character_error_rate(read: str, truth: str) -> float:
    """Edit distance between ``read`` and ``truth`` (whitespace runs as one space) over the
    length of ``truth``."""
    a, b = " ".join(read.split()), " ".join(truth.split())
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1] / max(1, len(b))
