"""The PDF pages of the meeting pack (geo.reports.followup), placed right after the summary:
the follow-up of the last meeting's recommendations (as many pages as it needs, at least one) and
the change table since that meeting (one page)."""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, PageBreak, Paragraph, Spacer, TableStyle

from geo import formatting
from geo.reports import followup
from geo.reports.pdf import BODY, CELL, FRAME_W, H1, H2, SMALL, Section, _esc, _page, grid
from geo.reports.suppress import show

TEXT_CHARS = 300  # of a recommendation on the page; the XLSX and HTML have it whole
NOTE_CHARS = 200  # of its last note
OVERDUE_RED = colors.HexColor("#b00020")
# No., text, agency, regions, due date, status, overdue, last note: the meeting's day goes under the text
# of an earlier meeting's recommendation (a column of its own left the text too narrow).
FOLLOWUP_WIDTHS = [9 * mm, 50 * mm, 21 * mm, 21 * mm, 19 * mm, 16 * mm, 16 * mm, 28 * mm]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def followup_pages(c: dict) -> list:
    pack = c["pack"]
    out = [Section(followup.FOLLOWUP_TITLE), Paragraph(followup.FOLLOWUP_TITLE, H1)]
    if pack["meeting"] is None:
        return [*out, Paragraph(_esc(followup.no_meeting(c)), BODY), PageBreak()]
    t = followup.followup_table(c)
    recs = pack["recommendations"]
    late = sum(1 for r in recs if r["overdue"])
    out.append(Paragraph(_esc(followup.meeting_line(pack["meeting"])) + " " + _esc(
        f"{len(recs)} rekomendasi: dari rakor terakhir dan yang belum selesai dari rakor sebelumnya; "
        f"{late} terlambat per {formatting.long_date(pack['reference_day'])}."), BODY))
    out.append(Spacer(1, 2 * mm))
    if not recs:
        return [*out, Paragraph("Tidak ada rekomendasi dalam cakupan laporan ini.", BODY), PageBreak()]
    rows = [(r[0], _clip(r[2], TEXT_CHARS) + ("" if rec["from_last_meeting"] else
                                             f" (rakor {formatting.long_date(r[1])})"),
             *r[3:8], _clip(r[8], NOTE_CHARS)) for r, rec in zip(t.rows, recs, strict=True)]
    table = grid((t.headers[0], *t.headers[2:]), rows, widths=FOLLOWUP_WIDTHS, wrap_cols=(1, 2, 3, 5, 7))
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")] + [
        style for i, r in enumerate(recs, start=1) if r["overdue"]
        for style in (("TEXTCOLOR", (4, i), (6, i), OVERDUE_RED), ("FONT", (6, i), (6, i), "Helvetica-Bold", 7))]))
    out += [table, Spacer(1, 2 * mm), Paragraph(
        "Status dan catatan terakhir seperti tercatat di Pantau saat laporan dibuat. Terlambat: melewati batas "
        f"waktu dan belum selesai. Teks lebih dari {TEXT_CHARS} karakter dipotong (…); teks lengkap: lampiran XLSX "
        "(lembar tindak_lanjut)." + ("" if c["meta"]["personal"] else
                                      " Nama dan nomor identitas orang dalam teks disamarkan."), SMALL), PageBreak()]
    return out


NAME_W = 45 * mm


def _change_grid(c: dict, figures: list[tuple[str, str]]) -> LongTable:
    t = c["pack"]["changes"]
    width = (FRAME_W - NAME_W) / (3 * len(figures))
    then, now = formatting.short_date(t["then"]), formatting.short_date(t["now"])
    head1 = [Paragraph(f"<b>{followup.unit_word(c)}</b>", CELL)]
    head2 = [""]
    for _, label in figures:
        head1 += [Paragraph(f"<b>{_esc(label)}</b>", CELL), "", ""]
        head2 += [Paragraph(f"<b>{then}</b>", CELL), Paragraph(f"<b>{now}</b>", CELL), Paragraph("<b>±</b>", CELL)]

    def line(r: dict, name: str) -> list:
        return [Paragraph(_esc(name), CELL), *(v for k, _ in figures
                                              for v in (show(r["then"][k]), show(r["now"][k]),
                                                        followup.signed(r["diff"][k])))]

    data = [head1, head2] + [line(r, r["name"]) for r in t["rows"]] + [line(t["total"], "Jumlah")]
    table = LongTable(data, colWidths=[NAME_W] + [width] * (3 * len(figures)), repeatRows=2)
    n = len(data) - 1
    style = [("FONT", (0, 2), (-1, -1), "Helvetica", 7), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
             ("ALIGN", (1, 2), (-1, -1), "RIGHT"), ("SPAN", (0, 0), (0, 1)),
             ("BACKGROUND", (0, 0), (-1, 1), colors.HexColor("#dde6f0")),
             ("LINEBELOW", (0, 1), (-1, 1), 0.6, colors.HexColor("#2f4b6e")),
             ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b8b8b8")),
             ("TOPPADDING", (0, 0), (-1, -1), 1.6), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.6),
             ("FONT", (0, n), (-1, n), "Helvetica-Bold", 7), ("LINEABOVE", (0, n), (-1, n), 0.6, colors.black)]
    for j in range(len(figures)):
        first = 1 + 3 * j
        style += [("SPAN", (first, 0), (first + 2, 0)),
                  ("BACKGROUND", (first + 2, 2), (first + 2, n), colors.HexColor("#f3f0e6")),
                  ("LINEBEFORE", (first, 0), (first, n), 0.8, colors.HexColor("#2f4b6e"))]
    for i in range(2, n):
        if i % 2 == 1:
            style.append(("BACKGROUND", (0, i), (0, i), colors.HexColor("#f5f7fa")))
    table.setStyle(TableStyle(style))
    return table


def changes_page(c: dict) -> list:
    pack = c["pack"]
    if pack["meeting"] is None:
        return _page(followup.CHANGES_TITLE, Paragraph(followup.CHANGES_TITLE, H1),
                     Paragraph(_esc(followup.no_meeting(c)), BODY))
    t = pack["changes"]
    then, now = formatting.long_date(t["then"]), formatting.long_date(t["now"])
    figures = t["figures"]
    return _page(followup.CHANGES_TITLE, Paragraph(followup.CHANGES_TITLE, H1),
                 Paragraph(_esc(followup.meeting_line(pack["meeting"])) + " " + _esc(
                     f"Angka per {followup.unit_word(c).lower()} pada hari rakor ({then}) dibanding {now}; "
                     "± = perubahan."), BODY), Spacer(1, 2 * mm),
                 Paragraph("TKA, orang asing dan perusahaan", H2), _change_grid(c, figures[:3]), Spacer(1, 3 * mm),
                 Paragraph("Izin dan pemeriksaan", H2), _change_grid(c, figures[3:]), Spacer(1, 2 * mm),
                 Paragraph(_esc(followup.changes_note(t)), SMALL))
