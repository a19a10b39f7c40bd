"""The company sheet as an XLSX: the company's facts, the workers aggregated, the named workers (with
personal data only) and the inspections, one sheet each. Text a spreadsheet would run as a formula
is written as a string (geo.formulas)."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from geo import formulas, labels
from geo.reports.suppress import is_hidden

HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
BOLD = Font(bold=True)


def _sheet(wb: Workbook, title: str, headers: list[str], rows: list[list]) -> None:
    ws = wb.create_sheet(title)
    ws.append(headers)
    for cell in ws[1]:
        cell.font, cell.fill = BOLD, HEADER_FILL
    for row in rows:
        ws.append([None if v is None else v for v in row])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, date):
                cell.number_format = "DD-MM-YYYY"
            elif formulas.is_risky(cell.value):
                formulas.as_text(cell)
    ws.freeze_panes = "A2"
    for i, h in enumerate(headers, start=1):
        width = max([len(str(h))] + [len(str(r[i - 1])) for r in rows if r[i - 1] is not None])
        ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 60)


def render(c: dict) -> bytes:
    co, w, meta = c["company"], c["workers"], c["meta"]
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "Pantau"
    _sheet(wb, "perusahaan", ["Keterangan", "Nilai"], [
        ["Nama", co["name"]], ["NIB", co["nib"]], ["Sektor", co["sector_label"]], ["KBLI", co.get("kbli")],
        ["Alamat", co["address"]], ["Kecamatan", co["district_name"]], ["Kabupaten/Kota", co["regency_name"]],
        ["Lintang", co["lat"]], ["Bujur", co["lon"]],
        ["Status perusahaan", labels.name(labels.COMPANY_STATUS, co["status"])],
        ["RPTKA berlaku s.d.", co["rptka_valid_until"]],
        ["Status RPTKA", labels.name(labels.PERMIT_STATUS, co["permit_status"])],
        ["Data per", meta["data_as_of"].replace(tzinfo=None)], ["Hash", meta["hash"]],
        ["Penyamaran", f"jumlah orang 1–{meta['threshold'] - 1} ditampilkan <{meta['threshold']}"
                       if meta["threshold"] else "tidak ada (lembar dengan data pribadi)"],
    ])
    rows = [["Pekerja aktif", "(semua)", w["active"]], ["Tidak aktif lagi", "(semua)", w["inactive"]]]
    rows += [["Kewarganegaraan", labels.nationality(k), v] for k, v in w["by_nationality"].items()]
    rows += [["Tingkat jabatan", labels.name(labels.POSITION_LEVELS, k), v] for k, v in w["by_position_level"].items()]
    rows += [["Jenis kelamin", labels.name(labels.SEX, k), v] for k, v in w["by_sex"].items()]
    rows += [["Izin kerja", labels.name(labels.PERMIT_STATUS, k), v] for k, v in w["by_permit"].items()]
    # Counts stay numbers (a SUM must not skip a "<3" text): a hidden count is an empty cell and says so.
    rows = [[group, category, None, f"disembunyikan: {value} (UU 27/2022)"] if is_hidden(value)
            else [group, category, value, None] for group, category, value in rows]
    _sheet(wb, "pekerja_agregat", ["Kelompok", "Kategori", "Jumlah", "Catatan"], rows)
    if "named" in c:
        _sheet(wb, "pekerja", ["Nama", "Paspor", "ITAS", "Kewarganegaraan", "Jabatan", "Tingkat", "Izin kerja s.d.",
                               "ITAS s.d.", "Status"],
               [[n["full_name"], n["passport_number"], n["itas_number"], labels.nationality(n["nationality"]),
                 n["position"], labels.name(labels.POSITION_LEVELS, n["position_level"]), n["permit_valid_until"],
                 n["itas_valid_until"], labels.name(labels.WORKER_STATUS, n["status"])] for n in c["named"]])
    _sheet(wb, "pemeriksaan", ["Tanggal", "Tim", "Temuan", "Tindak lanjut", "Status"],
           [[i["inspected_on"], labels.team(i["team"]), labels.name(labels.FINDINGS, i["finding"]), i["follow_up"],
             labels.name(labels.INSPECTION_STATUS, i["status"])] for i in c["inspections"]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
