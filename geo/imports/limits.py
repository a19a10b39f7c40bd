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


def check_text(data: bytes, limits: ImportLimits) -> None:
    """The longest line of a delimited text (vectorised: files may be PANTAU_MAX_UPLOAD_MB)."""
    newlines = np.flatnonzero(np.frombuffer(data, np.uint8) == 10)
    longest = int(np.diff(np.concatenate(([-1], newlines, [len(data)]))).max()) - 1
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


def check_zip(data: bytes, limits: ImportLimits) -> None:
    """Sizes from the zip's central directory, before anything is inflated (zipfile never inflates a
    member beyond the size its directory entry declares, so the declaration is binding)."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
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
