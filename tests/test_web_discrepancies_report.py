"""The reports' "Selisih data antarinstansi" (issue #18 item 4): the discrepancies still open and the
resolution notes written in the period, read back as a reader gets them (pdftotext, the HTML, the
XLSX sheets); a 62.02 report holds nothing of 62.71; a note naming a worker is masked in a report
made without personal data."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import openpyxl
import psycopg2
import pytest

from api.security import Principal
from geo import clock
from geo.discrepancies import resolve
from geo.filters import MonitoringFilter
from geo.reports.build import build_report
from geo.reports.content import Options
from geo.reports.period import Quarter
from tests.seed import COMPANIES, seed
from tests.test_web_discrepancies import NEW_NAME, add_reports

pytestmark = pytest.mark.slow  # builds PDF/HTML reports

PASSPORT = "MK6611004"  # worker 3's, at company 2 (62.71)
NOTE = "Sesuai akta perubahan nama di OSS."


@pytest.fixture(scope="module")
def db(server_url, template_db):
    seeded = seed(server_url, template_db, serve=False)
    add_reports(seeded.url, seeded.company_ids, seeded.worker_ids)
    editor = Principal("editor-laporan", "editor", "kesbangpol", None)
    conn = psycopg2.connect(seeded.url)
    try:
        assert resolve(conn, editor, "company", str(seeded.company_ids[1]), field="nama_perusahaan",
                       chosen_agency="kesbangpol", note=NOTE)
        assert resolve(conn, editor, "company", str(seeded.company_ids[2]), field="jumlah_tka",
                       chosen_agency="imigrasi", note=f"Paspor {PASSPORT} sudah keluar dari perusahaan.")
    finally:
        conn.close()
    yield seeded
    seeded.close()


def quarter() -> Quarter:
    today = clock.today()
    return Quarter.parse(f"{today.year}-Q{(today.month - 1) // 3 + 1}")


def build(url: str, fmt: str, flt: MonitoringFilter | None = None, personal: bool = False) -> bytes:
    conn = psycopg2.connect(url)
    try:
        return build_report(conn, Options(quarter(), flt or MonitoringFilter(), threshold=None, personal=personal),
                            fmt).body
    finally:
        conn.close()


def pdf_annex(body: bytes, tmp_path: Path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(body)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text[text.index("Lampiran C. Selisih data antarinstansi"):]


def test_pdf_lists_open_discrepancies_and_the_resolutions_of_the_period(db, tmp_path):
    annex = pdf_annex(build(db.url, "pdf"), tmp_path)
    open_part, resolved_part = annex.split("Diselesaikan dalam periode")
    # Company 0's worker count, and both regencies' counts; company 2's count is resolved.
    assert "Belum diselesaikan (3)" in open_part
    assert COMPANIES[0][1] in open_part and "Disnakertrans: 1; Imigrasi: 2" in open_part
    assert COMPANIES[1][1] not in open_part  # resolved
    assert "(2)" in resolved_part.splitlines()[0]
    assert "Sesuai akta perubahan" in resolved_part and "editor-laporan" in resolved_part
    assert "angka" in resolved_part and "Kesbangpol" in resolved_part  # the chosen figure (wrapped by the layout)
    assert PASSPORT not in annex and "[disamarkan]" in annex  # no personal data in this report


def test_a_regency_report_holds_only_its_regency(db, tmp_path):
    annex = pdf_annex(build(db.url, "pdf", MonitoringFilter(scope=("62.02",))), tmp_path)
    assert COMPANIES[2][1] not in annex and "Palangka" not in annex
    assert COMPANIES[0][1] in annex and NOTE[:20] in annex
    assert "(seluruh kabupaten/kota)" in annex  # 62.02's regional worker count: open


def test_html_and_xlsx_carry_the_same_tables(db):
    html = build(db.url, "html").decode()
    section = html[html.index("<h2>Selisih data antarinstansi</h2>"):]
    assert "Selisih data antarinstansi: belum diselesaikan" in section and COMPANIES[0][1] in section
    assert NEW_NAME not in section or "Sesuai akta" in section
    assert PASSPORT not in section
    book = openpyxl.load_workbook(io.BytesIO(build(db.url, "xlsx", personal=True)), read_only=True)
    resolved = [row for row in book["selisih_diselesaikan"].iter_rows(values_only=True)]
    assert any(PASSPORT in str(cell) for row in resolved for cell in row)  # personal report: unmasked
    opened = [row for row in book["selisih_terbuka"].iter_rows(values_only=True)]
    assert any(COMPANIES[0][1] in str(cell) for row in opened for cell in row)


def test_a_long_table_is_cut_on_paper_and_whole_in_the_xlsx(db, tmp_path, monkeypatch):
    """Thousands of discrepancies would make an annex of hundreds of pages: the PDF lists the first
    DISCREPANCIES_LISTED rows of each table and says how many more the XLSX sheet holds."""
    from geo.reports import pdf

    monkeypatch.setattr(pdf, "DISCREPANCIES_LISTED", 1)
    open_part, resolved_part = pdf_annex(build(db.url, "pdf"), tmp_path).split("Diselesaikan dalam periode")
    assert "Belum diselesaikan (3)" in open_part  # the count is of every row
    assert "… dan 2 baris lainnya: lihat lampiran XLSX (lembar selisih_terbuka)." in open_part
    assert "… dan 1 baris lainnya: lihat lampiran XLSX (lembar selisih_diselesaikan)." in resolved_part
    assert open_part.count("Disnakertrans:") == 1  # one row listed of three
    book = openpyxl.load_workbook(io.BytesIO(build(db.url, "xlsx")), read_only=True)
    assert len(list(book["selisih_terbuka"].iter_rows(values_only=True))) >= 3 + 1  # header and all three
