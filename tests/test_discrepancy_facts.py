"""The discrepancy facts (migration 0109) stay what aggregating every report gives, whatever writes the
reports (multi-row inserts, updates moving a report to another employer or agency, deletes, truncate,
two imports at once), and geo.discrepancies reads the same companies as the aggregate query it replaced."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import psycopg2
import pytest

from geo import discrepancies
from tests.dbutil import waits_for
from tests.seed import fill

# The query geo.discrepancies ran before the facts: every report aggregated per request.
REFERENCE = """
WITH worker_counts AS (
    SELECT company_nib AS nib, agency, count(*) AS n FROM worker_reports GROUP BY 1, 2
), counts AS (
    SELECT nib, jsonb_object_agg(agency, n ORDER BY agency) AS by_agency, min(n) <> max(n) AS differ
      FROM worker_counts GROUP BY nib
), field_values AS (
    SELECT cr.company_id, kv.key, jsonb_object_agg(cr.agency, kv.value ORDER BY cr.agency) AS by_agency
      FROM company_reports cr CROSS JOIN LATERAL jsonb_each(cr.reported_values) kv
     GROUP BY cr.company_id, kv.key
    HAVING count(DISTINCT kv.value) > 1
), fields AS (
    SELECT company_id, jsonb_object_agg(key, by_agency ORDER BY key) AS differences FROM field_values GROUP BY 1
)
SELECT c.id, c.nib, c.name, c.regency_code, c.district_code,
       ARRAY(SELECT DISTINCT a FROM (SELECT agency FROM company_reports WHERE company_id = c.id
                                     UNION SELECT agency FROM worker_counts WHERE nib = c.nib) s(a) ORDER BY a),
       coalesce(counts.by_agency, '{}'::jsonb), coalesce(counts.differ, false),
       coalesce(fields.differences, '{}'::jsonb)
  FROM companies c
  LEFT JOIN counts ON counts.nib = c.nib
  LEFT JOIN fields ON fields.company_id = c.id
 WHERE (counts.differ OR fields.differences IS NOT NULL)
   AND (%(scope)s::text[] IS NULL OR c.regency_code = ANY(%(scope)s::text[]))
   AND (%(regency)s::text IS NULL OR c.regency_code = %(regency)s)
   AND (%(company)s::bigint IS NULL OR c.id = %(company)s)
 ORDER BY c.regency_code, c.nib
"""


@dataclass
class Db:
    url: str
    companies: list[int]
    workers: list[int]
    nibs: list[str]
    batch: dict[str, int]  # each agency's batch: a report names its own agency's (migration 0120)

    def run(self, sql: str, params=None) -> None:
        with psycopg2.connect(self.url) as conn, conn.cursor() as cur:
            cur.execute(sql, params)
        conn.close()

    def assert_facts_current(self) -> None:
        with psycopg2.connect(self.url) as conn, conn.cursor() as cur:
            cur.execute("SELECT company_nib, by_agency FROM worker_report_counts WHERE by_agency <> '{}'")
            kept = dict(cur.fetchall())
            cur.execute("SELECT company_nib, jsonb_object_agg(agency, n) FROM (SELECT company_nib, agency, count(*) n "
                        "FROM worker_reports GROUP BY 1, 2) s GROUP BY 1")
            assert kept == dict(cur.fetchall())
            cur.execute("SELECT company_id, differences FROM company_report_differences")
            kept = dict(cur.fetchall())
            cur.execute("SELECT company_id, company_report_differences_of(company_id) FROM company_reports "
                        "GROUP BY 1 HAVING company_report_differences_of(company_id) IS NOT NULL")
            assert kept == dict(cur.fetchall())
            for scope, regency, company in ((None, None, None), (["62.71"], None, None), (None, "62.02", None),
                                            (None, None, self.companies[0])):
                params = {"scope": scope, "regency": regency, "company": company}
                cur.execute(REFERENCE, params)
                expected = cur.fetchall()
                cur.execute(discrepancies._COMPANIES, params)
                assert cur.fetchall() == expected
        conn.close()


@pytest.fixture
def db(fresh_db_url) -> Db:
    companies, workers, _ = fill(fresh_db_url)
    with psycopg2.connect(fresh_db_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT nib FROM companies WHERE id = ANY(%s) ORDER BY id", (companies,))
        nibs = [r[0] for r in cur.fetchall()]
        batch = {}
        for agency in ("imigrasi", "disnakertrans", "polda"):
            cur.execute("""INSERT INTO import_batches (kind, agency, file_name, sha256, imported_by, mode, started_at,
                                                       rows_total, imported, updated, unchanged, rejected, report)
                           VALUES ('workers', %s, 'f.csv', repeat('a', 64), 'test', 'all_or_nothing', now(),
                                   0, 0, 0, 0, 0, '{}') RETURNING id""", (agency,))
            batch[agency] = cur.fetchone()[0]
    conn.close()
    assert len(workers) >= 4 and len(companies) >= 2
    return Db(fresh_db_url, companies, workers, nibs, batch)


def test_facts_follow_every_kind_of_write(db):
    w, n, b = db.workers, db.nibs, db.batch
    db.assert_facts_current()
    # Two agencies report the workers of the first company, one of them fewer (one statement each).
    db.run("INSERT INTO worker_reports (worker_id, agency, batch_id, company_nib, reported_values) "
           "SELECT id, 'imigrasi', %s, %s, '{}' FROM unnest(%s::bigint[]) id", (b["imigrasi"], n[0], w[:4]))
    db.run("INSERT INTO worker_reports (worker_id, agency, batch_id, company_nib, reported_values) "
           "SELECT id, 'disnakertrans', %s, %s, '{}' FROM unnest(%s::bigint[]) id", (b["disnakertrans"], n[0], w[:2]))
    # Company reports: the same name from two agencies, another address from one.
    db.run("INSERT INTO company_reports (company_id, agency, batch_id, reported_values) VALUES "
           "(%s, 'imigrasi', %s, '{\"nama\": \"PT A\", \"alamat\": \"Jl. 1\"}'), "
           "(%s, 'disnakertrans', %s, '{\"nama\": \"PT A\", \"alamat\": \"Jl. 2\"}'), "
           "(%s, 'imigrasi', %s, '{\"nama\": \"PT B\"}')",
           (db.companies[1], b["imigrasi"], db.companies[1], b["disnakertrans"], db.companies[0], b["imigrasi"]))
    db.assert_facts_current()
    with psycopg2.connect(db.url) as conn, conn.cursor() as cur:
        cur.execute("SELECT by_agency, differ FROM worker_report_counts WHERE company_nib = %s", (n[0],))
        assert cur.fetchone() == ({"imigrasi": 4, "disnakertrans": 2}, True)
        cur.execute("SELECT differences FROM company_report_differences WHERE company_id = %s", (db.companies[1],))
        assert cur.fetchone()[0] == {"alamat": {"imigrasi": "Jl. 1", "disnakertrans": "Jl. 2"}}
    conn.close()
    # Disnakertrans now names another employer for one worker, and Imigrasi's report moves agency.
    db.run("UPDATE worker_reports SET company_nib = %s WHERE worker_id = %s AND agency = 'disnakertrans'", (n[1], w[0]))
    db.run("UPDATE worker_reports SET agency = 'polda', batch_id = %s WHERE worker_id = %s AND agency = 'imigrasi'",
           (b["polda"], w[3]))
    # The addresses now agree; a third agency reports another name.
    db.run("UPDATE company_reports SET reported_values = '{\"nama\": \"PT A\", \"alamat\": \"Jl. 1\"}' "
           "WHERE company_id = %s AND agency = 'disnakertrans'", (db.companies[1],))
    db.run("INSERT INTO company_reports (company_id, agency, batch_id, reported_values) "
           "VALUES (%s, 'polda', %s, '{\"nama\": \"PT A Baru\"}')", (db.companies[1], b["polda"]))
    db.assert_facts_current()
    # Deletes (one report, then a company with its reports by cascade), then truncate.
    db.run("DELETE FROM worker_reports WHERE worker_id = %s AND agency = 'disnakertrans'", (w[1],))
    db.run("DELETE FROM company_reports WHERE company_id = %s AND agency = 'polda'", (db.companies[1],))
    db.assert_facts_current()
    db.run("DELETE FROM worker_reports WHERE company_nib = %s", (n[0],))
    db.assert_facts_current()
    db.run("TRUNCATE worker_reports, company_reports")
    db.assert_facts_current()
    with psycopg2.connect(db.url) as conn, conn.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM worker_report_counts WHERE by_agency <> '{}'), "
                    "(SELECT count(*) FROM company_report_differences)")
        assert cur.fetchone() == (0, 0)
    conn.close()


def test_two_imports_at_once_add_up(db):
    """Two agencies' imports of the same employer's workers, committed in either order while both
    were open: the counts hold both (a recount from one statement's snapshot would lose one)."""
    w, n, b = db.workers, db.nibs, db.batch
    first, second = psycopg2.connect(db.url), psycopg2.connect(db.url)
    try:
        with first.cursor() as cur:
            cur.execute("INSERT INTO worker_reports (worker_id, agency, batch_id, company_nib, reported_values) "
                        "SELECT id, 'imigrasi', %s, %s, '{}' FROM unnest(%s::bigint[]) id", (b["imigrasi"], n[0], w[:3]))
            cur.execute("INSERT INTO company_reports (company_id, agency, batch_id, reported_values) "
                        "VALUES (%s, 'imigrasi', %s, '{\"nama\": \"PT A\"}')", (db.companies[0], b["imigrasi"]))
        done = threading.Event()

        def other() -> None:
            with second.cursor() as cur:
                cur.execute("INSERT INTO worker_reports (worker_id, agency, batch_id, company_nib, reported_values) "
                            "SELECT id, 'disnakertrans', %s, %s, '{}' FROM unnest(%s::bigint[]) id",
                            (b["disnakertrans"], n[0], w[:1]))
                cur.execute("INSERT INTO company_reports (company_id, agency, batch_id, reported_values) "
                            "VALUES (%s, 'disnakertrans', %s, '{\"nama\": \"PT A Lain\"}')",
                            (db.companies[0], b["disnakertrans"]))
            second.commit()
            done.set()

        thread = threading.Thread(target=other)
        thread.start()
        assert not done.wait(1), "the second import waits for the first one's counts row"
        first.commit()
        thread.join(10)
        assert done.is_set()
    finally:
        first.close()
        second.close()
    db.assert_facts_current()
    with psycopg2.connect(db.url) as conn, conn.cursor() as cur:
        cur.execute("SELECT by_agency FROM worker_report_counts WHERE company_nib = %s", (n[0],))
        assert cur.fetchone()[0] == {"imigrasi": 3, "disnakertrans": 1}
        cur.execute("SELECT differences FROM company_report_differences WHERE company_id = %s", (db.companies[0],))
        assert cur.fetchone()[0] == {"nama": {"imigrasi": "PT A", "disnakertrans": "PT A Lain"}}
    conn.close()


def test_a_load_of_many_companies_fits_the_lock_table(db):
    """One statement recomputing more companies than PostgreSQL's shared lock table holds
    (max_locks_per_transaction x max_connections; a demo or import of 100,000 companies) succeeds:
    the companies are locked by bucket (migration 0115), not one lock each."""
    with psycopg2.connect(db.url) as conn, conn.cursor() as cur:
        cur.execute("SELECT current_setting('max_locks_per_transaction')::int * current_setting('max_connections')::int")
        capacity = cur.fetchone()[0]
        cur.execute("SELECT company_report_differences_refresh(ARRAY(SELECT generate_series(1, %s)::bigint))",
                    (capacity + 1000,))
        cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
        assert cur.fetchone()[0] <= 128
    conn.close()
    db.assert_facts_current()


@pytest.mark.parametrize("table", ["worker_reports", "company_reports"])
def test_a_report_names_a_batch_of_its_own_agency(db, table):
    """One reference to (batch, agency) checks both (migration 0120): a known agency, and a batch
    that agency sent."""
    target = db.workers[0] if table == "worker_reports" else db.companies[0]
    columns = ("worker_id, agency, batch_id, company_nib, reported_values" if table == "worker_reports"
               else "company_id, agency, batch_id, reported_values")
    values = "%s, %s, %s, 'x', '{}'" if table == "worker_reports" else "%s, %s, %s, '{}'"
    for agency, batch in (("disnakertrans", db.batch["imigrasi"]), ("badan_lain", db.batch["imigrasi"])):
        with pytest.raises(psycopg2.errors.ForeignKeyViolation):
            db.run(f"INSERT INTO {table} ({columns}) VALUES ({values})", (target, agency, batch))  # noqa: S608
    db.run(f"INSERT INTO {table} ({columns}) VALUES ({values})", (target, "imigrasi", db.batch["imigrasi"]))  # noqa: S608
    with pytest.raises(psycopg2.errors.ForeignKeyViolation):
        db.run("UPDATE import_batches SET agency = 'polda' WHERE id = %s", (db.batch["imigrasi"],))


@pytest.mark.parametrize("table", ["worker_reports", "company_reports"])
def test_a_reports_batch_is_checked_per_statement_as_a_constraint_would(db, table):
    """Migration 0122 checks the (batch, agency) of a statement's reports once, not per row: a multi-row
    write with one wrong pair among right ones fails whole, an update may not move a report to another
    agency's batch, a batch reports name cannot be deleted, and one they do not name can."""
    key = "worker_id" if table == "worker_reports" else "company_id"
    targets = db.workers[:3] if table == "worker_reports" else db.companies[:2]
    nib = ", company_nib" if table == "worker_reports" else ""
    rows = ", ".join(f"(%s, %s, %s{', $$x$$' if nib else ''}, '{{}}')" for _ in targets)
    pairs = [("imigrasi", db.batch["imigrasi"])] * (len(targets) - 1) + [("imigrasi", db.batch["polda"])]
    params = [v for t, (agency, batch) in zip(targets, pairs, strict=True) for v in (t, agency, batch)]
    sql = f"INSERT INTO {table} ({key}, agency, batch_id{nib}, reported_values) VALUES {rows}"  # noqa: S608
    with pytest.raises(psycopg2.errors.ForeignKeyViolation, match="import_batches"):
        db.run(sql, params)
    pairs[-1] = ("imigrasi", db.batch["imigrasi"])
    params = [v for t, (agency, batch) in zip(targets, pairs, strict=True) for v in (t, agency, batch)]
    db.run(sql, params)
    with psycopg2.connect(db.url) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table} WHERE batch_id = %s", (db.batch["imigrasi"],))  # noqa: S608
        assert cur.fetchone()[0] == len(targets)
    conn.close()
    with pytest.raises(psycopg2.errors.ForeignKeyViolation):
        db.run(f"UPDATE {table} SET batch_id = %s WHERE {key} = %s", (db.batch["polda"], targets[0]))  # noqa: S608
    db.run(f"UPDATE {table} SET reported_values = '{{\"a\": 1}}' WHERE {key} = %s", (targets[0],))  # noqa: S608
    with pytest.raises(psycopg2.errors.ForeignKeyViolation, match="still referenced"):
        db.run("DELETE FROM import_batches WHERE id = %s", (db.batch["imigrasi"],))
    db.run("UPDATE import_batches SET rows_total = 3 WHERE id = %s", (db.batch["imigrasi"],))
    db.run("DELETE FROM import_batches WHERE id = %s", (db.batch["polda"],))
    db.assert_facts_current()


def test_a_batch_deleted_while_its_reports_are_written_is_not_lost_to_either(db):
    """The statement-level check locks the batches it finds (KEY SHARE, as a foreign key does): a delete
    of the batch waits for the report writer and then fails; a writer that comes after an uncommitted
    delete waits for it and then finds the batch gone."""
    batch = db.batch["imigrasi"]
    insert = ("INSERT INTO worker_reports (worker_id, agency, batch_id, company_nib, reported_values) "
              "VALUES (%s, 'imigrasi', %s, 'x', '{}')")
    for writer_first in (True, False):
        first, second = psycopg2.connect(db.url), psycopg2.connect(db.url)
        try:
            with first.cursor() as cur:
                if writer_first:
                    cur.execute(insert, (db.workers[0], batch))
                else:
                    cur.execute("DELETE FROM import_batches WHERE id = %s", (batch,))
            statement, args = (("DELETE FROM import_batches WHERE id = %s", (batch,)) if writer_first
                               else (insert, (db.workers[1], batch)))
            assert isinstance(waits_for(first, second, statement, args), psycopg2.errors.ForeignKeyViolation)
        finally:
            first.close()
            second.close()
        if writer_first:
            with psycopg2.connect(db.url) as conn, conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM import_batches WHERE id = %s", (batch,))
                assert cur.fetchone()[0] == 1
                cur.execute("DELETE FROM worker_reports WHERE batch_id = %s", (batch,))
            conn.close()
