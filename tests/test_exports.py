"""`pantau export` after importing the samples: every format re-read with its own reader."""

from __future__ import annotations

import csv
from datetime import date, datetime

import psycopg2
import pyogrio
import pytest
from openpyxl import load_workbook

from geo.imports.service import run_import
from tests.importutil import COMPANIES_CSV, VALID_COMPANIES, VALID_WORKERS, WORKERS_CSV, pantau

pytestmark = pytest.mark.slow  # `pantau export` in subprocesses, every format

FORMATS = ["csv", "xlsx", "geojson", "gpkg", "kml"]


@pytest.fixture(scope="module")
def data_url(server_url, template_db):
    from tests.dbutil import create_database, dbname_of, drop_database

    url = create_database(server_url, template=template_db)
    conn = psycopg2.connect(url)
    run_import(conn, "companies", COMPANIES_CSV.read_bytes(), "companies.csv", mode="skip_invalid")
    run_import(conn, "workers", WORKERS_CSV.read_bytes(), "workers.csv", mode="skip_invalid")
    with conn.cursor() as cur:  # a few inspections, through the importer too
        cur.execute("SELECT nib FROM companies ORDER BY nib LIMIT 3")
        nibs = [r[0] for r in cur.fetchall()]
    text = "nib,tanggal,tim,temuan,keterangan,tindak_lanjut\n" + "".join(
        f'{n},0{i + 1}/03/2025,"Imigrasi, Polda / disnakertrans",Izin kedaluwarsa,catatan {i},pembinaan\n'
        for i, n in enumerate(nibs))
    report = run_import(conn, "inspections", text.encode(), "inspections.csv", mode="all_or_nothing")
    assert report.imported == 3, report.rejected
    conn.close()
    yield url
    drop_database(server_url, dbname_of(url))


def _query(url, sql, params=()):
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    conn.close()
    return rows


def _read_count(path, fmt):
    if fmt == "csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
        return len(rows), rows
    if fmt == "xlsx":
        ws = load_workbook(path).active
        values = list(ws.iter_rows(values_only=True))
        header = values[0]
        return len(values) - 1, [dict(zip(header, v, strict=True)) for v in values[1:]]
    frame = pyogrio.read_dataframe(path)
    return len(frame), frame.to_dict("records")


@pytest.mark.parametrize("fmt", FORMATS)
def test_companies_export_in_every_format(data_url, tmp_path, fmt):
    out = tmp_path / f"companies.{fmt}"
    result = pantau("export", "companies", "--format", fmt, "--out", out, database_url=data_url)
    assert result.returncode == 0, result.stderr
    n, rows = _read_count(out, fmt)
    assert n == VALID_COMPANIES
    expected_nibs = {r[0] for r in _query(data_url, "SELECT nib FROM companies")}
    if fmt in ("csv", "xlsx", "geojson", "gpkg"):
        assert {str(r["nib"]) for r in rows} == expected_nibs  # 13 digits kept, never a float


@pytest.mark.parametrize("fmt", FORMATS)
def test_filtered_worker_export_counts(data_url, tmp_path, fmt):
    regency = "62.02"
    (expected,) = _query(data_url, "SELECT count(*) FROM foreign_workers w JOIN companies c ON c.id = w.company_id "
                                   "WHERE c.regency_code = %s AND w.nationality = 'CN'", (regency,))[0]
    assert expected > 0
    out = tmp_path / f"workers.{fmt}"
    result = pantau("export", "workers", "--format", fmt, "--out", out, "--regency", regency,
                    "--nationality", "cn", database_url=data_url)
    assert result.returncode == 0, result.stderr
    n, rows = _read_count(out, fmt)
    assert n == expected
    if fmt != "kml":
        assert {r["kewarganegaraan"] for r in rows} == {"CN"}
        assert "nomor_paspor" not in rows[0] and "nama_lengkap" not in rows[0]


def test_xlsx_has_date_cells_frozen_header_and_filter(data_url, tmp_path):
    out = tmp_path / "companies.xlsx"
    assert pantau("export", "companies", "--format", "xlsx", "--out", out, database_url=data_url).returncode == 0
    ws = load_workbook(out).active
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
    header = [c.value for c in ws[1]]
    dates = [row[header.index("rptka_berlaku_hingga")] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(d, datetime | date) for d in dates)


def test_personal_only_on_request_and_export_reimports_unchanged(data_url, tmp_path):
    out = tmp_path / "workers.csv"
    assert pantau("export", "workers", "--format", "csv", "--out", out, "--personal", database_url=data_url).returncode == 0
    with out.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == VALID_WORKERS and rows[0]["nomor_paspor"]
    again = tmp_path / "report.json"
    result = pantau("import", "workers", out, "--report", again, "--source", "imigrasi", database_url=data_url)
    assert result.returncode == 0, result.stdout
    assert f'"unchanged": {VALID_WORKERS}' in again.read_text()


def test_inspections_and_permit_status_filter(data_url, tmp_path):
    out = tmp_path / "inspections.geojson"
    assert pantau("export", "inspections", "--format", "geojson", "--out", out, database_url=data_url).returncode == 0
    frame = pyogrio.read_dataframe(out)
    assert len(frame) == 3 and set(frame["tim"]) == {"disnakertrans, imigrasi, polda"}
    (expired,) = _query(data_url, "SELECT count(*) FROM companies WHERE permit_status(rptka_valid_until) = 'expired'")[0]
    out = tmp_path / "expired.csv"
    assert pantau("export", "companies", "--format", "csv", "--out", out, "--permit-status", "expired",
                  database_url=data_url).returncode == 0
    assert _read_count(out, "csv")[0] == expired


def test_bad_filter_is_a_clear_error(data_url, tmp_path):
    result = pantau("export", "companies", "--format", "csv", "--out", tmp_path / "x.csv", "--regency", "99.99",
                    database_url=data_url)
    assert result.returncode == 1 and "99.99" in result.stderr
