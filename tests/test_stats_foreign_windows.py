"""The statistics' foreign-national columns count the lodging guests of the last 30 days and the
activities of the last 12 months on each request: both windows are read through indexes that hold
what is counted (migration 0116), not through every stay or activity since the first; a stay keeps its
person's nationality for the nationality filter (migration 0117)."""

from __future__ import annotations

from datetime import date

import psycopg2
import pytest

from geo import clock
from geo.filters import MonitoringFilter
from geo.stats.foreign import ALL, counts_sql
from tests import stats_foreign_data as data
from tests.dbutil import create_database, dbname_of, drop_database


@pytest.mark.parametrize("level", ["province", "district"])
def test_the_windows_are_read_from_their_indexes_alone(conn, level):
    sql, params = counts_sql(level, MonitoringFilter(), ALL, None, date(2026, 12, 7), kept=True)
    with conn.cursor() as cur:
        # An empty test database would be read whole otherwise: ask for the plan of a large one.
        cur.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off")
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(r[0] for r in cur.fetchall())
    conn.rollback()
    assert "Index Only Scan using lodging_stays_window_idx on lodging_stays" in plan, plan
    assert "Index Only Scan using monitoring_activities_held_idx on monitoring_activities" in plan, plan


@pytest.fixture(scope="module")
def foreign_db(server_url, template_db, kalteng_files, tmp_path_factory):
    """A database with foreign nationals and lodging stays written by the imports."""
    files = data.make_files(tmp_path_factory.mktemp("orang_asing"), kalteng_files, clock.today())
    url = create_database(server_url, template=template_db)
    data.load(url, files)
    yield url
    drop_database(server_url, dbname_of(url))


def test_a_stay_keeps_its_persons_nationality(foreign_db):
    """Migration 0117: each lodging stay holds its person's nationality (the guests' nationality filter
    reads it there), set on insert by the imports' writer and following a correction of the person."""
    c = psycopg2.connect(foreign_db)
    try:
        with c, c.cursor() as cur:
            cur.execute("SELECT count(*), count(*) FILTER (WHERE ls.nationality IS DISTINCT FROM p.nationality) "
                        "FROM lodging_stays ls JOIN foreign_nationals p ON p.id = ls.foreign_national_id")
            stays, differing = cur.fetchone()
            assert stays > 0 and differing == 0
            cur.execute("SELECT foreign_national_id FROM lodging_stays LIMIT 1")
            person = cur.fetchone()[0]
            cur.execute("UPDATE foreign_nationals SET nationality = 'ZZ' WHERE id = %s", (person,))
            cur.execute("SELECT DISTINCT nationality FROM lodging_stays WHERE foreign_national_id = %s", (person,))
            assert cur.fetchall() == [("ZZ",)]
    finally:
        c.close()
