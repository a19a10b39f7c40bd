"""The PDF atlas (A4, reportlab): fixed front pages, one atlas page per regency (or per district
of one regency), annex tables. Every page footer carries the filter, data time and content hash."""

from __future__ import annotations

import io
from datetime import date, datetime

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    Flowable,
    Image,
    KeepInFrame,
    LongTable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from geo import formatting
from geo.reports import charts, foreign, labels, staticmaps, tables, texts
from geo.reports.geometry import Geometries, project_points
from geo.reports.suppress import is_hidden, show

rl_config.invariant = 1  # no random document id, no wall-clock date: same content, same bytes
rl_config.useA85 = 0  # binary image streams: pure-Python ASCII85 was slow (bench/RESULTS-reports.md)
TITLE = texts.title({})  # the province report's; a one-regency report names its regency (texts.title)
MARGIN = 15 * mm
FRAME_W, FRAME_H = A4[0] - 2 * MARGIN, A4[1] - 2 * MARGIN - 14 * mm
FRONT_PAGES = 11  # cover, summary, meeting follow-up (1+), changes since it, province (or regency) map, charts, permits, inspections, 3 of foreign nationals
ATLAS_TOP = 10  # companies listed on an atlas page; the XLSX has all

_base = getSampleStyleSheet()
H1 = ParagraphStyle("h1", parent=_base["Heading1"], fontSize=15, spaceAfter=4)
H2 = ParagraphStyle("h2", parent=_base["Heading2"], fontSize=11.5, spaceBefore=4, spaceAfter=3)
BODY = ParagraphStyle("body", parent=_base["BodyText"], fontSize=8.5, leading=11)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7, leading=8.8, textColor=colors.HexColor("#333333"))
CELL = ParagraphStyle("cell", parent=BODY, fontSize=7, leading=8.4)
COVER_T = ParagraphStyle("cover", parent=H1, fontSize=22, leading=28, spaceAfter=10)


def _esc(text) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(value):
    if isinstance(value, datetime):
        return f"{formatting.long_date(value)} {value:%H:%M}"
    if hasattr(value, "strftime"):
        return formatting.long_date(value)
    if isinstance(value, float):
        return f"{value:.5f}"
    return show(value)


def grid(headers, rows, widths=None, total=None, repeat=True, wrap_cols=()) -> LongTable:
    """A table with a bold repeated header row, numbers right-aligned, zebra rows."""
    def wraps(i, v) -> bool:  # words wider than their column ('28 September 2026', 'Berakhir dalam 90 hari')
        return i in wrap_cols or bool(widths) and isinstance(v, str | date) and \
            stringWidth(_cell(v), "Helvetica", CELL.fontSize) > widths[i] - 12

    def fmt(row):
        return [Paragraph(_esc(_cell(v)), CELL) if wraps(i, v) else _cell(v) for i, v in enumerate(row)]

    data = [[h if isinstance(h, Flowable) else Paragraph(f"<b>{_esc(_fit_words(h, widths[i] if widths else None))}</b>", CELL)
             for i, h in enumerate(headers)]] + [fmt(r) for r in rows]
    if total:
        data.append(fmt(total))
    t = LongTable(data, colWidths=widths, repeatRows=1 if repeat else 0)
    style = [("FONT", (0, 1), (-1, -1), "Helvetica", 7), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
             ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6f0")),
             ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#2f4b6e")),
             ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b8b8b8")),
             ("TOPPADDING", (0, 0), (-1, -1), 1.6), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.6)]
    for i, row in enumerate(rows, start=1):
        if i % 2 == 0:
            style.append(("BACKGROUND", (0, i), (-1, i), colors.HexColor("#f5f7fa")))
        for j, v in enumerate(row):
            if isinstance(v, int | float) and not isinstance(v, bool) or is_hidden(v):
                style.append(("ALIGN", (j, i), (j, i), "RIGHT"))
    if total:
        n = len(data) - 1
        style += [("FONT", (0, n), (-1, n), "Helvetica-Bold", 7), ("LINEABOVE", (0, n), (-1, n), 0.6, colors.black)]
        style += [("ALIGN", (j, n), (j, n), "RIGHT") for j, v in enumerate(total)
                  if isinstance(v, int | float) and not isinstance(v, bool) or is_hidden(v)]
    t.setStyle(TableStyle(style))
    return t


VOWELS = set("aeiouAEIOU")


def _fit_words(text: str, width: float | None) -> str:
    """Hyphenate a header word wider than its column at a syllable boundary before a consonant-vowel
    pair (Indonesian: "kedaluwar-sa", "Perusa-haan"), so reportlab never splits it mid-syllable."""
    if not width:
        return text
    room = width - 12 - 1  # default cell padding is 6 pt each side
    out = []

    def fits(w: str) -> bool:
        return stringWidth(w, "Helvetica-Bold", CELL.fontSize) <= room

    for word in text.split(" "):
        while not fits(word):
            cuts = [k for k in range(2, len(word) - 2)
                    if word[k] not in VOWELS and word[k + 1] in VOWELS and word[k].isalpha() and fits(word[:k] + "-")]
            if not cuts:
                break
            out.append(word[:cuts[-1]] + "-")
            word = word[cuts[-1]:]
        out.append(word)
    return " ".join(out)


class Picture(Image):
    """A map or chart with its texts laid under it invisibly (text render mode 3, as in a scanned
    and OCR'd page): the PDF can be searched for a district, and its labels copied or read back."""

    def __init__(self, png: bytes, width: float, height: float) -> None:
        super().__init__(io.BytesIO(png), width=width, height=height)
        self.texts = getattr(png, "texts", ())

    def draw(self) -> None:
        super().draw()
        canv, w, h = self.canv, self.drawWidth, self.drawHeight
        ox, oy = getattr(self, "_offs_x", 0), getattr(self, "_offs_y", 0)
        for box in self.texts:
            lines = box.text.splitlines()
            vertical = abs(box.rotation % 180 - 90) < 1
            bw, bh = (box.x1 - box.x0) * w, (box.y1 - box.y0) * h
            along, across = (bh, bw) if vertical else (bw, bh)
            size = across / len(lines) / 1.2
            canv.saveState()
            # From the corner where the first line starts: top left, or bottom left when turned upwards.
            canv.translate(ox + box.x0 * w, oy + (box.y0 if vertical else box.y1) * h)
            if vertical:
                canv.rotate(90)
            for k, line in enumerate(lines):
                natural = stringWidth(line, "Helvetica", size) or 1
                t = canv.beginText(0, -(k + 0.85) * size * 1.2)
                t.setTextRenderMode(3)
                t.setFont("Helvetica", size)
                t.setHorizScale(100 * along / natural)
                t.textLine(line)
                canv.drawText(t)
            canv.restoreState()


def _image(png: bytes, width_mm: float, height_mm: float) -> Image:
    return Picture(png, width_mm * mm, height_mm * mm)


class Section(Flowable):
    """An invisible marker: names the section in the running header of the pages it starts."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.width = self.height = 0

    def draw(self) -> None:
        pass


def _page(section: str, *flowables) -> list:
    """A fixed page: shrunk to fit if needed so the page count never depends on data size."""
    return [Section(section), KeepInFrame(FRAME_W, FRAME_H, list(flowables), mode="shrink"), PageBreak()]


class _Doc(SimpleDocTemplate):
    section = ""
    decor = None
    created: datetime | None = None

    def beforeDocument(self) -> None:  # noqa: N802 - reportlab hook: the canvas exists now
        # Invariant mode dates every PDF 1 January 2000: the report's own moment instead ('data per').
        if self.created is not None:
            stamp = pdf_date(self.created)
            self.canv.setDateFormatter(lambda *_: stamp)

    def afterPage(self) -> None:  # noqa: N802 - reportlab hook: the page is complete, draw its frame
        if self.decor:
            self.decor(self.canv, self)

    def afterFlowable(self, flowable) -> None:  # noqa: N802 - reportlab hook name
        if isinstance(flowable, Section):
            self.section = flowable.name


class _Decor:
    def __init__(self, meta: dict) -> None:
        self.trace = texts.trace_line(meta)
        place = meta.get("region_name") or "Kalimantan Tengah"
        self.head = f"Pemantauan Orang Asing dan TKA {place} — {meta['period_label']}"

    def __call__(self, canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(colors.HexColor("#444444"))
        if doc.page > 1:
            canvas.drawString(MARGIN, A4[1] - MARGIN + 3 * mm, self.head)
            canvas.drawRightString(A4[0] - MARGIN, A4[1] - MARGIN + 3 * mm, doc.section)
            canvas.line(MARGIN, A4[1] - MARGIN + 2 * mm, A4[0] - MARGIN, A4[1] - MARGIN + 2 * mm)
        canvas.line(MARGIN, MARGIN - 2 * mm, A4[0] - MARGIN, MARGIN - 2 * mm)
        canvas.setFont("Helvetica", 6)
        width = A4[0] - 2 * MARGIN - 18 * mm
        lines = _wrap(self.trace, canvas, width)
        for k, line in enumerate(lines[:2]):
            canvas.drawString(MARGIN, MARGIN - 5 * mm - k * 2.6 * mm, line)
        canvas.setFont("Helvetica", 7)
        canvas.drawRightString(A4[0] - MARGIN, MARGIN - 5 * mm, f"Hal. {doc.page}")
        canvas.restoreState()


def _wrap(text: str, canvas, width: float) -> list[str]:
    words, lines, line = text.split(" "), [], ""
    for w in words:
        trial = f"{line} {w}".strip()
        if canvas.stringWidth(trial, "Helvetica", 6) > width and line:
            lines.append(line)
            line = w
        else:
            line = trial
    return lines + [line]


# --- pages --------------------------------------------------------------------------------------
def cover(c: dict) -> list:
    m = c["meta"]
    facts = [("Periode", f"{m['period_label']} ({formatting.long_date(m['period_start'])} – {formatting.long_date(m['period_end'])})"),
             ("Instansi penerbit", m["agency_name"]),
             ("Tanggal", formatting.long_date(m["issued"])),
             ("Data per", texts.as_of(m)),
             ("Status izin dihitung per", formatting.long_date(m["reference_day"])),
             ("Cakupan dan filter", texts.describe_filter(m)),
             ("Hash isi", m["hash"])]
    if m["regency"]:
        facts.insert(1, ("Wilayah", next((r["name"] for r in c["regencies"] if r["code"] == m["regency"]), m["regency"])))
    rows = [[Paragraph(f"<b>{_esc(k)}</b>", BODY), Paragraph(_esc(v), BODY)] for k, v in facts]
    t = Table(rows, colWidths=[45 * mm, FRAME_W - 45 * mm])
    t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.grey)]))
    return _page("", Spacer(1, 40 * mm), Paragraph(_esc(texts.title(m)), COVER_T), Spacer(1, 8 * mm), t, Spacer(1, 12 * mm),
                 Paragraph(_esc(texts.suppression_note(m)), SMALL), Spacer(1, 4 * mm),
                 Paragraph("Dokumen ini memuat data pemantauan untuk rapat koordinasi. Setiap halaman mencantumkan "
                           "filter, waktu data dan hash isi sehingga halaman cetak dapat ditelusuri ke datanya.", SMALL))


def summary(c: dict) -> list:
    s = c["summary"]
    # Like with like: a running quarter against the same number of days of the previous one.
    cur, prev = c["comparison"]["current"], c["comparison"]["previous"]

    def delta(a, b):
        return f"{a - b:+d}".replace("+0", "0") if isinstance(a, int) and isinstance(b, int) else "–"

    rows = [(name, show(cur[k]), show(prev[k]), delta(cur[k], prev[k]))
            for k, name in (("active_workers", "TKA aktif dengan izin berlaku (hari terakhir)"),
                            ("inspections", "Pemeriksaan"), ("findings", "Pemeriksaan dengan temuan"))]
    change = grid(("Angka", cur["label"], prev["label"], "Perubahan"), rows, widths=[70 * mm, 30 * mm, 30 * mm, 30 * mm])
    key = [("Perusahaan pemberi kerja TKA", s["companies"]), (labels.ACTIVE_WORKERS, s["foreign_workers"]),
           ("Kewarganegaraan", s["nationalities"]), ("Kabupaten/kota dengan TKA", s["regencies_with_workers"]),
           ("Izin kerja kedaluwarsa", s["permits_expired"]), ("Izin kerja berakhir <=90 hari", s["permits_expiring_90d"]),
           ("RPTKA kedaluwarsa", s["rptka_expired"]), ("RPTKA berakhir <=90 hari", s["rptka_expiring_90d"]),
           ("Pemeriksaan dalam periode", s["inspections_period"]), ("Perusahaan belum diperiksa 12 bulan", s["not_inspected_12m"])]
    if c["meta"]["regency"]:  # a one-regency report counts its districts
        key[3] = ("Kecamatan dengan TKA", sum(1 for d in c["districts"] if _has_workers(d)))
    keys = grid(("Angka utama", "Jumlah"), key, widths=[90 * mm, 30 * mm])
    reg = tables.areas(c)
    regt = grid(reg.headers[1:], [r[1:] for r in reg.rows], total=reg.total[1:],
                widths=[44 * mm] + [13.6 * mm] * 10, wrap_cols=(0,))
    return _page("Ringkasan", Paragraph("Ringkasan", H1), Paragraph(f"Keadaan {_esc(c['meta']['period_label'])}; status izin per "
                 f"{formatting.long_date(c['meta']['reference_day'])}.", BODY), Spacer(1, 3 * mm), keys,
                 Paragraph("Perubahan dibanding triwulan sebelumnya", H2), change,
                 Paragraph(_esc(texts.comparison_note(c["comparison"])), SMALL),
                 Paragraph(_esc(texts.history_note()), SMALL),
                 Paragraph(f"Per {_unit_word(c)}", H2), regt, Spacer(1, 2 * mm),
                 Paragraph(_esc(texts.suppression_note(c["meta"])), SMALL))


def _has_workers(unit: dict) -> bool:
    v = unit["foreign_workers"]
    return is_hidden(v) or (isinstance(v, int) and v > 0)


def _unit_word(c: dict) -> str:
    """The regions a report's tables and map are broken down by."""
    return "kecamatan" if c["meta"]["regency"] else "kabupaten/kota"


def _company_points(companies: list[dict]):
    xs, ys = project_points([x["lon"] for x in companies], [x["lat"] for x in companies])
    return xs, ys, staticmaps.point_sizes([x["foreign_workers"] for x in companies])


def province_page(c: dict, geo: Geometries) -> list:
    """The overview map: the province by regency, or the regency of a one-regency report by district."""
    meta = c["meta"]
    word = _unit_word(c)
    if meta["regency"]:
        values = {d["code"]: d["foreign_workers"] for d in c["districts"]}
        png = staticmaps.regency_map(geo, meta["regency"], values, _company_points(c["companies"]),
                                     meta["threshold"], texts.source_note(meta),
                                     f"{texts.region(meta)}: sebaran TKA per kecamatan — {meta['period_label']}",
                                     size_mm=(size := staticmaps.fitted_size(geo, meta["regency"])), figures=True)
        section, image = "Peta kabupaten/kota", _image(png, *size)
    else:
        values = {r["code"]: r["foreign_workers"] for r in c["regencies"]}
        png = staticmaps.province_map(geo, values, meta["threshold"], texts.source_note(meta),
                                      f"Sebaran TKA per kabupaten/kota — {meta['period_label']}")
        section, image = "Peta provinsi", _image(png, 180, 150)
    return _page(section, Paragraph("Peta sebaran TKA", H1), image, Spacer(1, 3 * mm),
                 Paragraph(f"Warna menunjukkan jumlah TKA aktif per {word}; angka di peta sama dengan tabel "
                           "ringkasan. Kelas peta (sama dengan peta di layar): "
                           f"{_esc(staticmaps.classes(list(values.values()), meta['threshold']).summary())}.", SMALL))


def charts_page(c: dict) -> list:
    made = {ch.key: _image(ch.png, ch.width_mm, ch.height_mm) for ch in charts.report_charts(c)}
    pair = Table([[made["nationality"], made["sector"]], [made["position_level"], made["sex"]]])
    return _page("Grafik", Paragraph("Grafik", H1), pair, made["trend"],
                 Paragraph(_esc(texts.history_note() + " Kategori dengan kurang dari "
                                f"{c['meta']['threshold'] or 1} TKA digabung dalam 'Lainnya'."), SMALL))


def permits_page(c: dict) -> list:
    reg = tables.areas(c)
    cols = (1, 3, 4, 5, 6, 7, 8)
    regt = grid([reg.headers[i] for i in cols], [[r[i] for i in cols] for r in reg.rows],
                total=[reg.total[i] for i in cols], widths=[50 * mm] + [21 * mm] * 6, wrap_cols=(0,))
    exp = tables.expiring(c)
    top = exp.rows[:30]
    more = len(exp.rows) - len(top)
    t = grid(exp.headers, top, widths=[24 * mm, 26 * mm, 62 * mm, 38 * mm, 12 * mm, 18 * mm], wrap_cols=(2, 3))
    out = [Paragraph("Izin kedaluwarsa dan segera berakhir", H1),
           Paragraph(f"Izin kerja TKA dan RPTKA perusahaan per {_unit_word(c)}", H2), regt,
           Paragraph(f"RPTKA kedaluwarsa atau berakhir dalam 90 hari ({len(exp.rows)} perusahaan)", H2), t]
    if more:
        out.append(Paragraph(f"… dan {more} perusahaan lain: lihat lampiran XLSX (lembar izin_berakhir).", SMALL))
    return _page("Izin", *out)


def inspections_page(c: dict) -> list:
    f = tables.findings(c)
    ft = grid(f.headers, f.rows, total=f.total, widths=[60 * mm] + [22 * mm] * 4)
    ins = tables.inspections(c)
    latest = [r for r in ins.rows if r[4] != labels.FINDINGS["none"]][-25:]
    lt = grid(ins.headers, latest, widths=[17 * mm, 44 * mm, 30 * mm, 25 * mm, 24 * mm, 27 * mm, 13 * mm],
              wrap_cols=(1, 2, 3, 4, 5))
    out = [Paragraph("Hasil pemeriksaan dan tindak lanjut", H1),
           Paragraph(f"{len(ins.rows)} pemeriksaan lapangan antara {formatting.long_date(c['meta']['period_start'])} "
                     f"dan {formatting.long_date(c['meta']['reference_day'])}.", BODY), Spacer(1, 2 * mm), ft,
           Paragraph(f"Pemeriksaan dengan temuan (terbaru, {len(latest)} dari "
                     f"{sum(1 for r in ins.rows if r[4] != labels.FINDINGS['none'])})", H2), lt]
    return _page("Pemeriksaan", *out)


# --- Orang asing (issue 17): three fixed pages ------------------------------------------------------
# Rows of each discrepancy table in Lampiran C (about five pages); the HTML lists more, the XLSX all.
# Thousands of rows made a report of hundreds of pages that took minutes to lay out.
DISCREPANCIES_LISTED = 150
ACTIVITIES_LISTED = 8  # the latest activities, on a page at full size; the HTML and XLSX have all
ACTIVITY_TEXT = 110  # characters of an activity's targets, findings and follow-up on the page; the XLSX has all


def _shown_columns(t: tables.Table) -> list[int]:
    """The table's code-less columns, without the categories nobody is counted in (0 in the total,
    before the last column, the total): eleven purposes do not fit a page; the XLSX keeps every column."""
    return [0] + [i for i in range(1, len(t.headers) - 2) if t.total[i + 1] != 0] + [len(t.headers) - 2]


class Upright(Flowable):
    """A column header written bottom to top, for many narrow columns side by side (the eleven
    purposes of a stay) on a portrait page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text, self.size = text, CELL.fontSize
        self.width, self.height = self.size * 1.3, stringWidth(text, "Helvetica-Bold", self.size) + 2

    def wrap(self, avail_width, avail_height):
        return self.width, self.height

    def draw(self) -> None:
        canv = self.canv
        canv.saveState()
        canv.setFont("Helvetica-Bold", self.size)
        canv.rotate(90)
        canv.drawString(1, -self.size, self.text)
        canv.restoreState()


def _short(header: str) -> str:
    """A category's first name for a narrow column: 'Keluarga/penyatuan keluarga' -> 'Keluarga'."""
    return foreign.UNRECORDED_SHORT if header == foreign.UNRECORDED_LABEL else header.split("/")[0]


def _region_grid(t: tables.Table, name_mm: float = 40, widest_mm: float = 20, every: bool = False) -> LongTable:
    cols = list(range(len(t.headers) - 1)) if every else _shown_columns(t)
    width = min(widest_mm * mm, (FRAME_W - name_mm * mm) / max(len(cols) - 1, 1))
    headers = [t.headers[1:][i] for i in cols]
    if any(stringWidth(w, "Helvetica-Bold", CELL.fontSize) > width - 12 for h in headers[1:] for w in h.split()):
        # a header word wider than its column: every category header upright, in its short name
        headers = [headers[0], *(Upright(_short(h)) for h in headers[1:])]
    return grid(headers, [[r[1:][i] for i in cols] for r in t.rows],
                total=[t.total[1:][i] for i in cols], widths=[name_mm * mm] + [width] * (len(cols) - 1),
                wrap_cols=(0,))


def _clip(text: str, limit: int) -> str:
    """A long free text cut at a word, so ten activities fit their page."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def foreign_pages(c: dict) -> list:
    f, m = c["foreign"], c["meta"]
    day = formatting.long_date(f["reference_day"])
    key = grid(("Angka utama orang asing", "Jumlah"), [
        (f"Orang asing hadir per {day}", f["present_total"]["total"]),
        ("  di antaranya dengan tujuan bekerja (termasuk TKA)", f["workers"]),
        ("Tamu orang asing di penginapan dalam periode", f["lodging_total"]["guests"]),
        ("Penginapan yang melaporkan tamu orang asing", f["lodging_total"]["establishments"]),
        ("Kegiatan pemantauan dalam periode", len(f["activities"]))], widths=[100 * mm, 30 * mm])
    first = _page("Orang asing", Paragraph("Orang asing", H1), Paragraph(_esc(texts.foreign_note(m)), BODY),
                  Spacer(1, 2 * mm), key,
                  Paragraph(f"Orang asing hadir per tujuan ({day})", H2), _region_grid(tables.foreign_purposes(c)),
                  Paragraph("Kolom tujuan tanpa orang asing tidak ditampilkan (semua kolom: lampiran XLSX, lembar "
                            "orang_asing_tujuan).", SMALL),
                  Paragraph(f"Orang asing hadir per jenis izin tinggal ({day})", H2),
                  _region_grid(tables.foreign_permits(c)), Spacer(1, 2 * mm),
                  Paragraph(_esc(texts.suppression_note(m)), SMALL))
    nat = tables.foreign_nationalities(c, top=True)
    second = _page("Orang asing", Paragraph("Orang asing per kewarganegaraan dan tamu penginapan", H1),
                   Paragraph(f"Orang asing hadir per kewarganegaraan ({day})", H2), _region_grid(nat),
                   Paragraph(f"{foreign.TOP_NATIONALITIES} kewarganegaraan terbanyak; yang lain digabung dalam "
                             "'Lainnya' (semua: lampiran XLSX, lembar orang_asing_kewarganegaraan)."
                             if foreign.OTHERS in f["present_total"]["by_nationality_top"] else
                             "Semua kewarganegaraan orang asing yang hadir.", SMALL),
                   Paragraph("Tamu orang asing di penginapan dalam periode", H2),
                   _region_grid(tables.lodging(c), name_mm=60, widest_mm=35, every=True),
                   Paragraph(_esc(texts.lodging_note(f)), SMALL), Spacer(1, 2 * mm),
                   Paragraph(_esc(texts.suppression_note(m)), SMALL))
    acts = tables.activities(c)
    latest = acts.rows[-ACTIVITIES_LISTED:]
    listed = grid(acts.headers, [(*r[:5], *(_clip(v, ACTIVITY_TEXT) for v in r[5:])) for r in latest],
                  widths=[20 * mm, 19 * mm, 18 * mm, 21 * mm, 25 * mm, 26 * mm, 26 * mm, 25 * mm],
                  wrap_cols=tuple(range(1, 8)))
    out = [Paragraph("Kegiatan pemantauan orang asing", H1),
           Paragraph(f"{len(acts.rows)} kegiatan Tim PORA dan tim kabupaten/kota antara "
                     f"{formatting.long_date(f['start'])} dan {day}.", BODY), Spacer(1, 2 * mm),
           _region_grid(tables.activity_kinds(c), widest_mm=24, every=True),
           Paragraph(f"Kegiatan terbaru ({len(latest)} dari {len(acts.rows)})", H2),
           listed if latest else Paragraph("Tidak ada kegiatan pemantauan tercatat dalam periode.", BODY),
           Paragraph(_esc(texts.activities_note(m)) + f" Teks lebih dari {ACTIVITY_TEXT} karakter dipotong (…); "
                     "teks lengkap: lampiran XLSX, lembar kegiatan.", SMALL)]
    if len(acts.rows) > len(latest):
        out.append(Paragraph(f"… dan {len(acts.rows) - len(latest)} kegiatan lain: lihat lampiran XLSX (lembar kegiatan).",
                             SMALL))
    return first + second + _page("Kegiatan pemantauan", *out)


def atlas_units(c: dict) -> list[dict]:
    """One atlas page per regency, or per district with workers when the report is for one regency
    (the districts without are listed together: empty_districts)."""
    if c["meta"]["regency"]:
        return [d for d in _districts_of(c) if _has_workers(d)]
    return c["regencies"]


def _districts_of(c: dict) -> list[dict]:
    return [d for d in c["districts"] if d["parent_code"] == c["meta"]["regency"]]


def empty_districts_page(c: dict, geo: Geometries) -> list:
    """A one-regency report's districts without foreign workers: one table, not a page each."""
    empty = [d for d in _districts_of(c) if not _has_workers(d)]
    if not empty:
        return []
    cols = ("companies", "rptka_expired", "rptka_expiring_90d", "inspections_12m", "not_inspected_12m")
    headers = ("Kode", "Kecamatan", *(tables.REGION_HEADERS[2 + tables.REGION_KEYS.index(k)] for k in cols))
    rows = [(d["code"], d["name"], *(d[k] for k in cols)) for d in empty]
    table = grid(headers, rows, widths=[24 * mm, 56 * mm] + [20 * mm] * len(cols), wrap_cols=(1,))
    total = len(_districts_of(c))
    meta = c["meta"]
    width, height = staticmaps.fitted_size(geo, meta["regency"], highest=150)
    png = staticmaps.empty_districts_map(geo, meta["regency"], [d["code"] for d in empty], texts.source_note(meta),
                                         f"{texts.region(meta)}: kecamatan tanpa TKA", (width, height))
    return _page("Kecamatan tanpa TKA", Paragraph("Kecamatan tanpa TKA", H1),
                 Paragraph(f"{len(empty)} dari {total} kecamatan di {_esc(texts.region(meta))} tidak "
                           "mempunyai TKA aktif tercatat dengan filter ini; kecamatan ini tidak mendapat halaman "
                           "atlas sendiri. Perusahaan tanpa TKA dan pemeriksaannya tetap dihitung di bawah.", BODY),
                 Spacer(1, 3 * mm), table, Spacer(1, 4 * mm), _image(png, width, height))


def atlas_page(c: dict, geo: Geometries, unit: dict) -> list:
    meta, level = c["meta"], "district" if len(unit["code"]) == 8 else "regency"
    key = "district_code" if level == "district" else "regency_code"
    mine = [x for x in c["companies"] if x[key] == unit["code"]]
    points = _company_points(mine)
    if level == "regency":
        children = [d for d in c["districts"] if d["parent_code"] == unit["code"]]
        values = {d["code"]: d["foreign_workers"] for d in children}
        png = staticmaps.regency_map(geo, unit["code"], values, points, meta["threshold"],
                                     texts.source_note(meta), f"{unit['name']} ({unit['code']})")
        rows = [tables._region_row(d) for d in children]
        table = grid(("Kecamatan", *tables.REGION_HEADERS[2:]), [r[1:] for r in rows],
                     total=("Jumlah", *(unit[k] for k in tables.REGION_KEYS)),
                     widths=[36 * mm] + [16 * mm] * 9, wrap_cols=(0,))
    else:
        # the regency's classes: the same legend and colours as the regency map and every district page
        bins = staticmaps.classes([d["foreign_workers"] for d in _districts_of(c)], meta["threshold"])
        png = staticmaps.district_map(geo, unit["code"], unit["foreign_workers"], points, meta["threshold"],
                                      texts.source_note(meta), f"Kecamatan {unit['name']} ({unit['code']})", bins)
        table = grid(("Kecamatan", *tables.REGION_HEADERS[2:]), [tables._region_row(unit)[1:]],
                     widths=[36 * mm] + [16 * mm] * 9, wrap_cols=(0,))
    ranked = sorted(mine, key=lambda x: (-(x["foreign_workers"] if isinstance(x["foreign_workers"], int) else 0),
                                         x["name"], x["id"]))[:ATLAS_TOP]
    comp = tables.companies(c, ranked)
    cols = (1, 2, 4, 5, 6, 8, 10)
    ct = grid([comp.headers[i] for i in cols], [[r[i] for i in cols] for r in comp.rows],
              # dates written out ("22 September 2027") on one line: a page of ten rows stays one page
              widths=[40 * mm, 34 * mm, 26 * mm, 10 * mm, 14 * mm, 28 * mm, 28 * mm], wrap_cols=(0, 1, 2))
    out = [Paragraph(f"Atlas: {_esc(unit['name'])}", H1), _image(png, 180, 118), table,
           Paragraph(f"Perusahaan dengan TKA terbanyak ({len(ranked)} dari {len(mine)})", H2)]
    out.append(ct if ranked else Paragraph("Tidak ada perusahaan tercatat dengan filter ini.", BODY))
    return _page(f"Atlas — {unit['name']}", *out)


def annex(c: dict) -> list:
    d = tables.districts(c)
    out = [Section("Lampiran A"), Paragraph("Lampiran A. Rekapitulasi per kecamatan", H1),
           grid(d.headers[1:], [r[1:] for r in d.rows], widths=[34 * mm, 34 * mm] + [12.4 * mm] * 9, wrap_cols=(0, 1)),
           PageBreak()]
    n = tables.nationality_by_regency(c)
    ncols = len(n.headers) - 2
    width = min(18 * mm, (FRAME_W - 50 * mm) / max(ncols, 1))
    out += [Section("Lampiran B"), Paragraph("Lampiran B. TKA per kewarganegaraan dan kabupaten/kota", H1),
            grid(n.headers[1:], [r[1:] for r in n.rows], total=n.total[1:], widths=[50 * mm] + [width] * ncols,
                 wrap_cols=tuple(range(ncols + 1))),
            Spacer(1, 3 * mm), Paragraph(_esc(texts.suppression_note(c["meta"])), SMALL)]
    return out


def discrepancy_annex(c: dict) -> list:
    """Lampiran C: where agencies disagree (geo/reports/discrepancy_table.py)."""
    from geo.reports import discrepancy_table

    out = [PageBreak(), Section("Lampiran C"), Paragraph(f"Lampiran C. {discrepancy_table.TITLE}", H1)]
    for t in discrepancy_table.tables(c):
        out.append(Paragraph(f"{_esc(t.title.split(': ', 1)[1].capitalize())} ({len(t.rows)})", H2))
        rows = t.rows[:DISCREPANCIES_LISTED]
        if not rows:
            out.append(Paragraph("Tidak ada.", BODY))
        elif t.key == "selisih_terbuka":
            out.append(grid(t.headers, rows, widths=[38 * mm, 52 * mm, 28 * mm, 62 * mm], wrap_cols=(0, 1, 2, 3)))
        else:
            out.append(grid(t.headers, rows, widths=[18 * mm, 26 * mm, 32 * mm, 20 * mm, 24 * mm, 24 * mm, 36 * mm],
                            wrap_cols=(1, 2, 3, 4, 5, 6)))
        if len(t.rows) > len(rows):
            out.append(Paragraph(f"… dan {_esc(formatting.number(len(t.rows) - len(rows)))} baris lainnya: lihat "
                                 f"lampiran XLSX (lembar {t.key}).", SMALL))
    return out


def pdf_date(moment: datetime) -> str:
    """A PDF date string with the moment's UTC offset: D:20261205140700+07'00'."""
    offset = int(moment.utcoffset().total_seconds() // 60) if moment.utcoffset() is not None else 0
    sign = "+" if offset >= 0 else "-"
    return f"D:{moment:%Y%m%d%H%M%S}{sign}{abs(offset) // 60:02d}'{abs(offset) % 60:02d}'"


def render(c: dict, geo: Geometries, progress=None) -> bytes:
    """The PDF; `progress(done, total)` is called after each atlas page is drawn (a job's progress bar)."""
    buf = io.BytesIO()
    m = c["meta"]
    doc = _Doc(buf, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN + 6 * mm,
                            bottomMargin=MARGIN + 8 * mm, title=texts.title(m), author=m["agency_name"],
                            subject=f"{m['period_label']}; hash {m['hash']}", creator="Pantau", producer="Pantau",
                            invariant=1)
    from geo.reports import pack_pdf  # imports this module's helpers

    story = cover(c) + summary(c) + pack_pdf.followup_pages(c) + pack_pdf.changes_page(c)
    story += province_page(c, geo) + charts_page(c) + permits_page(c) + inspections_page(c)
    story += foreign_pages(c)
    units = atlas_units(c)
    for done, unit in enumerate(units, start=1):
        story += atlas_page(c, geo, unit)
        if progress:
            progress(done, len(units))
    if m["regency"]:
        story += empty_districts_page(c, geo)
    story += annex(c)
    story += discrepancy_annex(c)
    # The running header is drawn when a page ends, so it names the section that page belongs to.
    doc.decor = _Decor(m)
    doc.created = m["data_as_of"]
    doc.build(story)
    return buf.getvalue()
