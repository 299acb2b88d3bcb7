"""How long a hostile PDF of wide two-column pages takes to read, against an ordinary one.

The file: 4 pages 14,400 pt wide (200 inches), each with 1,500 lines in two columns drawn
row by row (about 70 KB). Reading it means finding the column gutter on layout grids
thousands of characters wide. The baseline, read in the same run: the same lines on
ordinary A4 pages, two columns.

    python -m bench.wide_pdf
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from ingest.formats.pdf import load_pdf

LINES_PER_PAGE = 1_500
PAGES = 4


def _line(n: int, side: str) -> str:
    return f"{side} column line {n}: rope, tar and lamp oil for the stores"


def write_wide(path: Path) -> None:
    """The hostile file: 14,400 x 20,000 pt pages, two columns of 1,500 lines each."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format=(14_400, 20_000))
    pdf.set_font("Helvetica", size=10)
    for _ in range(PAGES):
        pdf.add_page()
        for n in range(LINES_PER_PAGE):
            y = 40 + n * 13
            pdf.text(40, y, _line(n, "left"))
            pdf.text(7_400, y, _line(n, "right"))
    pdf.output(str(path))


def write_ordinary(path: Path) -> None:
    """The same lines on A4 pages, two columns of 60 lines a page."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="A4")
    pdf.set_font("Helvetica", size=6)
    for start in range(0, PAGES * LINES_PER_PAGE, 60):
        pdf.add_page()
        for n in range(start, start + 60):
            y = 40 + (n - start) * 12
            pdf.text(30, y, _line(n, "left"))
            pdf.text(300, y, _line(n, "right"))
    pdf.output(str(path))


def _read(path: Path) -> tuple[float, int]:
    started = time.perf_counter()
    document = load_pdf(path, path.name, path.read_bytes())
    return time.perf_counter() - started, len(document.text)


def main() -> None:
    """Print seconds to read each file and their ratio."""
    with tempfile.TemporaryDirectory() as folder:
        wide, ordinary = Path(folder) / "wide.pdf", Path(folder) / "ordinary.pdf"
        write_wide(wide)
        write_ordinary(ordinary)
        base, base_chars = _read(ordinary)
        took, chars = _read(wide)
        print(f"ordinary A4, two columns: {base:.1f} s ({ordinary.stat().st_size:,} bytes)")
        print(
            f"14,400 pt wide, two columns: {took:.1f} s ({wide.stat().st_size:,} bytes; "
            f"{chars:,} characters against {base_chars:,})"
        )
        print(f"ratio: {took / base:.1f}x")


if __name__ == "__main__":
    main()
