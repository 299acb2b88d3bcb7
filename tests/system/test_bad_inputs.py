"""A catalogue of bad inputs thrown at the Python API, the CLI and the chat.

The cases live in ``bad_inputs_api.py`` and ``bad_inputs_ui.py`` of ``tests/support/``. Each
gets its own copy of a small index (the bundled corpus, fake embedder). The test checks that
the person gets the expected kind of result with a clear one-line message, that nothing
crashes, that the index folder is byte-for-byte unchanged unless the input was valid, and that
the same process still answers questions afterwards. What is rejected, and why, is listed in
docs/robustness.md.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.sync.pipeline import ingest
from retrieval import ask
from tests.support.bad_input_files import BRICS, NOTE
from tests.support.bad_input_harness import (
    Case,
    Env,
    citations_hold,
    new_env,
    remove_env,
    running_as_root,
    snapshot,
)
from tests.support.bad_inputs_api import API_CASES
from tests.support.bad_inputs_ui import CHAT_CASES, CLI_CASES
from tests.support.fakes import FakeEmbedder
from tests.support.paths import CORPUS

CASES = [*API_CASES, *CLI_CASES, *CHAT_CASES]


@pytest.fixture(scope="module")
def template_index() -> Iterator[Path]:
    """A world-enterable folder holding the bundled corpus indexed with the fake embedder."""
    base = Path(tempfile.mkdtemp(prefix="docqa-bad-inputs-"))
    base.chmod(0o755)
    try:
        (base / "template").mkdir()
        shutil.copytree(CORPUS, base / "template" / "corpus")
        index = base / "template" / "index"
        ingest([base / "template" / "corpus"], index=index, embedder=FakeEmbedder())
        (base / "cases").mkdir()
        (base / "cases").chmod(0o755)
        yield index
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def env(template_index: Path) -> Iterator[Env]:
    case_env = new_env(template_index, template_index.parent.parent / "cases")
    try:
        yield case_env
    finally:
        remove_env(case_env)


def test_the_catalogue_has_at_least_30_inputs_on_each_surface_together() -> None:
    surfaces = {c.id.split("-")[0] for c in CASES}
    assert len(CASES) >= 30 and surfaces == {"api", "cli", "chat"}
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_bad_input(case: Case, env: Env, template_index: Path) -> None:
    if case.setup:
        case.setup(env)
    before = snapshot(env.index)

    outcome = case.run(env)

    assert outcome.kind == case.expect, outcome
    if case.expect in ("error", "rejected", "failed"):
        (line,) = outcome.lines  # exactly one message, on one line
        assert "\n" not in line and 10 < len(line) < 400, line
        assert re.search(case.says, line), line
    else:
        assert outcome.lines == (), outcome.lines
    after = snapshot(env.index)
    if case.changes_index:
        assert after != before
    else:
        assert after == before, "the index changed for an input that was not valid"
    if case.check:
        case.check(env, outcome)
    # The process keeps answering: from this index, or from a healthy one if it was broken.
    index = env.index
    if case.breaks_index:
        index = env.root / "healthy"
        shutil.copytree(template_index, index)
    answer = ask(BRICS, index=index, k=3)
    assert answer.passages
    citations_hold(answer, index)


@pytest.mark.skipif(not running_as_root(), reason="shows why the permission cases drop root")
def test_root_reads_files_whatever_their_mode(tmp_path: Path) -> None:
    locked = tmp_path / "locked.md"
    locked.write_text(NOTE)
    locked.chmod(0o000)
    assert locked.read_text() == NOTE  # hence the unprivileged user in those cases
