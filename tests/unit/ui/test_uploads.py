"""Uploads from the chat: safe names, the size limit, and the per-file ingest result."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.index.store import load_version
from tests.support.fakes import FakeEmbedder
from ui.uploads import (
    UPLOADS_DIRNAME,
    check_upload,
    ingest_uploads,
    megabytes_to_bytes,
    sanitize_filename,
    save_uploads,
    shown_progress,
)


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("notes.md", "notes.md"),
        ("../../etc/passwd.md", "passwd.md"),
        ("..\\..\\windows\\evil.txt", "evil.txt"),
        ("/abs/path/report.txt", "report.txt"),
        ("..", "upload"),
        ("...md", "upload.md"),  # a name of dots keeps its type
        ("....md", "upload.md"),
        (".md", "upload.md"),
        (".hidden.md", "hidden.md"),
        ("my notes (v2).md", "my_notes_v2.md"),
        ("a..b..md", "a.b.md"),
        ("<b>alert(1)<b>.md", "b_alert_1_b.md"),
        ("<script>alert(1)</script>.md", "script.md"),  # "/" separates folders
        ("tab\there\nnewline.md", "tabherenewline.md"),
        ("Résumé café.md", "Résumé_café.md"),
        ("ﬁle.md", "file.md"),  # NFKC folds the ligature
        ("", "upload"),
    ],
)
def test_sanitize_filename(raw: str, safe: str) -> None:
    assert sanitize_filename(raw) == safe


def test_sanitized_names_never_leave_the_folder_and_stay_short() -> None:
    for raw in ["../" * 50 + "x.md", "a" * 500 + ".md", "./.././" + "b" * 300, "x/../../y"]:
        name = sanitize_filename(raw)
        assert "/" not in name and "\\" not in name and ".." not in name
        assert not name.startswith(".") and len(name) <= 120
    assert sanitize_filename("a" * 500 + ".md").endswith(".md")


def test_size_limit_and_type_are_checked(tmp_path: Path) -> None:
    limit = megabytes_to_bytes(0.001)  # 1,000 bytes
    ok = tmp_path / "ok.md"
    ok.write_text("x" * limit)
    big = tmp_path / "big.md"
    big.write_text("x" * (limit + 1))
    pdf = tmp_path / "paper.xyz"
    pdf.write_text("hello")
    assert check_upload(ok, max_bytes=limit) is None
    reason = check_upload(big, max_bytes=limit)
    assert reason is not None and "over the upload limit of 1,000 bytes" in reason
    assert "--max-upload-mb" in reason
    reason = check_upload(pdf, max_bytes=limit)
    assert reason is not None and "unsupported file type '.xyz'" in reason and ".md" in reason


def test_the_size_message_speaks_in_megabytes_for_large_limits(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * 2_500_000)
    reason = check_upload(big, max_bytes=megabytes_to_bytes(2))
    assert reason == (
        "the file is 2.5 MB, over the upload limit of 2.0 MB "
        "(docqa serve --max-upload-mb raises it)"
    )


def test_save_uploads_copies_under_safe_names_and_rejects_the_rest(tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    (incoming / "a").mkdir(parents=True)
    (incoming / "b").mkdir()
    (incoming / "a" / "..notes.md").write_text("# Notes\n\nSome text.")
    (incoming / "b" / "notes.md").write_text("# Other notes\n\nClash.")
    (incoming / "a" / "huge.txt").write_text("y" * 2000)
    upload_dir = tmp_path / "index" / UPLOADS_DIRNAME
    saved, rejected = save_uploads(
        [
            incoming / "a" / "..notes.md",
            incoming / "b" / "notes.md",
            incoming / "a" / "huge.txt",
            incoming / "missing.md",
        ],
        upload_dir,
        max_bytes=1000,
    )
    assert saved == [upload_dir.resolve() / "notes.md"]
    assert saved[0].read_text() == "# Notes\n\nSome text."
    assert [(r.name, r.status) for r in rejected] == [
        ("notes.md", "rejected"),
        ("huge.txt", "rejected"),
        ("missing.md", "rejected"),
    ]
    assert "same name" in rejected[0].reason and "upload limit" in rejected[1].reason
    assert sorted(p.name for p in upload_dir.iterdir()) == ["notes.md"]  # no temp files left


def test_ingest_uploads_reports_added_unchanged_updated_and_rejected(
    tmp_path: Path, fake_index: Path, fake_embedder: FakeEmbedder
) -> None:
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    good = incoming / "lighthouse.md"
    good.write_text("# Lighthouse\n\nThe lighthouse was built in 1887.")
    empty = incoming / "empty.txt"
    empty.write_text("   \n")
    odd = incoming / "data.bin"
    odd.write_bytes(b"\x00\x01")

    first = ingest_uploads([good, empty, odd], fake_index, max_bytes=10_000, embedder=fake_embedder)
    by_name = {o.name: o for o in first}
    assert by_name["lighthouse.md"].status == "added"
    assert by_name["empty.txt"].status == "rejected"
    assert by_name["empty.txt"].reason == "no text to index (the file is empty)"
    assert by_name["data.bin"].status == "rejected" and "unsupported" in by_name["data.bin"].reason
    version = load_version(fake_index)
    assert "lighthouse.md" in version.documents
    assert version.documents["lighthouse.md"].source == str(
        fake_index.resolve() / UPLOADS_DIRNAME / "lighthouse.md"
    )
    assert not (fake_index / UPLOADS_DIRNAME / "empty.txt").exists()

    again = ingest_uploads([good], fake_index, max_bytes=10_000, embedder=fake_embedder)
    assert [(o.name, o.status) for o in again] == [("lighthouse.md", "unchanged")]
    good.write_text("# Lighthouse\n\nThe lighthouse was built in 1888.")
    changed = ingest_uploads([good], fake_index, max_bytes=10_000, embedder=fake_embedder)
    assert [(o.name, o.status) for o in changed] == [("lighthouse.md", "updated")]


def test_an_uploaded_mail_is_added_with_what_was_left_out_of_it(
    tmp_path: Path, fake_index: Path, fake_embedder: FakeEmbedder
) -> None:
    from tests.support.documents import write_eml

    attachments = [
        ("survey.txt", b"The pier rests on forty oak piles.", "text/plain"),
        ("pier.heic", b"\x00\x00\x00\x18ftypheic" + bytes(40), "image/heic"),
    ]
    mail = write_eml(tmp_path / "mail.eml", "Pier survey", "See attached.", attachments=attachments)
    (outcome,) = ingest_uploads([mail], fake_index, max_bytes=100_000, embedder=fake_embedder)
    assert (outcome.name, outcome.status) == ("mail.eml", "added")
    assert (
        outcome.reason == "attachments/pier.heic: attachment skipped: unsupported file type '.heic'"
    )
    assert "mail.eml/attachments/survey.txt" in load_version(fake_index).documents


def test_the_shown_progress_counts_each_step_and_stops_at_the_total() -> None:
    shown: list[tuple[tuple[int, int], str]] = []
    advance = shown_progress(lambda value, desc: shown.append((value, desc)))(3, "embedding")
    for n in (1, 1, 5):
        advance(n)
    assert shown == [((1, 3), "embedding"), ((2, 3), "embedding"), ((3, 3), "embedding")]
