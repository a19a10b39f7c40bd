"""What the importer computes set-based for the triggers to keep (migration 0118) equals what the
triggers compute row by row: each worker's person, and the village of each company and work site."""

from __future__ import annotations

import csv
import io

import psycopg2

from geo.imports.service import run_import
from tests.importutil import COMPANIES_CSV, WORKERS_CSV, sample_rows


def _coastal_point(cur) -> tuple[float, float]:
    # 500 m south of the province's southernmost vertex: in no village, its district the nearest.
    cur.execute("""SELECT ST_Y(p), ST_X(p) FROM (
                     SELECT ST_Translate(v.geom, 0, -0.0045) FROM (
                       SELECT (ST_DumpPoints(geom)).geom FROM boundaries WHERE level = 'province') v
                     ORDER BY ST_Y(v.geom) LIMIT 1) x(p)""")
    return cur.fetchone()


def _workers_with_sites(companies: list[list[str]]) -> bytes:
    """The sample workers, every other one with a work site at its company's point."""
    header, rows = sample_rows(WORKERS_CSV)
    points = {row[0]: (row[7], row[8]) for row in companies}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*header, "lokasi_kerja_lat", "lokasi_kerja_lon"])
    for i, row in enumerate(rows):
        writer.writerow([*row, *(points.get(row[0], ("", "")) if i % 2 == 0 else ("", ""))])
    return out.getvalue().encode()


def test_imported_villages_are_village_of(fresh_db_url):
    conn = psycopg2.connect(fresh_db_url)
    try:
        with conn.cursor() as cur:
            lat, lon = _coastal_point(cur)
        _, companies = sample_rows(COMPANIES_CSV)
        text = COMPANIES_CSV.read_text() + f"6200000000001,PT Pesisir,Jasa,,,,,{lat:.6f},{lon:.6f},\n"
        run_import(conn, "companies", text.encode(), "c.csv", mode="skip_invalid")
        report = run_import(conn, "workers", _workers_with_sites(companies), "w.csv", mode="skip_invalid")
        assert report.imported > 0
        with conn.cursor() as cur:
            cur.execute("SELECT count(*), count(*) FILTER (WHERE village_code IS DISTINCT FROM "
                        "village_of(geom, district_code)) FROM companies")
            total, differing = cur.fetchone()
            assert total > 20 and differing == 0
            cur.execute("SELECT village_code IS NOT NULL FROM companies WHERE nib = '6200000000001'")
            assert cur.fetchone() == (True,)  # the nearest village of its district
            cur.execute("SELECT count(*), count(*) FILTER (WHERE work_site_village_code IS DISTINCT FROM "
                        "village_of(work_site, work_site_district_code)) FROM foreign_workers "
                        "WHERE work_site IS NOT NULL")
            sites, differing = cur.fetchone()
            assert sites > 5 and differing == 0
    finally:
        conn.close()


def test_workers_import_links_persons_as_the_trigger_does(fresh_db_url):
    _, workers = sample_rows(WORKERS_CSV)
    known_passport, known_nationality = workers[0][2], workers[0][3]
    conn = psycopg2.connect(fresh_db_url)
    try:
        with conn.cursor() as cur:
            # A person already on record (a lodging guest: no sex): linked, never changed by the import.
            cur.execute("INSERT INTO foreign_nationals (passport_number, nationality, full_name) "
                        "VALUES (%s, %s, 'Nama Tamu') RETURNING id", (known_passport, known_nationality))
            known_id = cur.fetchone()[0]
        conn.commit()
        run_import(conn, "companies", COMPANIES_CSV.read_bytes(), "c.csv", mode="skip_invalid")
        report = run_import(conn, "workers", WORKERS_CSV.read_bytes(), "w.csv", mode="skip_invalid")
        assert report.imported > 0
        with conn.cursor() as cur:
            cur.execute("SELECT full_name, sex FROM foreign_nationals WHERE id = %s", (known_id,))
            assert cur.fetchone() == ("Nama Tamu", None)
            cur.execute("SELECT foreign_national_id FROM foreign_workers WHERE passport_number = %s "
                        "AND nationality = %s", (known_passport, known_nationality))
            assert cur.fetchone() == (known_id,)
            # Every other worker: its own person, made from its name and sex.
            cur.execute("""SELECT count(*), count(*) FILTER (WHERE p.id IS NULL
                                  OR (p.id <> %s AND (p.full_name, p.sex) IS DISTINCT FROM (w.full_name, w.sex)))
                             FROM foreign_workers w LEFT JOIN foreign_nationals p ON p.id = w.foreign_national_id
                              AND p.passport_number = w.passport_number AND p.nationality = w.nationality""",
                        (known_id,))
            assert cur.fetchone() == (report.imported, 0)
            # Outside an import a supplied person is not trusted: the trigger looks it up.
            cur.execute("""INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality,
                                                        position, position_level, foreign_national_id)
                           SELECT id, 'Pekerja Baru', 'ZX1234567', 'JP', 'Ahli', 'profesional', %s
                             FROM companies ORDER BY id LIMIT 1
                           RETURNING foreign_national_id""", (known_id,))
            linked = cur.fetchone()[0]
            cur.execute("SELECT passport_number FROM foreign_nationals WHERE id = %s", (linked,))
            assert linked != known_id and cur.fetchone() == ("ZX1234567",)
        conn.rollback()
    finally:
        conn.close()
