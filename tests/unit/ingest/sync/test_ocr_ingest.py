"""Ingesting scanned documents: pictures read once, boxes kept in the index, OCR off."""

from __future__ import annotations

import os
from pathlib import Path

from ingest.formats.ocr.reader import OcrSettings
from ingest.index.store import load_version
from ingest.sync.pipeline import Ingestor, ingest
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
