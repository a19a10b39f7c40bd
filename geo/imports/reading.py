"""Bytes of a CSV or XLSX file → a table of strings, each row with its file line.

Offices save CSV from Excel in many ways: UTF-8 with or without BOM (or Windows-1252), `,` or `;`
as delimiter (`;` where the locale's decimal separator is the comma). XLSX cells arrive typed:
dates become ISO text, whole numbers lose Excel's float form (NIB 2090697104809.0 → the digits).
Files beyond the import limits (geo/imports/limits.py) are refused before or while parsing.
"""

from __future__ import annotations

import csv
import io
import warnings
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from geo.imports.limits import (
    OLE_MAGIC,
    ZIP_MAGIC,
    ImportLimits,
    check_cells,
    check_text,
    check_width,
    check_zip,
)
from geo.imports.templates import normalise_header

DELIMITERS = (",", ";", "\t")


class ReadError(ValueError):
    """The file as a whole cannot be read (not CSV/XLSX, empty, no header)."""


@dataclass
class Table:
    frame: pd.DataFrame  # columns = normalised header names, values = stripped strings ("" when empty)
    lines: np.ndarray  # file line of each row (header = 1)
    malformed: list[tuple[int, int]]  # (line, number of fields) of rows with more fields than the header


def read_table(data: bytes, file_name: str = "", limits: ImportLimits | None = None) -> Table:
    """Raises ReadError (the file cannot be read) or LimitExceeded (it is beyond the limits)."""
    limits = limits or ImportLimits()
    if data[:4] == OLE_MAGIC:
        raise ReadError("format .xls lama tidak didukung; simpan sebagai .xlsx atau CSV (legacy .xls not supported)")
    if data[:4] == ZIP_MAGIC or file_name.lower().endswith(".xlsx"):
        check_zip(data, limits)
        return _read_xlsx(data, limits)
    check_text(data, limits)
    return _read_csv(data, limits)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")  # Excel's "CSV (Comma delimited)" on Windows
    except UnicodeDecodeError:
        raise ReadError("berkas bukan teks UTF-8 atau Windows-1252 (not a UTF-8 or Windows-1252 text file)") from None


def sniff_delimiter(header_line: str) -> str:
    """The delimiter is whichever separates the header best (headers contain no commas)."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def _read_csv(data: bytes, limits: ImportLimits) -> Table:
    text = _decode(data)
    if not text.strip():
        raise ReadError("berkas kosong (empty file)")
    if "\x00" in text:  # PostgreSQL text cannot hold it; a UTF-16 file is full of them
        raise ReadError("berkas berisi karakter NUL; simpan sebagai CSV UTF-8 (file contains NUL bytes; save as UTF-8 CSV)")
    first = text.split("\n", 1)[0]
    delimiter = sniff_delimiter(first)
    width = len(next(csv.reader([first.rstrip("\r")], delimiter=delimiter)))
    check_width(width, limits)
    check_cells(width * (text.count("\n") + 1), limits)
    try:
        return _read_csv_fast(text, delimiter) or _read_csv_exact(text, delimiter)
    except csv.Error as exc:  # e.g. a quoted cell beyond csv's field size limit
        raise ReadError(f"CSV tidak dapat dibaca (unreadable CSV: {str(exc)[:80]})") from None


def _padded(text: str, delimiter: str) -> bool:
    """Whitespace next to a delimiter, quote or line end: only then is stripping every cell worth
    its cost (substring tests run at C speed; a regex over the whole file does not)."""
    marks = (f" {delimiter}", f"{delimiter} ", f"\t{delimiter}", f"{delimiter}\t", " \n", " \r", "\n ", ' "', '" ')
    return any(m in text for m in marks) or text[:1].isspace() or text.rstrip("\r\n")[-1:].isspace()


def _read_csv_fast(text: str, delimiter: str) -> Table | None:
    """pandas' C parser; line numbers are row + 2 when no quoted cell spans lines. None = use the
    exact reader (a cell spanning lines, or a row with more fields than the header)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)  # rows longer than the header
            frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, na_filter=False,
                                keep_default_na=False, skip_blank_lines=False, index_col=False, engine="c")
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError):
        return None
    physical = text.count("\n") + (0 if text.endswith("\n") else 1)
    if len(frame) + 1 != physical:
        return None
    header = next(csv.reader([text.split("\n", 1)[0].rstrip("\r")], delimiter=delimiter))
    if len(header) != frame.shape[1]:
        return None
    frame.columns = range(frame.shape[1])
    if _padded(text, delimiter):
        frame = frame.apply(lambda col: col.str.strip())
    lines = np.arange(2, len(frame) + 2, dtype=np.int64)
    filled = (frame != "").any(axis=1).to_numpy()
    return _frame_table(header, frame[filled].reset_index(drop=True), lines[filled], [])


def _read_csv_exact(text: str, delimiter: str) -> Table:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader)
    width = len(header)
    rows: list[list[str]] = []
    lines: list[int] = []
    malformed: list[tuple[int, int]] = []
    start = 2
    for row in reader:
        line, start = start, reader.line_num + 1  # a quoted field may span lines
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > width and any(c.strip() for c in row[width:]):
            malformed.append((line, len(row)))
        rows.append((row + [""] * width)[:width])
        lines.append(line)
    return _table(header, rows, lines, malformed)


def _read_xlsx(data: bytes, limits: ImportLimits) -> Table:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the same user error
        raise ReadError(f"berkas XLSX tidak dapat dibaca (unreadable XLSX: {type(exc).__name__})") from exc
    try:
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        try:
            header = [_cell_text(v) for v in next(it)]
        except StopIteration:
            raise ReadError("berkas kosong (empty file)") from None
        while header and not header[-1]:  # a sheet's dimension often runs past its last column
            header.pop()
        width = len(header)
        check_width(width, limits)
        rows, lines = [], []
        for number, values in enumerate(it, start=2):
            cells = [_cell_text(v) for v in values[:width]]
            if not any(cells):
                continue
            rows.append((cells + [""] * width)[:width])
            lines.append(number)
            if len(rows) * width > limits.max_cells:
                check_cells(len(rows) * width, limits)
    finally:
        wb.close()
    return _table(header, rows, lines, [])


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    return str(value).strip()


def _header_names(header: list[str]) -> list[str]:
    names = [normalise_header(h) for h in header]
    if not any(names):
        raise ReadError("baris judul kolom kosong (no header row)")
    seen = [n for n in names if n]
    doubled = sorted({n for n in seen if seen.count(n) > 1})
    if doubled:
        raise ReadError(f"judul kolom ganda: {', '.join(doubled)} (duplicate column headers)")
    return names


def _frame_table(header: list[str], frame: pd.DataFrame, lines: np.ndarray, malformed) -> Table:
    names = _header_names(header)
    keep = [i for i, n in enumerate(names) if n]
    frame = frame.iloc[:, keep].astype(object)
    frame.columns = [names[i] for i in keep]
    return Table(frame=frame, lines=np.asarray(lines, dtype=np.int64), malformed=malformed)


def _table(header: list[str], rows: list[list[str]], lines: list[int], malformed) -> Table:
    width = len(header)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]
    frame = pd.DataFrame({i: pd.Series(values, dtype=object).str.strip() for i, values in enumerate(columns)})
    return _frame_table(header, frame, np.asarray(lines, dtype=np.int64), malformed)
