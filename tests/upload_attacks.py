"""Hostile import files (issue #14 item 3), shared by tests/test_upload_limits.py and
bench/upload_limits_bench.py: each is built in memory in well under a second."""

from __future__ import annotations

import io
import struct
import zlib

from geo.imports.templates import REQUIRED

COMPANY_HEADER = ",".join(REQUIRED["companies"])

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>')


def wide_csv(columns: int = 1_000_000) -> bytes:
    """The template's header followed by `columns` more names, and one row of empty cells (~9.9 MB)."""
    header = COMPANY_HEADER + "".join(f",x{i}" for i in range(columns - len(REQUIRED["companies"])))
    return (header + "\n" + "," * (columns - 1) + "\n").encode()


def one_line_csv(megabytes: int = 40) -> bytes:
    """A header and one endless row on a single line: no line break anywhere."""
    return (COMPANY_HEADER + ",").encode() + b"a" * (megabytes * 1024 * 1024)


def _cell(column: str, row: int, text: str) -> str:
    return f'<c r="{column}{row}" t="inlineStr"><is><t>{text}</t></is></c>'


def _letters(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


def xlsx_bomb(sheet_mb: int = 1500) -> bytes:
    """A valid XLSX whose one sheet holds the template header, one company row and then `sheet_mb`
    MB of whitespace: it deflates about 1000:1 (a ~1.5 MB file for a 1.5 GB sheet). Each MB is
    compressed once and its deflate block repeated (a full flush makes the blocks identical)."""
    header = "".join(_cell(_letters(i), 1, name) for i, name in enumerate(REQUIRED["companies"]))
    row = "".join(_cell(_letters(i), 2, v) for i, v in enumerate(
        ["9120000000001", "PT Bom Zip", "jasa", "02420", "", "", "", "-2.2", "113.9", "2027-01-01"]))
    head = ('<?xml version="1.0" encoding="UTF-8"?><worksheet '
            'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            f'<row r="1">{header}</row><row r="2">{row}</row>').encode()
    tail = b"</sheetData></worksheet>"
    block = b" " * (1024 * 1024)
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = squeeze.compress(head) + squeeze.flush(zlib.Z_FULL_FLUSH)
    repeated = squeeze.compress(block) + squeeze.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(head)
    for _ in range(sheet_mb):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    sheet = (first + repeated * sheet_mb + squeeze.compress(tail) + squeeze.flush(), crc,
             len(head) + sheet_mb * len(block) + len(tail))
    entries = [(name, *_deflated(text.encode())) for name, text in (
        ("[Content_Types].xml", _CONTENT_TYPES), ("_rels/.rels", _ROOT_RELS), ("xl/workbook.xml", _WORKBOOK),
        ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS))]
    return _zip([*entries, ("xl/worksheets/sheet1.xml", *sheet)])


def _deflated(data: bytes) -> tuple[bytes, int, int]:
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
    return squeeze.compress(data) + squeeze.flush(), zlib.crc32(data), len(data)


def _zip(entries: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of already deflated entries (sizes below 4 GB, so no zip64 records)."""
    out, directory = io.BytesIO(), io.BytesIO()
    for name, raw, crc, size in entries:
        offset = out.tell()
        fields = (20, 0, 8, 0, 0x21, crc, len(raw), size, len(name), 0)
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + name.encode() + raw)
        directory.write(struct.pack("<IH", 0x02014B50, 20) + struct.pack("<HHHHHIIIHH", *fields)
                        + struct.pack("<HHHII", 0, 0, 0, 0, offset) + name.encode())
    start = out.tell()
    out.write(directory.getvalue())
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(directory.getvalue()),
                          start, 0))
    return out.getvalue()
