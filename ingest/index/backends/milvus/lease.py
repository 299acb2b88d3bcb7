"""One writer at a time per index held in Milvus, whichever machine it runs on: a lease.

The file lock (:mod:`ingest.index.lock`) keeps writers of one index folder apart; two
machines writing the same Milvus collections share no folder. So a writer also holds a lease
in the index's files collection: a row ``WRITER`` naming its owner (host, process, a random
part), when the lease runs out and a token one higher than the row held before
(:mod:`ingest.index.backends.milvus.held`).

Taking it. Milvus has no compare-and-set, so a writer *checks* the row (free: none, run out,
or its own), *writes* its lease and, :data:`SETTLE` seconds after the write returned, *reads
it back*; it holds the lease when the row still names it and its token. A writer whose check
and write together took :data:`SETTLE` seconds or more does not count the attempt (its write
may have landed after another writer's read-back) and checks again at once; the row it left
names itself, so it may take the lease again.

Holding it. A thread renews the lease every third of its life. Every write to Milvus first
asks the held lease (:meth:`~ingest.index.backends.milvus.held.HeldLease.check`); each
request storing the version's files, the switch of the live version and the clean-up after
it first read the row back (:meth:`~ingest.index.backends.milvus.held.HeldLease.fence`). The
lease is lost for good once another writer's name is read in the row, or once its end less a
margin (:data:`SETTLE` plus the clock share below) passed without a renewal: the writer is
told (a warning), stops at its next step with
:class:`~ingest.index.backends.milvus.held.LeaseLostError` and makes nothing live.

What is guaranteed, if every request a writer makes to Milvus lands within :data:`SETTLE`
seconds of being sent and machines' clocks differ by less than :data:`CLOCK_SHARE` of the
lease (6 s for the default 60 s):

- Two writers never hold the lease together, and each token is taken once. Of two writers
  that both found the row free, say B's row landed last: B checked before A's row landed
  (else B would have seen A's lease), so B's write, if its attempt counts, landed less than
  :data:`SETTLE` after A's row did, hence before A's read-back, :data:`SETTLE` after A's
  write returned. A reads B's row back and waits; B reads its own.
- A writer sends no request that stores a version's file, switches the live version or
  removes rows once its lease runs for less than the margin, so each lands before any other
  writer may find the lease run out (rows it adds are keyed by content: two writers adding
  one key add the same row). A switch thus lands before the next holder follows the live
  version: each version is written on top of the one before, and no two writers store the
  files of one version or remove rows the other is about to list.
- A writer that dies stops renewing; its lease runs out after :data:`LEASE_SECONDS`.

When a request is slower than that, the writer that sent it notices afterwards: a slow lease
write voids its attempt; a renewal returning past the margin loses the lease. Another writer's
slow lease write may still land on a held lease row; the holder reads another name at its next
fence or renewal and stops (rows it added by then are listed by no version). Only such a write
landing between a holder's last read-back and its switch (one request) goes unseen: closing
that needs a compare-and-set Milvus does not offer.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ingest.index.backends.milvus.files import MilvusFiles
from ingest.index.backends.milvus.held import LEASE, HeldLease, Lease, holding, write_lease
from ingest.index.lock import DEFAULT_TIMEOUT, IndexBusyError, to_stderr

__all__ = ["CLOCK_SHARE", "LEASE", "LEASE_SECONDS", "SETTLE", "Lease", "writer_lease"]

#: How long a lease lasts without renewal.
LEASE_SECONDS = 60.0
#: The longest a lease request may take (check to written), and the wait between writing a
#: lease and reading it back.
SETTLE = 1.0
#: Machines' clocks may differ by this share of the lease.
CLOCK_SHARE = 0.1
_POLL = 2.0


@contextmanager
def writer_lease(
    files: MilvusFiles,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    lease_seconds: float = LEASE_SECONDS,
    settle: float = SETTLE,
    on_wait: Callable[[str], None] = to_stderr,
) -> Iterator[HeldLease]:
    """Hold the writer lease of the index whose files are in ``files`` for the block.

    Writes to Milvus in the block find the lease with
    :func:`~ingest.index.backends.milvus.held.held_lease`. At the end a lease still held is
    released (its row kept with its token, run out).

    Args:
        files: The index's files collection.
        timeout: Seconds to wait for another writer (None: for ever).
        lease_seconds: Life of the lease without renewal.
        settle: The longest a lease request may take, and the wait before the read-back.
        on_wait: Told once, when another writer holds the lease.

    Raises:
        IndexBusyError: another writer still held the lease after ``timeout`` seconds, or
            lease writes kept taking longer than ``settle``.
        BackendUnavailableError: Milvus cannot be reached.
    """
    me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    lease = _take(files, me, timeout, lease_seconds, settle, on_wait)
    held = HeldLease(
        files, lease, lease_seconds=lease_seconds, margin=settle + CLOCK_SHARE * lease_seconds
    )
    stop = threading.Event()
    renewer = threading.Thread(target=_renew, args=(held, stop), name="docqa-lease", daemon=True)
    renewer.start()
    try:
        with holding(held):
            yield held
    finally:
        stop.set()
        renewer.join()
        # A move away from this Milvus drops the collection, lease and all, while holding it.
        if held.lost is None and files.present() and held.still_mine():
            write_lease(files, Lease(me, 0.0, held.token))


def _take(
    files: MilvusFiles,
    me: str,
    timeout: float | None,
    lease_seconds: float,
    settle: float,
    on_wait: Callable[[str], None],
) -> Lease:
    """Check, write, wait and read back until the lease is this writer's (module docstring)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    told = False
    slow = 0.0
    while True:
        began = time.monotonic()
        row = Lease.parse(files.note(LEASE))
        void = False
        if row is None or not row.live(time.time()) or row.owner == me:
            mine = Lease(me, time.time() + lease_seconds, (row.token if row else 0) + 1)
            write_lease(files, mine)
            took = time.monotonic() - began
            if took < settle:
                time.sleep(settle)
                row = Lease.parse(files.note(LEASE))
                if row is not None and (row.owner, row.token) == (me, mine.token):
                    return mine
            else:
                slow, void = took, True
        if row is not None and row.live(time.time()) and row.owner != me and not told:
            on_wait(
                f"waiting for another writer on Milvus {files.uri} ({files.collection}): "
                f"{row.holder()}"
            )
            told = True
        if deadline is not None and time.monotonic() >= deadline:
            raise IndexBusyError(_busy(files, row, me, slow, settle))
        if not void:
            wait = _POLL if deadline is None else min(_POLL, deadline - time.monotonic())
            time.sleep(max(0.0, wait))


def _busy(files: MilvusFiles, row: Lease | None, me: str, slow: float, settle: float) -> str:
    where = f"the index in Milvus at {files.uri} ({files.collection})"
    if row is not None and row.owner != me and row.live(time.time()):
        return f"{row.owner} is writing {where}; try again when it is done"
    if slow:
        return (
            f"could not take the writer lease of {where}: writing it took {slow:.1f} s, "
            f"longer than the {settle:g} s a lease request may take; check Milvus's load"
        )
    return f"another writer is writing {where}; try again when it is done"


def _renew(held: HeldLease, stop: threading.Event) -> None:
    """Renew ``held`` until ``stop``, or until it is lost (never over another writer's)."""
    while not stop.wait(held.next_renewal()):
        if not held.renew():
            return
