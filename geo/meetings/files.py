"""Uploaded files of meetings: the minutes and the evidence of progress notes.

Only a few document and image types, recognised by their first bytes (never by the name or the
type the browser claims), within a size limit; the name is kept only as a download name, cleaned.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MAX_MINUTES_BYTES = 20 * 1024 * 1024
MAX_EVIDENCE_FILES = 5

_ZIP_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".odt": "application/vnd.oasis.opendocument.text",
}
ACCEPT = ".pdf,.jpg,.jpeg,.png,.docx,.xlsx,.odt"  # for the pages' <input accept>


class FileRefused(ValueError):
    """A file that is not accepted; `status` is the HTTP status it answers (400 or 413)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Upload:
    name: str
    media_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def size(self) -> int:
        return len(self.content)


def clean_name(name: str | None) -> str:
    """A download name: the last path part, printable, at most 120 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if ch.isprintable() and ch not in '"<>:|?*')
    base = base.strip(" .")[:120]
    return base or "berkas"


def sniff(name: str, content: bytes) -> str | None:
    """The media type the content really is, or None when it is none of the accepted ones."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"PK\x03\x04"):
        suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        return _ZIP_TYPES.get(suffix)
    return None


def check(name: str | None, content: bytes, limit: int) -> Upload:
    """The upload if its size and type are accepted; else FileRefused."""
    if not content:
        raise FileRefused("berkas kosong (empty file)")
    if len(content) > limit:
        raise FileRefused(f"berkas lebih dari {limit // (1024 * 1024)} MB (file too large)", 413)
    clean = clean_name(name)
    media_type = sniff(clean, content)
    if media_type is None:
        raise FileRefused("jenis berkas tidak diterima: hanya PDF, JPEG, PNG, DOCX, XLSX, ODT "
                          "(file type not accepted)", 415)
    return Upload(clean, media_type, content)
