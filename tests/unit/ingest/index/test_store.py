"""The on-disk index: manifest validation, versions, damaged files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.errors import CorruptIndexError, IndexMismatchError, IndexNotFoundError
from ingest.index.store import current_version_path, load_version


def test_a_missing_index_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="docqa ingest"):
        load_version(tmp_path / "nothing")


def test_loaded_chunks_reproduce_the_document_text(fake_index: Path) -> None:
    version = load_version(fake_index)
    assert version.chunks and version.manifest.n_chunks == len(version.chunks)
    for chunk in version.chunks:
        assert version.documents[chunk.doc_id].text[chunk.start : chunk.end] == chunk.text


def test_index_files_are_plain_no_pickle(fake_index: Path) -> None:
    for path in fake_index.rglob("*"):
        if path.suffix == ".npy":
            import numpy as np

            np.load(path, allow_pickle=False)  # raises if it needed pickle
        assert path.suffix not in {".pkl", ".pickle"}


def test_another_format_version_is_refused_with_the_fix(fake_index: Path) -> None:
    manifest = current_version_path(fake_index) / "manifest.json"
    data = json.loads(manifest.read_text())
    data["format_version"] = 999
    manifest.write_text(json.dumps(data))
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        load_version(fake_index)


@pytest.mark.parametrize("victim", ["manifest.json", "chunks.npy", "dense.faiss"])
def test_damaged_files_are_reported(fake_index: Path, victim: str) -> None:
    (current_version_path(fake_index) / victim).write_text("garbage")
    with pytest.raises(CorruptIndexError):
        load_version(fake_index)
