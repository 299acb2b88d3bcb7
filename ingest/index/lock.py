"""One writer at a time per index directory: an OS file lock on ``INDEX/LOCK`` (``filelock``).

The lock is the kernel's (``flock`` on Unix), not the file's existence: the ``LOCK`` file stays
in place between runs, and a writer that dies (killed, crashed, power cut) releases the lock
with its process, so there is never a stale lock to delete by hand.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from ingest.errors import DocqaError, IndexUnwritableError, InvalidInputError

__all__ = ["DEFAULT_TIMEOUT", "LOCK_NAME", "IndexBusyError", "to_stderr", "writer_lock"]

#: Name of the lock file inside the index directory.
LOCK_NAME = "LOCK"

#: Seconds a writer waits for another one before giving up. An ingest of a few thousand
#: documents on CPU finishes well within it; a writer still holding the lock after ten
#: minutes is more likely a forgotten run than one about to finish.
DEFAULT_TIMEOUT = 600.0


class IndexBusyError(DocqaError, RuntimeError):
    """Another process held the index's writer lock for longer than the caller would wait."""


def to_stderr(message: str) -> None:
    """Print a one-line waiting message to stderr (the default ``on_wait``)."""
    print(message, file=sys.stderr, flush=True)


@contextmanager
def writer_lock(
    index_dir: Path,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    on_wait: Callable[[str], None] = to_stderr,
) -> Iterator[None]:
    """Hold the index's writer lock (``INDEX/LOCK``) for the ``with`` block.

    The index directory is created here, so callers take the lock only once they know
    they will write. When another writer holds the lock, ``on_wait`` is told once
    ("waiting for another writer on INDEX ...") and the call waits up to ``timeout``
    seconds. The lock is released when the block ends, by an exception too, and by the
    kernel if the process dies. Not reentrant: a thread holding the lock must not take
    it again.

    Args:
        index_dir: The index directory.
        timeout: Seconds to wait for another writer; ``None`` waits for ever, ``0`` does
            not wait at all.
        on_wait: Receives the one-line waiting message; prints it to stderr by default.

    Raises:
        IndexBusyError: another writer still held the lock after ``timeout`` seconds.
        InvalidInputError: a negative or NaN ``timeout``.
        IndexUnwritableError: the index directory cannot be created or written (a read-only
            folder, a file in the way).

    Example::

        with writer_lock(Path(".docqa/index"), timeout=30):
            ...  # write the next version
    """
    if timeout is not None and not timeout >= 0:  # `not >=` also catches NaN
        raise InvalidInputError(
            f"timeout={timeout!r} is not a number of seconds; "
            "pass 0 or more, or None to wait for ever"
        )
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unwritable(index_dir, exc) from None
    lock = FileLock(index_dir / LOCK_NAME)
    if not _acquire(lock, index_dir, timeout=0.0):
        if timeout == 0:
            raise _busy(index_dir, 0.0)
        limit = "no time limit" if timeout is None else f"up to {_seconds(timeout)}"
        on_wait(f"waiting for another writer on {index_dir} ({limit}) ...")
        wait = -1.0 if timeout is None else timeout  # filelock: negative waits for ever
        if not _acquire(lock, index_dir, timeout=wait):
            raise _busy(index_dir, wait)
    try:
        yield
    finally:
        lock.release()


def _acquire(lock: FileLock, index_dir: Path, *, timeout: float) -> bool:
    """Take ``lock`` within ``timeout`` seconds (0: one attempt; negative: for ever);
    False when another holder kept it."""
    try:
        if timeout == 0:
            lock.acquire(blocking=False)
        else:
            lock.acquire(timeout=timeout)
    except Timeout:  # a TimeoutError, hence an OSError: caught first
        return False
    except OSError as exc:
        raise _unwritable(index_dir, exc) from None
    return True


def _unwritable(index_dir: Path, exc: OSError) -> IndexUnwritableError:
    return IndexUnwritableError(
        f"cannot write the index at {index_dir} ({exc.strerror or exc}); "
        "choose another --index or make it writable"
    )


def _busy(index_dir: Path, waited: float) -> IndexBusyError:
    after = "" if waited == 0 else f" after waiting {_seconds(waited)}"
    return IndexBusyError(
        f"the index at {index_dir} is busy{after}: another writer (another `docqa ingest`, "
        f"`remove` or upload) is running on it and holds {index_dir / LOCK_NAME}; "
        "wait for it to finish and try again, or pass another --index"
    )


def _seconds(value: float) -> str:
    return f"{value:g} s"
