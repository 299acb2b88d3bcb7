"""Files uploaded in the chat: safe names, a size limit, then an ingest into the index.

Uploads are copied to ``<index_dir>/uploads/<sanitised name>`` and ingested from there, so an
uploaded file's document id is its sanitised name and uploading it again updates it.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ingest.disk import write_failure
from ingest.embedding.protocol import Embedder
from ingest.formats.loaders import LOADERS, supported_suffixes
from ingest.formats.parsed import LoadWarning
from ingest.index.backends.settings import BackendSettings
from ingest.sync.pipeline import Ingestor
from ingest.sync.reports import ProgressFactory, no_progress

#: Default largest upload, in megabytes (``docqa serve --max-upload-mb``).
DEFAULT_MAX_UPLOAD_MB = 20.0
#: Folder inside the index directory where uploads are kept.
UPLOADS_DIRNAME = "uploads"
#: The name prefix of an upload still being copied into the folder.
_PARTIAL = ".upload-"
_MAX_NAME_CHARS = 120
_UNSAFE = re.compile(r"[^\w.\-]+")
#: One upload at a time per process: two users sending files of the same name at once must
#: not swap each other's copies between saving and ingesting.
_UPLOADING = threading.Lock()

Status = Literal["added", "updated", "unchanged", "rejected"]


@dataclass(frozen=True)
class UploadOutcome:
    """What happened to one uploaded file.

    Attributes:
        name: The file's sanitised name (its document id once ingested).
        status: ``added``, ``updated``, ``unchanged`` or ``rejected``.
        reason: Why it was rejected, or what was left out of an accepted file (an
            attachment skipped, a sheet cut); empty otherwise.
    """

    name: str
    status: Status
    reason: str = ""


def sanitize_filename(name: str) -> str:
    """A safe file name for an upload: no folders, no hidden files, no odd characters.

    Only the last component of ``name`` is kept (``/`` and ``\\`` both separate), letters,
    digits, ``.``, ``-`` and ``_`` survive, anything else becomes ``_``, runs of dots collapse
    so ``..`` cannot appear, leading dots are dropped, and the name is cut to 120 characters
    keeping its suffix.

    Example:
        >>> sanitize_filename("../../etc/pass wd.md")
        'pass_wd.md'
    """
    base = re.split(r"[/\\]", unicodedata.normalize("NFKC", name))[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = _UNSAFE.sub("_", base)
    base = re.sub(r"\.{2,}", ".", base)
    stem, dot, suffix = base.rpartition(".")  # "....md" keeps its suffix: "upload.md"
    if not dot:
        stem, suffix = base, ""
    suffix = suffix[:16]
    stem = stem.strip("._-")[: _MAX_NAME_CHARS - len(suffix) - 1] or "upload"
    return f"{stem}.{suffix}" if suffix else stem


def megabytes_to_bytes(megabytes: float) -> int:
    """The byte count of a limit given in (decimal) megabytes."""
    return int(megabytes * 1_000_000)


def upload_cap_bytes(megabytes: float) -> int:
    """The largest upload request taken in, in bytes: twice the per-file limit plus 1 MB.

    Gradio refuses a chat upload over it before writing it to disk, and the HTTP API a request
    body; a file between the per-file limit and this cap arrives and is rejected with the
    per-file message of :func:`check_upload`.
    """
    return int(megabytes * 2 * 1_000_000) + 1_000_000


def _format_size(n_bytes: int) -> str:
    return f"{n_bytes / 1_000_000:.1f} MB" if n_bytes >= 100_000 else f"{n_bytes:,} bytes"


def check_upload(path: Path, *, max_bytes: int) -> str | None:
    """The reason ``path`` cannot be ingested as an upload, or None when it can."""
    suffix = path.suffix.lower()
    if suffix not in LOADERS:
        return (
            f"unsupported file type {suffix or '(none)'!r}; "
            f"supported: {', '.join(supported_suffixes())}"
        )
    size = path.stat().st_size
    if size > max_bytes:
        return (
            f"the file is {_format_size(size)}, over the upload limit of "
            f"{_format_size(max_bytes)} (docqa serve --max-upload-mb raises it)"
        )
    return None


def save_uploads(
    files: Sequence[str | Path], upload_dir: Path, *, max_bytes: int
) -> tuple[list[Path], list[UploadOutcome]]:
    """Copy acceptable files into ``upload_dir`` under sanitised names.

    Returns:
        The saved paths, and the rejected files with their reasons.
    """
    upload_dir.mkdir(parents=True, exist_ok=True)
    root = upload_dir.resolve()
    _remove_partial_uploads(root)
    saved: list[Path] = []
    rejected: list[UploadOutcome] = []
    for raw in files:
        source = Path(raw)
        name = sanitize_filename(source.name)
        if not source.is_file():
            rejected.append(UploadOutcome(name, "rejected", "the upload did not arrive"))
            continue
        reason = check_upload(source, max_bytes=max_bytes)
        target = root / name
        if reason is None and target in saved:
            reason = "another file in this upload has the same name"
        if reason is None and target.parent != root:
            reason = "the file name is not usable"
        if reason is not None:
            rejected.append(UploadOutcome(name, "rejected", reason))
            continue
        # Copy then rename, so an ingest never reads a half-written file.
        fd, tmp = tempfile.mkstemp(dir=root, prefix=_PARTIAL)
        os.close(fd)
        try:
            shutil.copyfile(source, tmp)
            os.replace(tmp, target)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise write_failure(exc, root, f"the upload {name}") from exc
        saved.append(target)
    return saved, rejected


def _remove_partial_uploads(root: Path, *, older_than: float = 600.0) -> None:
    """Remove half-copied uploads a failed or killed copy left (those older than
    ``older_than`` seconds: a younger one may be another server's copy in progress)."""
    now = time.time()
    for partial in root.glob(f"{_PARTIAL}*"):
        try:
            if now - partial.stat().st_mtime > older_than:
                partial.unlink()
        except OSError:
            continue


def ingest_uploads(
    files: Sequence[str | Path],
    index_dir: Path,
    *,
    max_bytes: int,
    embedder: Embedder | None = None,
    backend: BackendSettings | None = None,
    progress: ProgressFactory = no_progress,
) -> list[UploadOutcome]:
    """Save uploaded files under ``<index_dir>/uploads/`` and ingest them.

    Args:
        files: Paths of the uploaded files (temporary copies).
        index_dir: The index to add them to.
        max_bytes: Larger files are rejected.
        embedder: The loaded model to reuse (default: load the index's model).
        backend: The index's backend (default: from the environment).
        progress: Progress factory passed to the ingestor.

    Returns:
        One outcome per file, in upload order for accepted files, rejected ones last.
    """
    with _UPLOADING:
        return _ingest_uploads(files, index_dir, max_bytes, embedder, backend, progress)


def _ingest_uploads(
    files: Sequence[str | Path],
    index_dir: Path,
    max_bytes: int,
    embedder: Embedder | None,
    backend: BackendSettings | None,
    progress: ProgressFactory,
) -> list[UploadOutcome]:
    upload_dir = index_dir / UPLOADS_DIRNAME
    # A file replacing an earlier upload of the same name is ingested in its place; the
    # earlier copy is set aside and put back unless the new one is accepted, so a rejected
    # or failed upload leaves the index folder as it was.
    names = {sanitize_filename(Path(f).name) for f in files}
    previous = _set_aside(upload_dir, names)
    try:
        saved, outcomes = save_uploads(files, upload_dir, max_bytes=max_bytes)
        report = None
        if saved:
            ingestor = Ingestor(
                index_dir,
                embedder=embedder,
                max_file_bytes=max_bytes,
                progress=progress,
                backend=backend or BackendSettings.from_environment(),
            )
            report = ingestor.run(saved)
    except BaseException:  # whatever was saved under these names is new: undo it all
        for name in names:
            (upload_dir / name).unlink(missing_ok=True)
        for name in list(previous):
            _put_back(previous, name)
        raise
    if report is None:
        for name in list(previous):
            _put_back(previous, name)
        return outcomes
    reasons = {Path(r.path).name: _strip_path(r.reason, r.path) for r in report.rejected}
    # An upload named like a document from elsewhere is indexed beside it, under a longer id.
    ids = {Path(path).name: doc_id for path, doc_id in report.renamed}
    accepted: list[UploadOutcome] = []
    for path in saved:
        name = path.name
        doc_id = ids.get(name, name)
        if name in reasons:
            accepted.append(UploadOutcome(name, "rejected", reasons[name]))
            path.unlink(missing_ok=True)
            _put_back(previous, name)
        elif doc_id in report.added:
            accepted.append(UploadOutcome(doc_id, "added", _notes(report.warnings, path)))
        elif doc_id in report.updated:
            accepted.append(UploadOutcome(doc_id, "updated", _notes(report.warnings, path)))
        else:
            accepted.append(UploadOutcome(doc_id, "unchanged"))
        earlier = previous.pop(name, None)  # accepted (or rejected and put back above)
        if earlier is not None:
            earlier.unlink(missing_ok=True)
    for name in list(previous):  # rejected before saving: the earlier copy stays
        _put_back(previous, name)
    return accepted + outcomes


def _notes(warnings: Sequence[LoadWarning], path: Path) -> str:
    """What was left out of the file at ``path`` (or of its attachments), on one line."""
    inside = f"{path}/"
    return "; ".join(
        w.message if w.path == str(path) else f"{w.path.removeprefix(inside)}: {w.message}"
        for w in warnings
        if w.path == str(path) or w.path.startswith(inside)
    )


def _set_aside(upload_dir: Path, names: set[str]) -> dict[str, Path]:
    """Rename the existing uploads called ``names`` to hidden names; returns name -> copy."""
    aside: dict[str, Path] = {}
    for name in sorted(names):
        current = upload_dir / name
        if current.is_file():
            copy = upload_dir / f".{name}.previous"
            os.replace(current, copy)
            aside[name] = copy
    return aside


def _put_back(aside: dict[str, Path], name: str) -> None:
    """Restore the earlier upload called ``name`` (if one was set aside)."""
    copy = aside.pop(name, None)
    if copy is not None:
        os.replace(copy, copy.with_name(name))


def _strip_path(reason: str, path: str) -> str:
    """Loader messages start with the full path; the chat shows the name instead."""
    prefix = f"{path}: "
    return reason[len(prefix) :] if reason.startswith(prefix) else reason


def shown_progress(progress: Callable[..., Any]) -> ProgressFactory:
    """The ingest pipeline's progress factory showing its steps on ``progress`` (a
    ``gr.Progress``, called as ``progress((done, total), desc=label)``)."""

    def factory(total: int, label: str) -> Callable[[int], None]:
        done = 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            progress((min(done, total), total), desc=label)

        return advance

    return factory
