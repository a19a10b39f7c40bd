"""The company sheet as a PDF (A4 portrait, reportlab): facts and location map side by side, workers
aggregated, named workers (with personal data only), inspections. Every text from the data goes
through Paragraph markup escaped, and every page has the trace line (data time, hash, page)."""

from __future__ import annotations

import io

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Image,
    LongTable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from geo import formatting, labels
from geo.reports.suppress import show

rl_config.invariant = 1  # no random document id: same content, same bytes
MARGIN = 15 * mm
WIDTH = A4[0] - 2 * MARGIN

_base = getSampleStyleSheet()
TITLE = ParagraphStyle("sheet-title", parent=_base["Heading1"], fontSize=15, leading=18, spaceAfter=2)
H2 = ParagraphStyle("sheet-h2", parent=_base["Heading2"], fontSize=11, spaceBefore=8, spaceAfter=3)
BODY = ParagraphStyle("sheet-body", parent=_base["BodyText"], fontSize=8.5, leading=11)
SMALL = ParagraphStyle("sheet-small", parent=BODY, fontSize=7, leading=9, textColor=colors.HexColor("#444444"))
CELL = ParagraphStyle("sheet-cell", parent=BODY, fontSize=7.5, leading=9.2)
HEAD = ParagraphStyle("sheet-head", parent=CELL, fontName="Helvetica-Bold")

GRID = TableStyle([
    ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#999999")),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6f0")),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
])


def esc(value) -> str:
    return show(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _p(value, style=CELL) -> Paragraph:
    return Paragraph(esc(value), style)


def _date(value) -> str:
    return formatting.long_date(value) if value else "–"


def _grid(headers: list[str], rows: list[list], widths: list[float]) -> LongTable:
    data = [[_p(h, HEAD) for h in headers]] + [[_p(v) for v in row] for row in rows]
    table = LongTable(data, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(GRID)
    return table


def _facts(c: dict) -> Table:
    co = c["company"]
    place = f"{co['district_name'] or '–'}, {co['regency_name'] or '–'} ({co['lat']:.5f}, {co['lon']:.5f})"
    rows = [("NIB", co["nib"]), ("Sektor", co["sector_label"]), ("KBLI", co.get("kbli") or "–"),
            ("Alamat", co["address"] or "–"), ("Lokasi", place),
            ("Status perusahaan", labels.name(labels.COMPANY_STATUS, co["status"])),
            ("RPTKA berlaku s.d.", f"{_date(co['rptka_valid_until'])} "
                                   f"({labels.name(labels.PERMIT_STATUS, co['permit_status'])})")]
    if co.get("location_mismatch"):
        rows.append(("Catatan lokasi", "berbeda dengan lokasi yang dilaporkan"))
    table = Table([[_p(k, HEAD), _p(v)] for k, v in rows], colWidths=[30 * mm, 62 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc")),
                               ("LEFTPADDING", (0, 0), (-1, -1), 2), ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)]))
    return table


def _breakdown(title: str, counts: dict, namer) -> LongTable:
    rows = [[namer(k), v] for k, v in counts.items()] or [["–", 0]]
    return _grid([title, "Jumlah"], rows, [44, 16])


def _workers(c: dict) -> list:
    w = c["workers"]
    out = [Paragraph("Pekerja asing", H2),
           Paragraph(f"Aktif: <b>{esc(w['active'])}</b> · tidak aktif lagi (keluar/dideportasi): "
                     f"{esc(w['inactive'])}", BODY), Spacer(1, 2 * mm)]
    left = [_breakdown("Kewarganegaraan", w["by_nationality"], labels.nationality), Spacer(1, 2 * mm),
            _breakdown("Jenis kelamin", w["by_sex"], lambda k: labels.name(labels.SEX, k))]
    right = [_breakdown("Tingkat jabatan", w["by_position_level"], lambda k: labels.name(labels.POSITION_LEVELS, k)),
             Spacer(1, 2 * mm),
             _breakdown("Izin kerja", w["by_permit"], lambda k: labels.name(labels.PERMIT_STATUS, k))]
    pair = Table([[left, right]], colWidths=[WIDTH / 2, WIDTH / 2])
    pair.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    out.append(pair)
    threshold = c["meta"]["threshold"]
    if threshold:
        out.append(Paragraph(f"Jumlah orang 1–{threshold - 1} ditampilkan sebagai &lt;{threshold} "
                             "(UU 27/2022 tentang Pelindungan Data Pribadi).", SMALL))
    if "named" in c:
        out += [Paragraph("Daftar pekerja (data pribadi, UU 27/2022: jangan disebarkan)", H2),
                _grid(["Nama", "Paspor", "ITAS", "Kewarganegaraan", "Jabatan", "Izin kerja s.d.", "ITAS s.d.", "Status"],
                      [[n["full_name"], n["passport_number"], n["itas_number"] or "–", labels.nationality(n["nationality"]),
                        n["position"], _date(n["permit_valid_until"]), _date(n["itas_valid_until"]),
                        labels.name(labels.WORKER_STATUS, n["status"])] for n in c["named"]],
                      [34, 20, 22, 22, 28, 19, 19, 16])]
    return out


def _inspections(c: dict) -> list:
    rows = [[_date(i["inspected_on"]), labels.team(i["team"]), labels.name(labels.FINDINGS, i["finding"]),
             i["follow_up"] or "–", labels.name(labels.INSPECTION_STATUS, i["status"])] for i in c["inspections"]]
    out = [Paragraph("Riwayat pemeriksaan", H2)]
    if not rows:
        return [*out, Paragraph("Belum pernah diperiksa.", BODY)]
    out.append(_grid(["Tanggal", "Tim", "Temuan", "Tindak lanjut", "Status"], rows, [24, 38, 30, 70, 18]))
    if not c["meta"]["personal"]:
        out.append(Paragraph("Nama dan nomor dokumen pekerja dalam tindak lanjut disamarkan ([disamarkan]).", SMALL))
    return out


def render(c: dict, location_png: bytes | None) -> bytes:
    co = c["company"]
    trace = (f"Lembar perusahaan · NIB {co['nib']} · data per {formatting.long_date(c['meta']['data_as_of'])} "
             f"{c['meta']['data_as_of']:%H:%M} · Hash {c['meta']['hash']}")

    def decor(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 6.5)
        canvas.setFillColor(colors.HexColor("#444444"))
        canvas.line(MARGIN, MARGIN - 2 * mm, A4[0] - MARGIN, MARGIN - 2 * mm)
        canvas.drawString(MARGIN, MARGIN - 5 * mm, trace)
        canvas.drawRightString(A4[0] - MARGIN, MARGIN - 5 * mm, f"Hal. {doc.page}")
        canvas.restoreState()

    facts = [_facts(c)]
    side = Image(io.BytesIO(location_png), width=80 * mm, height=80 * mm) if location_png else \
        Paragraph("Lokasi tidak dapat digambar.", SMALL)
    top = Table([[facts, side]], colWidths=[WIDTH - 84 * mm, 84 * mm])
    top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story = [Paragraph("Lembar perusahaan", SMALL), Paragraph(esc(co["name"]), TITLE),
             Paragraph(f"{esc(co['district_name'] or '')}, {esc(co['regency_name'] or '')} · Pemantauan TKA "
                       "Kalimantan Tengah", SMALL), Spacer(1, 3 * mm), top,
             *_workers(c), *_inspections(c)]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN + 4 * mm, title=f"Lembar perusahaan {co['nib']}", author="Pantau")
    doc.build(story, onFirstPage=decor, onLaterPages=decor)
    return buf.getvalue()
