"""The statistics' foreign-national columns count the lodging guests of the last 30 days and the
activities of the last 12 months from the tables when their kept counts are not current: both windows
are then read through indexes that hold what is counted (migration 0116), not through every stay or
activity since the first; a stay keeps its
person's nationality for the nationality filter (migration 0117); which level of the kept guest
counts answers which filter (migration 0119)."""

from __future__ import annotations

import psycopg2
import pytest

from geo import clock
from geo.filters import MonitoringFilter
from geo.stats.foreign import ALL, counts_sql, guest_count_level
from tests import stats_foreign_data as data
from tests.dbutil import create_database, dbname_of, drop_database


@pytest.mark.parametrize("level", ["province", "district"])
def test_the_windows_are_read_from_their_indexes_alone(foreign_db, level):
    sql, params = counts_sql(level, MonitoringFilter(), ALL, None, clock.today(), kept=False)
    conn = psycopg2.connect(foreign_db)
    try:
        with conn.cursor() as cur:
            # Two years of stays and activities: with their statistics (rolled back below) and the
            # table scans a small database would choose ruled out, the plan of a large one.
            cur.execute("ANALYZE lodging_stays, monitoring_activities; "
                        "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off")
            cur.execute("EXPLAIN " + sql, params)
            plan = "\n".join(r[0] for r in cur.fetchall())
        conn.rollback()
    finally:
        conn.close()
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


@pytest.mark.parametrize(("level", "flt", "parent", "expected"), [
    ("province", MonitoringFilter(), None, "province"),
    ("district", MonitoringFilter(), None, "district"),
    ("province", MonitoringFilter(district_code="62.02.06"), None, "district"),
    ("regency", MonitoringFilter(scope=("62.02",)), None, "regency"),
    ("province", MonitoringFilter(scope=("62.02",)), None, "regency"),
    ("province", MonitoringFilter(scope=("62.02", "62.71")), None, None),  # two regencies' guests overlap
    ("province", MonitoringFilter(scope=()), None, None),
    ("regency", MonitoringFilter(scope=("62.02", "62.71")), None, "regency"),
    ("province", MonitoringFilter(scope=("62.02", "62.71"), regency_code="62.71"), None, "regency"),
    ("village", MonitoringFilter(regency_code="62.71"), "62.71.01", "village"),
    ("regency", MonitoringFilter(), "62", "regency"),
    ("district", MonitoringFilter(), "62.71", "district"),
])
def test_guest_counts_answer_only_where_they_add_up(level, flt, parent, expected):
    """Which level of fn_guest_counts (migration 0119) answers: the finer one a single-region filter
    needs, never a sum of several regions' distinct guests."""
    assert guest_count_level(level, flt, parent) == expected
