"""What the importer computes set-based for the triggers to keep (migration 0118) equals what the
triggers compute row by row: each worker's person, and the village of each company and work site; and
a row another session enters during the import is settled as before the arbiter-free inserts."""

from __future__ import annotations

import csv
import io
import re
import threading
import time

import psycopg2
import psycopg2.extensions

from geo.imports import store
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



def test_a_worker_entered_during_the_import_is_not_duplicated(fresh_db_url):
    """A worker another session enters while the import writes: the import waits for that session
    (both bump the tables' data versions), then counts the worker as on record and inserts the rest."""
    _, workers = sample_rows(WORKERS_CSV)
    passport, nationality = workers[0][2], workers[0][3]
    conn, other = psycopg2.connect(fresh_db_url), psycopg2.connect(fresh_db_url)
    try:
        run_import(conn, "companies", COMPANIES_CSV.read_bytes(), "c.csv", mode="skip_invalid")
        with other.cursor() as cur:
            cur.execute("""INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality,
                                                        position, position_level)
                           SELECT id, 'Nama Formulir', %s, %s, 'Ahli', 'profesional' FROM companies ORDER BY id LIMIT 1""",
                        (passport, nationality))
        outcome = {}
        importing = threading.Thread(target=lambda: outcome.update(report=run_import(
            conn, "workers", WORKERS_CSV.read_bytes(), "w.csv", mode="skip_invalid")))
        importing.start()
        with psycopg2.connect(fresh_db_url) as watch, watch.cursor() as cur:
            for _ in range(300):
                cur.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (conn.get_backend_pid(),))
                if cur.fetchone() == ("Lock",):
                    break
                time.sleep(0.05)
            else:
                raise AssertionError("the import never waited for the other session")
        watch.close()
        other.commit()
        importing.join(60)
        report = outcome["report"]
        assert (report.imported, report.updated, report.unchanged) == (report.valid - 1, 0, 1)
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM foreign_workers WHERE passport_number = %s AND nationality = %s",
                        (passport, nationality))
            assert cur.fetchone() == (1,)
            cur.execute("SELECT count(*) FROM foreign_workers")
            assert cur.fetchone() == (report.valid,)
    finally:
        conn.close()
        other.close()


def test_a_key_inserted_meanwhile_makes_the_writes_again_with_their_arbiter(conn):
    """store._settled: the writes first run without ON CONFLICT; a unique violation rolls back to
    its savepoint (what the transaction wrote before stays) and runs them again with the clause."""
    calls = []
    with conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE settled (k int PRIMARY KEY, v text) ON COMMIT DROP")
        cur.execute("INSERT INTO settled VALUES (1, 'before')")

        def write(arbitrated: bool) -> int:
            calls.append(arbitrated)
            cur.execute("INSERT INTO settled VALUES (2, 'new')")
            cur.execute(store._arbiter("INSERT INTO settled VALUES (1, 'file') {on_conflict}",
                                       "ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v", arbitrated))
            return cur.rowcount

        assert store._settled(cur, write) == 1
        cur.execute("SELECT k, v FROM settled ORDER BY k")
        assert cur.fetchall() == [(1, "file"), (2, "new")]
        assert calls == [False, True]
    conn.rollback()


def test_the_workers_row_triggers_run_unless_the_import_supplied_their_result(fresh_db_url):
    """Migration 0120 calls the workers' row triggers on insert only when they would change the row:
    outside an import a supplied person, district or village is replaced by the triggers' own, a row
    without a site gets none; inside one (its settings on) what it supplied is kept."""
    conn = psycopg2.connect(fresh_db_url)
    try:
        run_import(conn, "companies", COMPANIES_CSV.read_bytes(), "c.csv", mode="skip_invalid")
        with conn.cursor() as cur:
            cur.execute("SELECT id, ST_Y(geom), ST_X(geom), district_code, village_code FROM companies "
                        "WHERE village_code IS NOT NULL ORDER BY id LIMIT 1")
            company, lat, lon, district, village = cur.fetchone()
            cur.execute("SELECT code, (SELECT min(code) FROM boundaries WHERE parent_code = b.code) FROM boundaries b "
                        "WHERE level = 'district' AND code <> %s ORDER BY code LIMIT 1", (district,))
            wrong_district, wrong_village = cur.fetchone()
            cur.execute("INSERT INTO foreign_nationals (passport_number, nationality, full_name) "
                        "VALUES ('QQ0000009', 'JP', 'Orang Lain') RETURNING id")
            stranger = cur.fetchone()[0]
            insert = """INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality, position,
                                                     position_level, work_site, work_site_district_code,
                                                     work_site_village_code, foreign_national_id)
                        VALUES (%s, 'Pekerja Uji', %s, 'JP', 'Ahli', 'profesional',
                                CASE WHEN %s THEN ST_SetSRID(ST_MakePoint(%s, %s), 4326) END, %s, %s, %s)
                        RETURNING work_site_district_code, work_site_village_code, foreign_national_id"""

            def written(passport: str, site: bool, *given) -> tuple:
                cur.execute(insert, (company, passport, site, lon, lat, *given))
                placed_in, placed_at, person = cur.fetchone()
                cur.execute("SELECT passport_number FROM foreign_nationals WHERE id = %s", (person,))
                return placed_in, placed_at, cur.fetchone()[0]

            supplied = (wrong_district, wrong_village, stranger)
            assert written("QQ0000001", True, *supplied) == (district, village, "QQ0000001")  # recomputed
            assert written("QQ0000002", False, *supplied) == (None, None, "QQ0000002")  # no site: no place
            cur.execute("SET LOCAL pantau.located_by_import = 'on'")
            cur.execute("SET LOCAL pantau.linked_by_import = 'on'")
            assert written("QQ0000003", True, *supplied) == (wrong_district, wrong_village, "QQ0000009")  # kept
            assert written("QQ0000004", True, None, None, None) == (district, village, "QQ0000004")  # computed
        conn.rollback()
    finally:
        conn.close()


def test_no_insert_reads_the_table_it_grows(fresh_db_url):
    """An insert that looked for the missing rows in the table it inserts into was planned, once that
    table's statistics said empty, as a nested loop reading it again for every row (quadratic: minutes
    for 500,000 workers). The importer finds the new rows first (store.NEW, import_reports.is_new):
    no insert of an import reads its own table, whatever the statistics."""
    plans: dict[str, list[str]] = {}

    class Explaining(psycopg2.extensions.cursor):
        def execute(self, sql, params=None):
            into = re.match(r"\s*(?:WITH up AS \(\s*)?INSERT INTO (\w+)", sql) if isinstance(sql, str) else None
            if into:
                super().execute("EXPLAIN " + sql, params)
                plans.setdefault(into.group(1), []).append("\n".join(r[0] for r in self.fetchall()))
            return super().execute(sql, params)

    conn = psycopg2.connect(fresh_db_url, cursor_factory=Explaining)
    try:
        with conn.cursor() as cur:
            cur.execute("ANALYZE")  # every table's statistics taken while it is empty
        conn.commit()
        run_import(conn, "companies", COMPANIES_CSV.read_bytes(), "c.csv", mode="skip_invalid")
        assert run_import(conn, "workers", WORKERS_CSV.read_bytes(), "w.csv", mode="skip_invalid").imported > 0
    finally:
        conn.close()
    for table in ("companies", "company_reports", "foreign_nationals", "foreign_workers", "worker_reports"):
        assert plans[table], table
        for plan in plans[table]:
            reads = [line for line in plan.splitlines()
                     if re.search(rf" on {table}( |$)", line) and "Insert on" not in line]
            assert not reads, plan
