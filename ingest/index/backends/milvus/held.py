"""The writer lease of an index in Milvus as its holder sees it: the row, the proof, the fence.

The lease is one row (``WRITER``) in the index's files collection: its holder's name, when it
runs out and its *token*, a number one higher at each acquisition (a released lease keeps
its token, so tokens only grow). A writer that took the lease holds a :class:`HeldLease`;
whatever it writes to Milvus asks it first:

- :meth:`HeldLease.check` (no request): the lease is still *proven*, i.e. not known lost and
  its last confirmed end is more than the margin away;
- :meth:`HeldLease.fence` (one read): the same, and the row still holds this writer's name and
  token. The switch of the live version, and the clean-up after it, go through it.

A lease is lost for good (the writer's picture of the index may be stale) once another
writer's name is read in the row, or once its end passed without a renewal. The writer is
told then (a warning), its next check raises :class:`LeaseLostError`, and nothing it wrote
becomes live. See :mod:`ingest.index.backends.milvus.lease` for how a lease is taken and what
is guaranteed.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from ingest.index.backends.milvus.connect import check_uri
from ingest.index.backends.milvus.files import MilvusFiles
from ingest.index.lock import IndexBusyError

__all__ = ["LEASE", "HeldLease", "Lease", "LeaseLostError", "held_lease", "holding", "write_lease"]

LEASE = "WRITER"

_log = logging.getLogger(__name__)


class LeaseLostError(IndexBusyError):
    """A writer can no longer prove it holds the writer lease of the index it writes: another
    writer took it, or renewals failed until it ran out. Nothing it wrote became live."""


@dataclass(frozen=True)
class Lease:
    """One value of the ``WRITER`` row: who holds the lease, until when (seconds since the
    epoch) and the acquisition's token."""

    owner: str
    expires: float
    token: int = 0

    @classmethod
    def parse(cls, value: str | None) -> Lease | None:
        """The lease a ``WRITER`` row holds (None: no row, or not a lease; a row written
        before tokens existed has token 0)."""
        try:
            data = json.loads(value) if value else None
            if not data:
                return None
            return cls(str(data["owner"]), float(data["expires"]), int(data.get("token", 0)))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    def dump(self) -> str:
        """The row's value."""
        return json.dumps({"owner": self.owner, "expires": self.expires, "token": self.token})

    def live(self, now: float) -> bool:
        """Whether the lease still runs at ``now`` (a released lease has run out)."""
        return self.expires > now

    def holder(self) -> str:
        """The holder's host and process, for messages."""
        return self.owner.rsplit(":", 1)[0] or "another writer"


def write_lease(files: MilvusFiles, lease: Lease) -> None:
    """Upsert the ``WRITER`` row."""
    files.set_note(LEASE, lease.dump())


class HeldLease:
    """The lease this writer took (see the module docstring).

    Args:
        files: The index's files collection.
        lease: The row the writer wrote and read back.
        lease_seconds: Life of the lease without renewal.
        margin: Seconds before the lease's end at which it no longer counts as proven: the
            longest a request may take plus the clock difference between machines.
    """

    def __init__(
        self, files: MilvusFiles, lease: Lease, *, lease_seconds: float, margin: float
    ) -> None:
        self.files = files
        self.owner = lease.owner
        self.token = lease.token
        self.lease_seconds = lease_seconds
        self.margin = margin
        self.renewal_failures = 0
        self._until = lease.expires
        self._renewed = time.time()
        self._last_error = ""
        self._failing = False
        self._lost: str | None = None
        self._lock = threading.Lock()

    @property
    def index(self) -> str:
        """The index, for messages."""
        prefix = self.files.collection.removesuffix("_files")
        return f"the index in Milvus at {self.files.uri} (collection {prefix})"

    @property
    def lost(self) -> str | None:
        """Why the lease is lost (None: still proven)."""
        self._expire()
        return self._lost

    def check(self, step: str = "writing") -> None:
        """Raise unless the lease is still proven (no request to Milvus).

        Raises:
            LeaseLostError: the lease is lost, or its end is nearer than the margin.
        """
        self._expire()
        if self._lost is not None:
            raise LeaseLostError(
                f"the writer lease of {self.index} was lost to another writer: {self._lost}. "
                f"This writer stopped before {step} and made nothing live; run the write "
                "again to add to the index as it is now"
            )

    def fence(self, step: str) -> None:
        """:meth:`check`, then read the row: it must still hold this writer's name and token.

        Raises:
            LeaseLostError: as :meth:`check`, or the row names another writer.
            BackendUnavailableError: Milvus cannot be reached (the step is not taken).
        """
        self.check(step)
        row = Lease.parse(self.files.note(LEASE))
        if row is None or (row.owner, row.token) != (self.owner, self.token):
            self._lose(f"{row.holder() if row else 'nobody'} holds it now")
        self.check(step)

    def renew(self) -> bool:
        """Push the lease's end forward, unless it is lost; False once it is. A failed request
        is counted and tried again at the next renewal while the lease still runs."""
        self._expire()
        if self._lost is not None:
            return False
        before = self._until
        try:
            row = Lease.parse(self.files.note(LEASE))
            if row is None or (row.owner, row.token) != (self.owner, self.token):
                self._lose(f"{row.holder() if row else 'nobody'} holds it now")
                return False
            started = time.time()
            write_lease(self.files, Lease(self.owner, started + self.lease_seconds, self.token))
        except Exception as exc:  # a blip: the next renewal tries again while the lease runs
            with self._lock:
                self.renewal_failures += 1
                self._failing = True
                self._last_error = f"{type(exc).__name__}: {exc}"[:200]
            return True
        with self._lock:
            if time.time() >= before - self.margin:
                # The new end may have landed after the old one passed, when another writer
                # could have come and gone: the picture this writer started from is unproven.
                self._lost_locked(f"a renewal came {time.time() - before + self.margin:.1f} s late")
                return False
            self._until = started + self.lease_seconds
            self._renewed = time.time()
            self._failing = False
        return True

    def next_renewal(self) -> float:
        """Seconds to the next renewal: a third of the lease (a twelfth after a failed one),
        sooner when the lease stops being proven."""
        left = self._until - self.margin - time.time()
        return max(0.0, min(self.lease_seconds / (12 if self._failing else 3), left))

    def still_mine(self) -> bool:
        """Whether the row holds this writer's lease (read from Milvus)."""
        row = Lease.parse(self.files.note(LEASE))
        return row is not None and (row.owner, row.token) == (self.owner, self.token)

    def _expire(self) -> None:
        with self._lock:
            if self._lost is None and time.time() >= self._until - self.margin:
                since = time.time() - self._renewed
                n = self.renewal_failures
                error = f", the last with {self._last_error}" if self._last_error else ""
                self._lost_locked(
                    f"it could not be renewed for {since:.1f} s until it ran out ({n} "
                    f"renewal{'s' if n != 1 else ''} failed{error}), so another writer may "
                    "hold it now"
                )

    def _lose(self, reason: str) -> None:
        with self._lock:
            self._lost_locked(reason)

    def _lost_locked(self, reason: str) -> None:
        if self._lost is None:
            self._lost = reason
            _log.warning(
                "the writer lease of %s was lost (%s): this writer stops at its next step and "
                "makes nothing live",
                self.index,
                reason,
            )


#: The leases the running code holds (per thread and task), so a store's write finds its own.
_HELD: ContextVar[tuple[HeldLease, ...]] = ContextVar("docqa_held_leases", default=())


@contextmanager
def holding(held: HeldLease) -> Iterator[HeldLease]:
    """Make ``held`` the lease :func:`held_lease` finds for its collection in this context."""
    token = _HELD.set((*_HELD.get(), held))
    try:
        yield held
    finally:
        _HELD.reset(token)


def held_lease(uri: str, collection: str) -> HeldLease:
    """The lease this thread holds on the files collection ``collection`` at ``uri``.

    Raises:
        LeaseLostError: it holds none (a write to Milvus must take the lease first).
    """
    place = (check_uri(uri), collection)
    for held in reversed(_HELD.get()):
        if (check_uri(held.files.uri), held.files.collection) == place:
            return held
    prefix = collection.removesuffix("_files")
    raise LeaseLostError(
        f"this writer holds no writer lease of the index in Milvus at {place[0]} "
        f"(collection {prefix}); a version is only written there under it "
        "(MilvusStore.lease())"
    )
