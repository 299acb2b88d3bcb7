"""A disk that fills up while docqa writes: the error names the disk, nothing is left behind,
and the next run works once there is space (the failures are injected where they happen:
numpy's short write, FAISS's fwrite, a copy that gets ENOSPC)."""

from __future__ import annotations

import errno
import os
import shutil
import time
from collections import namedtuple
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ingest import disk as disk_module
from ingest.errors import IndexUnwritableError
from ingest.index.dense import DenseIndex
from ingest.index.durable import current_name
from ingest.sync.pipeline import ingest
from tests.support.fakes import FakeEmbedder
from ui.cli import EXIT_FAILED, main
from ui.uploads import save_uploads

FAKE = ["--model", "fake-hashing-256"]
Usage = namedtuple("Usage", "total used free")


def _full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the disk report no free space (what a failed write is then put down to)."""
    monkeypatch.setattr(disk_module.shutil, "disk_usage", lambda path: Usage(10**9, 10**9, 0))


def _short_numpy_write(monkeypatch: pytest.MonkeyPatch) -> None:
    real = np.save

    def save(file: Any, array: Any, *args: Any, **kwargs: Any) -> None:
        if str(file).endswith("chunks.npy"):
            raise OSError("196608 requested and 16352 written")  # numpy's words, no errno
        real(file, array, *args, **kwargs)

    monkeypatch.setattr(np, "save", save)


def _failing_faiss_write(monkeypatch: pytest.MonkeyPatch) -> None:
    def save(self: DenseIndex, path: Path) -> None:
        path.write_bytes(b"\0" * 1000)  # a part of the file, then the failure
        raise RuntimeError("Error in faiss::FileIOWriter: fwrite failed")

    monkeypatch.setattr(DenseIndex, "save", save)


@pytest.mark.parametrize("failure", [_short_numpy_write, _failing_faiss_write])
def test_a_full_disk_during_a_write_names_the_disk_and_leaves_the_index_as_it_was(
    tmp_path: Path, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch, failure: Any
) -> None:
    index = tmp_path / "index"
    ingest([corpus_dir], index=index, embedder=FakeEmbedder())
    live = current_name(index)
    (corpus_dir / "more.md").write_text("# More\n\nA second document about the harbour.\n")
    with monkeypatch.context() as patched:
        failure(patched)
        _full_disk(patched)
        with pytest.raises(IndexUnwritableError, match="no space left on the disk holding") as e:
            ingest([corpus_dir], index=index, embedder=FakeEmbedder())
    assert str(index) in str(e.value) and "free" in str(e.value)
    assert current_name(index) == live
    assert [p.name for p in (index / "versions").iterdir() if p.name.startswith(".")] == []
    report = ingest([corpus_dir], index=index, embedder=FakeEmbedder())  # space again
    assert report.added == ("more.md",)


def test_the_cli_says_the_disk_is_full_in_one_line(
    tmp_path: Path, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    index = tmp_path / "index"
    _failing_faiss_write(monkeypatch)
    _full_disk(monkeypatch)
    code = main(["ingest", str(corpus_dir), "--index", str(index), *FAKE])
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert code == EXIT_FAILED
    assert len(errors) == 1 and "Traceback" not in errors[0]
    assert errors[0].startswith("docqa: error: no space left on the disk holding")


def test_a_staging_folder_a_killed_run_left_is_cleared_by_the_next_write(
    tmp_path: Path, corpus_dir: Path
) -> None:
    index = tmp_path / "index"
    ingest([corpus_dir], index=index, embedder=FakeEmbedder())
    left = index / "versions" / ".000099.staging"
    left.mkdir()
    (left / "dense.faiss").write_bytes(b"\0" * 100_000)
    (corpus_dir / "more.md").write_text("# More\n\nA second document about the harbour.\n")
    ingest([corpus_dir], index=index, embedder=FakeEmbedder())
    assert not left.exists()


def test_an_upload_that_fills_the_disk_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "notes.md"
    source.write_text("# Notes\n\nThe keeper trimmed the lamp at dusk.\n")
    uploads = tmp_path / "index" / "uploads"
    uploads.mkdir(parents=True)
    stale = uploads / ".upload-abc123"
    stale.write_bytes(b"half a file")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))

    def copy(src: Any, dst: Any) -> None:
        Path(dst).write_bytes(b"part")
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(shutil, "copyfile", copy)
    with pytest.raises(IndexUnwritableError, match=r"no space left .* the upload notes\.md"):
        save_uploads([source], uploads, max_bytes=10**6)
    assert list(uploads.iterdir()) == []  # neither this copy's part nor the old one
