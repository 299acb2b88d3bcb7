"""One writer at a time per index held in Milvus, whichever machine it runs on: a lease.

The file lock (:mod:`ingest.index.lock`) keeps writers of one index folder apart; two
machines writing the same Milvus collections share no folder. So a writer also holds a lease
in the index's files collection: a row ``WRITER`` naming its owner (host, process, a random
token) and when the lease runs out. Milvus has no compare-and-set, so taking the lease is
*write, wait, read back*: a writer that finds no live lease writes its own, waits
:data:`SETTLE` seconds and reads it back; of two writers that raced, only the one whose row
was written last reads back its own name, and the other waits. A thread renews the lease
every third of its life while the writer works; a writer that dies stops renewing, and its
lease runs out after :data:`LEASE_SECONDS` (so machines' clocks must agree within that).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ingest.index.backends.milvus.files import MilvusFiles
from ingest.index.lock import DEFAULT_TIMEOUT, IndexBusyError, to_stderr

LEASE = "WRITER"
#: How long a lease lasts without renewal.
LEASE_SECONDS = 60.0
#: Wait between writing a lease and reading it back.
SETTLE = 1.0
_POLL = 2.0


@dataclass(frozen=True)
class Lease:
    """Who holds the writer lease of an index, and until when (seconds since the epoch)."""

    owner: str
    expires: float

    @classmethod
    def parse(cls, value: str | None) -> Lease | None:
        """The lease a ``WRITER`` row holds (None: no row, or not a lease)."""
        try:
            data = json.loads(value) if value else None
            return cls(str(data["owner"]), float(data["expires"])) if data else None
        except (ValueError, KeyError, TypeError):
            return None

    def dump(self) -> str:
        """The row's value."""
        return json.dumps({"owner": self.owner, "expires": self.expires})


@contextmanager
def writer_lease(
    files: MilvusFiles,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    lease_seconds: float = LEASE_SECONDS,
    settle: float = SETTLE,
    on_wait: Callable[[str], None] = to_stderr,
) -> Iterator[Lease]:
    """Hold the writer lease of the index whose files are in ``files`` for the block.

    Args:
        files: The index's files collection.
        timeout: Seconds to wait for another writer (None: for ever).
        lease_seconds: Life of the lease without renewal.
        settle: Seconds between writing the lease and reading it back.
        on_wait: Told once, when another writer holds the lease.

    Raises:
        IndexBusyError: another writer still held the lease after ``timeout`` seconds.
        BackendUnavailableError: Milvus cannot be reached.
    """
    me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    deadline = None if timeout is None else time.monotonic() + timeout
    told = False
    while True:
        held = Lease.parse(files.note(LEASE))
        if held is None or held.expires < time.time():
            files.set_note(LEASE, Lease(me, time.time() + lease_seconds).dump())
            time.sleep(settle)
            held = Lease.parse(files.note(LEASE))
            if held is not None and held.owner == me:
                break
        if held is not None and not told:
            on_wait(
                f"waiting for another writer on Milvus {files.uri} ({files.collection}): "
                f"{held.owner.rsplit(':', 1)[0]}"
            )
            told = True
        if deadline is not None and time.monotonic() >= deadline:
            owner = held.owner if held else "another writer"
            raise IndexBusyError(
                f"{owner} is writing the index in Milvus at {files.uri} ({files.collection}); "
                "try again when it is done"
            )
        time.sleep(_POLL if deadline is None else max(0.0, min(_POLL, deadline - time.monotonic())))
    stop = threading.Event()
    renewer = threading.Thread(
        target=_renew, args=(files, me, lease_seconds, stop), name="docqa-lease", daemon=True
    )
    renewer.start()
    try:
        yield held
    finally:
        stop.set()
        renewer.join()
        # A move away from this Milvus drops the collection, lease and all, while holding it.
        now = Lease.parse(files.note(LEASE)) if files.present() else None
        if now is not None and now.owner == me:
            files.clear_note(LEASE)


def _renew(files: MilvusFiles, me: str, lease_seconds: float, stop: threading.Event) -> None:
    """Push the lease's end forward every third of its life until ``stop`` (never over a
    lease another writer took after this one ran out)."""
    while not stop.wait(lease_seconds / 3):
        try:
            held = Lease.parse(files.note(LEASE))
            if held is not None and held.owner != me:
                return
            files.set_note(LEASE, Lease(me, time.time() + lease_seconds).dump())
        except Exception:  # a blip: the next renewal tries again, the lease has time left
            continue
