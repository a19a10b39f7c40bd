"""The meeting pack in the reports (issue 19 item 3): "Tindak lanjut rekomendasi rakor sebelumnya"
and "Perubahan sejak rakor terakhir" open the PDF (after the summary), the offline HTML and the XLSX.
Known meetings and recommendations on the seeded data in a database of this module; the tables are
read back as a reader gets them (pdftotext, the XLSX cells, the HTML) and compared with SQL and the
statistics; a 62.02 user's report holds nothing of 62.71; a report without personal data never
shows a worker's name or passport number written in a note."""

from __future__ import annotations

import io
import os
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import openpyxl
import psycopg2
import pytest

from geo.filters import MonitoringFilter
from geo.formatting import long_date
from geo.labels import AGENCIES
from geo.meetings.changes import FIGURES, figures_on
from geo.meetings.store import STATUS_LABELS
from geo.reports.build import build_report
from geo.reports.content import Options
from geo.reports.period import Quarter
from tests import pack_seed
from tests.dbutil import dbname_of, drop_database
from tests.pack_seed import EARLIER, LAST, PERIOD, RECS, SECRET_NOTE, SHOWN, TODAY
from tests.test_reports import pdf_pages

pytestmark = pytest.mark.slow  # builds PDF/HTML reports and starts a server


@pytest.fixture(scope="module")
def db(server_url, template_db):
    url, _ = pack_seed.make(server_url, template_db)
    yield url
    drop_database(server_url, dbname_of(url))


def build(url: str, fmt: str, period: Quarter = PERIOD, **opts) -> bytes:
    conn = psycopg2.connect(url)
    try:
        defaults = {"flt": MonitoringFilter(), "threshold": None}
        return build_report(conn, Options(period, **{**defaults, **opts}), fmt).body
    finally:
        conn.close()


def expected_changes(url: str, flt: MonitoringFilter) -> dict[str, dict]:
    conn = psycopg2.connect(url)
    try:
        days = figures_on(conn, flt, [LAST, TODAY])
    finally:
        conn.close()
    return {code: {"then": days[LAST][code], "now": days[TODAY][code]} for code in days[TODAY]}


def names(url: str) -> dict[str, str]:
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute("SELECT code, name FROM boundaries WHERE level = 'regency'")
        out = dict(cur.fetchall())
    conn.close()
    return out


def raw_page(body: bytes, page: int, tmp_path) -> str:
    """One page (1-based) in the PDF's drawing order (pdftotext -raw): each cell's lines together."""
    f = tmp_path / "raw.pdf"
    f.write_bytes(body)
    out = subprocess.run(["pdftotext", "-raw", "-f", str(page), "-l", str(page), str(f), "-"],
                         capture_output=True, text=True, check=True).stdout
    return " ".join(out.split())


def test_pdf_opens_with_the_follow_up_and_the_changes(db, tmp_path):
    body = build(db, "pdf")
    if os.environ.get("PANTAU_PACK_KEEP"):  # to look at the pages: pdftoppm -png -r 60
        Path(os.environ["PANTAU_PACK_KEEP"]).write_bytes(body)
    pages = pdf_pages(body, tmp_path)
    assert "Ringkasan" in pages[1]
    follow, change = raw_page(body, 3, tmp_path), pages[3]
    assert "Tindak lanjut rekomendasi rakor sebelumnya" in follow
    # Every recommendation still relevant, numbered, the last meeting's first (by due date), then the
    # earlier meeting's unfinished one; its agency, region, due date, status and last note.
    order = [RECS[i] for i in (2, 3, 4, 0)]
    at = [follow.index(f"{k} {rec[1]}") for k, rec in enumerate(order, start=1)]
    assert at == sorted(at)
    assert RECS[1][1] not in follow
    rows = [follow[a:b] for a, b in zip(at, [*at[1:], len(follow)], strict=True)]
    for row, rec in zip(rows, order, strict=True):
        assert AGENCIES[rec[2]] in row and long_date(TODAY + timedelta(days=rec[4])) in row
        assert STATUS_LABELS[rec[5]] in row
        assert rec[6].split(";")[0] in row
        assert (f"(rakor {long_date(EARLIER)})" in row) == (rec[0] == "earlier")
        assert ("Terlambat" in row) == (rec[4] < 0 and rec[5] not in ("selesai", "tidak_dapat_dilaksanakan"))
    assert "Seluruh provinsi" in rows[2]
    # The change table, read back: each regency's line holds then, now and the change of each figure.
    assert "Perubahan sejak rakor terakhir" in change
    want = expected_changes(db, MonitoringFilter())
    regencies = names(db)
    for code in ("62.02", "62.71"):
        first, second = [ln for ln in change.splitlines() if ln.strip().startswith(regencies[code] + "  ")]
        got = [n for ln in (first, second) for n in re.findall(r"[+-]?\d+|–", ln.split(regencies[code], 1)[1])]
        exp = []
        for key, _ in FIGURES:
            a, b = want[code]["then"][key], want[code]["now"][key]
            exp += [str(a), str(b), f"+{b - a}" if b > a else str(b - a)]
        assert got == exp, (code, got, exp)
    assert want["62.02"]["then"]["companies"] == 1 and want["62.02"]["now"]["companies"] == 2


def test_changes_equal_the_statistics_of_today(db):
    from geo.stats import region_stats

    conn = psycopg2.connect(db)
    try:
        stats = {r["code"]: r for r in region_stats(conn, "regency", MonitoringFilter(), parent="62", today=TODAY)}
    finally:
        conn.close()
    for code, row in expected_changes(db, MonitoringFilter()).items():
        for key in ("companies", "foreign_workers", "permits_expired", "rptka_expired", "inspections_12m"):
            assert row["now"][key] == stats[code][key]


def test_notes_masked_without_personal_data(db, tmp_path):
    for body in (build(db, "html"), build(db, "xlsx")):
        assert b"EZ9911001" not in body and b"WEIXIANPRIVATE" not in body
    pages = pdf_pages(build(db, "pdf", threshold=3), tmp_path)
    text = " ".join(pages[2].split())
    assert "WEIXIANPRIVATE" not in text and "EZ9911001" not in text and "[disamarkan]" in text
    # Small counts of persons hidden, their change not shown.
    assert "<3" in pages[3] and "–" in pages[3]
    wb = openpyxl.load_workbook(io.BytesIO(build(db, "xlsx", personal=True)))
    notes = [row[-1] for row in wb["tindak_lanjut"].iter_rows(min_row=2, values_only=True)]
    assert SECRET_NOTE in notes


def test_html_and_xlsx_hold_both_tables(db):
    html = build(db, "html").decode()
    assert html.index("Tindak lanjut rekomendasi rakor sebelumnya") < html.index("Peta sebaran TKA")
    assert html.index("Perubahan sejak rakor terakhir") < html.index("Peta sebaran TKA")
    for i, rec in enumerate(RECS):
        assert (rec[1] in html) == (i in SHOWN)
    wb = openpyxl.load_workbook(io.BytesIO(build(db, "xlsx")))
    assert wb.sheetnames[:3] == ["Keterangan", "tindak_lanjut", "perubahan"]
    recs = list(wb["tindak_lanjut"].iter_rows(min_row=2, values_only=True))
    assert sorted(r[2] for r in recs) == sorted(RECS[i][1] for i in SHOWN)
    assert [r[7] for r in recs].count("Terlambat") == 2  # the earlier unfinished one and the last one past due
    want = expected_changes(db, MonitoringFilter())
    rows = {r[0]: r for r in wb["perubahan"].iter_rows(min_row=2, values_only=True)}
    for code in ("62.02", "62.71"):
        exp = []
        for key, _ in FIGURES:
            a, b = want[code]["then"][key], want[code]["now"][key]
            exp += [a, b, b - a]
        assert list(rows[code][2:]) == exp


def test_no_meeting_before_the_period(db, tmp_path):
    pages = pdf_pages(build(db, "pdf", period=Quarter.containing(EARLIER - timedelta(days=100))), tmp_path)
    assert "Belum ada rakor tercatat" in pages[2] and "Belum ada rakor tercatat" in pages[3]


def test_one_regency_report_by_district(db, tmp_path):
    body = build(db, "pdf", flt=MonitoringFilter(regency_code="62.02"))
    if os.environ.get("PANTAU_PACK_KEEP"):
        Path(os.environ["PANTAU_PACK_KEEP"]).with_suffix(".regency.pdf").write_bytes(body)
    follow = raw_page(body, 3, tmp_path)
    assert RECS[2][1] in follow and RECS[4][1] in follow  # the regency's and the province-wide one
    assert RECS[0][1] not in follow and RECS[3][1] not in follow
    change = pdf_pages(body, tmp_path)[3]
    assert "Kecamatan" in change and "Palangkaraya" not in change and "Kotawaringin Barat" not in change
    total = [ln for ln in change.splitlines() if ln.strip().startswith("Jumlah")]
    regency = expected_changes(db, MonitoringFilter())["62.02"]
    got = [n for ln in total for n in re.findall(r"[+-]?\d+|–", ln)]
    exp = []
    for key, _ in FIGURES:
        a, b = regency["then"][key], regency["now"][key]
        exp += [str(a), str(b), f"+{b - a}" if b > a else str(b - a)]
    # The districts add up to the regency (foreign nationals are placed by their own village: in 62.02 too).
    assert got == exp
