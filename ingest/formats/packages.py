"""Checks on Office Open XML packages (.docx, .pptx, .xlsx) before any part is unpacked.

These files are zip archives of XML parts. A damaged, encrypted or hostile one is refused
here with a message that names the file and the problem: a password-protected file (Office
wraps the encrypted package in an OLE compound file, not a zip), an old binary Office file
under a new suffix, and a zip bomb (parts that unpack to far more than they pack).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

from ingest.errors import UnsupportedFileError

#: The parts a package reads whole into memory may unpack to this many bytes at most.
MAX_UNPACKED_BYTES = 200_000_000
#: Beyond 20 MB unpacked, a package, and beyond 10 MB any one of its parts, may not unpack to
#: more than this many times its packed size (text XML packs about 5-20 times; a zip bomb
#: about 1,000 times). Checking each part too means stored padding cannot dilute a bomb.
MAX_PACKING_RATIO = 100
#: The largest XML part docqa parses whole (a 1,000-page document's text is about 20 MB of
#: XML); parts a loader streams (a spreadsheet's sheets) are held to the ratio alone.
MAX_XML_PART_BYTES = 50_000_000
#: The first bytes of an OLE compound file: what Office saves a password-protected .docx,
#: .pptx or .xlsx as (and the old binary .doc, .ppt and .xls).
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: The stream an encrypted Office file holds, as its name is written in the compound file.
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")


def _never(name: str) -> bool:
    return False


def check_package(path: Path, data: bytes, *, streamed: Callable[[str], bool] = _never) -> None:
    """Refuse a package that is encrypted, an old binary Office file, or a zip bomb.

    The sizes come from the zip directory; Python's zipfile never unpacks a part past its
    declared size, so they bound what reading the package can cost. A file that is not a
    zip at all passes (the loader's own reader says it is damaged).

    Args:
        path: The file (named in messages; its suffix names the kind, e.g. ``.pptx``).
        data: The file's bytes.
        streamed: True for the names of parts the loader reads piece by piece and stops
            early (they are held to :data:`MAX_PACKING_RATIO` but to no absolute size).

    Raises:
        UnsupportedFileError: the file is encrypted, of the old binary format, or would
            unpack to too much.
    """
    kind = path.suffix.lower() or "package"
    if data.startswith(OLE_SIGNATURE):
        if _ENCRYPTION_INFO in data:
            raise UnsupportedFileError(
                f"{path}: the {kind} is encrypted and needs a password; save an unprotected copy"
            )
        raise UnsupportedFileError(
            f"{path}: an old binary Office file (.doc, .ppt or .xls), not a {kind} package; "
            f"save it as {kind} and try again"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            parts = package.infolist()
    except (zipfile.BadZipFile, ValueError):
        return
    unpacked = sum(info.file_size for info in parts)
    whole = sum(info.file_size for info in parts if not streamed(info.filename))
    ratio = unpacked / max(len(data), 1)
    if whole > MAX_UNPACKED_BYTES or (unpacked > 20_000_000 and ratio > MAX_PACKING_RATIO):
        raise UnsupportedFileError(
            f"{path}: the {kind} would unpack to {unpacked:,} bytes from {len(data):,} "
            f"({ratio:,.0f} times its size); refused as a possible zip bomb"
        )
    for info in parts:
        part_ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 10_000_000 and part_ratio > MAX_PACKING_RATIO:
            raise UnsupportedFileError(
                f"{path}: its part {info.filename} would unpack to {info.file_size:,} bytes "
                f"from {info.compress_size:,} ({part_ratio:,.0f} times); refused as a "
                "possible zip bomb"
            )
        if (
            info.filename.endswith(".xml")
            and info.file_size > MAX_XML_PART_BYTES
            and not streamed(info.filename)
        ):
            raise UnsupportedFileError(
                f"{path}: its part {info.filename} is {info.file_size:,} bytes of XML; docqa "
                f"reads parts of up to {MAX_XML_PART_BYTES:,}"
            )
