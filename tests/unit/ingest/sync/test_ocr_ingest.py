"""Ingesting scanned documents: pictures read once, boxes kept in the index, OCR off, a
mail's attached picture read like a file."""

from __future__ import annotations

import os
from pathlib import Path

from ingest.formats.ocr.reader import OcrSettings
from ingest.index.store import current_version_path, load_version, read_manifest
from ingest.sync.pipeline import Ingestor, ingest
from tests.support.documents import write_eml
from tests.support.fakes import FakeEmbedder
from tests.support.scans import CountingEngine, png_bytes, scan, scanned_pdf


def folder_of_scans(root: Path) -> Path:
    pages = [
        scan([f"Page {n} of the harbour survey: the pier is {n * 40} metres long."])
        for n in (1, 2, 3)
    ]
    root.mkdir()
    scanned_pdf(root / "survey.pdf", pages)
    (root / "photo.png").write_bytes(png_bytes(scan(["A photographed notice about the ferry."])))
    (root / "notes.md").write_text("# Notes\n\nThe ferry leaves at noon.\n", encoding="utf-8")
    return root


def test_a_reingest_reads_no_page_again(tmp_path: Path) -> None:
    folder = folder_of_scans(tmp_path / "docs")
    engine = CountingEngine()
    ingestor = Ingestor(tmp_path / "index", embedder=FakeEmbedder(), ocr=OcrSettings(engine=engine))
    first = ingestor.run([folder])
    assert sorted(first.added) == ["notes.md", "photo.png", "survey.pdf"] and engine.calls == 4
    again = ingestor.run([folder])  # unchanged files: not even parsed
    assert len(again.unchanged) == 3 and engine.calls == 4
    for path in folder.iterdir():  # touched: read and hashed again, same bytes, not parsed
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000_000))
    ingestor.run([folder])
    rebuilt = ingestor.run([folder], rebuild=True)  # parsed again: every page from the cache
    assert len(rebuilt.added) == 3 and engine.calls == 4


def test_the_index_keeps_each_scanned_lines_box(tmp_path: Path) -> None:
    folder = folder_of_scans(tmp_path / "docs")
    index = tmp_path / "index"
    ingest([folder], index=index, embedder=FakeEmbedder(), ocr=OcrSettings(engine=CountingEngine()))
    version = load_version(index)
    survey = version.documents["survey.pdf"]
    assert [p.number for p in survey.pages] == [1, 2, 3]
    assert [b.page for b in survey.boxes] == [1, 2, 3]
    for box in survey.boxes:
        assert survey.text[box.start : box.end].startswith("A scanned page of")
    assert version.documents["notes.md"].boxes == ()
    chunk_pages = {c.page for c in version.chunks if c.doc_id == "survey.pdf"}
    assert chunk_pages == {1, 2, 3}


def test_with_ocr_off_pictures_are_rejected_and_the_rest_ingested(tmp_path: Path) -> None:
    folder = folder_of_scans(tmp_path / "docs")
    engine = CountingEngine()
    report = ingest(
        [folder],
        index=tmp_path / "index",
        embedder=FakeEmbedder(),
        ocr=OcrSettings(enabled=False, engine=engine),
    )
    assert report.added == ("notes.md",) and engine.calls == 0
    reasons = {Path(r.path).name: r.reason for r in report.rejected}
    assert reasons == {
        "photo.png": "a picture is read by OCR, and OCR is off",
        "survey.pdf": "no text to index (no text layer, and OCR is off)",
    }


def mail_with_a_photo(root: Path) -> Path:
    notice = png_bytes(scan(["A photographed notice about the ferry."]))
    root.mkdir()
    return write_eml(
        root / "mail.eml",
        "Ferry notice",
        "The notice is attached.",
        attachments=[("notice.png", notice, "image/png")],
    )


def test_a_picture_attached_to_a_mail_is_read_by_ocr_and_kept_with_its_boxes(
    tmp_path: Path,
) -> None:
    mail_with_a_photo(tmp_path / "docs")
    engine = CountingEngine()
    index = tmp_path / "index"
    settings = OcrSettings(engine=engine)
    report = ingest([tmp_path / "docs"], index=index, embedder=FakeEmbedder(), ocr=settings)
    picture_id = "mail.eml/attachments/notice.png"
    assert sorted(report.added) == ["mail.eml", picture_id] and report.warnings == ()
    assert engine.calls == 1
    picture = load_version(index).documents[picture_id]
    assert picture.format == "image" and [b.page for b in picture.boxes] == [1]
    (box,) = picture.boxes
    assert picture.text[box.start : box.end].startswith("A scanned page of")
    entry = read_manifest(current_version_path(index)).documents[picture_id]
    assert entry["parent"] == "mail.eml"
    again = ingest([tmp_path / "docs"], index=index, embedder=FakeEmbedder(), ocr=settings)
    assert sorted(again.unchanged) == ["mail.eml", picture_id] and engine.calls == 1


def test_with_ocr_off_a_mails_picture_is_skipped_with_a_warning(tmp_path: Path) -> None:
    mail = mail_with_a_photo(tmp_path / "docs")
    engine = CountingEngine()
    report = ingest(
        [mail],
        index=tmp_path / "index",
        embedder=FakeEmbedder(),
        ocr=OcrSettings(enabled=False, engine=engine),
    )
    assert report.added == ("mail.eml",) and report.rejected == () and engine.calls == 0
    assert [(w.path, w.message) for w in report.warnings] == [
        (
            str(mail / "attachments" / "notice.png"),
            "attachment skipped: a picture is read by OCR, and OCR is off",
        )
    ]
