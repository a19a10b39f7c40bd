"""The same sample data as Indonesian offices' Excel saves it: XLSX with real date cells and NIB as
numbers; `;`-separated CSV with decimal commas, BOM and CRLF; shuffled, re-typed headers.
Every variant must give exactly the results of the original CSV."""

from __future__ import annotations

import csv
import io
import random
from datetime import date, datetime

import psycopg2
import pytest
from openpyxl import Workbook

from geo.imports.service import run_import
from tests.importutil import (
    BAD_COMPANY_LINES,
    BAD_WORKER_LINES,
    COMPANIES_CSV,
    VALID_COMPANIES,
    VALID_WORKERS,
    WORKERS_CSV,
    sample_rows,
)

NUMERIC = {"latitude", "longitude", "lokasi_kerja_lat", "lokasi_kerja_lon"}
DATES = {"rptka_berlaku_hingga", "izin_berlaku_hingga", "itas_berlaku_hingga", "tanggal"}


def _as_date(text: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    return None


def _shuffled(header: list[str], rows: list[list[str]], seed: int):
    order = list(range(len(header)))
    random.Random(seed).shuffle(order)
    return [header[i] for i in order], [[r[i] for i in order] for r in rows]


def xlsx_variant(path) -> bytes:
    """Typed cells as Excel stores them: NIB and KBLI as numbers (KBLI loses its leading zero),
    coordinates as numbers, dates as date cells (impossible or free-text dates stay text)."""
    header, rows = _shuffled(*sample_rows(path), seed=3)
    wb = Workbook()
    ws = wb.active
    ws.append([f"  {h.upper()} " for h in header])  # headers retyped with capitals and spaces
    for row in rows:
        cells = []
        for name, value in zip(header, row, strict=True):
            if name in ("nib", "kbli") and value.isdigit():
                cells.append(int(value))
            elif name in NUMERIC and value:
                try:
                    cells.append(float(value))
                except ValueError:
                    cells.append(value)
            elif name in DATES and _as_date(value):
                cells.append(_as_date(value))
            else:
                cells.append(value)
        ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def semicolon_variant(path) -> bytes:
    """Excel 'CSV UTF-8' in an Indonesian locale: BOM, `;`, decimal comma, DD/MM/YYYY, CRLF."""
    header, rows = _shuffled(*sample_rows(path), seed=5)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        cells = []
        for name, value in zip(header, row, strict=True):
            if name in NUMERIC:
                value = value.replace(".", ",")
            elif name in DATES and _as_date(value):
                value = _as_date(value).strftime("%d/%m/%Y")
            cells.append(value)
        writer.writerow(cells)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def original(path) -> bytes:
    return path.read_bytes()


VARIANTS = {"csv": (original, "csv"), "xlsx": (xlsx_variant, "xlsx"), "semicolon": (semicolon_variant, "csv")}


def _import(url, kind, data, name, mode):
    conn = psycopg2.connect(url)
    try:
        return run_import(conn, kind, data, name, mode=mode, source="disnakertrans", user="test")
    finally:
        conn.close()


def _snapshot(url):
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT nib, name, sector, kbli, ST_AsText(geom), district_code, rptka_valid_until "
                    "FROM companies ORDER BY nib")
        companies = cur.fetchall()
        cur.execute("SELECT c.nib, w.passport_number, w.nationality, w.position_level, w.permit_valid_until, "
                    "w.itas_valid_until FROM foreign_workers w JOIN companies c ON c.id = w.company_id "
                    "ORDER BY 2, 3")
        workers = cur.fetchall()
    conn.close()
    return companies, workers


@pytest.fixture(scope="module")
def csv_snapshot(server_url, template_db):
    """What the original CSV files give: the reference for every variant."""
    from tests.dbutil import create_database, dbname_of, drop_database

    url = create_database(server_url, template=template_db)
    try:
        _import(url, "companies", original(COMPANIES_CSV), "companies.csv", "skip_invalid")
        _import(url, "workers", original(WORKERS_CSV), "workers.csv", "skip_invalid")
        yield _snapshot(url)
    finally:
        drop_database(server_url, dbname_of(url))


@pytest.mark.parametrize("variant", ["xlsx", "semicolon"])
def test_variant_gives_the_same_result_as_csv(variant, fresh_db_url, csv_snapshot):
    make, ext = VARIANTS[variant]
    c_data, w_data = make(COMPANIES_CSV), make(WORKERS_CSV)

    strict = _import(fresh_db_url, "companies", c_data, f"companies.{ext}", "all_or_nothing")
    assert not strict.committed and strict.rejected_lines == BAD_COMPANY_LINES
    assert _snapshot(fresh_db_url) == ([], [])

    companies = _import(fresh_db_url, "companies", c_data, f"companies.{ext}", "skip_invalid")
    assert companies.rejected_lines == BAD_COMPANY_LINES
    assert (companies.imported, companies.updated) == (VALID_COMPANIES, 0)
    workers = _import(fresh_db_url, "workers", w_data, f"workers.{ext}", "skip_invalid")
    assert workers.rejected_lines == BAD_WORKER_LINES
    assert (workers.imported, workers.updated) == (VALID_WORKERS, 0)
    assert _snapshot(fresh_db_url) == csv_snapshot


def test_variant_reimports_over_csv_unchanged(fresh_db_url):
    """The same data in another dress is the same data: no update, no version bump."""
    _import(fresh_db_url, "companies", original(COMPANIES_CSV), "companies.csv", "skip_invalid")
    _import(fresh_db_url, "workers", original(WORKERS_CSV), "workers.csv", "skip_invalid")
    for make, ext in (VARIANTS["xlsx"], VARIANTS["semicolon"]):
        again = _import(fresh_db_url, "companies", make(COMPANIES_CSV), f"c.{ext}", "skip_invalid")
        assert (again.imported, again.updated, again.unchanged) == (0, 0, VALID_COMPANIES)
        again = _import(fresh_db_url, "workers", make(WORKERS_CSV), f"w.{ext}", "skip_invalid")
        assert (again.imported, again.updated, again.unchanged) == (0, 0, VALID_WORKERS)


def test_scientific_nib_and_excel_float_nib_are_restored(fresh_db_url):
    header, rows = sample_rows(COMPANIES_CSV)
    first = rows[0]
    text = ",".join(header) + "\n" + ",".join(["2.090697104809e12"] + first[1:]) + "\n"
    report = _import(fresh_db_url, "companies", text.encode(), "c.csv", "all_or_nothing")
    assert report.committed and report.imported == 1
    with psycopg2.connect(fresh_db_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT nib FROM companies")
        assert cur.fetchall() == [(first[0],)]
    conn.close()


def test_missing_required_column_rejects_the_file(fresh_db_url):
    report = _import(fresh_db_url, "companies", b"nib;nama_perusahaan\n2090697104809;PT X\n", "c.csv", "skip_invalid")
    assert not report.committed
    assert {r.column for r in report.rejected} >= {"latitude", "longitude", "sektor"}
    assert all(r.line == 1 for r in report.rejected)
