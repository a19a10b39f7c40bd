"""`pantau backup` / `pantau restore` round-trip every table."""

import os
import subprocess
import sys

import psycopg2
import pytest

from geo.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow  # pg_dump and pg_restore in subprocesses

TABLES = ("boundaries", "boundary_issues", "companies", "foreign_workers", "inspections", "users", "audit_log", "schema_migrations")


def pantau(*args, url):
    return subprocess.run([sys.executable, "-m", "geo.cli", *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          env={**os.environ, "DATABASE_URL": url})


def snapshot(url):
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        out = {}
        for table in TABLES:
            cur.execute(f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t")  # noqa: S608
            out[table] = cur.fetchone()[0]
        return out


def add_company(url, nib, name):
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            """INSERT INTO companies (nib, name, sector, geom)
               SELECT %s, %s, 'jasa', ST_PointOnSurface(geom) FROM boundaries WHERE code = '62.71.01' RETURNING id""",
            (nib, name),
        )
        company = cur.fetchone()[0]
        cur.execute(
            """INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality, position, position_level)
               VALUES (%s, 'Demo Pekerja', %s, 'CN', 'Direktur', 'direktur')""", (company, 'X' + nib[-7:]))
        cur.execute("INSERT INTO inspections (company_id, inspected_on, team, finding) VALUES (%s, '2026-05-01', '{imigrasi}', 'none')", (company,))
        cur.execute("INSERT INTO audit_log (action, username) VALUES ('test.backup', 'pytest')")


def test_backup_and_restore_round_trip(fresh_db_url, tmp_path):
    add_company(fresh_db_url, "1000000000001", "PT Cadangan Satu")
    before = snapshot(fresh_db_url)
    dump = tmp_path / "pantau.dump"
    made = pantau("backup", str(dump), url=fresh_db_url)
    assert made.returncode == 0, made.stderr
    assert dump.stat().st_size > 100_000 and not (tmp_path / "pantau.dump.partial").exists()

    # Change things after the backup: a new company, a deleted worker.
    add_company(fresh_db_url, "1000000000002", "PT Setelah Cadangan")
    with psycopg2.connect(fresh_db_url) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM foreign_workers WHERE passport_number = 'X0000001'")
    assert snapshot(fresh_db_url) != before

    restored = pantau("restore", str(dump), "--yes", url=fresh_db_url)
    assert restored.returncode == 0, restored.stderr
    assert snapshot(fresh_db_url) == before
    with psycopg2.connect(fresh_db_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT name FROM companies ORDER BY nib")
        assert cur.fetchall() == [("PT Cadangan Satu",)]
        # Triggers and functions came back too: a new point is still located.
        cur.execute(
            """INSERT INTO companies (nib, name, sector, geom) SELECT '1000000000003', 'PT Baru', 'jasa',
                      ST_PointOnSurface(geom) FROM boundaries WHERE code = '62.02.01' RETURNING district_code""")
        assert cur.fetchone()[0] == "62.02.01"


def test_restore_of_a_bad_file_changes_nothing(fresh_db_url, tmp_path):
    before = snapshot(fresh_db_url)
    bogus = tmp_path / "bogus.dump"
    bogus.write_bytes(b"not a dump")
    result = pantau("restore", str(bogus), "--yes", url=fresh_db_url)
    assert result.returncode == 1 and "not a Pantau backup" in result.stderr
    assert snapshot(fresh_db_url) == before
