"""The index's writer lock, held by another process: waiting, timing out, releasing, crashing.

The other writer is a real process (``HOLDER`` below) taking the same lock through
:func:`writer_lock`, so these tests exercise the OS lock between processes, not a lock
object shared in memory.
"""

from __future__ import annotations

import functools
import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import ingest.sync.writing
from ingest.errors import DocqaError, IndexUnwritableError, InvalidInputError
from ingest.index.lock import LOCK_NAME, IndexBusyError, writer_lock
from tests.support.paths import ROOT
from ui.cli import EXIT_FAILED, EXIT_OK, main

# Takes the lock, says so, holds it until a line arrives on stdin, then marks (inside the
# block) that it is leaving.
HOLDER = """
import sys
from pathlib import Path
from ingest.index.lock import writer_lock

index = Path(sys.argv[1])
with writer_lock(index, timeout=0):
    print("held", flush=True)
    sys.stdin.readline()
    (index.parent / "holder-left").write_text("left")
"""


class Holder:
    """Another process holding an index's writer lock until released or killed."""

    def __init__(self, index: Path) -> None:
        self.index = index
        self.left = index.parent / "holder-left"
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(index)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if line != "held\n":
            self.process.kill()
            _, err = self.process.communicate()
            pytest.fail(f"the holder did not take the lock: {line!r} {err}")

    def release(self) -> None:
        """Let the holder leave its block (it exits right after)."""
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def kill(self) -> None:
        """SIGKILL: no ``finally``, no ``atexit``, no Python cleanup of any kind."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate(timeout=30)


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[Holder]:
    """The index ``tmp_path/index``, its writer lock held by another process."""
    held = Holder(tmp_path / "index")
    try:
        yield held
    finally:
        held.close()


class ReleasingStream(io.StringIO):
    """A stderr that lets ``holder`` go as soon as the waiting line is written to it."""

    def __init__(self, holder: Holder) -> None:
        super().__init__()
        self.holder = holder

    def write(self, text: str) -> int:
        if "waiting for another writer" in text:
            self.holder.release()
        return super().write(text)


def test_a_second_writer_waits_for_the_first_and_says_so(holder: Holder) -> None:
    lines: list[str] = []

    def on_wait(line: str) -> None:
        lines.append(line)
        holder.release()

    with writer_lock(holder.index, timeout=60, on_wait=on_wait):
        # The holder wrote its mark inside its block: it had left before we got in.
        assert holder.left.read_text() == "left"
    assert lines == [f"waiting for another writer on {holder.index} (up to 60 s) ..."]
    assert holder.process.wait(timeout=30) == 0


def test_the_waiting_line_goes_to_stderr_by_default(
    holder: Holder, monkeypatch: pytest.MonkeyPatch
) -> None:
    stderr = ReleasingStream(holder)
    monkeypatch.setattr(sys, "stderr", stderr)
    with writer_lock(holder.index):
        assert holder.left.exists()
    assert stderr.getvalue() == (
        f"waiting for another writer on {holder.index} (up to 600 s) ...\n"
    )


def test_a_free_lock_is_taken_without_a_word(tmp_path: Path) -> None:
    lines: list[str] = []
    index = tmp_path / "new" / "index"
    with writer_lock(index, on_wait=lines.append):
        assert (index / LOCK_NAME).is_file()  # the directory is created by the lock
    with writer_lock(index, timeout=0, on_wait=lines.append):
        pass
    assert lines == []


def test_docqa_ingest_shows_the_wait_on_stderr(
    holder: Holder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# Birds\n\nSwallows fly south in September.\n")
    stderr = ReleasingStream(holder)
    monkeypatch.setattr(sys, "stderr", stderr)
    argv = ["ingest", str(docs), "--index", str(holder.index), "--model", "fake-hashing-256"]
    assert main(argv) == EXIT_OK
    assert stderr.getvalue().count(f"waiting for another writer on {holder.index}") == 1
    assert holder.left.exists()


def test_a_short_timeout_raises_a_typed_error_that_says_what_to_do(holder: Holder) -> None:
    lines: list[str] = []
    with (
        pytest.raises(IndexBusyError) as raised,
        writer_lock(holder.index, timeout=0.3, on_wait=lines.append),
    ):
        pytest.fail("the lock is held by another process")
    assert isinstance(raised.value, DocqaError) and isinstance(raised.value, RuntimeError)
    message = str(raised.value)
    assert f"the index at {holder.index} is busy after waiting 0.3 s" in message
    assert "another `docqa ingest`" in message
    assert "wait for it to finish and try again, or pass another --index" in message
    assert lines == [f"waiting for another writer on {holder.index} (up to 0.3 s) ..."]
    assert holder.process.poll() is None  # still holding: nothing was broken
    with (
        pytest.raises(IndexBusyError, match="is busy: another writer"),
        writer_lock(holder.index, timeout=0, on_wait=lines.append),
    ):
        pass
    assert len(lines) == 1  # timeout=0 does not wait, so it does not say it waits


def test_docqa_ingest_on_a_busy_index_exits_with_the_message(
    holder: Holder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("Swallows fly south in September.\n")
    short = functools.partial(writer_lock, timeout=0.2)
    monkeypatch.setattr(ingest.sync.writing, "writer_lock", short)
    argv = ["ingest", str(docs), "--index", str(holder.index), "--model", "fake-hashing-256"]
    assert main(argv) == EXIT_FAILED
    err = capsys.readouterr().err
    assert f"waiting for another writer on {holder.index}" in err
    assert f"docqa: error: the index at {holder.index} is busy after waiting 0.2 s" in err
    assert not (holder.index / "CURRENT").exists()  # nothing was written


def test_the_lock_is_released_when_the_block_raises(tmp_path: Path) -> None:
    index = tmp_path / "index"
    with pytest.raises(ZeroDivisionError), writer_lock(index):
        _ = 1 / 0
    # Another process can take it at once (the holder takes it with timeout=0) ...
    other = Holder(index)
    other.release()
    assert other.process.wait(timeout=30) == 0
    other.close()
    # ... and so can this one.
    with writer_lock(index, timeout=0):
        pass


def test_a_writer_killed_while_holding_the_lock_does_not_block_the_next(
    holder: Holder,
) -> None:
    # Held while the holder lives ...
    with pytest.raises(IndexBusyError), writer_lock(holder.index, timeout=0):
        pass
    # ... and free as soon as it is killed.
    holder.kill()
    assert holder.process.returncode == -signal.SIGKILL
    assert not holder.left.exists()  # it died inside its block
    assert (holder.index / LOCK_NAME).exists()  # the file is left behind, and does not matter
    lines: list[str] = []
    with writer_lock(holder.index, timeout=0, on_wait=lines.append):
        pass
    assert lines == []


def test_threads_of_one_process_take_turns(tmp_path: Path) -> None:
    index = tmp_path / "index"
    inside: list[int] = []
    overlaps: list[int] = []

    def write(n: int) -> None:
        with writer_lock(index, timeout=60, on_wait=lambda _: None):
            inside.append(n)
            if len(inside) > 1:
                overlaps.append(n)
            time.sleep(0.02)
            inside.remove(n)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert overlaps == [] and inside == []


@pytest.mark.parametrize("timeout", [-1.0, float("nan")])
def test_a_timeout_that_is_not_a_duration_is_refused(tmp_path: Path, timeout: float) -> None:
    with (
        pytest.raises(InvalidInputError, match=r"timeout=.* pass 0 or more, or None"),
        writer_lock(tmp_path / "index", timeout=timeout),
    ):
        pass


def test_a_file_in_the_way_is_still_invalid_input(tmp_path: Path) -> None:
    index = tmp_path / "index"
    index.write_text("not a folder")
    with (
        pytest.raises(IndexUnwritableError, match=r"cannot write the index at .*index \("),
        writer_lock(index),
    ):
        pass
