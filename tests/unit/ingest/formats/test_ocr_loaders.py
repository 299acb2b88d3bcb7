"""Scanned PDF pages and pictures through the loaders, with an engine that counts its pictures."""

from __future__ import annotations

import io
import logging
import time
from pathlib import Path

import pytest
from PIL import Image

from ingest.errors import UnsupportedFileError
from ingest.formats import pdf_pictures
from ingest.formats.loaders import parse_document
from ingest.formats.ocr.reader import PageReader
from tests.support.bad_input_files import bomb_png
from tests.support.documents import write_pdf
from tests.support.scans import CountingEngine, png_bytes, scan, scanned_pdf

TEXT = "The lighthouse at Varnholm was built in 1887 from grey granite blocks."


@pytest.fixture(scope="module")
def page() -> Image.Image:
    return scan([TEXT])


def reader(tmp_path: Path, engine: CountingEngine | None = None) -> PageReader:
    return PageReader(engine or CountingEngine(), cache_dir=tmp_path / "ocr")


def test_a_text_pdf_never_opens_pdfium_nor_calls_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(data: bytes) -> None:
        raise AssertionError("pdfium opened for a PDF with a text layer")

    monkeypatch.setattr(pdf_pictures, "opened", fail)
    engine = CountingEngine()
    path = write_pdf(
        tmp_path / "text.pdf",
        [[TEXT], ["A second page of typed text, long enough to be a text layer."]],
    )
    document = parse_document(path, "text.pdf", path.read_bytes(), ocr=reader(tmp_path, engine))
    assert engine.calls == 0 and document.boxes == ()
    assert "Varnholm" in document.text


def test_only_the_scanned_page_is_read_and_its_lines_are_boxes(
    tmp_path: Path, page: Image.Image
) -> None:
    engine = CountingEngine()
    layer = "A typed page with a text layer, about the keeper's cottage by the sea."
    path = scanned_pdf(tmp_path / "mixed.pdf", [layer, page])
    document = parse_document(path, "mixed.pdf", path.read_bytes(), ocr=reader(tmp_path, engine))
    assert engine.calls == 1
    first, second = document.pages
    assert "keeper's cottage" in document.text[first.start : first.end]
    assert document.text[second.start : second.end].startswith("A scanned page of")
    assert document.boxes and {b.page for b in document.boxes} == {2}
    for box in document.boxes:
        assert second.start <= box.start < box.end <= second.end
        assert 0 <= box.left < box.left + box.width <= 1 and 0 <= box.top <= 1


def test_a_page_is_read_once_whatever_the_file_around_it(tmp_path: Path, page: Image.Image) -> None:
    engine = CountingEngine()
    one = scanned_pdf(tmp_path / "one.pdf", [page])
    two = scanned_pdf(tmp_path / "two.pdf", [page, "A new typed page that was added in front."])
    parse_document(one, "one.pdf", one.read_bytes(), ocr=reader(tmp_path, engine))
    again = reader(tmp_path, engine)  # a new run: only the cache on disk is shared
    document = parse_document(two, "two.pdf", two.read_bytes(), ocr=again)
    assert engine.calls == 1 and again.pages_read == 0
    assert document.boxes


def test_a_damaged_cache_entry_is_read_again(tmp_path: Path, page: Image.Image) -> None:
    engine = CountingEngine()
    path = scanned_pdf(tmp_path / "scan.pdf", [page])
    parse_document(path, "scan.pdf", path.read_bytes(), ocr=reader(tmp_path, engine))
    for entry in (tmp_path / "ocr").rglob("*.json"):
        entry.write_text("{not json")
    parse_document(path, "scan.pdf", path.read_bytes(), ocr=reader(tmp_path, engine))
    assert engine.calls == 2


def test_with_ocr_off_scanned_pages_are_skipped_with_a_note(
    tmp_path: Path, page: Image.Image, caplog: pytest.LogCaptureFixture
) -> None:
    path = scanned_pdf(tmp_path / "mixed.pdf", ["A typed page about the harbour wall.", page])
    off = PageReader(CountingEngine(), enabled=False)
    with caplog.at_level(logging.WARNING, logger="docqa"):
        document = parse_document(path, "mixed.pdf", path.read_bytes(), ocr=off)
    assert "harbour wall" in document.text and document.boxes == ()
    assert "mixed.pdf: page 2: no text layer; skipped (OCR is off)" in caplog.text
    only = scanned_pdf(tmp_path / "scan.pdf", [page])
    with pytest.raises(
        UnsupportedFileError, match=r"scan.pdf: no text to index \(no text layer, and OCR is off\)"
    ):
        parse_document(only, "scan.pdf", only.read_bytes(), ocr=off)


def test_a_blank_page_without_pictures_is_not_read(tmp_path: Path) -> None:
    engine = CountingEngine()
    path = write_pdf(tmp_path / "blank.pdf", [[TEXT], [""]])
    parse_document(path, "blank.pdf", path.read_bytes(), ocr=reader(tmp_path, engine))
    assert engine.calls == 0


def test_a_png_is_one_page_with_boxes(tmp_path: Path, page: Image.Image) -> None:
    engine = CountingEngine()
    path = tmp_path / "photo.png"
    path.write_bytes(png_bytes(page))
    document = parse_document(path, "photo.png", path.read_bytes(), ocr=reader(tmp_path, engine))
    assert document.format == "image" and len(document.pages) == 1 and document.boxes
    assert engine.calls == 1


def test_each_frame_of_a_tiff_is_a_page(tmp_path: Path, page: Image.Image) -> None:
    buffer = io.BytesIO()
    page.save(buffer, format="TIFF", save_all=True, append_images=[page.rotate(180)])
    path = tmp_path / "fax.tiff"
    path.write_bytes(buffer.getvalue())
    engine = CountingEngine()
    document = parse_document(path, "fax.tiff", path.read_bytes(), ocr=reader(tmp_path, engine))
    assert [p.number for p in document.pages] == [1, 2] and engine.calls == 2


def test_a_damaged_picture_is_named(tmp_path: Path, page: Image.Image) -> None:
    data = png_bytes(page)
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(UnsupportedFileError, match=r"cut.png: damaged picture"):
        parse_document(path, "cut.png", path.read_bytes(), ocr=reader(tmp_path))
    path.write_bytes(b"\x89PNG\r\n\x1a\nnot a picture at all")
    with pytest.raises(UnsupportedFileError, match=r"cut.png: not a readable picture"):
        parse_document(path, "cut.png", path.read_bytes(), ocr=reader(tmp_path))


def test_a_picture_of_20000_by_20000_pixels_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb_png(20_000))
    assert path.stat().st_size < 200_000
    engine = CountingEngine()
    started = time.perf_counter()
    with pytest.raises(
        UnsupportedFileError,
        match=r"bomb.png: the picture has 400,000,000 pixels; the limit is 80,000,000",
    ):
        parse_document(path, "bomb.png", path.read_bytes(), ocr=reader(tmp_path, engine))
    assert time.perf_counter() - started < 2 and engine.calls == 0


def test_a_picture_over_docqas_limit_but_under_pillows_is_refused_by_its_size(
    tmp_path: Path,
) -> None:
    path = tmp_path / "wide.png"
    path.write_bytes(bomb_png(9_000))  # 81,000,000 pixels: Pillow only warns
    with pytest.raises(
        UnsupportedFileError, match=r"wide.png: the picture is 9,000 x 9,000 pixels \(81,000,000\)"
    ):
        parse_document(path, "wide.png", path.read_bytes(), ocr=reader(tmp_path))


def test_with_ocr_off_a_picture_is_refused(tmp_path: Path, page: Image.Image) -> None:
    path = tmp_path / "photo.jpg"
    page.save(path, format="JPEG")
    with pytest.raises(
        UnsupportedFileError, match=r"photo.jpg: a picture is read by OCR, and OCR is off"
    ):
        parse_document(path, "photo.jpg", path.read_bytes(), ocr=PageReader(enabled=False))


def test_a_transparent_picture_is_read_on_white(tmp_path: Path) -> None:
    from ingest.formats.ocr.reader import prepared

    ink = Image.new("RGBA", (40, 20), (0, 0, 0, 0))  # transparent black: white on screen
    ink.putpixel((5, 5), (0, 0, 0, 255))
    flat = prepared(ink)
    assert flat.mode == "RGB" and flat.getpixel((0, 0)) == (255, 255, 255)
    assert flat.getpixel((5, 5)) == (0, 0, 0)
