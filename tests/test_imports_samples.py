"""The sample files (tests/fixtures/) through `pantau import`, exactly as an operator runs it."""

from __future__ import annotations

import json

import psycopg2
import pytest

from tests.importutil import (
    BAD_COMPANY_LINES,
    BAD_WORKER_LINES,
    COMPANIES_CSV,
    VALID_COMPANIES,
    VALID_WORKERS,
    WORKERS_CSV,
    pantau,
)

pytestmark = pytest.mark.slow  # `pantau import` in subprocesses


def counts(url: str) -> dict[str, int]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        out = {}
        for table in ("companies", "foreign_workers", "inspections", "import_batches", "company_reports", "worker_reports"):
            cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
            out[table] = cur.fetchone()[0]
    conn.close()
    return out


def import_file(url, kind, path, tmp_path, *flags):
    out = tmp_path / f"{kind}-report.json"
    result = pantau("import", kind, path, "--report", out, *flags, database_url=url)
    return result, json.loads(out.read_text())


@pytest.fixture
def imported(fresh_db_url, tmp_path):
    """Both sample files imported with --skip-invalid (companies first: workers need employers)."""
    companies = import_file(fresh_db_url, "companies", COMPANIES_CSV, tmp_path, "--skip-invalid", "--source", "disnakertrans")
    workers = import_file(fresh_db_url, "workers", WORKERS_CSV, tmp_path, "--skip-invalid", "--source", "imigrasi")
    return fresh_db_url, companies, workers


def test_skip_invalid_imports_exactly_the_valid_rows(imported):
    url, (c_result, c_report), (w_result, w_report) = imported
    assert c_result.returncode == 0, c_result.stderr
    assert w_result.returncode == 0, w_result.stderr
    assert (c_report["imported"], c_report["updated"], c_report["unchanged"]) == (VALID_COMPANIES, 0, 0)
    assert (w_report["imported"], w_report["updated"], w_report["unchanged"]) == (VALID_WORKERS, 0, 0)
    assert sorted({r["line"] for r in c_report["rejected"]}) == BAD_COMPANY_LINES
    assert sorted({r["line"] for r in w_report["rejected"]}) == BAD_WORKER_LINES
    n = counts(url)
    assert (n["companies"], n["foreign_workers"], n["import_batches"]) == (VALID_COMPANIES, VALID_WORKERS, 2)
    assert (n["company_reports"], n["worker_reports"]) == (VALID_COMPANIES, VALID_WORKERS)


def _by_line(report):
    out = {}
    for r in report["rejected"]:
        out.setdefault(r["line"], []).append(r)
    return out


def test_each_bad_line_names_its_column_and_reason(imported):
    _, (_, c_report), (_, w_report) = imported
    c = _by_line(c_report)
    expect = {
        9: ("latitude", "latitude kosong"),
        16: ("nib", "13 digit"),
        18: ("nib", "NIB kosong"),
        23: ("latitude", "bukan angka"),
        28: ("nib", "ganda: sudah ada di baris 8"),
        31: ("rptka_berlaku_hingga", "tidak ada di kalender"),
        33: ("latitude", "tertukar"),
        35: ("latitude,longitude", "di luar Kalimantan Tengah"),
    }
    for line, (column, words) in expect.items():
        assert any(r["column"] == column and words in r["reason"] for r in c[line]), (line, c[line])
    assert c[23][0]["value"] == "abc"
    assert c[9][0] == {"line": 9, "column": "latitude", "value": "",
                       "reason": "latitude kosong: perusahaan hanya dipetakan pada lokasi yang diketahui (latitude missing)"}
    w = _by_line(w_report)
    assert [(r["column"], r["value"]) for r in w[30]] == [("kewarganegaraan", "Narnia")]
    assert "tidak dikenal" in w[30][0]["reason"]
    assert w[49][0]["column"] == "nomor_paspor" and w[49][0]["value"] is None
    assert "nomor paspor kosong" in w[49][0]["reason"]
    assert any(r["column"] == "izin_berlaku_hingga" and r["value"] == "kemarin" for r in w[52])
    assert any(r["column"] == "nib" and r["value"] == "9999999999999" and "tidak terdaftar" in r["reason"]
               for r in w[54])


def test_personal_data_never_in_report_or_output(imported, tmp_path):
    _, (c_result, _), (w_result, w_report) = imported
    text = json.dumps(w_report) + w_result.stdout + w_result.stderr
    for secret in ("Pekerja", "Contoh Worker", "H95117226", "H12807628", "2C8558506694"):
        assert secret not in text


def test_all_or_nothing_writes_nothing_and_exits_1(fresh_db_url, tmp_path):
    result, report = import_file(fresh_db_url, "companies", COMPANIES_CSV, tmp_path, "--source", "imigrasi")
    assert result.returncode == 1
    assert sorted({r["line"] for r in report["rejected"]}) == BAD_COMPANY_LINES
    assert report["committed"] is False and report["batch_id"] is None
    assert counts(fresh_db_url)["companies"] == 0
    assert counts(fresh_db_url)["import_batches"] == 0
    assert "baris 35" in result.stdout


def test_check_validates_without_writing(fresh_db_url, tmp_path):
    result, report = import_file(fresh_db_url, "companies", COMPANIES_CSV, tmp_path, "--check")
    assert result.returncode == 1
    assert report["valid"] == VALID_COMPANIES
    assert counts(fresh_db_url)["companies"] == 0


def test_reimport_changes_nothing(imported, tmp_path):
    url = imported[0]
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT sum(version), max(updated_at) FROM companies")
        before_c = cur.fetchone()
        cur.execute("SELECT sum(version), max(updated_at) FROM foreign_workers")
        before_w = cur.fetchone()
    conn.close()
    _, c_again = import_file(url, "companies", COMPANIES_CSV, tmp_path, "--skip-invalid", "--source", "disnakertrans")
    _, w_again = import_file(url, "workers", WORKERS_CSV, tmp_path, "--skip-invalid", "--source", "imigrasi")
    assert (c_again["imported"], c_again["updated"], c_again["unchanged"]) == (0, 0, VALID_COMPANIES)
    assert (w_again["imported"], w_again["updated"], w_again["unchanged"]) == (0, 0, VALID_WORKERS)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT sum(version), max(updated_at) FROM companies")
        assert cur.fetchone() == before_c
        cur.execute("SELECT sum(version), max(updated_at) FROM foreign_workers")
        assert cur.fetchone() == before_w
        cur.execute("SELECT count(*) FROM companies WHERE version <> 1")
        assert cur.fetchone()[0] == 0
    conn.close()


def test_workers_file_needs_employers_first(fresh_db_url, tmp_path):
    result, report = import_file(fresh_db_url, "workers", WORKERS_CSV, tmp_path, "--skip-invalid")
    assert result.returncode == 0
    assert report["imported"] == 0
    assert len(report["rejected_lines"] if "rejected_lines" in report else {r["line"] for r in report["rejected"]}) == VALID_WORKERS + len(BAD_WORKER_LINES)


def test_unknown_source_agency_is_refused(fresh_db_url, tmp_path):
    result = pantau("import", "companies", COMPANIES_CSV, "--source", "cia", database_url=fresh_db_url)
    assert result.returncode == 1
    assert "instansi sumber tidak dikenal" in result.stderr


def test_inspections_import_with_bad_rows(imported, tmp_path):
    url = imported[0]
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT nib FROM companies ORDER BY nib LIMIT 2")
        a, b = (r[0] for r in cur.fetchall())
    conn.close()
    path = tmp_path / "inspections.csv"
    path.write_text(
        "tanggal;nib;tim;temuan;keterangan;tindak_lanjut\n"
        f'2025-03-01;{a};Imigrasi, Polda;Izin kedaluwarsa;2 TKA;pembinaan\n'          # 2 ok
        f'01/03/2025;{a};polda / IMIGRASI;Tidak ada;;\n'                               # 3 same team, same day
        f'30/02/2025;{b};Imigrasi;Tidak ada;;\n'                                       # 4 impossible date
        f'2025-04-01;{b};Imigrasi, CIA;Tidak ada;;\n'                                  # 5 unknown agency
        f'2025-04-02;{b};Tim PORA;Entah;;\n'                                           # 6 unknown finding
        f'2025-04-03;9999999999999;Disnakertrans;Tanpa izin;;\n'                       # 7 unknown employer
        f'2025-04-04;{b};Tim PORA dan Disnakertrans;Jabatan tidak sesuai;;panggilan\n'  # 8 ok
    )
    result, report = import_file(url, "inspections", path, tmp_path, "--skip-invalid", "--source", "polda")
    assert result.returncode == 0, result.stderr
    by_line = _by_line(report)
    assert sorted(by_line) == [3, 4, 5, 6, 7]
    assert by_line[3][0]["column"] == "tanggal" and "baris 2" in by_line[3][0]["reason"]
    assert by_line[4][0]["reason"].startswith("tanggal tidak ada di kalender")
    assert (by_line[5][0]["column"], by_line[6][0]["column"], by_line[7][0]["column"]) == ("tim", "temuan", "nib")
    assert report["imported"] == 2
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT team, finding FROM inspections ORDER BY inspected_on")
        assert cur.fetchall() == [(["imigrasi", "polda"], "expired_permit"),
                                  (["disnakertrans", "imigrasi"], "position_mismatch")]
    conn.close()
    _, again = import_file(url, "inspections", path, tmp_path, "--skip-invalid", "--source", "polda")
    assert (again["imported"], again["updated"], again["unchanged"]) == (0, 0, 2)


def test_worker_work_sites(imported, tmp_path):
    url = imported[0]
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT nib, ST_Y(geom), ST_X(geom), district_code FROM companies ORDER BY nib LIMIT 1")
        nib, lat, lon, district = cur.fetchone()
    conn.close()
    head = ("nib,nama_lengkap,nomor_paspor,kewarganegaraan,jenis_kelamin,jabatan,nomor_rptka,izin_berlaku_hingga,"
            "nomor_itas,itas_berlaku_hingga,lokasi_kerja_lat,lokasi_kerja_lon\n")
    path = tmp_path / "sites.csv"
    path.write_text(head
                    + f"{nib},Situs Satu,S0000001,MY,L,Manajer Kebun,,,,,{lat},{lon}\n"         # 2 ok
                    + f"{nib},Situs Dua,S0000002,MY,L,Manajer Kebun,,,,,-3.3194,114.5908\n"     # 3 Banjarmasin
                    + f"{nib},Situs Tiga,S0000003,MY,L,Manajer Kebun,,,,,-2.1,\n")             # 4 half a point
    result, report = import_file(url, "workers", path, tmp_path, "--skip-invalid")
    assert result.returncode == 0
    by_line = _by_line(report)
    assert sorted(by_line) == [3, 4]
    assert by_line[3][0]["column"] == "lokasi_kerja_lat,lokasi_kerja_lon"
    assert by_line[4][0]["column"] == "lokasi_kerja_lon"
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT work_site_district_code, position_level FROM foreign_workers WHERE passport_number = 'S0000001'")
        assert cur.fetchone() == (district, "manajer")
    conn.close()
