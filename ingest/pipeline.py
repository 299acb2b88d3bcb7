"""Ingest files into an index: load, chunk, embed (with cache), write a new version."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.chunker import Chunk, ChunkSettings, chunk_document
from ingest.document import Document
from ingest.embed_cache import EmbeddingCache
from ingest.embedder import Embedder, make_embedder
from ingest.errors import DocqaError, IndexMismatchError, IndexNotFoundError, InvalidInputError
from ingest.loaders import DEFAULT_MAX_FILE_BYTES, LOADERS, load_document
from ingest.lock import writer_lock
from ingest.sparse import SparseSettings
from ingest.store import IndexVersion, Manifest, load_version, write_version


@dataclass(frozen=True)
class Rejected:
    """A file that was not ingested, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class IngestReport:
    """What one ingest run did."""

    index_dir: str
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    rejected: tuple[Rejected, ...] = ()
    n_documents: int = 0
    n_chunks: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        """One line for people."""
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, "
            f"{len(self.removed)} removed, {len(self.rejected)} rejected; "
            f"{self.chunks_embedded} chunks embedded, {self.chunks_reused} reused; "
            f"index: {self.n_documents} documents, {self.n_chunks} chunks "
            f"({self.seconds:.1f} s) -> {self.index_dir}"
        )


@dataclass(frozen=True)
class Source:
    """A file to ingest and the doc id it gets."""

    path: Path
    doc_id: str


def discover(paths: Iterable[str | Path]) -> tuple[list[Source], list[Rejected]]:
    """Expand files and folders into sources with stable doc ids.

    A file given directly gets its file name as id; a file found in a folder gets its path
    relative to that folder. Folders are walked recursively, hidden entries skipped.
    """
    sources: dict[str, Source] = {}
    rejected: list[Rejected] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            rejected.append(Rejected(str(path), "no such file or folder"))
        elif path.is_dir():
            for file in sorted(path.rglob("*")):
                rel = file.relative_to(path)
                if any(part.startswith(".") for part in rel.parts) or not file.is_file():
                    continue
                if file.suffix.lower() in LOADERS:
                    sources.setdefault(rel.as_posix(), Source(file, rel.as_posix()))
        else:
            sources.setdefault(path.name, Source(path, path.name))
    return list(sources.values()), rejected


def _embedding_text(chunk: Chunk, document: Document) -> str:
    return chunk.text


ProgressFactory = Callable[[int, str], Callable[[int], None]]


def _no_progress(total: int, label: str) -> Callable[[int], None]:
    return lambda n: None


@dataclass
class Ingestor:
    """Ingest sources into one index directory.

    Attributes:
        index_dir: Where the index lives.
        embedder: Model used for new indexes (default: the packaged all-MiniLM-L6-v2); an
            existing index keeps the model it was built with.
        chunking: Chunk settings for a new index (an existing index keeps its own).
        max_file_bytes: Larger files are rejected.
        progress: ``factory(total, label) -> advance(n)`` for progress display.
    """

    index_dir: Path
    embedder: Embedder | None = None
    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    sparse: SparseSettings = field(default_factory=SparseSettings)
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    progress: ProgressFactory = _no_progress

    def run(
        self, paths: Sequence[str | Path], *, prune: bool = False, rebuild: bool = False
    ) -> IngestReport:
        """Sync ``paths`` into the index and return what happened.

        Raises:
            InvalidInputError: no paths given.
            IndexMismatchError: the index was built with another model (use ``rebuild``).
        """
        if not paths:
            raise InvalidInputError("no paths given; name files or folders to ingest")
        started = time.perf_counter()
        with writer_lock(self.index_dir):
            previous = None if rebuild else self._previous()
            sources, rejected = discover(paths)
            loaded: dict[str, Document] = {}
            advance = self.progress(len(sources), "reading")
            for source in sources:
                try:
                    loaded[source.doc_id] = load_document(
                        source.path, doc_id=source.doc_id, max_bytes=self.max_file_bytes
                    )
                except (DocqaError, OSError) as exc:
                    rejected.append(Rejected(str(source.path), str(exc)))
                advance(1)
            return self._sync(previous, loaded, rejected, paths if prune else [], started)

    def sync_documents(
        self, documents: Sequence[Document], *, prune: bool = False, rebuild: bool = False
    ) -> IngestReport:
        """Sync already-loaded documents; with ``prune`` every other document is removed."""
        started = time.perf_counter()
        with writer_lock(self.index_dir):
            previous = None if rebuild else self._previous()
            loaded = {d.doc_id: d for d in documents}
            removed_all = prune and previous is not None
            return self._sync(previous, loaded, [], [], started, remove_missing=removed_all)

    def _sync(
        self,
        previous: IndexVersion | None,
        loaded: dict[str, Document],
        rejected: list[Rejected],
        prune_roots: Sequence[str | Path],
        started: float,
        *,
        remove_missing: bool = False,
    ) -> IngestReport:
        embedder = self._embedder_for(previous)
        chunking = previous.manifest.chunking if previous else self.chunking
        sparse = previous.manifest.sparse if previous else self.sparse
        old_docs = previous.documents if previous else {}
        old_hashes = {
            d: info["content_hash"]
            for d, info in (previous.manifest.documents.items() if previous else [])
        }
        added = [d for d in loaded if d not in old_docs]
        updated = [
            d for d in loaded if d in old_docs and old_hashes.get(d) != loaded[d].content_hash
        ]
        unchanged = [d for d in loaded if d in old_docs and d not in updated]
        removed = [
            d
            for d, doc in old_docs.items()
            if d not in loaded
            and (remove_missing or any(_under(doc.source, p) for p in prune_roots))
        ]
        documents = {d: doc for d, doc in old_docs.items() if d not in removed}
        documents.update({d: loaded[d] for d in added + updated})
        chunks: list[Chunk] = []
        for doc in documents.values():
            chunks.extend(chunk_document(doc, chunking))
        dimension = previous.manifest.dimension if previous else embedder.dimension
        cache = EmbeddingCache(self.index_dir / "cache", embedder.model_id, dimension)
        texts = [_embedding_text(c, documents[c.doc_id]) for c in chunks]
        vectors, n_embedded = cache.embed_with_cache(
            texts, embedder.embed, on_progress=self.progress(len(texts), "embedding")
        )
        now, touched = _now(), set(added + updated)
        per_doc = Counter(c.doc_id for c in chunks)
        manifest = Manifest(
            model=embedder.model_id,
            dimension=dimension,
            chunking=chunking,
            sparse=sparse,
            documents={
                d: {
                    "content_hash": doc.content_hash,
                    "title": doc.title,
                    "source": doc.source,
                    "format": doc.format,
                    "n_chunks": per_doc[d],
                    "ingested_at": _ingested_at(previous, d) if d not in touched else now,
                }
                for d, doc in documents.items()
            },
            n_chunks=len(chunks),
        )
        if added or updated or removed:
            write_version(self.index_dir, manifest, list(documents.values()), chunks, vectors)
        return IngestReport(
            index_dir=str(self.index_dir),
            added=tuple(added),
            updated=tuple(updated),
            unchanged=tuple(unchanged),
            removed=tuple(removed),
            rejected=tuple(rejected),
            n_documents=len(documents),
            n_chunks=len(chunks),
            chunks_embedded=n_embedded,
            chunks_reused=len(chunks) - n_embedded,
            seconds=time.perf_counter() - started,
        )

    def _previous(self) -> IndexVersion | None:
        try:
            return load_version(self.index_dir)
        except IndexNotFoundError:
            return None

    def _embedder_for(self, previous: IndexVersion | None) -> Embedder:
        if previous is None:
            return self.embedder or make_embedder(None)
        model = previous.manifest.model
        if self.embedder is not None and self.embedder.model_id != model:
            raise IndexMismatchError(
                f"{self.index_dir} was built with model {model!r}, not {self.embedder.model_id!r}; "
                "add --rebuild to re-index everything with the new model"
            )
        return self.embedder or make_embedder(model)


def _ingested_at(previous: IndexVersion | None, doc_id: str) -> str:
    info = previous.manifest.documents.get(doc_id, {}) if previous else {}
    return str(info.get("ingested_at", _now()))


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _under(source: str, root: str | Path) -> bool:
    return Path(source).resolve().is_relative_to(Path(root).resolve())


def ingest(
    paths: Sequence[str | Path],
    *,
    index: str | Path,
    embedder: Embedder | None = None,
    chunking: ChunkSettings | None = None,
    prune: bool = False,
    rebuild: bool = False,
    progress: ProgressFactory = _no_progress,
) -> IngestReport:
    """Ingest files and folders into the index at ``index`` (created if missing).

    Example:
        >>> ingest(["corpus/"], index=".docqa/index")  # doctest: +SKIP
    """
    return Ingestor(
        Path(index), embedder=embedder, chunking=chunking or ChunkSettings(), progress=progress
    ).run(paths, prune=prune, rebuild=rebuild)
