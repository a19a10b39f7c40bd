"""How large a file one import may be, checked on the raw bytes before any parser sees them.

A CSV of a million columns or an XLSX that inflates a thousandfold costs the parser minutes and
gigabytes; these checks cost milliseconds. Each refusal names the limit and the setting that
raises it (PANTAU_IMPORT_*, geo/settings.py ImportSettings).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import asdict, dataclass

import numpy as np

ZIP_MAGIC = b"PK\x03\x04"  # XLSX
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 .xls
RATIO_CHECKED_FROM = 1024 * 1024  # small members (styles, rels) may compress well and do no harm


class LimitExceeded(Exception):
    """The file is beyond one of the import limits (an HTTP 413)."""

    def __init__(self, limit: str, message: str) -> None:
        super().__init__(message)
        self.limit = limit  # ImportLimits field name
        self.message = message

    @property
    def setting(self) -> str:
        return f"PANTAU_IMPORT_{self.limit.upper()}"


@dataclass(frozen=True)
class ImportLimits:
    max_columns: int = 200
    max_line_kb: int = 64
    max_cells: int = 20_000_000
    max_xlsx_mb: int = 200  # uncompressed, all members together
    max_xlsx_ratio: int = 100  # uncompressed : compressed, per member above RATIO_CHECKED_FROM
    timeout_s: float | None = 600  # wall clock; also the import connection's statement_timeout
    memory_mb: int | None = 2048  # address space the import process may add to what it starts with

    @classmethod
    def from_settings(cls, settings) -> ImportLimits:
        return cls(**{name: getattr(settings, name) for name in cls.__dataclass_fields__})

    @classmethod
    def unlimited(cls) -> ImportLimits:
        big = 2**62
        return cls(max_columns=big, max_line_kb=big, max_cells=big, max_xlsx_mb=big, max_xlsx_ratio=big,
                   timeout_s=None, memory_mb=None)

    def as_dict(self) -> dict:
        return asdict(self)


def _refuse(limit: str, indonesian: str, english: str) -> LimitExceeded:
    return LimitExceeded(limit, f"{indonesian} ({english}; PANTAU_IMPORT_{limit.upper()})")


class LineMeter:
    """The longest line of a text read in chunks (vectorised: files may be PANTAU_MAX_UPLOAD_MB)."""

    def __init__(self) -> None:
        self._longest = 0
        self._open = 0  # length of the line still open at the end of the last chunk

    def feed(self, chunk: bytes) -> None:
        newlines = np.flatnonzero(np.frombuffer(chunk, np.uint8) == 10)
        if not len(newlines):
            self._open += len(chunk)
            return
        inner = int(np.diff(newlines).max(initial=1)) - 1
        self._longest = max(self._longest, self._open + int(newlines[0]), inner)
        self._open = len(chunk) - int(newlines[-1]) - 1

    @property
    def longest(self) -> int:
        return max(self._longest, self._open)


def check_text(data: bytes, limits: ImportLimits) -> None:
    meter = LineMeter()
    meter.feed(data)
    check_line(meter.longest, limits)


def check_upload(path: str, file_name: str, longest_line: int, limits: ImportLimits) -> None:
    """The cheap checks on a stored upload, before an import process is started for it (the process
    makes them again, with the rest)."""
    with open(path, "rb") as f:
        head = f.read(4)
    if head == OLE_MAGIC:
        return  # the reader refuses legacy .xls in its own words
    if head == ZIP_MAGIC or file_name.lower().endswith(".xlsx"):
        check_zip(path, limits)
    else:
        check_line(longest_line, limits)


def check_line(longest: int, limits: ImportLimits) -> None:
    if longest > limits.max_line_kb * 1024:
        kb = -(-longest // 1024)
        raise _refuse("max_line_kb", f"ada baris sepanjang {kb} KB, batas {limits.max_line_kb} KB",
                      f"a line of {kb} KB, limit {limits.max_line_kb} KB")


def check_width(columns: int, limits: ImportLimits) -> None:
    if columns > limits.max_columns:
        raise _refuse("max_columns", f"{columns} kolom, batas {limits.max_columns}",
                      f"{columns} columns, limit {limits.max_columns}")


def check_cells(cells: int, limits: ImportLimits) -> None:
    """`cells` may be a bound reached while reading: the message says "more than"."""
    if cells > limits.max_cells:
        raise _refuse("max_cells", f"lebih dari {limits.max_cells} sel (baris × kolom)",
                      f"more than {limits.max_cells} cells (rows × columns)")


def check_zip(data: bytes | str, limits: ImportLimits) -> None:
    """Sizes from the zip's central directory, before anything is inflated (zipfile never inflates a
    member beyond the size its directory entry declares, so the declaration is binding)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # not a readable zip: the reader says so in its own words
    mb = -(-sum(m.file_size for m in members) // (1024 * 1024))
    if mb > limits.max_xlsx_mb:
        raise _refuse("max_xlsx_mb", f"isi XLSX {mb} MB setelah dibuka, batas {limits.max_xlsx_mb} MB",
                      f"the XLSX inflates to {mb} MB, limit {limits.max_xlsx_mb} MB")
    for m in members:
        if m.file_size > RATIO_CHECKED_FROM and m.file_size > limits.max_xlsx_ratio * max(m.compress_size, 1):
            ratio = m.file_size // max(m.compress_size, 1)
            raise _refuse("max_xlsx_ratio", f"bagian XLSX dimampatkan {ratio}:1, batas {limits.max_xlsx_ratio}:1",
                          f"an XLSX part is compressed {ratio}:1 like a zip bomb, limit {limits.max_xlsx_ratio}:1")
