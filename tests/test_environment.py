"""Environment variables set for one block."""

from __future__ import annotations

import os

import pytest

from ingest.environment import environment


def test_variables_are_set_inside_and_restored_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCQA_TEST_SET", "before")
    monkeypatch.delenv("DOCQA_TEST_UNSET", raising=False)
    with environment({"DOCQA_TEST_SET": "inside", "DOCQA_TEST_UNSET": "new"}):
        assert os.environ["DOCQA_TEST_SET"] == "inside"
        assert os.environ["DOCQA_TEST_UNSET"] == "new"
    assert os.environ["DOCQA_TEST_SET"] == "before"
    assert "DOCQA_TEST_UNSET" not in os.environ


def test_missing_values_leave_variables_alone_and_errors_still_restore(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCQA_TEST_KEEP", "kept")
    with pytest.raises(RuntimeError), environment({"DOCQA_TEST_KEEP": None, "DOCQA_TEST_X": "1"}):
        assert os.environ["DOCQA_TEST_KEEP"] == "kept"
        raise RuntimeError("inside")
    assert os.environ["DOCQA_TEST_KEEP"] == "kept"
    assert "DOCQA_TEST_X" not in os.environ
