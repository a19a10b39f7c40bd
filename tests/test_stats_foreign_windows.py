"""The statistics' foreign-national columns count the lodging guests of the last 30 days and the
activities of the last 12 months on each request: both windows are read through indexes that hold
what is counted (migration 0116), not through every stay or activity since the first."""

from __future__ import annotations

from datetime import date

import pytest

from geo.filters import MonitoringFilter
from geo.stats.foreign import ALL, counts_sql


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
