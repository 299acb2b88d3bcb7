"""An index split by older sentence rules is split again on its next write, reusing vectors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.index.store import current_version_path, load_version, read_manifest
from ingest.sync.pipeline import ingest
from ingest.text.sentences import SENTENCE_RULES
from tests.support.fakes import FakeEmbedder


def test_an_index_of_older_rules_is_split_again(
    corpus_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    index = tmp_path / "index"
    ingest([corpus_dir], index=index, embedder=FakeEmbedder())
    first = current_version_path(index)
    assert read_manifest(first).sentence_rules == SENTENCE_RULES
    # Make the live version look as if it had been split by the first rules.
    path = first / "manifest.json"
    data = json.loads(path.read_text())
    del data["sentence_rules"]
    path.write_text(json.dumps(data))
    assert read_manifest(first).sentence_rules == 1

    with caplog.at_level("INFO", logger="docqa"):
        report = ingest([corpus_dir], index=index, embedder=FakeEmbedder())
    assert report.version is not None and current_version_path(index) != first
    assert report.chunks_embedded == 0  # every chunk text was known: nothing embedded again
    assert read_manifest(current_version_path(index)).sentence_rules == SENTENCE_RULES
    assert any("again with this docqa's sentence rules" in r.getMessage() for r in caplog.records)
    version = load_version(index)
    for chunk in version.chunks:
        assert version.documents[chunk.doc_id].text[chunk.start : chunk.end] == chunk.text

    # Under the current rules, nothing changed is nothing written.
    again = ingest([corpus_dir], index=index, embedder=FakeEmbedder())
    assert again.version is None
