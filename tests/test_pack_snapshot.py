"""A meeting recorded on its own day keeps that day's figures (migration 0108): they equal the
statistics of the day, and the change table starts from them, so a departure recorded later the same
day (which a recomputation would date by the worker's last change) still counts on the meeting's day.
A meeting recorded later keeps nothing; a filtered report does not use the snapshot."""

from __future__ import annotations

from datetime import timedelta

import psycopg2
import pytest

from geo import clock
from geo.filters import MonitoringFilter
from geo.meetings.changes import FIGURES, change_table, snapshot
from geo.stats import foreign_region_stats, region_stats
from tests.dbutil import create_database, dbname_of, drop_database
from tests.seed import fill

TODAY = clock.today()


@pytest.fixture
def db(server_url, template_db):
    url = create_database(server_url, template=template_db)
    companies, workers, _ = fill(url)
    conn = psycopg2.connect(url)
    yield conn, workers
    conn.close()
    drop_database(server_url, dbname_of(url))


def record(conn, day) -> int:
    with conn, conn.cursor() as cur:
        cur.execute("""INSERT INTO meetings (held_on, place, period, created_by)
                       VALUES (%s, 'Palangka Raya', '2026-Q4', 'test') RETURNING id""", (day,))
        return cur.fetchone()[0]


def test_snapshot_equals_the_statistics_and_outlives_a_later_change(db):
    conn, workers = db
    meeting = record(conn, TODAY)
    kept = snapshot(conn, meeting, TODAY)
    assert kept is not None
    stats = {r["code"]: r for r in region_stats(conn, "regency", MonitoringFilter(), parent="62", today=TODAY)}
    present = {r["code"]: r for r in foreign_region_stats(conn, "regency", MonitoringFilter(), parent="62",
                                                          today=TODAY)}
    for code in ("62.02", "62.71"):
        for key, _ in FIGURES:
            total = sum(v.get(key, 0) for d, v in kept.items() if d.startswith(code + "."))
            expected = present[code]["foreign_nationals"] if key == "foreign_nationals" else stats[code][key]
            assert total == expected, (code, key)
    # A worker of 62.02 departs after the meeting, the same day.
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE foreign_workers SET status = 'departed' WHERE id = %s", (workers[0],))
    t = {r["code"]: r for r in change_table(conn, MonitoringFilter(), TODAY, TODAY, meeting_id=meeting)["rows"]}
    assert t["62.02"]["then"]["foreign_workers"] == stats["62.02"]["foreign_workers"]
    assert t["62.02"]["now"]["foreign_workers"] == stats["62.02"]["foreign_workers"] - 1
    assert t["62.02"]["diff"]["foreign_workers"] == -1
    # Recomputed from the dates (no meeting given), the departure of that day is already gone then.
    again = {r["code"]: r for r in change_table(conn, MonitoringFilter(), TODAY, TODAY)["rows"]}
    assert again["62.02"]["then"]["foreign_workers"] == stats["62.02"]["foreign_workers"] - 1
    # Within a scope: only its regencies; with a user-chosen filter: recomputed.
    scoped = change_table(conn, MonitoringFilter(scope=("62.71",)), TODAY, TODAY, meeting_id=meeting)
    assert scoped["snapshot"] and [r["code"] for r in scoped["rows"]] == ["62.71"]
    assert not change_table(conn, MonitoringFilter(sector=("jasa",)), TODAY, TODAY, meeting_id=meeting)["snapshot"]


def test_a_meeting_recorded_later_keeps_nothing(db):
    conn, _ = db
    meeting = record(conn, TODAY - timedelta(days=10))
    assert snapshot(conn, meeting, TODAY - timedelta(days=10)) is None
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM meeting_snapshots WHERE meeting_id = %s", (meeting,))
        assert cur.fetchone()[0] == 0
    assert not change_table(conn, MonitoringFilter(), TODAY - timedelta(days=10), TODAY, meeting_id=meeting)["snapshot"]
