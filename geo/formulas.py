"""Cells a spreadsheet cannot run: every CSV and XLSX writer passes its values through here.

A text cell beginning with = + - @ TAB or CR is read as a formula by Excel, LibreOffice and
Google Sheets (`=HYPERLINK(...)` sends data away, `=cmd|...` may start programs). Following
OWASP's CSV-injection guidance, such a CSV field gets a leading single quote; in XLSX the value is
written as it is, as a string cell (never a formula cell) with the "quote prefix" style Excel sets
for typed text, so it stays text even when edited. Real numbers are left alone: only `str` values
are touched, and a text that is just a number ("-2.54") cannot run anyway.
"""

from __future__ import annotations

import re

import pandas as pd

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# RFC 4180 line ends: the csv writers then also quote a field holding a lone CR, which a
# spreadsheet would otherwise take for a new row whose first cell escapes the quote prefix.
LINE_END = "\r\n"
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")


def is_risky(value) -> bool:
    """A text a spreadsheet would take for a formula."""
    return isinstance(value, str) and value.startswith(TRIGGERS) and not _PLAIN_NUMBER.fullmatch(value)


def csv_value(value):
    """The value for a CSV field: a risky text with a leading single quote, anything else unchanged."""
    return "'" + value if is_risky(value) else value


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with every text column passed through `csv_value` (numbers stay numbers)."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_object_dtype(out[column]) or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(csv_value)
    return out


def xlsx_value(ws, value):
    """The value for an XLSX row: a risky text as a string cell (openpyxl would make a formula of a
    leading '='), anything else unchanged. `ws` is the sheet the cell will go to."""
    if not is_risky(value):
        return value
    from openpyxl.cell import WriteOnlyCell

    return as_text(WriteOnlyCell(ws, value))


def as_text(cell):
    """Make an openpyxl cell holding a text a string cell with the quote prefix; returns it."""
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell
