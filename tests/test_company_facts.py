"""The company facts (migration 0050) stay equal to a recount from the tables after every kind of write:
INSERT, COPY, UPDATE (status, nationality, moving a worker to another company), DELETE, TRUNCATE, and
many writers at once on the same companies, each in its own transaction (no import serialisation)."""

from __future__ import annotations

import io
import random
import threading
from collections import Counter

import psycopg2
import pytest

from tests.dbutil import run_all

COMPANIES = 8
NATIONS = ("CN", "IN", "KR", "JP")

# The facts as they should be, computed from scratch the plain way.
RECOUNT = """
SELECT c.id,
       (SELECT count(*) FROM foreign_workers w WHERE w.company_id = c.id AND w.status = 'active')::int,
       (SELECT coalesce(jsonb_object_agg(x.nationality, x.n), '{}'::jsonb) FROM
          (SELECT nationality, count(*) AS n FROM foreign_workers w
            WHERE w.company_id = c.id AND w.status = 'active' GROUP BY 1) x),
       (SELECT max(inspected_on) FROM inspections i WHERE i.company_id = c.id)
  FROM companies c ORDER BY c.id"""
STORED = """
SELECT c.id, coalesce(w.workers, 0), coalesce(w.by_nationality, '{}'::json)::jsonb, i.last_inspection
  FROM companies c
  LEFT JOIN company_worker_facts w ON w.company_id = c.id
  LEFT JOIN company_inspection_facts i ON i.company_id = c.id
 ORDER BY c.id"""


def _assert_facts_current(cur) -> None:
    cur.execute(RECOUNT)
    expected = cur.fetchall()
    cur.execute(STORED)
    assert cur.fetchall() == expected


@pytest.fixture
def companies(fresh_db_url):
    with psycopg2.connect(fresh_db_url) as conn, conn.cursor() as cur:
        cur.execute("""INSERT INTO companies (nib, name, sector, geom)
                       SELECT lpad((9300000000000 + g)::text, 13, '0'), 'PT Fakta ' || g, 'jasa', ST_PointOnSurface(b.geom)
                         FROM generate_series(1, %s) g JOIN boundaries b ON b.code = '62.71.01'
                       RETURNING id""", (COMPANIES,))
        ids = sorted(r[0] for r in cur.fetchall())
    return fresh_db_url, ids


def _add_worker(cur, company: int, passport: str, nationality: str, status: str = "active") -> int:
    cur.execute("""INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality, position,
                                                position_level, status)
                   VALUES (%s, 'Nama Uji', %s, %s, 'Insinyur', 'profesional', %s) RETURNING id""",
                (company, passport, nationality, status))
    return cur.fetchone()[0]


def test_every_kind_of_write_keeps_the_facts_current(companies):
    url, ids = companies
    a, b = ids[0], ids[1]
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        _assert_facts_current(cur)
        w1 = _add_worker(cur, a, "P000001", "CN")
        _add_worker(cur, a, "P000002", "CN")
        w3 = _add_worker(cur, a, "P000003", "IN")
        _add_worker(cur, b, "P000004", "KR", status="departed")
        _assert_facts_current(cur)
        cur.execute("SELECT workers, by_nationality::text FROM company_worker_facts WHERE company_id = %s", (a,))
        workers, by_nat = cur.fetchone()
        assert workers == 3 and by_nat.replace(" ", "") == '{"CN":2,"IN":1}'

        # COPY fires the statement triggers too (the import path uses it).
        data = io.StringIO(f"{b}\tNama Salin\tP000005\tJP\tAnalis\tprofesional\n"
                           f"{b}\tNama Salin\tP000006\tJP\tAnalis\tprofesional\n")
        cur.copy_from(data, "foreign_workers",
                      columns=("company_id", "full_name", "passport_number", "nationality", "position", "position_level"))
        _assert_facts_current(cur)

        cur.execute("UPDATE foreign_workers SET status = 'departed' WHERE id = %s", (w1,))
        _assert_facts_current(cur)
        cur.execute("UPDATE foreign_workers SET nationality = 'KR' WHERE id = %s", (w3,))
        _assert_facts_current(cur)
        cur.execute("UPDATE foreign_workers SET company_id = %s WHERE id = %s", (b, w3))  # moves between companies
        _assert_facts_current(cur)
        cur.execute("UPDATE foreign_workers SET position = 'Kepala Teknik'")  # changes nothing the facts hold
        _assert_facts_current(cur)
        cur.execute("DELETE FROM foreign_workers WHERE passport_number = 'P000002'")
        _assert_facts_current(cur)
        cur.execute("SELECT workers FROM company_worker_facts WHERE company_id = %s", (a,))
        assert cur.fetchone()[0] == 0

        cur.execute("""INSERT INTO inspections (company_id, inspected_on, team, finding)
                       VALUES (%s, '2026-03-01', '{imigrasi}', 'none'), (%s, '2026-05-01', '{polda}', 'none'),
                              (%s, '2025-01-01', '{imigrasi}', 'other')""", (a, a, b))
        _assert_facts_current(cur)
        cur.execute("UPDATE inspections SET inspected_on = '2024-01-01' WHERE inspected_on = '2026-05-01'")
        _assert_facts_current(cur)
        cur.execute("SELECT last_inspection::text FROM company_inspection_facts WHERE company_id = %s", (a,))
        assert cur.fetchone()[0] == "2026-03-01"
        cur.execute("DELETE FROM inspections WHERE company_id = %s", (b,))
        _assert_facts_current(cur)

        cur.execute("TRUNCATE foreign_workers CASCADE")
        cur.execute("TRUNCATE inspections CASCADE")
        _assert_facts_current(cur)

        # A rolled-back statement leaves the facts as they were.
        _add_worker(cur, a, "P000007", "CN")
        conn.commit()
        with pytest.raises(psycopg2.errors.UniqueViolation):
            _add_worker(cur, b, "P000007", "CN")  # same passport and nationality
        conn.rollback()
        _assert_facts_current(cur)


def _write_some(cur, rnd: random.Random, seed: int, step: int, ids: list[int]) -> None:
    """One to four writes of one table (workers, or inspections a quarter of the time)."""
    inspections = rnd.random() < 0.25
    for _ in range(rnd.randint(1, 4)):
        company = rnd.choice(ids)
        if inspections:
            cur.execute("""INSERT INTO inspections (company_id, inspected_on, team, finding)
                           VALUES (%s, DATE '2024-01-01' + %s, ARRAY[%s], 'none') ON CONFLICT DO NOTHING""",
                        (company, rnd.randint(0, 700), f"tim{seed}"))
            continue
        roll = rnd.random()
        if roll < 0.55:
            _add_worker(cur, company, f"C{seed:02d}{step:03d}{rnd.randint(0, 99999):05d}", rnd.choice(NATIONS))
        elif roll < 0.75:
            cur.execute("""UPDATE foreign_workers SET status = 'departed' WHERE id =
                             (SELECT id FROM foreign_workers WHERE company_id = %s AND status = 'active'
                               ORDER BY id LIMIT 1)""", (company,))
        elif roll < 0.88:
            cur.execute("""UPDATE foreign_workers SET company_id = %s WHERE id =
                             (SELECT id FROM foreign_workers WHERE company_id = %s ORDER BY id DESC LIMIT 1)""",
                        (rnd.choice(ids), company))
        else:
            cur.execute("""DELETE FROM foreign_workers WHERE id =
                             (SELECT id FROM foreign_workers WHERE company_id = %s ORDER BY id LIMIT 1)""",
                        (company,))


def _writer(url: str, seed: int, ids: list[int], outcome: Counter, errors: list) -> None:
    """Random short transactions on the shared companies, some rolled back on purpose. Each writes
    one table, as Pantau's imports and edits do. Transactions of several statements that lock worker
    rows in random order can deadlock on those rows, whatever the facts do: PostgreSQL then aborts
    one, which is rolled back whole and counted."""
    rnd = random.Random(seed)
    conn = psycopg2.connect(url)
    try:
        for step in range(40):
            try:
                with conn.cursor() as cur:
                    _write_some(cur, rnd, seed, step, ids)
            except psycopg2.errors.DeadlockDetected:
                conn.rollback()
                outcome["deadlock"] += 1
                continue
            if rnd.random() < 0.15:
                conn.rollback()
                outcome["rolled_back"] += 1
            else:
                conn.commit()
                outcome["committed"] += 1
    except Exception as exc:  # noqa: BLE001 - reported by the test
        errors.append(repr(exc))
    finally:
        conn.close()


@pytest.mark.slow  # six writers colliding
def test_concurrent_writers_on_the_same_companies_keep_the_facts_current(companies):
    url, ids = companies
    errors: list = []
    outcome: Counter = Counter()
    # Three companies only, so the writers keep colliding on the same facts rows.
    threads = [threading.Thread(target=_writer, args=(url, seed, ids[:3], outcome, errors)) for seed in range(6)]
    assert not run_all(threads, 300), "a writer hung"
    assert not errors, errors
    assert outcome["committed"] > 100, outcome
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM foreign_workers")
        assert cur.fetchone()[0] > 20  # the writers really wrote
        _assert_facts_current(cur)


@pytest.mark.slow  # writers racing to give companies their first workers
def test_writers_racing_to_create_a_companys_facts_row_keep_it_current(companies):
    """Migration 0123: the statement that creates a company's facts row fills it at once; a writer of the
    same company in flight waits for that row and recomputes. Each round gives fresh companies (no facts
    row yet) their first active workers from four writers at once, each holding its transaction open a
    little so that the inserts and the first commits interleave."""
    url, _ = companies
    errors: list = []
    barrier = threading.Barrier(4)

    def writer(seed: int, fresh: list[int]) -> None:
        rnd = random.Random(seed)
        conn = psycopg2.connect(url)
        try:
            barrier.wait(timeout=30)
            with conn, conn.cursor() as cur:
                for company in rnd.sample(fresh, len(fresh)):
                    _add_worker(cur, company, f"R{seed:03d}{company:06d}", rnd.choice(NATIONS))
                cur.execute("SELECT pg_sleep(%s)", (rnd.random() / 20,))
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(repr(exc))
        finally:
            conn.close()

    for round_ in range(5):
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute("""INSERT INTO companies (nib, name, sector, geom)
                           SELECT lpad((9400000000000 + %s * 100 + g)::text, 13, '0'), 'PT Baru ' || g, 'jasa',
                                  ST_PointOnSurface(b.geom)
                             FROM generate_series(1, 4) g JOIN boundaries b ON b.code = '62.71.01' RETURNING id""",
                        (round_,))
            fresh = [r[0] for r in cur.fetchall()]
        conn.close()
        threads = [threading.Thread(target=writer, args=(round_ * 10 + k, fresh)) for k in range(4)]
        assert not run_all(threads, 60), "a writer hung"
        assert not errors, errors
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM foreign_workers")
        assert cur.fetchone()[0] == 5 * 4 * 4
        _assert_facts_current(cur)
    conn.close()
