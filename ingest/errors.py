"""Typed errors raised by docqa's core; the CLI and the chat turn them into messages."""

from __future__ import annotations


class DocqaError(Exception):
    """Base class of every error docqa raises on purpose."""


class InvalidInputError(DocqaError, ValueError):
    """A question, a setting or a path that cannot be used as given."""


class UnsupportedFileError(DocqaError, ValueError):
    """A file that docqa cannot read (format, encoding, size)."""


class OcrUnavailableError(DocqaError, RuntimeError):
    """The OCR engine or its packaged models cannot be loaded."""


class IndexNotFoundError(DocqaError, LookupError):
    """No index exists at the given directory."""


class IndexMismatchError(DocqaError, ValueError):
    """An index made by another model or another format version."""


class CorruptIndexError(DocqaError, ValueError):
    """An index directory whose files are missing or inconsistent."""


class IndexUnwritableError(DocqaError, OSError):
    """The index directory cannot be created or written (read-only, a file in the way)."""
