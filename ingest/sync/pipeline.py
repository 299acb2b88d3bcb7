"""Sync files into an index: read, decide what changed, reuse the rest, write a new version.

A run first reads the sources without any lock (comparing files with what the live manifest
records, so unchanged files are not parsed, often not even read). When nothing usable was
given it stops there and leaves the disk untouched. Otherwise it takes the writer lock,
re-reads the live manifest and decides from it alone what changed (:mod:`ingest.sync.plan`);
only when something did does it load the live version and write the next one
(:mod:`ingest.sync.update` says what is reused).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ingest.embedding.protocol import Embedder
from ingest.embedding.settings import EmbeddingSettings
from ingest.errors import IndexNotFoundError, InvalidInputError
from ingest.formats.document import Document
from ingest.formats.loaders import DEFAULT_MAX_FILE_BYTES
from ingest.formats.ocr.reader import OcrSettings, PageReader
from ingest.index.backends.factory import remote_store, version_store
from ingest.index.backends.protocol import VersionStore
from ingest.index.backends.settings import BackendSettings
from ingest.index.sparse import SparseSettings
from ingest.index.store import (
    Manifest,
    current_version_path,
    load_version,
    read_manifest,
)
from ingest.sync.migrate import migrate
from ingest.sync.models import check_model, embedder_for
from ingest.sync.plan import Incoming, children, known_files, make_plan
from ingest.sync.reports import IngestReport, ProgressFactory, no_progress
from ingest.sync.sources import (
    NOTHING_TO_READ,
    Rejected,
    Scan,
    discover,
    parse_again,
    read_sources,
)
from ingest.sync.update import build_content, write_content
from ingest.sync.writing import writing
from ingest.text.chunker import ChunkSettings
from ingest.text.sentences import SENTENCE_RULES

_log = logging.getLogger("docqa")

__all__ = ["IngestReport", "Ingestor", "OcrSettings", "ProgressFactory", "Rejected", "ingest"]


@dataclass
class Ingestor:
    """Ingest sources into one index directory.

    Attributes:
        index_dir: Where the index lives.
        embedder: Model used for new indexes (default: the packaged all-MiniLM-L6-v2); an
            existing index keeps the model it was built with.
        chunking: Chunk settings for a new index (an existing index keeps its own).
        sparse: BM25 tokenisation for a new index.
        max_file_bytes: Larger files are rejected.
        progress: ``factory(total, label) -> advance(n)`` for progress display.
        backend: Where chunk vectors and BM25 live (default: ``$DOCQA_BACKEND``, else the
            index's own backend, FAISS for a new index); see :mod:`ingest.index.backends`.
        embedding: How the model runs when ``embedder`` is not given (default: from the
            environment, :meth:`EmbeddingSettings.from_environment`).
        ocr: Whether and how scanned pages and images are read; each picture's text is
            cached by its pixels in the index's ``cache/ocr`` folder.
    """

    index_dir: Path
    embedder: Embedder | None = None
    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    sparse: SparseSettings = field(default_factory=SparseSettings)
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    progress: ProgressFactory = no_progress
    backend: BackendSettings = field(default_factory=BackendSettings.from_environment)
    embedding: EmbeddingSettings | None = None
    ocr: OcrSettings = field(default_factory=OcrSettings)

    def run(
        self, paths: Sequence[str | Path], *, prune: bool = False, rebuild: bool = False
    ) -> IngestReport:
        """Sync ``paths`` (files and folders) into the index and return what happened.

        New files are added, changed ones re-chunked, unchanged ones skipped; with
        ``prune``, documents whose file is gone from a given folder are removed. Files
        that cannot be read are reported in ``rejected`` and leave their old entry as is.

        Raises:
            InvalidInputError: no paths, or a non-positive size limit.
            IndexMismatchError: the index was built with another model (use ``rebuild``).
        """
        if not paths:
            raise InvalidInputError("no paths given; name files or folders to ingest")
        if self.max_file_bytes <= 0:
            raise InvalidInputError(f"max_file_bytes={self.max_file_bytes} must be positive")
        started = time.perf_counter()
        snapshot = None if rebuild else self._live_manifest()
        if snapshot is not None:
            check_model(self.index_dir, snapshot.model, self.embedder)
        scan = discover(paths, snapshot.documents if snapshot else {})
        if prune:  # an emptied folder is how every document from it gets removed
            scan.rejected = [r for r in scan.rejected if not r.reason.startswith(NOTHING_TO_READ)]
        reader = self._page_reader()
        read_sources(
            scan,
            known_files(snapshot.documents if snapshot else {}),
            max_bytes=self.max_file_bytes,
            advance=self.progress(len(scan.sources), "reading"),
            ocr=reader,
        )
        if not scan.readable and not (prune and scan.roots and snapshot):
            return self._report(snapshot, started, rejected=scan.rejected)
        report = self._write(scan, prune=prune, rebuild=rebuild, started=started, ocr=reader)
        return replace(report, renamed=tuple(scan.renamed.items()), warnings=tuple(scan.warnings))

    def _page_reader(self) -> PageReader:
        return self.ocr.reader(self.index_dir / "cache" / "ocr", self.progress)

    def _write(
        self, scan: Scan, *, prune: bool, rebuild: bool, started: float, ocr: PageReader
    ) -> IngestReport:
        """Under the writer lock: the next version from ``scan`` (and ``prune``)."""
        with writing(self.index_dir, self.backend):
            live = None if rebuild else self._live_manifest()
            incoming = self._incoming(scan, live, ocr)
            entries = live.documents if live is not None else {}
            # The attachments a re-read file no longer carries go; those of a file that was
            # not read (rejected) stay with it, as the file's own document does.
            reread = [d for d, item in incoming.items() if item.document is not None]
            removed = [d for d in children(entries, reread) if d not in incoming]
            if prune:
                removed += [
                    d
                    for d, info in entries.items()
                    if d not in scan.sources
                    and info.get("parent") not in scan.sources
                    and any(_under(str(info.get("source", "")), r) for r in scan.roots)
                ]
            return self._commit(live, incoming, removed, scan.rejected, started)

    def sync_documents(
        self, documents: Sequence[Document], *, prune: bool = False, rebuild: bool = False
    ) -> IngestReport:
        """Sync already-loaded documents; with ``prune`` every other document is removed."""
        started = time.perf_counter()
        if not documents and not prune:
            return self._report(None, started)
        with writing(self.index_dir, self.backend):
            live = None if rebuild else self._live_manifest()
            incoming = {d.doc_id: Incoming(d, d.source) for d in documents}
            removed = [d for d in live.documents if d not in incoming] if prune and live else []
            return self._commit(live, incoming, removed, [], started)

    def remove(self, doc_ids: Collection[str]) -> IngestReport:
        """Remove documents (their chunks, vectors and BM25 entries) from the index.

        Removing a file's document removes the documents of its attachments too.

        Raises:
            IndexNotFoundError: there is no index.
            InvalidInputError: no ids, or ids the index does not hold (nothing is removed).
        """
        if not doc_ids:
            raise InvalidInputError("no document ids given; see `docqa list` for them")
        started = time.perf_counter()
        if remote_store(self.index_dir, self.backend) is None:
            current_version_path(self.index_dir)  # raises when there is no index
        with writing(self.index_dir, self.backend):
            live = read_manifest(current_version_path(self.index_dir))
            unknown = sorted(set(doc_ids) - set(live.documents))
            if unknown:
                raise InvalidInputError(
                    f"unknown document id(s): {', '.join(unknown)}; "
                    "see `docqa list` for the indexed documents"
                )
            removed = [*doc_ids, *children(live.documents, set(doc_ids))]
            return self._commit(live, {}, list(dict.fromkeys(removed)), [], started)

    def _incoming(self, scan: Scan, live: Manifest | None, ocr: PageReader) -> dict[str, Incoming]:
        """What the run read, judged against the live manifest (read under the lock).

        A file's attachments come with it: unchanged with an unchanged file, else parsed
        from it, each sharing the file's state and naming it as ``parent``.
        """
        entries = live.documents if live else {}
        known = known_files(entries)
        incoming: dict[str, Incoming] = {}
        for doc_id in scan.readable:
            source, state = str(scan.sources[doc_id].path), scan.files[doc_id]
            if doc_id in known and known[doc_id].sha256 == state.sha256:
                incoming[doc_id] = Incoming(None, source, state)
                for child in children(entries, [doc_id]):
                    child_source = str(entries[child].get("source", ""))
                    incoming[child] = Incoming(None, child_source, state, doc_id)
                continue
            document = scan.parsed.get(doc_id)
            if document is None:  # skipped against a manifest another writer has replaced
                document = parse_again(scan, doc_id, max_bytes=self.max_file_bytes, ocr=ocr)
            if document is not None:
                state = scan.files[doc_id]
                incoming[doc_id] = Incoming(document, source, state)
                for attachment in scan.attachments.get(doc_id, ()):
                    incoming[attachment.doc_id] = Incoming(
                        attachment, attachment.source, state, doc_id
                    )
        return incoming

    def _commit(
        self,
        live: Manifest | None,
        incoming: Mapping[str, Incoming],
        removed: Sequence[str],
        rejected: Sequence[Rejected],
        started: float,
    ) -> IngestReport:
        """Write the next version if anything changed (the caller holds the writer lock)."""
        plan = make_plan(live.documents if live else {}, incoming, removed)
        target = self._target(check=live is not None)
        # An index split by other sentence rules is split again, all of it, from its stored
        # texts (vectors are reused by text): chunks of one index never follow two rule sets.
        resplit = live is not None and live.sentence_rules != SENTENCE_RULES
        if resplit:
            _log.info(
                "splitting the %d documents of %s again with this docqa's sentence rules "
                "(vectors are reused)",
                len(plan.order),
                self.index_dir,
            )
        if not plan.changed and not resplit:
            return self._report(
                live,
                started,
                unchanged=plan.unchanged,
                rejected=rejected,
                reused=live.n_chunks if live else 0,
            )
        previous = load_version(self.index_dir, BackendSettings()) if live is not None else None
        documents = []
        for doc_id in plan.order:
            item = incoming.get(doc_id)
            if item is not None and item.document is not None:
                documents.append(item.document)
                continue
            assert previous is not None  # only documents of the live version lack a parse
            old = previous.documents[doc_id]
            source = str(plan.info[doc_id].get("source", old.source))
            documents.append(old if old.source == source else replace(old, source=source))
        embedder = self._embedder_for(live)
        dimension = live.dimension if live else embedder.dimension
        chunking = live.chunking if live else self.chunking
        sparse = live.sparse if live else self.sparse
        content = build_content(
            previous,
            documents,
            keep=set() if resplit else plan.keep,
            chunking=chunking,
            sparse=sparse,
            embedder=embedder,
            dimension=dimension,
            cache_dir=self.index_dir / "cache",
            progress=self.progress,
        )
        per_doc = Counter(c.doc_id for c in content.chunks)
        info = {d: {**entry, "n_chunks": per_doc[d]} for d, entry in plan.info.items()}
        manifest = Manifest(
            model=embedder.model_id,
            dimension=dimension,
            chunking=chunking,
            sparse=sparse,
            documents=info,
            n_chunks=len(content.chunks),
        )
        path = write_content(self.index_dir, manifest, content, target)
        return IngestReport.written(
            self.index_dir,
            content,
            path,
            started,
            added=plan.added,
            updated=plan.updated,
            unchanged=plan.unchanged,
            removed=plan.removed,
            rejected=tuple(rejected),
        )

    def migrate(self, to: BackendSettings) -> IngestReport:
        """Move the index's chunk vectors and BM25 to another backend, embedding nothing.

        See :func:`ingest.sync.migrate.migrate`.
        """
        return migrate(
            self.index_dir,
            to,
            embedder=self.embedder,
            embedding=self.embedding,
            progress=self.progress,
        )

    def _target(self, *, check: bool) -> VersionStore:
        """The store of the next version; with ``check``, the live one must match it."""
        try:
            live = current_version_path(self.index_dir)
        except IndexNotFoundError:
            live = None
        return version_store(self.index_dir, self.backend, live, check=check)

    def _report(
        self,
        manifest: Manifest | None,
        started: float,
        *,
        unchanged: Sequence[str] = (),
        rejected: Sequence[Rejected] = (),
        reused: int = 0,
    ) -> IngestReport:
        """The report of a run that wrote nothing."""
        return IngestReport(
            index_dir=str(self.index_dir),
            unchanged=tuple(unchanged),
            rejected=tuple(rejected),
            n_documents=len(manifest.documents) if manifest else 0,
            n_chunks=manifest.n_chunks if manifest else 0,
            chunks_reused=reused,
            seconds=time.perf_counter() - started,
        )

    def _live_manifest(self) -> Manifest | None:
        try:
            return read_manifest(current_version_path(self.index_dir))
        except IndexNotFoundError:
            return None

    def _embedder_for(self, live: Manifest | None) -> Embedder:
        return embedder_for(self.index_dir, live, self.embedder, self.embedding)


def _under(source: str, root: Path) -> bool:
    path = Path(source)  # sources are recorded resolved; older indexes may hold relative ones
    return (path if path.is_absolute() else path.resolve()).is_relative_to(root)


def ingest(
    paths: Sequence[str | Path],
    *,
    index: str | Path,
    embedder: Embedder | None = None,
    chunking: ChunkSettings | None = None,
    prune: bool = False,
    rebuild: bool = False,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    progress: ProgressFactory = no_progress,
    ocr: OcrSettings | None = None,
) -> IngestReport:
    """Ingest files and folders into the index at ``index`` (created if missing).

    ``ocr`` says whether scanned pages and pictures are read (default: yes, with the
    packaged engine); see :class:`Ingestor`.

    Example:
        >>> ingest(["corpus/"], index=".docqa/index")  # doctest: +SKIP
    """
    return Ingestor(
        Path(index),
        embedder=embedder,
        chunking=chunking or ChunkSettings(),
        max_file_bytes=max_file_bytes,
        progress=progress,
        ocr=ocr or OcrSettings(),
    ).run(paths, prune=prune, rebuild=rebuild)
