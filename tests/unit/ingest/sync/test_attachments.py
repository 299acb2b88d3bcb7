"""A mail's attachments in the index: added, kept, updated and removed with their mail."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.index.store import current_version_path, load_version, read_manifest
from ingest.sync.pipeline import Ingestor
from tests.support.documents import write_eml
from tests.support.fakes import FakeEmbedder

SURVEY = ("survey.txt", b"The pier rests on forty oak piles.", "text/plain")
PLAN = ("plan.md", b"# Plan\n\nDredging starts in May.", "text/markdown")
PHOTO = ("pier.heic", b"\x00\x00\x00\x18ftypheic" + bytes(40), "image/heic")


@pytest.fixture
def ingestor(tmp_path: Path) -> Ingestor:
    return Ingestor(tmp_path / "index", embedder=FakeEmbedder())


def _mail(folder: Path, *attachments: tuple[str, bytes, str], body: str = "See attached.") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_eml(folder / "mail.eml", "Pier survey", body, attachments=list(attachments))


def _documents(ingestor: Ingestor) -> dict[str, dict[str, object]]:
    return dict(read_manifest(current_version_path(ingestor.index_dir)).documents)


def test_attachments_are_indexed_under_the_mail_and_skipped_ones_are_warned_about(
    tmp_path: Path, ingestor: Ingestor
) -> None:
    mail = _mail(tmp_path / "docs", SURVEY, PLAN, PHOTO)
    (tmp_path / "docs" / "note.txt").write_text("The harbour master retires in June.")
    report = ingestor.run([tmp_path / "docs"])
    assert sorted(report.added) == [
        "mail.eml",
        "mail.eml/attachments/plan.md",
        "mail.eml/attachments/survey.txt",
        "note.txt",
    ]
    assert [(w.path, w.message) for w in report.warnings] == [
        (
            str(mail / "attachments" / "pier.heic"),
            "attachment skipped: unsupported file type '.heic'",
        )
    ]
    assert report.rejected == () and "1 warnings" in report.summary()
    documents = _documents(ingestor)
    survey = documents["mail.eml/attachments/survey.txt"]
    assert (
        survey["parent"] == "mail.eml" and survey["file_hash"] == documents["mail.eml"]["file_hash"]
    )
    assert "parent" not in documents["mail.eml"]
    version = load_version(ingestor.index_dir)
    assert "forty oak piles" in version.documents["mail.eml/attachments/survey.txt"].text


def test_an_unchanged_mail_costs_nothing_and_keeps_its_attachments(
    tmp_path: Path, ingestor: Ingestor
) -> None:
    _mail(tmp_path / "docs", SURVEY, PLAN)
    ingestor.run([tmp_path / "docs"])
    before = current_version_path(ingestor.index_dir)
    again = ingestor.run([tmp_path / "docs"], prune=True)
    assert again.added == again.updated == again.removed == ()
    assert sorted(again.unchanged) == [
        "mail.eml",
        "mail.eml/attachments/plan.md",
        "mail.eml/attachments/survey.txt",
    ]
    assert again.chunks_embedded == 0 and current_version_path(ingestor.index_dir) == before


def test_a_changed_mail_updates_and_drops_its_attachments(
    tmp_path: Path, ingestor: Ingestor
) -> None:
    _mail(tmp_path / "docs", SURVEY, PLAN)
    ingestor.run([tmp_path / "docs"])
    revised = ("survey.txt", b"The pier rests on forty-two oak piles.", "text/plain")
    _mail(tmp_path / "docs", revised)
    report = ingestor.run([tmp_path / "docs"])
    # the mail's own text changed too: it lists its attachments
    assert report.updated == ("mail.eml", "mail.eml/attachments/survey.txt")
    assert report.removed == ("mail.eml/attachments/plan.md",)
    assert sorted(_documents(ingestor)) == ["mail.eml", "mail.eml/attachments/survey.txt"]


def test_a_mail_removed_takes_its_attachments_along(tmp_path: Path, ingestor: Ingestor) -> None:
    mail = _mail(tmp_path / "docs", SURVEY, PLAN)
    (tmp_path / "docs" / "note.txt").write_text("The harbour master retires in June.")
    ingestor.run([tmp_path / "docs"])
    mail.unlink()
    report = ingestor.run([tmp_path / "docs"], prune=True)
    assert sorted(report.removed) == [
        "mail.eml",
        "mail.eml/attachments/plan.md",
        "mail.eml/attachments/survey.txt",
    ]
    assert list(_documents(ingestor)) == ["note.txt"]


def test_removing_a_mail_by_id_removes_its_attachments(tmp_path: Path, ingestor: Ingestor) -> None:
    _mail(tmp_path / "docs", SURVEY)
    (tmp_path / "docs" / "note.txt").write_text("The harbour master retires in June.")
    ingestor.run([tmp_path / "docs"])
    report = ingestor.remove(["mail.eml"])
    assert sorted(report.removed) == ["mail.eml", "mail.eml/attachments/survey.txt"]


def test_a_mail_that_turns_unreadable_keeps_its_attachments_indexed(
    tmp_path: Path, ingestor: Ingestor
) -> None:
    mail = _mail(tmp_path / "docs", SURVEY)
    ingestor.run([tmp_path / "docs"])
    mail.write_bytes(b"\x00\x01 broken")
    report = ingestor.run([tmp_path / "docs"], prune=True)
    assert [r.reason for r in report.rejected] == [
        "looks like a binary file, not an e-mail message"
    ]
    assert report.removed == ()
    assert sorted(_documents(ingestor)) == ["mail.eml", "mail.eml/attachments/survey.txt"]
