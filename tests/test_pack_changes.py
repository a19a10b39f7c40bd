"""The change table of the meeting pack ("Perubahan sejak rakor terakhir", geo.meetings.changes):
on any day its figures equal the statistics of that day where the statistics count as of a day,
and the current figures equal /api/stats' functions on the shared demo database."""

from __future__ import annotations

from datetime import timedelta

import psycopg2
import pytest

from geo import clock
from geo.filters import MonitoringFilter
from geo.meetings.changes import FIGURES, change_table, figures_on
from geo.stats import foreign_region_stats, region_stats
from tests.conftest import DEMO_TODAY

pytestmark = pytest.mark.slow  # the shared demo dataset (generated once per session)

THEN = DEMO_TODAY - timedelta(days=120)
# The demo dates its workers, stays and inspections around DEMO_TODAY but its companies are recorded
# (created_at) when it is loaded: "now" is the real today, after every record was made.
NOW = clock.today()
STAT_KEYS = ("companies", "foreign_workers", "permits_expired", "rptka_expired", "inspections_12m")


@pytest.fixture(scope="module")
def conn(demo_url):
    c = psycopg2.connect(demo_url)
    yield c
    c.close()


@pytest.mark.parametrize("scope", [None, ("62.02",)])
def test_today_equals_the_statistics(conn, scope):
    flt = MonitoringFilter(scope=scope)
    mine = figures_on(conn, flt, [NOW])[NOW]
    stats = {r["code"]: r for r in region_stats(conn, "regency", flt, parent="62", today=NOW)}
    present = {r["code"]: r for r in foreign_region_stats(conn, "regency", flt, parent="62", today=NOW)}
    assert set(mine) == set(stats) and mine
    if scope:
        assert set(mine) == set(scope)
    for code, row in mine.items():
        for key in STAT_KEYS:
            assert row[key] == stats[code][key], (code, key)
        assert row["foreign_nationals"] == present[code]["foreign_nationals"]
    assert sum(r["foreign_workers"] for r in mine.values()) > 0


def test_a_past_day_equals_what_the_statistics_count_as_of_it(conn):
    flt = MonitoringFilter()
    mine = figures_on(conn, flt, [THEN])[THEN]
    stats = {r["code"]: r for r in region_stats(conn, "regency", flt, parent="62", today=THEN, source="tables")}
    present = {r["code"]: r for r in foreign_region_stats(conn, "regency", flt, parent="62", today=THEN)}
    for code, row in mine.items():
        assert row["inspections_12m"] == stats[code]["inspections_12m"]
        assert row["rptka_expired"] <= row["companies"]
        assert row["foreign_nationals"] == present[code]["foreign_nationals"]
    # Workers and companies recorded after the day are not counted on it (by SQL on their dates).
    with conn.cursor() as cur:
        cur.execute("""SELECT count(*) FROM foreign_workers w JOIN companies c ON c.id = w.company_id
                        WHERE left(c.regency_code, 2) = '62' AND w.created_at::date <= %s
                          AND (w.status = 'active' OR w.updated_at::date > %s)""", (THEN, THEN))
        assert sum(r["foreign_workers"] for r in mine.values()) == cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM companies WHERE created_at::date <= %s", (THEN,))
        assert sum(r["companies"] for r in mine.values()) == cur.fetchone()[0]


def test_change_table_differences_and_districts(conn):
    t = change_table(conn, MonitoringFilter(), THEN, NOW)
    for r in (*t["rows"], t["total"]):
        for key, _ in FIGURES:
            assert r["diff"][key] == r["now"][key] - r["then"][key]
    assert t["total"]["now"]["companies"] == sum(r["now"]["companies"] for r in t["rows"])
    d = change_table(conn, MonitoringFilter(regency_code="62.02"), THEN, NOW, level="district",
                     parent="62.02")
    assert d["rows"] and all(r["code"].startswith("62.02.") for r in d["rows"])
    one = {r["code"]: r for r in t["rows"]}["62.02"]
    for key, _ in FIGURES:
        if key != "foreign_nationals":  # persons are placed at their own village, not the company's
            assert d["total"]["now"][key] == one["now"][key], key


def test_suppressed_persons_have_no_difference(conn):
    t = change_table(conn, MonitoringFilter(), THEN, NOW, threshold=1000)
    for r in t["rows"]:
        assert r["now"]["foreign_workers"] == 0 or r["now"]["foreign_workers"] == "<1000"
        assert r["diff"]["foreign_workers"] is None or r["now"]["foreign_workers"] == 0
        assert isinstance(r["now"]["companies"], int)
