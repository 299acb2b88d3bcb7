"""Read e-mail messages (.eml) with Python's email package: headers, body and attachments.

The subject is the title and the one heading; under it come the sender, recipients and date
(also kept as metadata), a line naming the attachments, then the body: the text/plain part
when there is one, else the HTML part read as :mod:`ingest.formats.html` reads a page (its
headings nested under the subject). Attachments are handed back as files, each read by the
loader of its own type (:mod:`ingest.formats.attachments`).
"""

from __future__ import annotations

import email
import email.policy
import mimetypes
import re
from collections.abc import Iterator
from email.message import EmailMessage, MIMEPart
from pathlib import Path, PurePosixPath

from ingest.errors import UnsupportedFileError
from ingest.formats.blocks import Block, assemble
from ingest.formats.document import Document
from ingest.formats.html import html_blocks
from ingest.formats.parsed import Attachment, Loaded

#: Headers shown under the subject and kept as metadata, with their labels.
HEADERS = (("from", "From"), ("to", "To"), ("cc", "Cc"), ("date", "Date"))
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]+")
#: An attachment's name (part of its document id) is cut to this many characters.
MAX_NAME_CHARS = 120
_BLANK_LINES = re.compile(r"\n[ \t]*\n")


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # the email package raises on some malformed headers
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _text(part: MIMEPart) -> str:
    """A text part's content, decoded by its declared charset (else as UTF-8)."""
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):  # unknown charset, broken encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _body_blocks(message: EmailMessage) -> Iterator[Block]:
    try:
        body = message.get_body(preferencelist=("plain", "html"))
    except Exception:  # a damaged MIME tree: read as having no body
        body = None
    if body is None:
        return
    text = _text(body).replace("\r\n", "\n").replace("\r", "\n")
    if body.get_content_subtype() == "html":
        _, blocks = html_blocks(text)
        for block in blocks:  # the page's headings nest under the subject
            yield Block(block.text, None if block.heading is None else block.heading + 1)
        return
    for paragraph in _BLANK_LINES.split(text):
        yield Block("\n".join(line.rstrip() for line in paragraph.split("\n")))


def _file_name(part: MIMEPart, n: int) -> str:
    """The attachment's file name as one safe path component (its type's suffix if unnamed)."""
    try:
        raw = part.get_filename() or ""
    except Exception:  # a malformed parameter
        raw = ""
    name = PurePosixPath(_UNSAFE_NAME.sub("/", raw).strip(" ./")).name.strip(" .")
    if len(name) > MAX_NAME_CHARS:  # keep the suffix, which picks the loader
        suffix = PurePosixPath(name).suffix[:16]
        name = name[: MAX_NAME_CHARS - len(suffix)] + suffix
    if name:
        return name
    kind = part.get_content_type()
    suffix = ".eml" if kind == "message/rfc822" else mimetypes.guess_extension(kind) or ""
    return f"attachment-{n}{suffix}"


def _data(part: MIMEPart) -> bytes:
    """The attachment's bytes: a mail as a mail file, text as UTF-8, anything else decoded."""
    if part.get_content_type() == "message/rfc822":
        try:
            return bytes(part.get_content().as_bytes())
        except Exception:  # an attached mail that cannot be written back
            return b""
    if part.get_content_maintype() == "text" and part.get_content_subtype() != "html":
        return _text(part).encode("utf-8")
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _attachments(message: EmailMessage) -> list[Attachment]:
    found: list[Attachment] = []
    taken: set[str] = set()
    try:
        parts = list(message.iter_attachments())
    except Exception:  # a damaged MIME tree: no attachments
        parts = []
    for n, part in enumerate(parts, 1):
        name = _file_name(part, n)
        stem, suffix = PurePosixPath(name).stem, PurePosixPath(name).suffix
        copy = 2
        while name.lower() in taken:  # two attachments of one name: report~2.pdf
            name, copy = f"{stem}~{copy}{suffix}", copy + 1
        taken.add(name.lower())
        found.append(Attachment(name, _data(part)))
    return found


def load_eml(path: Path, doc_id: str, data: bytes) -> Loaded:
    """Load an e-mail message: the subject as title, headers and body as text, attachments.

    Returns:
        The message's document (metadata: ``from``, ``to``, ``cc``, ``date`` and
        ``attachments``) and its attachments as files.

    Raises:
        UnsupportedFileError: the file is binary, not a message.
    """
    if b"\x00" in data[:8192]:
        raise UnsupportedFileError(f"{path}: looks like a binary file, not an e-mail message")
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)  # what policy.default makes
    subject = _header(message, "subject")
    attachments = _attachments(message)
    headers = [(key, label, _header(message, key)) for key, label in HEADERS]
    lines = [f"{label}: {value}" for _, label, value in headers if value]
    metadata = [(key, value) for key, _, value in headers if value]
    if attachments:
        names = ", ".join(a.name for a in attachments)
        lines.append(f"Attachments: {names}")
        metadata.append(("attachments", names))
    blocks = [Block(subject or path.stem, 1), Block("\n".join(lines)), *_body_blocks(message)]
    text, sections, _ = assemble(blocks)
    document = Document(
        doc_id, subject or path.stem, str(path), "eml", text, sections, (), tuple(metadata)
    )
    return Loaded(document, tuple(attachments))
