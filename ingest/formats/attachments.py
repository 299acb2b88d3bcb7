"""Read a file and the files it carries (a mail's attachments), each with its own loader.

An attachment becomes a document of its own, with the id ``<file id>/attachments/<name>``
and the source ``<file path>/attachments/<name>``, so a citation names the mail it came in.
An attachment docqa cannot use (an unsupported type, over the size limit, damaged, empty)
is skipped with a :class:`~ingest.formats.parsed.LoadWarning` naming it and the reason; the
carrying file's own document is kept whatever its attachments hold.
"""

from __future__ import annotations

from pathlib import Path

from ingest.errors import DocqaError
from ingest.formats.document import Document
from ingest.formats.loaders import DEFAULT_MAX_FILE_BYTES, LOADERS, load_file
from ingest.formats.ocr.reader import PageReader
from ingest.formats.parsed import Attachment, LoadWarning, Parsed

#: The largest attachment read, in bytes (when the file limit is not lower). Mail services
#: cap attachments at 20 to 25 MB; a larger part is more likely media or an archive than a
#: document, and each is decoded in memory beside its message.
MAX_ATTACHMENT_BYTES = 25_000_000
#: Mails attached to mails attached to ... are read this many levels deep.
MAX_DEPTH = 3


def attachment_path(path: Path, name: str) -> Path:
    """Where the attachment ``name`` of the file at ``path`` is said to come from."""
    return path / "attachments" / name


def attachment_id(doc_id: str, name: str) -> str:
    """The document id of the attachment ``name`` of document ``doc_id``.

    Example:
        >>> attachment_id("inbox/mail.eml", "report.pdf")
        'inbox/mail.eml/attachments/report.pdf'
    """
    return f"{doc_id}/attachments/{name}"


def parse_file(
    path: Path,
    doc_id: str,
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
    ocr: PageReader | None = None,
) -> Parsed:
    """Every document a file gives: its own, then one per readable attachment.

    Args:
        path: The file (its suffix picks the loader).
        doc_id: The file's document id; attachments get ids under it.
        data: The file's bytes.
        max_bytes: The file size limit; an attachment may be at most this or
            :data:`MAX_ATTACHMENT_BYTES`, whichever is lower.
        ocr: Reads the pictures of scanned PDF pages and images, the file's and its
            attachments' (see :func:`ingest.formats.loaders.parse_document`).

    Raises:
        UnsupportedFileError: the file itself cannot be read (attachments never raise).
    """
    return _parse(path, doc_id, data, max_bytes, ocr, depth=0)


def _parse(
    path: Path, doc_id: str, data: bytes, max_bytes: int, ocr: PageReader | None, depth: int
) -> Parsed:
    loaded = load_file(path, doc_id, data, ocr=ocr)
    documents: list[Document] = [loaded.document]
    warnings = list(loaded.warnings)
    for attachment in loaded.attachments:
        where = attachment_path(path, attachment.name)
        reason = _refusal(attachment, max_bytes, depth)
        if reason is not None:
            warnings.append(LoadWarning(str(where), f"attachment skipped: {reason}"))
            continue
        try:
            parsed = _parse(
                where,
                attachment_id(doc_id, attachment.name),
                attachment.data,
                max_bytes,
                ocr,
                depth + 1,
            )
        except DocqaError as exc:
            text = str(exc).removeprefix(f"{where}: ")
            warnings.append(LoadWarning(str(where), f"attachment skipped: {text}"))
            continue
        except RecursionError:
            warnings.append(LoadWarning(str(where), "attachment skipped: too deeply nested"))
            continue
        documents.extend(parsed.documents)
        warnings.extend(parsed.warnings)
    return Parsed(tuple(documents), tuple(warnings))


def _refusal(attachment: Attachment, max_bytes: int, depth: int) -> str | None:
    """Why ``attachment`` is not read, or None when it is."""
    suffix = Path(attachment.name).suffix.lower()
    if suffix not in LOADERS:
        return f"unsupported file type {suffix or '(none)'!r}"
    limit = min(max_bytes, MAX_ATTACHMENT_BYTES)
    if len(attachment.data) > limit:
        return (
            f"{len(attachment.data):,} bytes is over the limit of {limit:,} bytes for an attachment"
        )
    if suffix == ".eml" and depth + 1 >= MAX_DEPTH:
        return f"a mail nested more than {MAX_DEPTH} deep"
    return None
