"""What reading one file gives when it is more than one document: attachments and warnings.

Most loaders return a :class:`~ingest.formats.document.Document`. A loader with more to say
returns :class:`Loaded`: the document, the files found inside it (a mail's attachments, as
bytes, each read by the loader of its own type) and warnings about what was left out (a
sheet cut at the cell limit). :func:`ingest.formats.attachments.parse_file` turns that into
a :class:`Parsed`: every document the file gives, and every warning.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.formats.document import Document


@dataclass(frozen=True)
class LoadWarning:
    """Something left out of a file that was still ingested, and why.

    Attributes:
        path: What was left out or cut: the file, or an attachment as
            ``<file>/attachments/<name>``.
        message: What happened and why, for people.
    """

    path: str
    message: str


@dataclass(frozen=True)
class Attachment:
    """A file carried inside another one (a mail's attachment).

    Attributes:
        name: Its file name, safe as one path component; its suffix picks its loader.
        data: Its bytes, decoded from the carrying file.
    """

    name: str
    data: bytes


@dataclass(frozen=True)
class Loaded:
    """What a loader read from one file: its document, the files inside it, and warnings."""

    document: Document
    attachments: tuple[Attachment, ...] = ()
    warnings: tuple[LoadWarning, ...] = ()


@dataclass(frozen=True)
class Parsed:
    """Every document one file gives, its own first, then those of its attachments.

    Attributes:
        documents: The file's document, then one per attachment that could be read (their
            ids are ``<file id>/attachments/<name>``).
        warnings: What was skipped or cut, each naming the file or attachment.
    """

    documents: tuple[Document, ...]
    warnings: tuple[LoadWarning, ...] = ()

    @property
    def document(self) -> Document:
        """The file's own document."""
        return self.documents[0]

    @property
    def attachments(self) -> tuple[Document, ...]:
        """The documents of its attachments."""
        return self.documents[1:]
