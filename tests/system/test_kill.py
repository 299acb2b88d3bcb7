"""SIGKILL an ingest at random moments: the index always loads, answers and cites correctly."""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ingest.errors import IndexNotFoundError
from ingest.index.store import IndexVersion, load_version
from retrieval.retriever import Retriever
from tests.support.fakes import FakeEmbedder
from tests.support.paths import ROOT

KILLS = 20
MAX_RUNS = 60
SEED = 20240605
WORDS = ("amber", "basil", "cedar", "delta", "ember", "fjord", "garnet", "harbor", "indigo", "kelp")


def _text(n: int, version: int) -> str:
    word = WORDS[(n + version) % len(WORDS)]
    filler = " ".join(f"Line {k} of note {n} repeats the usual survey remarks." for k in range(6))
    return (
        f"# Note {n}\n\n## Code\n\nThe code word of note {n} is {word}{n}x{version}.\n\n"
        f"## Survey\n\n{filler}\n\n## Appendix\n\nAppendix {n}. {filler}\n"
    )


def _ingest_command(folder: Path, index: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "tests.support.fake_cli",
        "ingest",
        str(folder),
        "--index",
        str(index),
        "--model",
        "fake-hashing-256",
        "--prune",
        "--json",
    ]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}


def _check(version: IndexVersion, history: dict[str, set[str]], embedder: FakeEmbedder) -> None:
    """The version is internally consistent and every document is a state its file had."""
    assert version.dense.size == len(version.chunks) == version.sparse.size
    for doc_id, doc in version.documents.items():
        assert doc.text in history[doc_id], doc_id
    for chunk in version.chunks:
        assert version.documents[chunk.doc_id].text[chunk.start : chunk.end] == chunk.text
    if version.chunks:
        expected = embedder.embed([c.text for c in version.chunks])
        assert np.allclose(version.dense.vectors(), expected, atol=1e-5)


def _ask(index: Path, version: IndexVersion, embedder: FakeEmbedder, rng: random.Random) -> None:
    """Questions about documents of the loaded version are answered from them, cited exactly."""
    retriever = Retriever(index, embedder=embedder)
    loaded = retriever.version
    for doc_id in rng.sample(sorted(loaded.documents), min(3, len(loaded.documents))):
        match = re.search(r"code word of note \d+ is (\w+)", loaded.documents[doc_id].text)
        assert match
        answer = retriever.answer(f"Which note has the code word {match.group(1)}?", k=3)
        top = answer.passages[0]
        assert top.doc_id == doc_id, (doc_id, top.doc_id)
        assert loaded.documents[top.doc_id].text[top.start : top.end] == top.text


@pytest.mark.slow
def test_sigkill_at_random_moments_never_breaks_the_index(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    folder, index = tmp_path / "docs", tmp_path / "index"
    folder.mkdir()
    history: dict[str, set[str]] = {}
    versions = dict.fromkeys(range(60), 0)

    def write(n: int) -> None:
        text = _text(n, versions[n])
        (folder / f"note-{n:03d}.md").write_text(text)
        history.setdefault(f"note-{n:03d}.md", set()).add(text)

    for n in versions:
        write(n)
    embedder = FakeEmbedder()
    next_n = len(versions)

    def mutate() -> None:
        nonlocal next_n
        for n in rng.sample(sorted(versions), 4):  # edit some notes
            versions[n] += 1
            write(n)
        gone = rng.choice(sorted(versions))  # delete one, add one
        (folder / f"note-{gone:03d}.md").unlink()
        del versions[gone]
        versions[next_n] = 0
        write(next_n)
        next_n += 1

    def run(kill_after: float | None) -> int | None:
        """Run an ingest while a reader keeps asking; kill it after ``kill_after`` seconds."""
        process = subprocess.Popen(
            _ingest_command(folder, index),
            env=_env(),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.perf_counter() + (kill_after if kill_after is not None else 120.0)
        while time.perf_counter() < deadline and process.poll() is None:
            with contextlib.suppress(IndexNotFoundError):  # before the first version
                _ask(index, load_version(index), embedder, rng)
            time.sleep(0.05)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        return process.wait()

    assert run(None) == 0  # the first version
    mutate()
    started = time.perf_counter()
    assert run(None) == 0
    sync_seconds = time.perf_counter() - started
    killed = runs = 0
    while killed < KILLS and runs < MAX_RUNS:  # some runs finish before their kill time
        runs += 1
        mutate()
        killed += run(rng.uniform(0.1, 1.05) * sync_seconds) == -signal.SIGKILL
        version = load_version(index)
        if os.environ.get("DOCQA_KILL_TRACE"):
            print("after kill:", version.path.name, sorted(os.listdir(index / "versions")))
        _check(version, history, embedder)
        _ask(index, version, embedder, rng)
    assert killed >= KILLS, f"only {killed} of {runs} runs were killed before they finished"
    done = subprocess.run(
        _ingest_command(folder, index), env=_env(), cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    final = load_version(index)
    current = {f"note-{n:03d}.md": _text(n, v) for n, v in versions.items()}
    assert {d: doc.text for d, doc in final.documents.items()} == current
    _check(final, history, embedder)
    _ask(index, final, embedder, rng)
    assert len(list((index / "versions").iterdir())) <= 2  # collected, no staging left
