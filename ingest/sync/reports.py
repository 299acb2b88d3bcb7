"""What an ingest run did, and how long work reports its progress."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.formats.parsed import LoadWarning
from ingest.sync.sources import Rejected
from ingest.sync.update import Content


@dataclass(frozen=True)
class IngestReport:
    """What one ingest run did."""

    index_dir: str
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    rejected: tuple[Rejected, ...] = ()
    #: Files indexed under a longer id than their name because another file holds that
    #: name: ``(path, doc_id)``.
    renamed: tuple[tuple[str, str], ...] = ()
    #: What was left out of files that were ingested (an attachment skipped, a sheet cut).
    warnings: tuple[LoadWarning, ...] = ()
    n_documents: int = 0
    n_chunks: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0
    sentences_embedded: int = 0
    seconds: float = 0.0
    version: str | None = None

    def summary(self) -> str:
        """One line for people."""
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.removed)} removed, "
            f"{len(self.rejected)} rejected"
            + (f", {len(self.warnings)} warnings" if self.warnings else "")
            + "; "
            f"{self.chunks_embedded} chunks embedded, {self.chunks_reused} reused, "
            f"{self.sentences_embedded} sentences embedded; "
            f"index: {self.n_documents} documents, {self.n_chunks} chunks "
            f"({self.seconds:.1f} s) -> {self.index_dir}"
        )

    @classmethod
    def written(
        cls,
        index_dir: Path,
        content: Content,
        version: Path,
        started: float,
        *,
        added: tuple[str, ...] = (),
        updated: tuple[str, ...] = (),
        unchanged: tuple[str, ...] = (),
        removed: tuple[str, ...] = (),
        rejected: tuple[Rejected, ...] = (),
    ) -> IngestReport:
        """The report of a run that wrote ``content`` as ``version`` (begun at ``started``,
        a :func:`time.perf_counter` reading)."""
        return cls(
            index_dir=str(index_dir),
            added=added,
            updated=updated,
            unchanged=unchanged,
            removed=removed,
            rejected=rejected,
            n_documents=len(content.documents),
            n_chunks=len(content.chunks),
            chunks_embedded=content.n_embedded,
            chunks_reused=len(content.chunks) - content.n_embedded,
            sentences_embedded=content.n_units_embedded,
            seconds=time.perf_counter() - started,
            version=version.name,
        )


#: ``factory(total, label) -> advance(n)``: how long work shows its progress.
ProgressFactory = Callable[[int, str], Callable[[int], None]]


def no_progress(total: int, label: str) -> Callable[[int], None]:
    """A progress factory that shows nothing."""
    return lambda n: None
