"""The references migration 0122 checks per statement instead of per row keep every guarantee the
foreign keys gave: a missing key is refused on insert and update, a named key cannot be deleted,
re-keyed or truncated away (restrict) or takes its rows with it (cascade), NULL names nothing, and a
writer in flight makes a delete wait. (The report batches' reference: tests/test_discrepancy_facts.py.)"""

from __future__ import annotations

import psycopg2
import pytest

from tests.dbutil import waits_for
from tests.seed import fill

_BATCH = """INSERT INTO import_batches (kind, agency, file_name, sha256, imported_by, mode, started_at, rows_total,
                                        imported, updated, unchanged, rejected, report)
            VALUES ('workers', 'imigrasi', 'f.csv', repeat('a', 64), 'test', 'all_or_nothing', now(), 0, 0, 0, 0, 0,
                    '{}') RETURNING id"""


@pytest.fixture
def db(fresh_db_url):
    companies, workers, _ = fill(fresh_db_url)
    conn = psycopg2.connect(fresh_db_url)
    with conn, conn.cursor() as cur:
        cur.execute(_BATCH)
        batch = cur.fetchone()[0]
        cur.execute("INSERT INTO worker_reports (worker_id, agency, batch_id, company_nib, reported_values) "
                    "SELECT id, 'imigrasi', %s, 'x', '{}' FROM foreign_workers", (batch,))
        cur.execute("INSERT INTO company_reports (company_id, agency, batch_id, reported_values) "
                    "SELECT id, 'imigrasi', %s, '{}' FROM companies", (batch,))
    yield conn, companies, workers
    conn.close()


def _one(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


def _refused(conn, sql, params=None, match=None):
    with pytest.raises(psycopg2.errors.ForeignKeyViolation, match=match), conn, conn.cursor() as cur:
        cur.execute(sql, params)


def test_no_foreign_key_is_left_for_the_references_kept_by_triggers(db):
    conn, _, _ = db
    names = ("company_reports_batch_agency_fkey", "worker_reports_batch_agency_fkey", "company_reports_company_id_fkey",
             "worker_reports_worker_id_fkey", "foreign_workers_company_id_fkey",
             "foreign_workers_foreign_national_id_fkey", "companies_regency_code_fkey", "companies_district_code_fkey",
             "companies_village_code_fkey", "companies_sector_fkey", "foreign_workers_work_site_district_code_fkey",
             "foreign_workers_work_site_village_code_fkey", "company_worker_facts_company_id_fkey")
    assert _one(conn, "SELECT count(*) FROM pg_constraint WHERE conname = ANY(%s)", (list(names),)) == 0
    assert _one(conn, "SELECT count(*) FROM pg_trigger WHERE tgname = ANY(%s)",
                ([f"{n}_{e}" for n in names for e in ("ins", "upd", "del", "rekey", "trunc")],)) == len(names) * 5


def test_a_missing_key_is_refused_whole_and_null_names_nothing(db):
    conn, companies, workers = db
    before = _one(conn, "SELECT count(*) FROM foreign_workers")
    # Two rows, one of them naming a company that does not exist: neither is written.
    _refused(conn, """INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality, sex, position,
                                                   position_level, permit_valid_until)
                      VALUES (%s, 'A B', 'X1000001', 'CN', 'L', 'x', 'profesional', current_date),
                             (%s, 'C D', 'X1000002', 'CN', 'L', 'x', 'profesional', current_date)""",
             (companies[0], max(companies) + 1000), match="companies")
    assert _one(conn, "SELECT count(*) FROM foreign_workers") == before
    _refused(conn, "UPDATE foreign_workers SET company_id = %s WHERE id = ANY(%s)",
             (max(companies) + 1000, workers[:2]), match="companies")
    _refused(conn, "INSERT INTO worker_reports (worker_id, agency, batch_id, company_nib, reported_values) "
                   "SELECT %s, 'imigrasi', batch_id, 'x', '{}' FROM worker_reports LIMIT 1",
             (max(workers) + 1000,), match="foreign_workers")
    _refused(conn, "UPDATE company_reports SET company_id = %s WHERE company_id = %s", (max(companies) + 1000, companies[0]),
             match="companies")
    # A person the import supplies must exist (outside an import the link trigger picks the person).
    with conn, conn.cursor() as cur:
        cur.execute("SELECT max(id) FROM foreign_nationals")
        missing_person = cur.fetchone()[0] + 1000
    with pytest.raises(psycopg2.errors.ForeignKeyViolation, match="foreign_nationals"), conn, conn.cursor() as cur:
        cur.execute("SET LOCAL pantau.linked_by_import = 'on'")
        cur.execute("""INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality, sex, position,
                                                    position_level, permit_valid_until, foreign_national_id)
                       VALUES (%s, 'A B', 'X1000003', 'CN', 'L', 'x', 'profesional', current_date, %s)""",
                    (companies[0], missing_person))
    # Changing only other columns of many rows is checked and passes.
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE foreign_workers SET position = position || ' '")
        assert cur.rowcount == len(workers)


def test_a_company_names_a_known_sector_and_places_that_stay(db):
    conn, companies, workers = db
    _refused(conn, """INSERT INTO companies (nib, name, sector, geom, declared_regency)
                      SELECT '9999999999997', 'PT Baru', 'bukan_sektor', geom, declared_regency FROM companies
                       WHERE id = %s""", (companies[0],), match="sectors")
    _refused(conn, "DELETE FROM sectors WHERE code = (SELECT sector FROM companies WHERE id = %s)", (companies[0],),
             match="still referenced")
    village = _one(conn, "SELECT village_code FROM companies WHERE id = %s", (companies[0],))
    district = _one(conn, "SELECT work_site_district_code FROM foreign_workers WHERE id = %s", (workers[0],))
    assert village and district
    with conn, conn.cursor() as cur:  # a village only this company names
        cur.execute("INSERT INTO boundaries SELECT (jsonb_populate_record(NULL::boundaries, "
                    "to_jsonb(b) || jsonb_build_object('code', left(b.code, -4) || '9999'))).* FROM boundaries b WHERE code = %s",
                    (village,))
        only = village[:-4] + "9999"
        cur.execute("UPDATE companies SET village_code = %s WHERE id = %s", (only, companies[0]))
        cur.execute("SELECT village_code FROM companies WHERE id = %s", (companies[0],))
        assert cur.fetchone()[0] == only
    _refused(conn, "DELETE FROM boundaries WHERE code = %s", (only,), match="companies")
    _refused(conn, "UPDATE boundaries SET code = code || '9' WHERE code = %s", (district,), match="still referenced")
    with conn, conn.cursor() as cur:  # an update that keeps the code is not a re-key
        cur.execute("UPDATE boundaries SET name = name WHERE code = %s", (district,))
        assert cur.rowcount == 1


def test_a_named_key_is_kept_or_takes_its_rows_with_it(db):
    conn, companies, workers = db
    employer = _one(conn, "SELECT company_id FROM foreign_workers WHERE id = %s", (workers[0],))
    _refused(conn, "DELETE FROM companies WHERE id = %s", (employer,), match="still referenced")
    _refused(conn, "UPDATE companies SET id = id + 100000 WHERE id = %s", (employer,), match="still referenced")
    person = _one(conn, "SELECT foreign_national_id FROM foreign_workers WHERE id = %s", (workers[0],))
    assert person is not None
    _refused(conn, "DELETE FROM foreign_nationals WHERE id = %s", (person,), match="foreign_workers")
    _refused(conn, "TRUNCATE import_batches CASCADE", match="worker_reports|company_reports")
    # Cascade: a worker's reports go with it, a company's reports with the company.
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM foreign_workers WHERE company_id = %s RETURNING id", (employer,))
        gone = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT count(*) FROM worker_reports WHERE worker_id = ANY(%s)", (gone,))
        assert gone and cur.fetchone()[0] == 0
        cur.execute("""INSERT INTO companies (nib, name, sector, geom, declared_regency)
                       SELECT '9999999999999', 'PT Baru', sector, geom, declared_regency FROM companies WHERE id = %s
                       RETURNING id""", (employer,))
        fresh = cur.fetchone()[0]
        cur.execute("INSERT INTO company_reports (company_id, agency, batch_id, reported_values) "
                    "SELECT %s, agency, batch_id, '{}' FROM company_reports LIMIT 1", (fresh,))
        cur.execute("DELETE FROM companies WHERE id = %s", (fresh,))
        cur.execute("SELECT count(*) FROM company_reports WHERE company_id = %s", (fresh,))
        assert cur.fetchone()[0] == 0
    assert _one(conn, "SELECT count(*) FROM worker_reports") == len(workers) - len(gone)
    with conn, conn.cursor() as cur:
        cur.execute("TRUNCATE foreign_workers CASCADE")
        cur.execute("SELECT count(*) FROM worker_reports")
        assert cur.fetchone()[0] == 0


def test_a_delete_waits_for_a_writer_in_flight_and_an_update_does_not(db):
    conn, companies, _ = db
    with conn, conn.cursor() as cur:  # a company nothing else names yet
        cur.execute("""INSERT INTO companies (nib, name, sector, geom, declared_regency)
                       SELECT '9999999999998', 'PT Baru', sector, geom, declared_regency FROM companies WHERE id = %s
                       RETURNING id""", (companies[0],))
        companies = [cur.fetchone()[0]]
    writer, other = psycopg2.connect(conn.dsn), psycopg2.connect(conn.dsn)
    try:
        with writer.cursor() as cur:  # a worker written, not yet committed
            cur.execute("""INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality, sex,
                                                        position, position_level, permit_valid_until)
                           VALUES (%s, 'A B', 'X1000009', 'CN', 'L', 'x', 'profesional', current_date)""", (companies[-1],))
        with other.cursor() as cur:
            cur.execute("SET statement_timeout = '5s'")
            cur.execute("UPDATE companies SET name = name || ' ' WHERE id = %s", (companies[-1],))
            other.commit()
        error = waits_for(writer, other, "DELETE FROM companies WHERE id = %s", (companies[-1],))
        assert isinstance(error, psycopg2.errors.ForeignKeyViolation)
        other.rollback()
        assert _one(conn, "SELECT count(*) FROM companies WHERE id = %s", (companies[-1],)) == 1
    finally:
        writer.close()
        other.close()


def test_a_stricter_isolation_level_is_refused_rather_than_trusted(db):
    conn, companies, _ = db
    with pytest.raises(psycopg2.errors.FeatureNotSupported), conn, conn.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cur.execute("""INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality, sex, position,
                                                    position_level, permit_valid_until)
                       VALUES (%s, 'A B', 'X1000011', 'CN', 'L', 'x', 'profesional', current_date)""", (companies[0],))
