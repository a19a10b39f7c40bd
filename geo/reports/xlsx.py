"""The XLSX annex (openpyxl): one sheet per table with typed cells, frozen header, autofilter and
column widths, and a 'Keterangan' sheet with filter, timestamp, hash and the suppression rule.

A suppressed count is the error value #N/A (shaded, explained in a comment on its column's header
and in 'Keterangan'), never the text "<3": text in a numeric column is skipped by SUM without a
word, so a total made in Excel would silently be too small; #N/A makes SUM say #N/A instead."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from geo import formulas
from geo.reports import discrepancy_table, followup, tables, texts
from geo.reports.suppress import is_hidden

HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
HIDDEN_FILL = PatternFill("solid", fgColor="E7E2D6")
HIDDEN_VALUE = "#N/A"  # an error cell: SUM over it is #N/A, not a total without it
BOLD = Font(bold=True)
RIGHT = Alignment(horizontal="right")
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry
DATE_FORMAT = "[$-421]D MMMM YYYY"  # a date cell shown as '1 Desember 2026' (Indonesian month names)


def _cell(ws, value, *, bold: bool = False, header: bool = False):
    """Plain values go in as they are; only cells that need a style become WriteOnlyCells."""
    if header:
        cell = WriteOnlyCell(ws, value)
        cell.font, cell.fill = BOLD, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(ws, value)
        cell.number_format = DATE_FORMAT
    elif formulas.is_risky(value):  # text that a spreadsheet would run: a string cell
        cell = formulas.as_text(WriteOnlyCell(ws, value))
    elif is_hidden(value):  # a suppressed count: an error value in the numeric column, shaded
        cell = WriteOnlyCell(ws, HIDDEN_VALUE)
        cell.fill, cell.alignment = HIDDEN_FILL, RIGHT
    elif bold:
        cell = WriteOnlyCell(ws, value)
    else:
        return value
    if bold:
        cell.font = BOLD
    return cell


def _hidden_note(threshold: int) -> str:
    return (f"#N/A (berwarna) = jumlah 1–{threshold - 1} orang yang disamarkan (UU 27/2022), atau sel yang ikut "
            "disamarkan agar tidak dapat dihitung balik. SUM atas kolom ini menghasilkan #N/A, bukan total yang "
            "keliru; baris Jumlah memuat total resmi. Untuk menjumlah angka yang tampil saja: "
            "=AGGREGATE(9;6;kolom).")


def _sheet(wb: Workbook, table: tables.Table, meta: dict) -> None:
    # Write-only (streamed): 100,000 companies in a fraction of the memory of a normal workbook.
    # Widths, frozen header and filter must be set before the first row is written.
    ws = wb.create_sheet(table.key[:31])
    rows = table.rows + ([table.total] if table.total else [])
    widths = [len(h) for h in table.headers]
    for row in rows:
        for i, v in enumerate(row):
            widths[i] = max(widths[i], len(str(v)) if not isinstance(v, date) else 10)
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 8), 48)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(table.headers))}{len(rows) + 1}"
    # Printed pages carry what the figures are and when: the sheet's page header and footer.
    ws.oddHeader.left.text = f"{table.title} — {meta['period_label']}"
    ws.oddHeader.right.text = f"Data per {texts.as_of(meta)}"
    ws.oddFooter.left.text = f"Hash {meta['hash']}"
    ws.oddFooter.right.text = "Hal. &P / &N"
    header = [_cell(ws, h, header=True) for h in table.headers]
    for i, cell in enumerate(header):
        if any(is_hidden(row[i]) for row in rows):
            cell.comment = Comment(_hidden_note(meta["threshold"] or 3), "Pantau", width=320, height=140)
    ws.append(header)
    for row in table.rows:
        ws.append([_cell(ws, v) for v in row])
    if table.total:
        ws.append([_cell(ws, v, bold=True) for v in table.total])


def _notes(wb: Workbook, c: dict) -> None:
    m = c["meta"]
    ws = wb.create_sheet("Keterangan")
    period = m["period_label"] + (f" ({m['window']})" if "s.d." in m["window"] else "")
    rows = [("Laporan", texts.title(m)),
            ("Periode", period), ("Instansi penerbit", m["agency_name"]),
            ("Data per", texts.as_of(m)), ("Status izin dihitung per", m["reference_day"]),
            ("Filter dan cakupan", texts.describe_filter(m)), ("Hash isi", m["hash"]),
            ("Penyamaran angka kecil", texts.suppression_note(m)),
            ("Sel #N/A", _hidden_note(m["threshold"]) if m["threshold"] else "Tidak ada (tanpa penyamaran)."),
            ("Kelas peta TKA", texts.map_classes(c)),
            ("Catatan tren", texts.history_note()),
            ("Orang asing", texts.foreign_note(m)),
            ("Tamu penginapan", texts.lodging_note(c["foreign"])),
            ("Kegiatan pemantauan", texts.activities_note(m)),
            ("Rakor terakhir", followup.meeting_line(c["pack"]["meeting"]) if c["pack"]["meeting"] else followup.no_meeting(c)),
            ("Perubahan sejak rakor", followup.changes_note(c["pack"]["changes"])),
            ("Batas wilayah", texts.boundary_attribution())]
    if m["personal"]:
        rows.append(("Data pribadi", "Lembar 'tka' memuat data pribadi (UU 27/2022): simpan dan bagikan "
                                     "hanya kepada yang berwenang."))
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 110
    for key, value in rows:
        value_cell = WriteOnlyCell(ws, value)
        if formulas.is_risky(value):
            formulas.as_text(value_cell)
        value_cell.alignment = Alignment(wrap_text=True, vertical="top")
        if isinstance(value, date):
            value_cell.number_format = DATE_FORMAT
        ws.append([_cell(ws, key, bold=True), value_cell])


def _data_time(c: dict, utc: bool = False) -> datetime:
    """The data timestamp, naive: in UTC for the workbook properties (the format assumes UTC), local
    (WIB) for the zip entries. Never the wall clock, so the same data gives the same bytes."""
    ts = c["meta"]["data_as_of"]
    if not isinstance(ts, datetime):
        return datetime(2000, 1, 1)
    if utc and ts.tzinfo is not None:
        ts = ts.astimezone(UTC)
    return ts.replace(tzinfo=None)


def _fixed_zip(data: bytes, when: datetime) -> bytes:
    """Rewrite the zip openpyxl wrote with every entry dated `when` (openpyxl stamps the current time)."""
    stamp = max((when.year, when.month, when.day, when.hour, when.minute, when.second), ZIP_EPOCH)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            info.create_system = 0
            dst.writestr(info, src.read(item.filename))
    return out.getvalue()


def render(c: dict) -> bytes:
    wb = Workbook(write_only=True)
    wb.properties.creator = wb.properties.lastModifiedBy = "Pantau"
    wb.properties.created = wb.properties.modified = _data_time(c, utc=True)
    _notes(wb, c)
    # The meeting pack's sheets first, after the notes (issue 19).
    pack = [followup.followup_table(c)] + ([followup.changes_table(c)] if c["pack"]["changes"] else [])
    for table in (*pack, tables.regencies(c), tables.districts(c), tables.nationality_by_regency(c),
                  tables.companies(c), tables.expiring(c), tables.inspections(c), tables.findings(c), *discrepancy_table.tables(c),
                  *(make(c) for make in tables.FOREIGN_TABLES)):
        _sheet(wb, table, c["meta"])
    if c["meta"]["personal"]:
        _sheet(wb, tables.workers(c), c["meta"])
    buf = io.BytesIO()
    # ExcelWriter directly: Workbook.save() would overwrite `modified` with the current time.
    ExcelWriter(wb, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    return _fixed_zip(buf.getvalue(), _data_time(c))


